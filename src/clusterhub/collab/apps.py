from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CollabConfig(AppConfig):
    name = "clusterhub.collab"
    label = "collab"
    verbose_name = _("Collaboration")

    def ready(self) -> None:
        from . import records, reports  # noqa: F401

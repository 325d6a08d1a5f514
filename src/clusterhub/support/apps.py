from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupportConfig(AppConfig):
    name = "clusterhub.support"
    label = "support"
    verbose_name = _("Support desk")

    def ready(self) -> None:
        from . import records  # noqa: F401

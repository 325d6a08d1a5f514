from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "clusterhub.core"
    label = "core"
    verbose_name = _("Directory")

    def ready(self) -> None:
        # Register this app's import record types with the one pipeline.
        from . import records  # noqa: F401

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MatchingConfig(AppConfig):
    name = "clusterhub.matching"
    label = "matching"
    verbose_name = _("Matching")

    def ready(self) -> None:
        # Keep the persisted index current on every change of an indexed object.
        from . import signals

        signals.connect()

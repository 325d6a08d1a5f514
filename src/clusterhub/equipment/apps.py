from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EquipmentConfig(AppConfig):
    name = "clusterhub.equipment"
    label = "equipment"
    verbose_name = _("Shared equipment")

    def ready(self) -> None:
        # Import record types, the utilisation report, and the matching engine's equipment kind.
        from . import matching, records, reports  # noqa: F401

        matching.connect()

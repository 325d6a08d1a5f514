from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SimulationConfig(AppConfig):
    name = "clusterhub.simulation"
    label = "simulation"
    verbose_name = _("Casting simulation")

    def ready(self) -> None:
        from . import reports  # noqa: F401  (registers `clusterhub report design-support`)

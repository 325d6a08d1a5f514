from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "clusterhub.support"
    label = "support"
    verbose_name = "Support desk"

    def ready(self) -> None:
        from . import records  # noqa: F401

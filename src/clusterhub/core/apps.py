from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "clusterhub.core"
    label = "core"
    verbose_name = "Directory"

    def ready(self) -> None:
        # Register this app's import record types with the one pipeline.
        from . import records  # noqa: F401

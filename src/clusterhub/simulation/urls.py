"""Pages of the simulation service (included under /simulation/ by clusterhub/urls.py)."""

from django.urls import path  # noqa: F401

app_name = "simulation"
urlpatterns: list = []

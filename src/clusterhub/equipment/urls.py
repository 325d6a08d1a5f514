"""Pages of the equipment app (included under /equipment/ by clusterhub/urls.py, namespace \"equipment\")."""

from django.urls import path  # noqa: F401

app_name = "equipment"
urlpatterns: list = []

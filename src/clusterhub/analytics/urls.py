"""Pages of the analytics app (included under /analytics/ by clusterhub/urls.py, namespace \"analytics\")."""

from django.urls import path  # noqa: F401

app_name = "analytics"
urlpatterns: list = []

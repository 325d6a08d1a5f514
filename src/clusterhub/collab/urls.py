"""Pages of the collab app (included under /collab/ by clusterhub/urls.py, namespace \"collab\")."""

from django.urls import path  # noqa: F401

app_name = "collab"
urlpatterns: list = []

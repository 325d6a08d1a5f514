"""Pages of the simulation service (included under /simulation/ by clusterhub/urls.py)."""

from django.urls import path

from . import views

app_name = "simulation"
urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.run_new, name="new"),
    path("statistics/", views.statistics, name="statistics"),
    path("knowledge/", views.knowledge, name="knowledge"),
    path("<int:pk>/", views.run_detail, name="run"),
    path("<int:pk>/status/", views.run_status, name="status"),
    path("<int:pk>/cancel/", views.run_cancel, name="cancel"),
    path("<int:pk>/attach/", views.run_attach, name="attach"),
    path("<int:pk>/publish/", views.run_publish, name="publish"),
    path("<int:pk>/slice.png", views.run_slice, name="slice"),
    path("<int:pk>/points.json", views.run_points, name="points"),
    path("<int:pk>/report.pdf", views.run_report, name="report"),
    path("<int:pk>/case.json", views.run_case, name="case"),
    path("<int:pk>/download/<str:what>/", views.run_download, name="download"),
]

"""Pages of the analytics app (included under /analytics/ by clusterhub/urls.py, namespace "analytics")."""

from django.urls import path

from . import views

app_name = "analytics"
urlpatterns = [
    path("", views.index, name="index"),
    path("kpi/", views.kpi_page, name="kpi"),
    path("kpi/compare/", views.kpi_compare, name="kpi_compare"),
    path("kpi/download.<str:fmt>", views.kpi_download, name="kpi_download"),
]
urlpatterns += [
    path("incentives/", views.incentives_page, name="incentives"),
    path("incentives/recompute/", views.incentives_recompute, name="incentives_recompute"),
    path("incentives/download.<str:fmt>", views.incentives_download, name="incentives_download"),
]
urlpatterns += [
    path("regions/", views.typology_page, name="typology"),
]
urlpatterns += [
    path("programmes/", views.programmes_page, name="programmes"),
]
urlpatterns += [
    path("network/", views.network_page, name="network"),
]
urlpatterns += [
    path("support-by-region/", views.support_regions, name="support_regions"),
]

"""Pages of matching on the desk (included at the site root by clusterhub/urls.py)."""

from django.urls import path

from . import views

urlpatterns = [
    path("requests/new/suggest/", views.intake_suggest, name="intake_suggest"),
    path("requests/<int:pk>/matches/", views.request_matches, name="request_matches"),
    path("requests/<int:pk>/assign/<int:expert>/", views.request_assign, name="request_assign"),
    path("desk/proposals/", views.proposals, name="proposals"),
    path("desk/shared/", views.shared_flags, name="shared_flags"),
    path("joint-projects/", views.joint_project_list, name="joint_projects"),
    path("joint-projects/new/", views.joint_project_new, name="joint_project_new"),
    path("joint-projects/<int:pk>/", views.joint_project_detail, name="joint_project"),
]

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from clusterhub.api import api
from clusterhub.core import views as core_views
from clusterhub.support import views as support_views

urlpatterns = [
    path("", core_views.home, name="home"),
    path("directory/", core_views.organisation_list, name="organisations"),
    path("directory/<int:pk>/", core_views.organisation_detail, name="organisation"),
    path("experts/", core_views.expert_list, name="experts"),
    path("experts/<int:pk>/", core_views.expert_detail, name="expert"),
    path("clusters/", core_views.cluster_list, name="clusters"),
    path("clusters/<int:pk>/", core_views.cluster_detail, name="cluster"),
    path("notifications/", core_views.notifications, name="notifications"),
    path("requests/", support_views.request_list, name="requests"),
    path("requests/new/", support_views.request_new, name="request_new"),
    path("requests/<int:pk>/", support_views.request_detail, name="request"),
    path("requests/<int:pk>/do/<str:action>/", support_views.request_action,
         name="request_action"),
    path("requests/<int:pk>/attachments/", support_views.attachment_upload,
         name="attachment_upload"),
    path("requests/<int:pk>/attachments/<int:att>/", support_views.attachment_download,
         name="attachment"),
    path("requests/<int:pk>/follow-ups/<int:fu>/", support_views.follow_up_answer,
         name="follow_up_answer"),
    path("desk/", support_views.coordinator_queue, name="queue"),
    path("inbox/", support_views.expert_inbox, name="inbox"),
    path("cases/", support_views.case_list, name="cases"),
    path("cases/<int:pk>/", support_views.case_detail, name="case"),
    path("", include("clusterhub.matching.urls")),
    path("equipment/", include("clusterhub.equipment.urls")),
    path("collab/", include("clusterhub.collab.urls")),
    path("analytics/", include("clusterhub.analytics.urls")),
    path("simulation/", include("clusterhub.simulation.urls")),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
]

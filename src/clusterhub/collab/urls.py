"""Pages of the collab app (included under /collab/ by clusterhub/urls.py, namespace "collab")."""

from django.urls import path

from . import views

app_name = "collab"
W = "w/<int:ws>/"
D = W + "documents/<int:doc>/"
R = D + "rev/<str:rev>/"
J = W + "jobs/<int:job>/"
C = W + "changes/<int:cr>/"

urlpatterns = [
    path("", views.index, name="index"),
    path("invitations/<str:token>/", views.invitation, name="invitation"),
    path(W, views.workspace, name="workspace"),
    path(W + "invite/", views.invite, name="invite"),
    path(W + "members/<int:member>/role/", views.member_role, name="member_role"),
    path(W + "board/", views.job_board, name="board"),
    path(W + "board/live/", views.board_live, name="board_live"),
    path(W + "jobs/new/", views.job_new, name="job_new"),
    path(J, views.job_detail, name="job"),
    path(J + "stages/<int:stage>/start/", views.stage_start, name="stage_start"),
    path(J + "stages/<int:stage>/close/", views.stage_close, name="stage_close"),
    path(J + "trial/", views.add_trial, name="add_trial"),
    path(J + "waiting/", views.record_wait, name="record_wait"),
    path(J + "logistics/", views.record_logistics, name="record_logistics"),
    path(W + "documents/", views.document_list, name="documents"),
    path(D, views.document_detail, name="document"),
    path(D + "upload/", views.document_upload, name="upload"),
    path(D + "checkout/", views.document_checkout, name="checkout"),
    path(D + "checkin/", views.document_checkin, name="checkin"),
    path(D + "distribution/", views.document_distribution, name="distribution"),
    path(R + "release/", views.revision_release, name="release"),
    path(R + "file/", views.revision_file, name="file"),
    path(R + "<int:n>/file/", views.revision_file, name="iteration_file"),
    path(R + "preview/", views.revision_preview, name="preview"),
    path(R + "thumbnail/", views.revision_thumbnail, name="thumbnail"),
    path(W + "receipts/<int:receipt>/acknowledge/", views.receipt_ack, name="acknowledge"),
    path(W + "changes/", views.change_list, name="changes"),
    path(W + "changes/new/", views.change_new, name="change_new"),
    path(C, views.change_detail, name="change"),
    path(C + "decide/", views.change_decide, name="change_decide"),
    path(C + "apply/", views.change_apply, name="change_apply"),
    path(W + "kpis/", views.kpi_dashboard, name="kpis"),
]

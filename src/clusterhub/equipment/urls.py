"""Pages of the equipment app (included under /equipment/ by clusterhub/urls.py, namespace \"equipment\")."""

from django.urls import path

from . import views

app_name = "equipment"
urlpatterns = [
    path("", views.index, name="index"),
    path("bookings/", views.my_bookings, name="mine"),
    path("bookings/calendar.ics", views.my_feed, name="my_feed"),
    path("feeds/<int:user>/<str:token>.ics", views.subscribed_feed, name="subscribed_feed"),
    path("bookings/<int:pk>/", views.booking_detail, name="booking"),
    path("bookings/<int:pk>/<str:action>/", views.booking_action, name="booking_action"),
    path("approvals/", views.approvals, name="approvals"),
    path("utilisation/", views.dashboard, name="dashboard"),
    path("items/<str:key>/", views.detail, name="detail"),
    path("items/<str:key>/photos/", views.photo_upload, name="photo_upload"),
    path("items/<str:key>/photos/<int:pk>/", views.photo, name="photo"),
    path("items/<str:key>/photos/<int:pk>/remove/", views.photo_remove, name="photo_remove"),
    path("items/<str:key>/book/", views.book, name="book"),
    path("items/<str:key>/check/", views.check, name="check"),
    path("items/<str:key>/calendar.ics", views.item_feed, name="item_feed"),
]

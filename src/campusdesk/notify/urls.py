from django.urls import path

from campusdesk.notify import views

app_name = "notify"

urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/<int:pk>/read/", views.read, name="read"),
    path("inbox/read-all/", views.read_all, name="read_all"),
    path("me/messages/", views.settings_page, name="settings"),
    path("tickets/<int:ticket_id>/follow/", views.follow, name="follow"),
    path("announcements/", views.library, name="library"),
    path("announcements/<int:pk>/", views.announcement, name="announcement"),
    path(
        "announcements/<int:pk>/attachment/",
        views.announcement_attachment,
        name="announcement_attachment",
    ),
]

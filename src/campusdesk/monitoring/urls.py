"""The pages of the probes, maintenance windows and status pages (included by campusdesk.urls)."""

from django.urls import path

from campusdesk.monitoring import views

app_name = "monitoring"

urlpatterns = [
    path("systems/<int:pk>/probes/new/", views.probe_new, name="probe_new"),
    path("probes/<int:pk>/", views.probe_detail, name="probe"),
    path("probes/<int:pk>/edit/", views.probe_edit, name="probe_edit"),
    path("probes/<int:pk>/delete/", views.probe_delete, name="probe_delete"),
    path("probes/<int:pk>/run/", views.probe_run, name="probe_run"),
    path("systems/<int:pk>/maintenance/new/", views.window_new, name="window_new"),
    path("maintenance/<int:pk>/delete/", views.window_delete, name="window_delete"),
    path("availability/", views.overview, name="overview"),  # /status/: the server's own
    path("status/<int:pk>/", views.status_page, name="status"),
    path("status/<int:pk>/link/", views.status_link, name="status_link"),
    path("status/public/<str:token>/", views.public_status, name="public_status"),
]

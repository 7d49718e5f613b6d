from django.urls import path

from campusdesk.tickets import views

app_name = "tickets"

urlpatterns = [
    path("tickets/", views.ticket_list, name="list"),
    path("tickets/new/", views.ticket_register, name="register"),
    path("tickets/new/customers/", views.customer_options, name="customer_options"),
    path("tickets/new/projects/", views.project_options, name="project_options"),
    path("tickets/filter-options/<str:field>/", views.filter_options, name="filter_options"),
    path("tickets/<int:pk>/", views.ticket_detail, name="detail"),
    path("tickets/<int:pk>/act/<str:action>/", views.ticket_act, name="act"),
    path(
        "tickets/<int:pk>/attachments/<int:attachment_id>/",
        views.attachment_download,
        name="attachment",
    ),
    path(
        "tickets/<int:pk>/incident-report.<str:kind>",
        views.incident_report_download,
        name="incident_report",
    ),
    path("queue/", views.queue, name="queue"),
    path("queue/<str:name>/", views.queue, name="queue_named"),
]

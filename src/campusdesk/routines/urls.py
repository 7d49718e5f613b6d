"""The pages of routine work (included by campusdesk.urls)."""

from django.urls import path

from campusdesk.routines import plan_views, ticket_views, views

app_name = "routines"

urlpatterns = [
    path("routines/", views.routine_list, name="list"),
    path("routines/new/", views.routine_new, name="new"),
    path("routines/<int:pk>/", views.routine_detail, name="routine"),
    path("routines/<int:pk>/run/", views.routine_run_now, name="run_now"),
    path("routines/<int:pk>/edit/", views.routine_edit, name="edit"),
    path("routines/<int:pk>/delete/", views.routine_delete, name="delete"),
    path("systems/<int:pk>/plans/new/", plan_views.plan_new, name="plan_new"),
    path("plans/<int:pk>/", plan_views.plan_detail, name="plan"),
    path("plans/<int:pk>/edit/", plan_views.plan_edit, name="plan_edit"),
    path("runs/<int:pk>/", views.run_detail, name="run"),
    path("runs/<int:pk>/items/<int:n>/", views.run_item, name="item"),
    path("runs/<int:pk>/report/", views.run_report, name="report"),
    path("runs/<int:pk>/evidence/<int:evidence_id>/", views.evidence_download, name="evidence"),
    # an incident ticket's emergency plans (the ticket page's panel posts to these)
    path("tickets/<int:pk>/plans/", ticket_views.ticket_plan_open, name="ticket_plan_open"),
    path(
        "tickets/<int:pk>/plans/<int:plan_pk>/steps/<int:n>/",
        ticket_views.ticket_plan_step,
        name="ticket_plan_step",
    ),
]

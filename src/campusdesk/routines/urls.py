"""The pages of routine work (included by campusdesk.urls)."""

from django.urls import path

from campusdesk.routines import views

app_name = "routines"

urlpatterns = [
    path("routines/", views.routine_list, name="list"),
    path("routines/new/", views.routine_new, name="new"),
    path("routines/<int:pk>/", views.routine_detail, name="routine"),
    path("routines/<int:pk>/run/", views.routine_run_now, name="run_now"),
    path("runs/<int:pk>/", views.run_detail, name="run"),
    path("runs/<int:pk>/items/<int:n>/", views.run_item, name="item"),
    path("runs/<int:pk>/report/", views.run_report, name="report"),
]

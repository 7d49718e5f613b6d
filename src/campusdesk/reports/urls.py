from django.urls import path

from campusdesk.reports import views

app_name = "reports"

urlpatterns = [
    path("reports/", views.dashboard, name="dashboard"),
    path("reports/kpi/", views.kpi_page, name="kpi"),
    path("reports/kpi/tickets/", views.drill, name="drill"),
    path("reports/service/", views.service, name="service"),
    path("reports/scores/", views.scores_page, name="scores"),
]

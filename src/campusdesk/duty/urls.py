"""The duty roster's page (included by campusdesk.urls)."""

from django.urls import path

from campusdesk.duty import views

app_name = "duty"

urlpatterns = [path("duty/", views.roster, name="roster")]

from django.urls import path

from campusdesk.core import views

app_name = "core"

urlpatterns = [
    path("", views.home, name="home"),
    path("status/", views.status, name="status"),
    path("healthz", views.healthz, name="healthz"),
]

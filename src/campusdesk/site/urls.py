from django.urls import path

from campusdesk.core import views
from campusdesk.site import views as site_views

# the namespace keeps its name: templates and settings reverse "core:home"
app_name = "core"

urlpatterns = [
    path("", site_views.home, name="home"),
    path("status/", views.status, name="status"),
    path("healthz", views.healthz, name="healthz"),
]

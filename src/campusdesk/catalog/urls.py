from django.urls import path

from campusdesk.catalog import views

app_name = "catalog"

urlpatterns = [
    path("projects/", views.project_list, name="project_list"),
    path("projects/<int:pk>/", views.project_detail, name="project_detail"),
]

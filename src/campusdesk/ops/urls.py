from django.urls import path

from campusdesk.ops import views

app_name = "ops"

urlpatterns = [
    path("ops/", views.watch, name="watch"),
    path("ops/<str:name>/", views.watch, name="watch_named"),
    path("ops/corrective-actions/<int:pk>/done/", views.corrective_done, name="corrective_done"),
    path("complaints/", views.complaint_list, name="complaints"),
    path("complaints/<int:pk>/", views.complaint_detail, name="complaint"),
    path("complaints/<int:pk>/<str:step>/", views.complaint_step, name="complaint_step"),
]

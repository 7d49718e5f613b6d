from django.urls import path

from campusdesk.intake import triage_views, views

app_name = "intake"

urlpatterns = [
    path("mail/", views.mail_list, name="mail_list"),
    path("mail/<int:pk>/", views.mail_detail, name="mail_detail"),
    path("mail/<int:pk>/original/", views.mail_original, name="mail_original"),
    path("mail/<int:pk>/<str:step>/", views.mail_step, name="mail_step"),
    path("alerts/", triage_views.alert_list, name="alert_list"),
    path("alerts/<int:pk>/<str:step>/", triage_views.alert_step, name="alert_step"),
]

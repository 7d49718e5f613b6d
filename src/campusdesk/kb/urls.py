from django.urls import path

from campusdesk.kb import views

app_name = "kb"

urlpatterns = [
    path("kb/", views.library, name="library"),
    path("kb/new/", views.article_new, name="new"),
    path("kb/suggest/", views.suggest_panel, name="suggest"),
    path("kb/<int:pk>/", views.article_detail, name="article"),
    path("kb/<int:pk>/edit/", views.article_edit, name="edit"),
    path("kb/<int:pk>/solved/", views.article_solved, name="solved"),
    path("kb/<int:pk>/attachment/", views.article_attachment, name="attachment"),
    path("kb/<int:pk>/status/<str:status>/", views.article_status, name="status"),
    path("kb/from-ticket/<int:ticket_id>/", views.from_ticket, name="from_ticket"),
    path("kb/retrospectives/<int:ticket_id>/", views.retrospective, name="retrospective"),
]

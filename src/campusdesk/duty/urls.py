"""The duty roster's page and what is posted from it (included by campusdesk.urls)."""

from django.urls import path

from campusdesk.duty import views

app_name = "duty"

urlpatterns = [
    path("duty/", views.roster, name="roster"),
    path("duty/shifts/<int:pk>/swap/", views.swap_ask, name="swap_ask"),
    path("duty/swaps/<int:pk>/answer/", views.swap_answer, name="swap_answer"),
    path("duty/shifts/<int:pk>/handover/", views.handover, name="handover"),
]

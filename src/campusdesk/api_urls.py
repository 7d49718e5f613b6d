"""/api/v1/: every app's API under one router."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from campusdesk.accounts.api import MeView, OrganisationViewSet, TokenView
from campusdesk.catalog.api import ProductViewSet, ProjectViewSet
from campusdesk.sla.api import CalendarDayView, PreviewView
from campusdesk.tickets.api import TicketViewSet

router = DefaultRouter()
router.register("organisations", OrganisationViewSet, basename="organisation")
router.register("products", ProductViewSet, basename="product")
router.register("projects", ProjectViewSet, basename="project")
router.register("tickets", TicketViewSet, basename="ticket")

urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="auth-token"),
    path("me/", MeView.as_view(), name="me"),
    path("sla/preview/", PreviewView.as_view(), name="sla-preview"),
    path("sla/calendar-days/", CalendarDayView.as_view(), name="sla-calendar-days"),
    path("", include(router.urls)),
]

"""/api/v1/: every app's API under one router."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from campusdesk.accounts.api import (
    MeLogoutView,
    MePasswordView,
    MeTokensView,
    MeTokenView,
    MeView,
    TokenView,
    UserViewSet,
)
from campusdesk.catalog.api import OrganisationViewSet, ProductViewSet, ProjectViewSet
from campusdesk.intake import api as intake
from campusdesk.kb import api as kb
from campusdesk.monitoring import windows_api
from campusdesk.notify import robots_api, settings_api
from campusdesk.notify.api import (
    AnnouncementViewSet,
    FollowView,
    NotificationViewSet,
    WebhooksView,
)
from campusdesk.ops import api as ops
from campusdesk.reports import api as reports
from campusdesk.sla import api as sla
from campusdesk.tickets.api import TicketViewSet


# No `.json` suffix routes: the format is chosen by the Accept header (the action methods
# take no `format` argument, so those routes only ever answered 500).
class Router(DefaultRouter):
    include_format_suffixes = False


router = Router()
router.register("organisations", OrganisationViewSet, basename="organisation")
router.register("products", ProductViewSet, basename="product")
router.register("projects", ProjectViewSet, basename="project")
router.register("tickets", TicketViewSet, basename="ticket")
router.register("notifications", NotificationViewSet, basename="notification")
router.register("announcements", AnnouncementViewSet, basename="announcement")
router.register("kb/articles", kb.ArticleViewSet, basename="kb-article")
router.register("users", UserViewSet, basename="user")

urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="auth-token"),
    path("me/", MeView.as_view(), name="me"),
    path("me/tokens/", MeTokensView.as_view(), name="me-tokens"),
    path("me/tokens/<int:pk>/", MeTokenView.as_view(), name="me-token"),
    path("me/password/", MePasswordView.as_view(), name="me-password"),
    path("me/logout/", MeLogoutView.as_view(), name="me-logout"),
    path(
        "me/notification-settings/",
        settings_api.NotificationSettingsView.as_view(),
        name="me-notification-settings",
    ),
    path("me/quiet-hours/", settings_api.QuietHoursView.as_view(), name="me-quiet-hours"),
    path("robots/", robots_api.RobotsView.as_view(), name="robots"),
    path("robots/<str:pk>/", robots_api.RobotView.as_view(), name="robot"),
    path("maintenance-windows/", windows_api.WindowsView.as_view(), name="maintenance-windows"),
    path(
        "maintenance-windows/<str:pk>/",
        windows_api.WindowView.as_view(),
        name="maintenance-window",
    ),
    path("sla/preview/", sla.PreviewView.as_view(), name="sla-preview"),
    path("sla/calendar-days/", sla.CalendarDayView.as_view(), name="sla-calendar-days"),
    path("sla/calendars/", sla.CalendarsView.as_view(), name="sla-calendars"),
    path("sla/policies/", sla.DefaultLevelsView.as_view(), name="sla-policies"),
    path("projects/<str:pk>/sla/", sla.ProjectLevelsView.as_view(), name="project-sla"),
    path("alerts/triage/", intake.AlertTriageListView.as_view(), name="alerts-triage"),
    path("alerts/<int:pk>/acknowledge/", intake.AlertAcknowledgeView.as_view()),
    path("alerts/<int:pk>/false-alarm/", intake.AlertFalseAlarmView.as_view()),
    path("alerts/<int:pk>/link/", intake.AlertLinkView.as_view()),
    path("alerts/<int:pk>/raise/", intake.AlertRaiseView.as_view()),
    path("alerts/alertmanager/", intake.AlertmanagerView.as_view(), name="alerts-alertmanager"),
    path("alerts/", intake.GenericAlertView.as_view(), name="alerts"),
    path("alerts/sources/", intake.SourcesView.as_view(), name="alert-sources"),
    path("mail/", intake.MailListView.as_view(), name="mail"),
    path("mail/<int:pk>/", intake.MailDetailView.as_view(), name="mail-detail"),
    path("mail/<int:pk>/register/", intake.MailRegisterView.as_view()),
    path("mail/<int:pk>/append/", intake.MailAppendView.as_view()),
    path("mail/<int:pk>/discard/", intake.MailDiscardView.as_view()),
    path("mail/<int:pk>/retry/", intake.MailRetryView.as_view()),
    path("webhooks/", WebhooksView.as_view(), name="webhooks"),
    path("kb/suggest/", kb.SuggestView.as_view(), name="kb-suggest"),
    path("kb/frequent/", kb.FrequentView.as_view(), name="kb-frequent"),
    path("kb/retrospectives/", kb.RetrospectiveListView.as_view(), name="kb-retrospectives"),
    path("kb/retrospectives/<int:ticket>/", kb.RetrospectiveView.as_view()),
    path("ops/watch/", ops.WatchView.as_view(), name="ops-watch"),
    path("ops/corrective-actions/<int:pk>/done/", ops.CorrectiveDoneView.as_view()),
    path("tickets/<int:pk>/ops-records/", ops.OpsRecordView.as_view()),
    path("tickets/<int:pk>/follow/", FollowView.as_view()),
    path("tickets/<int:pk>/corrective-actions/", ops.CorrectiveActionsView.as_view()),
    path("tickets/<int:pk>/dispatch/", ops.DispatchView.as_view()),
    path("complaints/", ops.ComplaintsView.as_view(), name="complaints"),
    path("complaints/<int:pk>/", ops.ComplaintDetailView.as_view()),
    path("complaints/<int:pk>/assign/", ops.ComplaintStepView.as_view(step="assign")),
    path("complaints/<int:pk>/notes/", ops.ComplaintStepView.as_view(step="notes")),
    path("complaints/<int:pk>/resolve/", ops.ComplaintStepView.as_view(step="resolve")),
    path("complaints/<int:pk>/group/", ops.ComplaintGroupView.as_view()),
    path("complaints/<int:pk>/severity/", ops.ComplaintSeverityView.as_view()),
    path("complaints/<int:pk>/confirm/", ops.ComplaintConfirmView.as_view()),
    path("complaints/<int:pk>/reopen/", ops.ComplaintReopenView.as_view()),
    path("reports/service/", reports.ServiceReportView.as_view(), name="reports-service"),
    path("reports/kpi/", reports.KpiView.as_view(), name="reports-kpi"),
    path("reports/scores/", reports.ScoresView.as_view(), name="reports-scores"),
    path("", include("campusdesk.systems.api_urls")),
    path("", include("campusdesk.monitoring.api_urls")),
    path("", include("campusdesk.routines.api")),
    path("", include("campusdesk.routines.ticket_api")),  # before the router's tickets/
    path("", include("campusdesk.duty.api")),
    path("", include("campusdesk.surveys.api")),
    path("", include(router.urls)),
]

from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

# a database that cannot be reached answers 503 (Retry-After), a full disk 507; else 500
handler500 = "campusdesk.core.failures.server_error"

admin.site.site_header = _("campusdesk administration")
admin.site.site_title = _("campusdesk")
admin.site.index_title = _("Administration")

urlpatterns = [
    path("", include("campusdesk.site.urls")),
    path("", include("campusdesk.catalog.urls")),
    path("", include("campusdesk.tickets.urls")),
    path("", include("campusdesk.ops.urls")),
    path("", include("campusdesk.notify.urls")),
    path("", include("campusdesk.kb.urls")),
    path("", include("campusdesk.reports.urls")),
    path("", include("campusdesk.systems.urls")),
    path("", include("campusdesk.monitoring.urls")),
    path("", include("campusdesk.routines.urls")),
    path("", include("campusdesk.duty.urls")),
    path("", include("campusdesk.surveys.urls")),
    path("intake/", include("campusdesk.intake.urls")),
    path("accounts/", include("campusdesk.accounts.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("campusdesk.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # the page and its script apart: the CSP runs no inline script
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]

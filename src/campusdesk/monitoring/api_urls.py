"""/api/v1/ paths of the probes, maintenance windows and status pages (included by
campusdesk.api_urls)."""

from campusdesk.monitoring import api

urlpatterns = [*api.urlpatterns]

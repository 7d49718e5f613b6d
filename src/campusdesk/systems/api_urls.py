"""/api/v1/ paths of the application systems (included by campusdesk.api_urls)."""

from campusdesk.systems.api import changes, inventory, vulns

urlpatterns = [*inventory.urlpatterns, *vulns.urlpatterns, *changes.urlpatterns]

"""The pages of the application systems (included by campusdesk.urls)."""

from campusdesk.systems.views import actions, changes, inventory, ticketlink, vulns

urlpatterns = [
    *inventory.urlpatterns,
    *vulns.urlpatterns,
    *changes.urlpatterns,
    *actions.urlpatterns,
    *ticketlink.urlpatterns,
]

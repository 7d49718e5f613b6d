from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RoutinesConfig(AppConfig):
    name = "campusdesk.routines"
    label = "routines"
    verbose_name = _("Routine work")

    def ready(self) -> None:
        from campusdesk.routines import run_actions  # noqa: F401 - declares complete, sign
        from campusdesk.routines.ticket_views import ticket_panel
        from campusdesk.routines.views import queue_panel, system_panel
        from campusdesk.systems import panels
        from campusdesk.tickets import panels as ticket_panels

        # "例行工作与应急预案" on a system's page (systems may not import routines)
        panels.register_panel("routines", "routines/_panel_system.html", system_panel, order=20)
        # the runs a person is to perform, at the top of their 我的待办 (tickets may not either)
        ticket_panels.queue.register("routine_runs", "routines/_queue_runs.html", queue_panel)
        # an incident's emergency plans as checklists on the ticket page, after the case
        # library (50) and before the incident report (60)
        ticket_panels.register_panel(
            "emergency_plans", "routines/_panel_ticket_plans.html", ticket_panel, order=55
        )

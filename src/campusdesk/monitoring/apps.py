from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MonitoringConfig(AppConfig):
    name = "campusdesk.monitoring"
    label = "monitoring"
    verbose_name = _("Monitoring")

    def ready(self) -> None:
        from campusdesk.monitoring import actions
        from campusdesk.tickets.actions import declared
        from campusdesk.tickets.workflow import Action

        if declared(Action.PROBE_RECOVERED) is None:  # ready() may run twice in tests
            actions.declare()

        from campusdesk.monitoring.views import system_panel
        from campusdesk.systems import panels

        # "探针与可用性" on a system's page (systems may not import monitoring)
        panels.register_panel(
            "availability", "monitoring/_panel_system.html", system_panel, order=10
        )

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpsConfig(AppConfig):
    name = "campusdesk.ops"
    label = "ops"
    verbose_name = _("Operations supervision")

    def ready(self) -> None:
        from campusdesk.ops import (
            actions,  # noqa: F401 -- declares the operations actions
            budget,
        )
        from campusdesk.ops.views import corrective_panel
        from campusdesk.tickets import events, panels

        # the ticket's corrective actions, each closed from there, after its commitments (30)
        panels.register_panel(
            "corrective_actions", "ops/_panel_corrective_actions.html", corrective_panel, order=35
        )

        # a closed ticket's workload counts against its contract's hour budget at once
        events.subscribe(budget.on_ticket_events, phase="transaction")

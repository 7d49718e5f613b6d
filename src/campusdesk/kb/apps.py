from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KbConfig(AppConfig):
    name = "campusdesk.kb"
    label = "kb"
    verbose_name = _("Case library")

    def ready(self) -> None:
        from campusdesk.kb.services import on_ticket_events
        from campusdesk.kb.views import retrospective_panel
        from campusdesk.tickets import events, panels

        events.subscribe(on_ticket_events, phase="transaction")
        # "make a draft case" on a closed ticket's page
        panels.register_panel("case_library", "kb/_panel_case_library.html", order=50)
        # its retrospective (复盘), with the way to the experts' form
        panels.register_panel(
            "retrospective", "kb/_panel_retrospective.html", retrospective_panel, order=52
        )

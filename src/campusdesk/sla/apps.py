from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SlaConfig(AppConfig):
    name = "campusdesk.sla"
    label = "sla"
    verbose_name = _("Service levels")

    def ready(self) -> None:
        from campusdesk.sla.keeper import SlaKeeper, deadlines_panel
        from campusdesk.tickets import deadlines, panels

        # tickets asks sla for deadlines through this keeper (it may not import sla)
        deadlines.register(SlaKeeper())
        panels.register_panel("deadlines", "sla/_panel_deadlines.html", deadlines_panel, order=20)

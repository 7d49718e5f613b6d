from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SlaConfig(AppConfig):
    name = "campusdesk.sla"
    label = "sla"
    verbose_name = _("Service levels")

    def ready(self) -> None:
        from campusdesk.catalog.panels import project_page
        from campusdesk.sla.keeper import SlaKeeper, deadlines_panel, levels_panel
        from campusdesk.tickets import deadlines, panels

        # tickets asks sla for deadlines through this keeper (it may not import sla)
        deadlines.register(SlaKeeper())
        panels.register_panel("deadlines", "sla/_panel_deadlines.html", deadlines_panel, order=20)
        project_page.register("levels", "sla/_project_levels.html", levels_panel, order=20)

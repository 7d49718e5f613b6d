from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RoutinesConfig(AppConfig):
    name = "campusdesk.routines"
    label = "routines"
    verbose_name = _("Routine work")

    def ready(self) -> None:
        from campusdesk.routines import run_actions  # noqa: F401 - declares complete, sign
        from campusdesk.routines.views import system_panel
        from campusdesk.systems import panels

        # "例行工作与应急预案" on a system's page (systems may not import routines)
        panels.register_panel("routines", "routines/_panel_system.html", system_panel, order=20)

"""The side panels of the ticket page, in order; the apps above add theirs.

tickets may not import sla or kb (the layers), yet its page shows the SLA deadlines and the
case library's button. Each app registers its panel (a template and what it adds to the
page's context) in its ``AppConfig.ready()`` with ``register_panel``; the page includes them
by ``order`` (``core.panels``). tickets' own sections are panels too, so the others can sit
between them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from campusdesk.core.panels import PanelRegistry

if TYPE_CHECKING:
    from campusdesk.accounts.models import User
    from campusdesk.tickets.models import Ticket

_registry: PanelRegistry[Ticket] = PanelRegistry()
_PANELS = _registry.panels
register_panel = _registry.register
collect = _registry.collect

# tickets' own sections; sla adds its deadlines at 20, kb its case library at 50
register_panel("actions", "tickets/_panel_actions.html", order=10)
register_panel("commitments", "tickets/_panel_commitments.html", order=30)
register_panel("attachments", "tickets/_panel_attachments.html", order=40)
register_panel("incident_report", "tickets/_panel_incident_report.html", order=60)

#: notes beside the registration form (问题登记), for the person registering: the duty app
#: shows the hotline's engineer on duty and their number
registration: PanelRegistry[User] = PanelRegistry()

#: sections at the top of the staff queue (我的待办), for the person whose queue it is:
#: routines lists the routine runs they are to perform
queue: PanelRegistry[User] = PanelRegistry()

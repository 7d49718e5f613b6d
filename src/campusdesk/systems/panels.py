"""The sections that apps above add to a system's page, in order.

systems may not import monitoring (the layers), yet a system's page shows its probes and
availability. As on the ticket page, each app registers its section (a template and what it
adds to the page's context) in its ``AppConfig.ready()`` with ``register_panel``; the page
includes them by ``order`` (``core.panels``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from campusdesk.core.panels import PanelRegistry

if TYPE_CHECKING:
    from campusdesk.systems.models import ApplicationSystem

_registry: PanelRegistry[ApplicationSystem] = PanelRegistry()
register_panel = _registry.register
collect = _registry.collect

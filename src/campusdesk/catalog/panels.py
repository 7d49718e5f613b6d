"""Sections that the apps above add to a project's (contract's) page: sla shows the
service levels and calendar the contract runs under."""

from __future__ import annotations

from typing import TYPE_CHECKING

from campusdesk.core.panels import PanelRegistry

if TYPE_CHECKING:
    from campusdesk.catalog.models import Project

project_page: PanelRegistry[Project] = PanelRegistry()

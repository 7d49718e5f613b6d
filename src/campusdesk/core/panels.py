"""Sections that apps higher up add to a page of a lower app, in order.

A lower app may not import the apps above it (the layers), yet its page shows what they
know: the ticket page the SLA deadlines and the case library, a system's page its probes.
The lower app keeps one ``PanelRegistry``; each app above registers its section (a template
and what it adds to the page's context) in its ``AppConfig.ready()``; the page includes the
sections by ``order``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

Subject = TypeVar("Subject")


@dataclass(frozen=True)
class Panel(Generic[Subject]):
    name: str
    template: str
    #: what the section adds to the page's context (read once per page, with the rest)
    context_fn: Callable[[Subject, Any], dict[str, Any]] | None
    order: int


class PanelRegistry(Generic[Subject]):
    """The sections of one kind of page, by name."""

    def __init__(self) -> None:
        self.panels: dict[str, Panel[Subject]] = {}

    def register(
        self,
        name: str,
        template: str,
        context_fn: Callable[[Subject, Any], dict[str, Any]] | None = None,
        order: int = 100,
    ) -> None:
        """Show ``template`` on the page at ``order`` (a new registration replaces one)."""
        self.panels[name] = Panel(name, template, context_fn, order)

    def collect(self, subject: Subject, user: Any) -> tuple[list[str], dict[str, Any]]:
        """The sections' templates in order, and the context they add to the page."""
        chosen = sorted(self.panels.values(), key=lambda panel: panel.order)
        context: dict[str, Any] = {}
        for panel in chosen:
            if panel.context_fn is not None:
                context.update(panel.context_fn(subject, user))
        return [panel.template for panel in chosen], context

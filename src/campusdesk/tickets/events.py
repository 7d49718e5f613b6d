"""Who hears of a ticket's events: tickets publishes, the apps above subscribe.

tickets sits below sla, notify, kb and ops, so it cannot call them; each of them subscribes
in its ``AppConfig.ready()`` and ``publish`` calls the subscribers in that order (the order
of ``INSTALLED_APPS``). Two phases:

- ``"transaction"``: in the event's own transaction, before it commits. notify writes its
  inbox rows and outbox deliveries here: they commit or roll back with the event, so no
  notification is lost and none is sent for an event that never happened (the outbox
  pattern). kb's retrospectives and suggestion marks are the same kind of record.
- ``"commit"``: after the transaction commits (``transaction.on_commit``), for work that
  must not see uncommitted rows or must not run when they roll back: enqueueing jobs.

A handler takes the whole batch, so the sweeper's thousand firings cost the subscribers
one fixed number of queries, as one event does.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Literal

from django.db import transaction

if TYPE_CHECKING:
    from campusdesk.tickets.models import TicketEvent

Phase = Literal["transaction", "commit"]
#: Called with saved events, each with its ``ticket`` loaded.
Handler = Callable[[list["TicketEvent"]], object]

_SUBSCRIBERS: dict[Phase, list[Handler]] = {"transaction": [], "commit": []}


def subscribe(handler: Handler, *, phase: Phase, first: bool = False) -> None:
    """Call ``handler`` with every published batch of events, in ``phase`` (``first``: before
    the subscribers so far, as the duty line's alarm goes before everyone else's messages)."""
    if handler in _SUBSCRIBERS[phase]:  # ready() may run more than once
        return
    if first:
        _SUBSCRIBERS[phase].insert(0, handler)
    else:
        _SUBSCRIBERS[phase].append(handler)


def publish(events: list[TicketEvent]) -> None:
    """Tell the subscribers that ``events`` (saved, in the current transaction) happened."""
    for handler in _SUBSCRIBERS["transaction"]:
        handler(events)
    if _SUBSCRIBERS["commit"]:
        transaction.on_commit(partial(_after_commit, list(_SUBSCRIBERS["commit"]), events))


def _after_commit(handlers: list[Handler], events: list[TicketEvent]) -> None:
    for handler in handlers:
        handler(events)

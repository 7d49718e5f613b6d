"""Lookups shared by one batch of work (a sweep, a bulk transition), read once, not per item.

The caller that owns the batch opens it (``with shared_lookups():``); the modules that read
something the items have in common remember it with ``shared(key, read)``. Each key belongs
to the module that reads and writes it (``catalog.tiers``: the people of a tier; ``notify``:
rules, robots, webhooks), so the batch's owner never needs to know what is inside: the SLA
sweeper opens a batch without importing the notification rules.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

T = TypeVar("T")

#: Keys are tuples whose first item names the kind of lookup ("tier", "rule", "robots", …).
Memo = dict[tuple[Any, ...], Any]

_shared: ContextVar[Memo | None] = ContextVar("batch_shared", default=None)


@contextmanager
def shared_lookups() -> Iterator[None]:
    """Inside the block, what does not depend on the item is read once, not once per item.

    The memo ends with the block, so an administrator's change is seen by the next batch.
    """
    token = _shared.set({})
    try:
        yield
    finally:
        _shared.reset(token)


def memo() -> Memo | None:
    """The memo of the current ``shared_lookups`` block (None outside one), to fill in bulk."""
    return _shared.get()


def shared(key: tuple[Any, ...], read: Callable[[], T]) -> T:
    """``read()``, remembered under ``key`` inside ``shared_lookups``."""
    current = _shared.get()
    if current is None:
        return read()
    if key not in current:
        current[key] = read()
    return current[key]  # type: ignore[no-any-return]

"""A demo duty roster that covers every minute outside the service centre's hours (of every
contract's own calendar) from yesterday to 32 days ahead: one shift per stretch, cut at 09:00
so none is longer than a day, taken in turn by ``engineer`` and ``expert2`` (their phones set
so the hotline page and ``/api/v1/duty/now/`` show a number). Running it again changes nothing."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time, timedelta

from campusdesk.accounts.models import User
from campusdesk.catalog.models import Project
from campusdesk.core import clock
from campusdesk.duty import services
from campusdesk.duty.models import Shift
from campusdesk.sla import calendars

PHONES = {"engineer": "13899110001", "expert2": "13899110002"}
HANDOVER = "注意：研究生管理系统每月 1 日备份窗口 02:00–04:00；网络计费系统探针告警已登记问题。"


def _pieces(a: datetime, b: datetime) -> list[tuple[datetime, datetime]]:
    """[a, b) cut at each 09:00 local, so a weekend is three shifts, not one."""
    pieces = []
    while a < b:
        local = clock.local(a)
        nine = datetime.combine(local.date(), time(9), tzinfo=local.tzinfo)
        cut = nine if nine > a else nine + timedelta(days=1)
        end = min(cut, b)
        pieces.append((a, end))
        a = end
    return pieces


def _union(stretches: Iterable[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """The stretches of every contract's calendar merged: one roster covers each contract's
    hours outside its own service centre (the second university keeps a lunch break)."""
    merged: list[tuple[datetime, datetime]] = []
    for a, b in sorted(stretches):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def load(people: dict[str, User], projects: list[Project]) -> None:
    if Shift.objects.exists() or not projects:
        return
    crew = [people[name] for name in PHONES]
    for person in crew:
        person.phone = person.phone or PHONES[person.username]
        person.save(update_fields=["phone"])
    now = clock.now()
    start = datetime.combine(
        clock.local(now).date() - timedelta(days=1), time(), tzinfo=clock.local(now).tzinfo
    )
    end = start + timedelta(days=33)  # the roster check looks 30 days ahead: none uncovered
    need = _union(
        stretch
        for project in projects
        for stretch in services.required(calendars.for_project(project), start, end)
    )
    turn = 0
    for a, b in need:
        for piece_start, piece_end in _pieces(a, b):
            Shift.objects.create(
                user=crew[turn % len(crew)],
                starts_at=piece_start,
                ends_at=piece_end,
                handover=HANDOVER if turn == 0 else "",
                created_by=people.get("ops"),
                created_at=now,
            )
            turn += 1

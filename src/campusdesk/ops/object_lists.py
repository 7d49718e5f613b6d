"""The watch lists of things other than tickets, one declaration each: the systems' overdue
vulnerability findings, routine runs past their due day, emergency plans due for a drill.

ops lies above systems and routines, so it reads them here; each list is a name (the tab's
URL), a label, the template of its rows (given ``rows``) and who sees which rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from campusdesk.accounts.models import User
from campusdesk.ops import systems_watch
from campusdesk.routines import services as routines


@dataclass(frozen=True)
class ObjectList:
    name: str
    label: str | Promise
    template: str
    rows: Callable[[User], QuerySet[Any]]


LISTS = {
    spec.name: spec
    for spec in (
        ObjectList(
            systems_watch.NAME,
            systems_watch.LABEL,
            systems_watch.TEMPLATE,
            systems_watch.overdue_findings,
        ),
        ObjectList(
            "routine_runs",
            _("Routine runs past due"),
            "routines/_late_runs.html",
            routines.late_runs,
        ),
        ObjectList(
            "emergency_plans",
            _("Emergency plans due for a drill"),
            "routines/_plans_due.html",
            routines.unexercised_plans,
        ),
    )
}

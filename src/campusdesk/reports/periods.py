"""Report periods: a month ``2026-11``, a quarter ``2026-Q4``, or custom dates, in local time."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.translation import gettext as _

from campusdesk.core.errors import ValidationError

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-[Qq]([1-4])$")
#: a custom period longer than this is refused (the trend would have too many points)
MAX_DAYS = 731


@dataclass(frozen=True)
class Period:
    """Local dates ``first`` to ``last`` (inclusive), and the instants that bound them."""

    key: str
    first: date
    last: date

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time.min, tzinfo=_tz())

    @property
    def end(self) -> datetime:
        """The first instant after the period."""
        return datetime.combine(self.last + timedelta(days=1), time.min, tzinfo=_tz())

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def label(self) -> str:
        if _MONTH.match(self.key):
            return _("%(year)d-%(month)02d") % {"year": self.first.year, "month": self.first.month}
        if _QUARTER.match(self.key):
            return self.key.upper()
        return f"{self.first.isoformat()} – {self.last.isoformat()}"


def _tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _invalid() -> ValidationError:
    return ValidationError(
        fields={"period": [_("Give a month (2026-11), a quarter (2026-Q4) or from/to dates.")]}
    )


def month(year: int, number: int) -> Period:
    first = date(year, number, 1)
    following = date(year + number // 12, number % 12 + 1, 1)
    return Period(f"{year:04d}-{number:02d}", first, following - timedelta(days=1))


def parse(period: str = "", first: str = "", last: str = "") -> Period:
    """The period a request names; ValidationError when it names none or a wrong one."""
    period = period.strip()
    try:
        if found := _MONTH.match(period):
            return month(int(found[1]), int(found[2]))
        if found := _QUARTER.match(period):
            year, quarter = int(found[1]), int(found[2])
            start, end = month(year, quarter * 3 - 2), month(year, quarter * 3)
            return Period(f"{year:04d}-Q{quarter}", start.first, end.last)
        if not period and first and last:
            begin, finish = date.fromisoformat(first), date.fromisoformat(last)
            if begin <= finish and (finish - begin).days < MAX_DAYS and begin.year > 1900:
                return Period(f"{begin.isoformat()}..{finish.isoformat()}", begin, finish)
    except ValueError:
        pass
    raise _invalid()


def previous_month(moment: datetime) -> Period:
    """The calendar month before the one ``moment`` falls in (local time)."""
    local = moment.astimezone(_tz()).date().replace(day=1) - timedelta(days=1)
    return month(local.year, local.month)


def current_month(moment: datetime) -> Period:
    local = moment.astimezone(_tz()).date()
    return month(local.year, local.month)

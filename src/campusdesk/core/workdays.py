"""The statutory Chinese working days: the holidays and the adjusted working days (调休) the
State Council publishes each year, as the ``chinese_calendar`` package knows them. Business
calendars (``sla.worktime``) and the demo's story dates read them here; a year the package
does not know yet has no deviation, so callers fall back on their weekly pattern."""

from __future__ import annotations

from datetime import date
from functools import cache

import chinese_calendar


@cache
def _known_years() -> range:
    # The package checks its range the same way before it refuses a year.
    years = [day.year for day in chinese_calendar.holidays]
    return range(min(years), max(years) + 1)


def chinese_calendar_knows(year: int) -> bool:
    """Whether ``chinese_calendar`` has the official schedule of ``year``."""
    return year in _known_years()


def statutory(day: date) -> bool | None:
    """False on a statutory holiday, True on an adjusted working day (调休), None on any
    other day or in a year the package does not know."""
    if not chinese_calendar_knows(day.year):
        return None
    if day in chinese_calendar.holidays:
        return False
    if day in chinese_calendar.workdays:
        return True
    return None

"""Working-time arithmetic on the Chinese working calendar.

Dates come from the official schedules as ``chinese_calendar`` 1.11 holds them:
- 2025 National Day: 10-01..10-08 off; Sun 09-28 and Sat 10-11 worked.
- 2026 Spring Festival: 02-15..02-23 off; Sat 02-14 and Sat 02-28 worked.
- 2026 Mid-Autumn 09-25..09-27 and National Day 10-01..10-07 off;
  Sun 09-20 and Sat 10-10 worked.
- 2027 and later: unknown to the package.
"""

from __future__ import annotations

import time as stopwatch
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest

from campusdesk.core.workdays import chinese_calendar_knows
from campusdesk.sla.worktime import (
    MAX_DAYS,
    WorkCalendar,
    add_clock_time,
    add_working_days,
    add_working_time,
    default_calendar,
    working_time_between,
)

SH = ZoneInfo("Asia/Shanghai")
H = timedelta(hours=1)
CENTRE = default_calendar(SH)
LUNCH = WorkCalendar(
    tz=SH,
    weekly={weekday: ((time(9), time(12)), (time(13, 30), time(17, 30))) for weekday in range(5)},
)


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SH)


def centre_with(overrides: dict[date, bool]) -> WorkCalendar:
    return WorkCalendar(tz=SH, weekly=CENTRE.weekly, overrides=overrides)


# --- SIS3 shape on ordinary weeks (March 2025 has no holiday) -------------------------


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (at(2025, 3, 11, 10), 1, at(2025, 3, 12, 10)),  # Tue → Wed
        (at(2025, 3, 14, 16), 1, at(2025, 3, 17, 16)),  # Fri 16:00: 1 h + 7 h on Mon
        (at(2025, 3, 15, 10), 1, at(2025, 3, 17, 17)),  # Sat: Mon 09:00 + 8 h
        (at(2025, 3, 11, 7), 1, at(2025, 3, 11, 17)),  # before opening
        (at(2025, 3, 11, 20), 1, at(2025, 3, 12, 17)),  # after closing
        (at(2025, 3, 11, 10), 3, at(2025, 3, 14, 10)),  # plan_by: Tue → Fri
    ],
)
def test_add_working_days_on_ordinary_weeks(start: datetime, days: int, expected: datetime) -> None:
    assert add_working_days(start, days, CENTRE) == expected


def test_a_start_on_saturday_counts_from_monday_opening() -> None:
    assert add_working_time(at(2025, 3, 15, 10), H, CENTRE) == at(2025, 3, 17, 10)


def test_a_deadline_at_closing_time_stays_on_that_day() -> None:
    assert add_working_time(at(2025, 3, 14, 13), 4 * H, CENTRE) == at(2025, 3, 14, 17)
    assert add_working_time(at(2025, 3, 14, 9), 8 * H, CENTRE) == at(2025, 3, 14, 17)


def test_zero_duration_is_the_start_even_outside_business_hours() -> None:
    start = at(2025, 3, 15, 3)
    assert add_working_time(start, timedelta(0), CENTRE) == start


def test_result_is_in_the_calendar_time_zone() -> None:
    start = datetime(2025, 3, 11, 2, tzinfo=UTC)  # 10:00 in Shanghai
    deadline = add_working_days(start, 1, CENTRE)
    assert deadline == at(2025, 3, 12, 10)
    assert deadline.tzinfo == SH


# --- lunch break --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "duration", "expected"),
    [
        (at(2025, 3, 11, 11), 2 * H, at(2025, 3, 11, 14, 30)),
        (at(2025, 3, 11, 11), H, at(2025, 3, 11, 12)),  # ends at the break, not 13:30
        (at(2025, 3, 11, 12, 30), H, at(2025, 3, 11, 14, 30)),  # start in the break
        (at(2025, 3, 11, 17), H, at(2025, 3, 12, 9, 30)),  # 30 min today, 30 tomorrow
    ],
)
def test_lunch_break(start: datetime, duration: timedelta, expected: datetime) -> None:
    assert add_working_time(start, duration, LUNCH) == expected


def test_day_length() -> None:
    assert CENTRE.day_length() == 8 * H
    assert LUNCH.day_length() == 7 * H
    long_monday = WorkCalendar(
        tz=SH,
        weekly={0: ((time(8), time(18)),), 1: ((time(9), time(17)),), 5: ((time(6), time(23)),)},
    )
    assert long_monday.day_length() == 10 * H  # Monday to Friday only


# --- statutory holidays and adjusted working days -----------------------------------


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        # Tue 2025-09-30: 2 h, then National Day 10-01..10-08, Thu 10-09 from 09:00.
        (at(2025, 9, 30, 15), 1, at(2025, 10, 9, 15)),
        # Fri 2025-10-10: 2 h, then the adjusted working Saturday 10-11.
        (at(2025, 10, 10, 15), 1, at(2025, 10, 11, 15)),
        # The preview example, Wed 2026-09-30 10:00: 7 h before National Day.
        (at(2026, 9, 30, 10), 1, at(2026, 10, 8, 10)),
        # 7 + 8 (Thu 10-08) + 8 (Fri 10-09) + 1 on the adjusted Saturday 10-10.
        (at(2026, 9, 30, 10), 3, at(2026, 10, 10, 10)),
        # Fri 2026-02-13: 1 h, the adjusted Saturday 02-14, then Spring Festival.
        (at(2026, 2, 13, 16), 1, at(2026, 2, 14, 16)),
        (at(2026, 2, 13, 16), 2, at(2026, 2, 24, 16)),
        # Thu 2026-09-24: Mid-Autumn 09-25..09-27, back on Mon 09-28.
        (at(2026, 9, 24, 16), 1, at(2026, 9, 28, 16)),
    ],
)
def test_statutory_holidays_are_skipped(start: datetime, days: int, expected: datetime) -> None:
    assert add_working_days(start, days, CENTRE) == expected


@pytest.mark.parametrize("day", [date(2025, 9, 28), date(2025, 10, 11), date(2026, 9, 20)])
def test_an_adjusted_weekend_day_has_weekday_hours(day: date) -> None:
    assert day.weekday() >= 5
    assert CENTRE.is_working_day(day)
    assert LUNCH.intervals(day) == LUNCH.weekly[0]


def test_an_adjusted_working_sunday_counts() -> None:
    # Sat 2025-09-27 is a day off; Sun 09-28 is worked.
    assert add_working_time(at(2025, 9, 27, 10), H, CENTRE) == at(2025, 9, 28, 10)
    lunch_hours = working_time_between(at(2025, 9, 27), at(2025, 9, 29), LUNCH)
    assert lunch_hours == 7 * H


def test_an_adjusted_day_uses_monday_hours_when_its_weekday_has_none() -> None:
    calendar = WorkCalendar(
        tz=SH,
        weekly={0: ((time(10), time(18)),), **{d: ((time(9), time(17)),) for d in range(1, 5)}},
    )
    assert calendar.intervals(date(2025, 10, 11)) == ((time(10), time(18)),)


def test_weekly_weekend_hours_are_kept_but_statutory_holidays_win() -> None:
    six_days = WorkCalendar(tz=SH, weekly={**CENTRE.weekly, 5: ((time(9), time(12)),)})
    assert six_days.intervals(date(2025, 3, 15)) == ((time(9), time(12)),)  # plain Saturday
    assert six_days.intervals(date(2025, 10, 4)) == ()  # National Day Saturday
    assert six_days.intervals(date(2025, 10, 11)) == ((time(9), time(12)),)  # adjusted Saturday


@pytest.mark.parametrize("year", [2025, 2026])
def test_the_default_calendar_agrees_with_the_package(year: int) -> None:
    day = date(year, 1, 1)
    while day.year == year:
        assert CENTRE.is_working_day(day) == chinese_calendar.is_workday(day), day
        day += timedelta(days=1)


# --- years the package does not know -------------------------------------------------


def test_the_supported_range() -> None:
    assert chinese_calendar_knows(2004)
    assert chinese_calendar_knows(2026)
    assert not chinese_calendar_knows(2003)
    assert not chinese_calendar_knows(2027)
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(2027, 1, 1))


def test_an_unknown_year_falls_back_to_weekends() -> None:
    assert CENTRE.is_working_day(date(2027, 1, 1))  # New Year's Day, until an admin says so
    assert CENTRE.is_working_day(date(2027, 2, 8))  # Monday
    assert not CENTRE.is_working_day(date(2027, 2, 6))  # Saturday
    assert not CENTRE.is_working_day(date(2027, 2, 7))  # Sunday


def test_a_period_crossing_into_an_unknown_year() -> None:
    start = at(2026, 12, 31, 16)
    assert add_working_days(start, 1, CENTRE) == at(2027, 1, 1, 16)
    holiday = centre_with({date(2027, 1, 1): False})
    assert add_working_days(start, 1, holiday) == at(2027, 1, 4, 16)


def test_an_override_applies_in_an_unknown_year() -> None:
    calendar = centre_with({date(2027, 2, 8): False, date(2027, 2, 6): True})
    assert not calendar.is_working_day(date(2027, 2, 8))
    assert calendar.is_working_day(date(2027, 2, 6))
    assert add_working_days(at(2027, 2, 5, 16), 1, calendar) == at(2027, 2, 6, 16)
    assert add_working_days(at(2027, 2, 6, 16), 1, calendar) == at(2027, 2, 9, 16)


# --- overrides win over the package --------------------------------------------------


def test_overrides_win_over_the_package() -> None:
    calendar = centre_with(
        {
            date(2025, 3, 12): False,  # ordinary Wednesday
            date(2025, 3, 15): True,  # ordinary Saturday
            date(2025, 10, 1): True,  # National Day
            date(2025, 10, 11): False,  # adjusted working Saturday
        }
    )
    assert add_working_days(at(2025, 3, 11, 10), 1, calendar) == at(2025, 3, 13, 10)
    assert add_working_days(at(2025, 3, 14, 16), 1, calendar) == at(2025, 3, 15, 16)
    assert calendar.intervals(date(2025, 10, 1)) == ((time(9), time(17)),)
    assert add_working_days(at(2025, 9, 30, 15), 1, calendar) == at(2025, 10, 1, 15)
    assert add_working_days(at(2025, 10, 10, 15), 1, calendar) == at(2025, 10, 13, 15)


def test_without_the_package_weekends_rule() -> None:
    calendar = WorkCalendar(tz=SH, weekly=CENTRE.weekly, use_chinese_calendar=False)
    assert calendar.is_working_day(date(2025, 10, 1))
    assert not calendar.is_working_day(date(2025, 10, 11))


# --- working_time_between ------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (at(2025, 3, 11, 16), at(2025, 3, 12, 10), 2 * H),  # over a night
        (at(2025, 9, 30, 15), at(2025, 10, 9, 10), 3 * H),  # over National Day
        (at(2025, 3, 14, 16), at(2025, 3, 17, 9), H),  # over a weekend
        (at(2025, 3, 15, 8), at(2025, 3, 16, 20), timedelta(0)),  # inside a weekend
        (at(2025, 3, 11, 10), at(2025, 3, 11, 9), timedelta(0)),  # reversed
        (at(2025, 3, 11, 10), at(2025, 3, 11, 10), timedelta(0)),  # empty
    ],
)
def test_working_time_between(start: datetime, end: datetime, expected: timedelta) -> None:
    assert working_time_between(start, end, CENTRE) == expected


def test_working_time_between_skips_the_lunch_break() -> None:
    assert working_time_between(at(2025, 3, 11, 11), at(2025, 3, 11, 14), LUNCH) == 1.5 * H


def test_working_time_between_accepts_any_time_zone() -> None:
    start = datetime(2025, 3, 11, 8, tzinfo=UTC)  # 16:00 in Shanghai
    assert working_time_between(start, at(2025, 3, 12, 10), CENTRE) == 2 * H


# --- round trip -----------------------------------------------------------------------

DURATIONS = [timedelta(0), timedelta(minutes=30), 4 * H, 8 * H, 3 * 8 * H]


@pytest.mark.parametrize(
    ("calendar", "first"),
    [(CENTRE, at(2025, 9, 15)), (LUNCH, at(2025, 9, 15)), (CENTRE, at(2026, 2, 1))],
    ids=["national-day-2025", "national-day-2025-lunch", "spring-festival-2026"],
)
def test_round_trip(calendar: WorkCalendar, first: datetime) -> None:
    start = first
    while start < first + timedelta(days=31):
        for duration in DURATIONS:
            deadline = add_working_time(start, duration, calendar)
            assert deadline >= start
            assert working_time_between(start, deadline, calendar) == duration, (start, duration)
        start += timedelta(minutes=37)


# --- errors ---------------------------------------------------------------------------

NAIVE = datetime(2025, 3, 11, 10)  # noqa: DTZ001 — the point of the test


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        add_working_time(NAIVE, H, CENTRE)
    with pytest.raises(ValueError, match="timezone-aware"):
        add_working_days(NAIVE, 1, CENTRE)
    with pytest.raises(ValueError, match="timezone-aware"):
        working_time_between(NAIVE, at(2025, 3, 12), CENTRE)
    with pytest.raises(ValueError, match="timezone-aware"):
        working_time_between(at(2025, 3, 10), NAIVE, CENTRE)
    with pytest.raises(ValueError, match="timezone-aware"):
        add_clock_time(NAIVE, H)


def test_a_negative_duration_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        add_working_time(at(2025, 3, 11, 10), -H, CENTRE)


def test_a_calendar_without_hours_raises_instead_of_looping() -> None:
    closed = WorkCalendar(tz=SH, weekly={})
    with pytest.raises(ValueError, match="no working time"):
        add_working_time(at(2025, 3, 11, 10), H, closed)
    with pytest.raises(ValueError, match="no business hours"):
        add_working_days(at(2025, 3, 11, 10), 1, closed)


def test_an_all_holiday_calendar_raises_quickly() -> None:
    first = date(2025, 1, 1)
    every_day = {first + timedelta(days=n): False for n in range(MAX_DAYS + 10)}
    began = stopwatch.perf_counter()
    with pytest.raises(ValueError, match="no working time"):
        add_working_time(at(2025, 1, 1, 10), H, centre_with(every_day))
    assert stopwatch.perf_counter() - began < 2


@pytest.mark.parametrize(
    "weekly",
    [
        {7: ((time(9), time(17)),)},
        {0: ((time(17), time(9)),)},
        {0: ((time(9), time(9)),)},
        {0: ((time(9), time(13)), (time(12), time(17)))},
        {0: ((time(13), time(17)), (time(9), time(12)))},
        {0: ((time(9, tzinfo=SH), time(17, tzinfo=SH)),)},
    ],
    ids=["weekday-7", "reversed", "empty", "overlapping", "unordered", "aware"],
)
def test_bad_business_hours_are_refused(weekly: dict[int, tuple[tuple[time, time], ...]]) -> None:
    with pytest.raises(ValueError):
        WorkCalendar(tz=SH, weekly=weekly)


# --- 7×24 clock -----------------------------------------------------------------------


def test_clock_time_ignores_holidays_and_keeps_the_time_zone() -> None:
    assert add_clock_time(at(2025, 9, 30, 22), 24 * H) == at(2025, 10, 1, 22)
    start = datetime(2025, 9, 30, 14, tzinfo=UTC)
    moved = add_clock_time(start, 2 * H)
    assert moved == datetime(2025, 9, 30, 16, tzinfo=UTC)
    assert moved.tzinfo == UTC

"""Working-time arithmetic on a Chinese working calendar.

Pure Python: no database, no settings. A ``WorkCalendar`` says which days are
working days (the weekly pattern, overlaid with the statutory holidays and
adjusted working days (调休) of the ``chinese_calendar`` package, overlaid with
administrators' overrides) and which business hours a working day has.
Business hours are wall-clock times in the calendar's time zone.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from campusdesk.core.workdays import statutory

Interval = tuple[time, time]  # start < end, same day

# Ten years of days: far beyond any SLA, short enough to fail fast on a
# calendar that never opens.
MAX_DAYS = 3700

_NINE_TO_FIVE: tuple[Interval, ...] = ((time(9), time(17)),)


@dataclass(frozen=True)
class WorkCalendar:
    """Business hours of a week plus the days that deviate from it."""

    tz: ZoneInfo
    weekly: Mapping[int, tuple[Interval, ...]]
    overrides: Mapping[date, bool] = field(default_factory=dict)
    use_chinese_calendar: bool = True

    def __post_init__(self) -> None:
        for weekday, intervals in self.weekly.items():
            if weekday not in range(7):
                raise ValueError(f"weekday must be 0 (Monday) to 6, not {weekday!r}")
            _check_intervals(intervals)

    def is_working_day(self, day: date) -> bool:
        """Override, else the package's 调休 schedule, else the weekly pattern."""
        if day in self.overrides:
            return self.overrides[day]
        if self.use_chinese_calendar and (found := statutory(day)) is not None:
            return found
        return bool(self.weekly.get(day.weekday()))

    def intervals(self, day: date) -> tuple[Interval, ...]:
        """The business hours of ``day``; ``()`` on a non-working day.

        A day that works although its weekday has no hours (an adjusted working
        Saturday, or an override) gets the hours of a normal weekday.
        """
        if not self.is_working_day(day):
            return ()
        return self.weekly.get(day.weekday()) or self._weekday_hours()

    def day_length(self) -> timedelta:
        """The length of one ordinary business day (longest Monday–Friday)."""
        lengths = [_total(self.weekly.get(weekday, ())) for weekday in range(5)]
        longest = max(lengths) or max(map(_total, self.weekly.values()), default=timedelta(0))
        if not longest:
            raise ValueError("the calendar has no business hours")
        return longest

    def _weekday_hours(self) -> tuple[Interval, ...]:
        """Monday's hours, or those of the first weekday that has any."""
        for weekday in range(7):
            if hours := self.weekly.get(weekday):
                return hours
        return ()


def default_calendar(tz: ZoneInfo) -> WorkCalendar:
    """The 5×8 service centre: Monday to Friday, 09:00–17:00."""
    return WorkCalendar(tz=tz, weekly={weekday: _NINE_TO_FIVE for weekday in range(5)})


def add_working_time(start: datetime, duration: timedelta, calendar: WorkCalendar) -> datetime:
    """The instant when ``duration`` of working time after ``start`` has passed.

    1. Convert ``start`` to the calendar's time zone; zero duration is ``start``.
    2. Walk the business intervals from ``start``'s day on, skipping whatever
       ends before ``start`` and counting an interval that has begun from
       ``start`` (so a start outside business hours counts from the next opening).
    3. Take each interval's length off the remainder; the interval that holds
       the rest holds the answer. A remainder equal to the interval ends at its
       end (Friday 17:00 stays Friday 17:00).
    4. Give up with ``ValueError`` after ``MAX_DAYS`` days (a calendar that
       never opens).
    """
    local = _localise(start, calendar)
    if duration < timedelta(0):
        raise ValueError("duration must not be negative")
    if not duration:
        return local
    remaining = duration
    for opens, closes in _spans(local.date(), calendar):
        if closes <= local:
            continue
        begin = max(opens, local)
        if remaining <= closes - begin:
            return begin + remaining
        remaining -= closes - begin
    raise ValueError(f"no working time within {MAX_DAYS} days of {local.isoformat()}")


def working_time_between(start: datetime, end: datetime, calendar: WorkCalendar) -> timedelta:
    """The working time inside [``start``, ``end``]; zero if ``end <= start``.

    1. Convert both ends to the calendar's time zone.
    2. For every day from ``start``'s to ``end``'s, add the overlap of each
       business interval with [``start``, ``end``].
    """
    begin, finish = _localise(start, calendar), _localise(end, calendar)
    total = timedelta(0)
    if finish <= begin:
        return total
    for opens, closes in _spans(begin.date(), calendar, last=finish.date()):
        overlap = min(closes, finish) - max(opens, begin)
        total += max(overlap, timedelta(0))
    return total


def add_working_days(start: datetime, days: int, calendar: WorkCalendar) -> datetime:
    """``days`` business days of working time after ``start`` (SIS3's clock)."""
    return add_working_time(start, days * calendar.day_length(), calendar)


def add_clock_time(start: datetime, duration: timedelta) -> datetime:
    """``duration`` of elapsed time after ``start`` (the 7×24 clock)."""
    _require_aware(start)
    return (start.astimezone(UTC) + duration).astimezone(start.tzinfo)


def _spans(
    first: date, calendar: WorkCalendar, last: date | None = None
) -> Iterator[tuple[datetime, datetime]]:
    """Aware (opens, closes) of the business intervals from ``first`` on.

    Stops after ``last`` or, without one, after ``MAX_DAYS`` days.
    """
    count = MAX_DAYS if last is None else (last - first).days + 1
    for offset in range(count):
        day = first + timedelta(days=offset)
        for opens, closes in calendar.intervals(day):
            yield (
                datetime.combine(day, opens, tzinfo=calendar.tz),
                datetime.combine(day, closes, tzinfo=calendar.tz),
            )


def _localise(moment: datetime, calendar: WorkCalendar) -> datetime:
    _require_aware(moment)
    return moment.astimezone(calendar.tz)


def _require_aware(moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"a timezone-aware datetime is required, not {moment!r}")


def _check_intervals(intervals: tuple[Interval, ...]) -> None:
    """Each interval non-empty and naive, all in order and not overlapping."""
    previous_end = time.min
    for opens, closes in intervals:
        if opens.tzinfo is not None or closes.tzinfo is not None:
            raise ValueError("business hours are wall-clock times without a time zone")
        if not opens < closes or opens < previous_end:
            raise ValueError(f"intervals must be ordered, non-empty and disjoint: {intervals!r}")
        previous_end = closes


def _total(intervals: tuple[Interval, ...]) -> timedelta:
    return sum((_clock(closes) - _clock(opens) for opens, closes in intervals), timedelta(0))


def _clock(moment: time) -> timedelta:
    """The time since midnight that a wall-clock time shows."""
    return timedelta(
        hours=moment.hour,
        minutes=moment.minute,
        seconds=moment.second,
        microseconds=moment.microsecond,
    )

"""Service-level policies (seed §6) and working calendars, as data an administrator edits."""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from campusdesk.sla.worktime import Interval, WorkCalendar

WEEKDAY_NAMES = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def default_weekly() -> dict[str, list[list[str]]]:
    """The 5×8 service centre: Monday to Friday, 09:00–17:00."""
    return {str(day): [["09:00", "17:00"]] for day in range(5)}


def parse_weekly(raw: Any) -> dict[int, tuple[Interval, ...]]:
    """``{"0": [["09:00", "12:00"], ["13:30", "17:30"]], …}`` → intervals per weekday."""
    if not isinstance(raw, dict):
        raise ValueError("business hours must map weekdays to lists of [start, end]")
    week: dict[int, tuple[Interval, ...]] = {}
    for key, spans in raw.items():
        week[int(key)] = tuple(
            (time.fromisoformat(start), time.fromisoformat(end)) for start, end in spans
        )
    return week


class Calendar(models.Model):
    """Working days and business hours: the 5×8 service centre, or a customer's own hours."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    is_default = models.BooleanField(_("default calendar"), default=False)
    use_chinese_calendar = models.BooleanField(
        _("follow the Chinese statutory holidays"),
        default=True,
        help_text=_(
            "Statutory holidays and adjusted working days (调休) of the official schedule."
        ),
    )
    weekly = models.JSONField(
        _("business hours"),
        default=default_weekly,
        help_text=_('Per weekday (0 = Monday): [["09:00", "12:00"], ["13:30", "17:30"]].'),
    )

    class Meta:
        verbose_name = _("working calendar")
        verbose_name_plural = _("working calendars")
        ordering = ["-is_default", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="one_default_calendar"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        try:
            self.work_calendar(overrides={})
        except (ValueError, TypeError) as error:
            raise ValidationError({"weekly": str(error)}) from error

    def work_calendar(self, overrides: dict[date, bool] | None = None) -> WorkCalendar:
        """This calendar for the arithmetic, with its overrides (loaded unless given)."""
        if overrides is None:
            overrides = {day.date: day.kind == CalendarDay.Kind.WORKDAY for day in self.days.all()}
        return WorkCalendar(
            tz=ZoneInfo(settings.TIME_ZONE),
            weekly=parse_weekly(self.weekly),
            overrides=overrides,
            use_chinese_calendar=self.use_chinese_calendar,
        )


class CalendarDay(models.Model):
    """An administrator's override: a holiday, or an adjusted working day (调休上班)."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("Holiday")
        WORKDAY = "workday", _("Working day")

    calendar = models.ForeignKey(Calendar, on_delete=models.CASCADE, related_name="days")
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="uniq_calendar_day")
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()} {self.name}".strip()


class SlaPolicySet(models.Model):
    """One version of the service levels: the default ones (no project) or a contract's own.

    A version is never changed once written: a change retires it and writes the next one,
    so that a ticket keeps the version it was accepted under (``Ticket.sla_policy_version``
    holds this row's id) while tickets accepted later follow the new one.
    """

    project = models.ForeignKey(
        "catalog.Project",
        verbose_name=_("project"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="sla_versions",
        help_text=_("Empty: the default service levels of every contract without its own."),
    )
    calendar = models.ForeignKey(
        Calendar,
        verbose_name=_("calendar"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    retired_at = models.DateTimeField(_("replaced at"), null=True, blank=True)

    class Meta:
        verbose_name = _("service level version")
        verbose_name_plural = _("service level versions")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["project"],
                condition=Q(retired_at__isnull=True, project__isnull=False),
                name="one_current_sla_per_project",
            ),
            models.UniqueConstraint(
                fields=["retired_at"],
                condition=Q(retired_at__isnull=True, project__isnull=True),
                name="one_current_default_sla",
            ),
        ]

    def __str__(self) -> str:
        scope = self.project.name if self.project is not None else str(_("default"))
        return f"v{self.pk} {scope}"


class SlaPolicy(models.Model):
    """The service promise of one severity level (SIS1–SIS3, seed §6) in one version."""

    class Clock(models.TextChoices):
        ALWAYS = "24x7", _("7×24 clock")
        BUSINESS = "business", _("Business hours of the calendar")

    class Followup(models.TextChoices):
        ONSITE = "onsite", _("Engineers on site (after the resolution target)")
        PLAN = "plan", _("Solution or plan (from registration)")

    policy_set = models.ForeignKey(
        SlaPolicySet,
        verbose_name=_("service level version"),
        on_delete=models.CASCADE,
        related_name="policies",
    )
    severity = models.CharField(_("severity"), max_length=4)
    clock = models.CharField(_("clock"), max_length=10, choices=Clock.choices)
    accept_hours = models.DecimalField(
        _("accept within (hours, 7×24)"), max_digits=6, decimal_places=2, default=Decimal(24)
    )
    respond = models.DecimalField(_("respond within"), max_digits=6, decimal_places=2)
    resolve = models.DecimalField(_("resolve within"), max_digits=6, decimal_places=2)
    followup_kind = models.CharField(_("follow-up"), max_length=10, choices=Followup.choices)
    followup = models.DecimalField(_("follow-up within"), max_digits=6, decimal_places=2)
    calendar = models.ForeignKey(
        Calendar,
        verbose_name=_("calendar"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        help_text=_("For the business clock; empty: the project's calendar or the default."),
    )
    pause_while_waiting = models.BooleanField(
        _("pause while waiting for the customer"), default=True
    )
    pause_while_pending_close = models.BooleanField(
        _("pause while the closure request waits for the customer"), default=True
    )
    warning_minutes = models.PositiveIntegerField(
        _("warn this many minutes before a deadline"), default=30
    )

    class Meta:
        verbose_name = _("service level policy")
        verbose_name_plural = _("service level policies")
        ordering = ["severity"]
        constraints = [
            models.UniqueConstraint(
                fields=["policy_set", "severity"], name="one_policy_per_severity_and_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.severity} ({self.get_clock_display()})"

    @property
    def unit_label(self) -> str:
        return str(_("hours") if self.clock == self.Clock.ALWAYS else _("working days"))


class SlaFiring(models.Model):
    """One warning or breach of one deadline of one ticket: the unique row makes it fire once,
    however many sweepers run at the same time."""

    class Kind(models.TextChoices):
        WARNING = "warning", _("Nearing the deadline")
        BREACHED = "breached", _("Deadline missed")

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    deadline = models.CharField(_("deadline"), max_length=10)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    due_at = models.DateTimeField(_("due at"))
    fired_at = models.DateTimeField(_("fired at"))

    class Meta:
        verbose_name = _("deadline event")
        verbose_name_plural = _("deadline events")
        constraints = [
            models.UniqueConstraint(fields=["ticket", "deadline", "kind"], name="sla_fires_once")
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.deadline} {self.get_kind_display()}"

"""Routine work (例行工作, seed §1, §4, §7.3; R-SYS-4): inspections and drills, and the
emergency plans (应急预案) the drills exercise.

A ``Routine`` is a plan: what kind of work, on which systems of one project, by whom, how
often (an RFC 5545 RRULE, read by python-dateutil), with a checklist. The scheduler creates
each of its ``Run`` rows once per due day: the database's unique key (routine, due day) is
what makes it exactly once with several workers. A run's ``RunItem`` rows are the
checklist times the routine's systems, numbered from 0; a failed item opens (or links) a
ticket for its system, so nothing found is lost.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from campusdesk.catalog.models import Project
from campusdesk.systems.models import ApplicationSystem, Finding
from campusdesk.tickets.models import Ticket


class Kind(models.TextChoices):
    INSPECTION = "inspection", pgettext_lazy("routine", "Inspection")
    HA_DRILL = "ha_drill", pgettext_lazy("routine", "HA switch-over drill")
    BACKUP_DRILL = "backup_drill", pgettext_lazy("routine", "Backup-restore drill")
    EMERGENCY_DRILL = "emergency_drill", pgettext_lazy("routine", "Emergency drill")


#: the kinds whose runs are drills: they name a plan and measure recovery time and data loss
DRILLS = frozenset({Kind.HA_DRILL, Kind.BACKUP_DRILL, Kind.EMERGENCY_DRILL})


class EmergencyPlan(models.Model):
    """An emergency plan (应急预案) of one system: what to do when a scenario strikes."""

    system = models.ForeignKey(
        ApplicationSystem,
        verbose_name=_("application system"),
        on_delete=models.CASCADE,
        related_name="emergency_plans",
    )
    scenario = models.CharField(_("scenario"), max_length=200)
    trigger = models.TextField(_("trigger"), blank=True)
    #: the steps in order, each a line of text
    steps = models.JSONField(_("steps"), default=list)
    contacts = models.TextField(_("roles and contacts"), blank=True)
    rto_minutes = models.PositiveIntegerField(
        _("target recovery time (min)"), null=True, blank=True
    )
    rpo_minutes = models.PositiveIntegerField(_("target data loss (min)"), null=True, blank=True)
    #: a plan not exercised within this many days is flagged
    exercise_days = models.PositiveIntegerField(_("exercise interval (days)"), default=365)
    last_exercised_at = models.DateTimeField(_("last exercised"), null=True, blank=True)
    last_run = models.ForeignKey(
        "Run",
        verbose_name=_("last drill"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    #: when the next drill is due (last exercised + interval); empty: never exercised
    exercise_due_at = models.DateTimeField(
        _("next drill due"), null=True, blank=True, db_index=True
    )
    created_at = models.DateTimeField(_("created"))
    updated_at = models.DateTimeField(_("updated"))

    class Meta:
        verbose_name = _("emergency plan")
        verbose_name_plural = _("emergency plans")
        ordering = ["system_id", "scenario", "id"]

    def __str__(self) -> str:
        return f"{self.system.name} · {self.scenario}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.last_exercised_at is not None:
            self.exercise_due_at = self.last_exercised_at + timedelta(days=self.exercise_days)
        super().save(*args, **kwargs)


class Routine(models.Model):
    """A plan of routine work for one or more systems of one project."""

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.PROTECT, related_name="routines"
    )
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    systems = models.ManyToManyField(
        ApplicationSystem, verbose_name=_("application systems"), related_name="routines"
    )
    #: empty: the project's line-1 team
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="routines",
    )
    #: an RFC 5545 recurrence rule: FREQ=MONTHLY;BYMONTHDAY=1
    recurrence = models.CharField(_("recurrence"), max_length=500)
    #: the first day the rule counts from
    starts_on = models.DateField(_("starts on"))
    #: a due day that is not a working day moves to the next working day
    working_days = models.BooleanField(_("working days only"), default=True)
    #: the run is created (and its assignee told) this many days before its due day
    lead_days = models.PositiveSmallIntegerField(_("lead time (days)"), default=3)
    #: [{"text": …, "expected": …, "evidence": bool}]
    checklist = models.JSONField(_("checklist"), default=list)
    plan = models.ForeignKey(
        EmergencyPlan,
        verbose_name=_("emergency plan exercised"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="routines",
    )
    is_active = models.BooleanField(_("active"), default=True)
    #: the due day of the next run to create, and when to create it (the scheduler's index)
    next_due_on = models.DateField(_("next due"), null=True, blank=True)
    next_create_at = models.DateTimeField(_("next run created at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"))
    updated_at = models.DateTimeField(_("updated"))

    class Meta:
        verbose_name = _("routine")
        verbose_name_plural = _("routines")
        ordering = ["project_id", "name", "id"]
        indexes = [
            models.Index(
                fields=["next_create_at"],
                name="routine_due_idx",
                condition=Q(is_active=True),
            )
        ]

    def __str__(self) -> str:
        return self.name


class Run(models.Model):
    """One performance of a routine: its checklist results, its report, its sign-off."""

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("run", "To do")
        COMPLETED = "completed", pgettext_lazy("run", "Completed")

    routine = models.ForeignKey(
        Routine, verbose_name=_("routine"), on_delete=models.CASCADE, related_name="runs"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=300)
    due_on = models.DateField(_("due"))
    #: created by the scheduler for a due day (once), or on demand (any number)
    scheduled = models.BooleanField(_("scheduled"), default=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="routine_runs",
    )
    plan = models.ForeignKey(
        EmergencyPlan,
        verbose_name=_("emergency plan exercised"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="runs",
    )
    created_at = models.DateTimeField(_("created"))
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("completed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    summary = models.TextField(_("conclusion"), blank=True)
    #: the hours the run took, counted against the contract's hour budget
    workload_hours = models.DecimalField(
        _("workload (hours)"), max_digits=6, decimal_places=1, null=True, blank=True
    )
    #: a drill's measurements against the plan's targets
    recovery_minutes = models.PositiveIntegerField(
        _("measured recovery time (min)"), null=True, blank=True
    )
    data_loss_minutes = models.PositiveIntegerField(
        _("measured data loss (min)"), null=True, blank=True
    )
    manager_signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("signed by the service manager"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    manager_signed_at = models.DateTimeField(_("service manager's sign-off"), null=True, blank=True)
    customer_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("confirmed by the customer"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    customer_confirmed_at = models.DateTimeField(
        _("customer's confirmation"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("routine run")
        verbose_name_plural = _("routine runs")
        ordering = ["-due_on", "-id"]
        constraints = [
            # the scheduler's exactly-once: one scheduled run per routine and due day
            models.UniqueConstraint(
                fields=["routine", "due_on"],
                condition=Q(scheduled=True),
                name="run_once_per_due_day",
            )
        ]
        indexes = [models.Index(fields=["status", "due_on"], name="run_open_due_idx")]

    def __str__(self) -> str:
        return self.title


class RunItem(models.Model):
    """One check of a run on one system: the checklist's item, its result and evidence."""

    class Result(models.TextChoices):
        PENDING = "", pgettext_lazy("check", "Not recorded")
        PASS = "pass", pgettext_lazy("check", "Pass")
        FAIL = "fail", pgettext_lazy("check", "Fail")
        NA = "na", pgettext_lazy("check", "Not applicable")

    run = models.ForeignKey(
        Run, verbose_name=_("run"), on_delete=models.CASCADE, related_name="items"
    )
    #: counts from 0 in the run (the API's /items/{n}/)
    position = models.PositiveSmallIntegerField(_("number"))
    system = models.ForeignKey(
        ApplicationSystem,
        verbose_name=_("application system"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    text = models.CharField(_("check"), max_length=500)
    expected = models.CharField(_("expected result"), max_length=500, blank=True)
    evidence = models.BooleanField(_("evidence required"), default=False)
    #: a security check: its failure opens a vulnerability finding of the system, not a ticket
    security = models.BooleanField(_("security check"), default=False)
    result = models.CharField(
        _("result"), max_length=4, choices=Result.choices, default=Result.PENDING, blank=True
    )
    note = models.TextField(_("note"), blank=True)
    value = models.CharField(_("measured value"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded"), null=True, blank=True)
    ticket = models.ForeignKey(
        Ticket,
        verbose_name=_("ticket"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    finding = models.ForeignKey(
        Finding,
        verbose_name=_("finding"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("checklist result")
        verbose_name_plural = _("checklist results")
        ordering = ["run_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["run", "position"], name="run_item_position")
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.text}"


def evidence_path(instance: Evidence, filename: str) -> str:
    # a random stored name: the user's file name is kept in the row, never in the path
    return f"routines/{instance.item.run_id}/{uuid.uuid4().hex}"


class Evidence(models.Model):
    """A file that proves a check's result (a screenshot, a log excerpt, a backup listing)."""

    item = models.ForeignKey(
        RunItem,
        verbose_name=_("checklist result"),
        on_delete=models.CASCADE,
        related_name="files",
    )
    file = models.FileField(_("file"), upload_to=evidence_path, max_length=200)
    name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveBigIntegerField(_("size"))
    content_type = models.CharField(pgettext_lazy("file", "content type"), max_length=100)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"))

    class Meta:
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence files")
        ordering = ["item_id", "uploaded_at", "id"]

    def __str__(self) -> str:
        return self.name


class TicketPlan(models.Model):
    """An emergency plan opened on an incident ticket: its steps, copied when opened, are
    the ticket's checklist (who ticked each step, and when)."""

    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="plans"
    )
    plan = models.ForeignKey(
        EmergencyPlan,
        verbose_name=_("emergency plan"),
        on_delete=models.CASCADE,
        related_name="ticket_uses",
    )
    #: [{"text": …, "done_at": ISO time or None, "done_by": user id or None}]
    steps = models.JSONField(_("steps"), default=list)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField(_("opened at"))

    class Meta:
        verbose_name = _("emergency plan of a ticket")
        verbose_name_plural = _("emergency plans of tickets")
        ordering = ["ticket_id", "opened_at", "id"]
        constraints = [models.UniqueConstraint(fields=["ticket", "plan"], name="ticket_plan_once")]

    def __str__(self) -> str:
        return f"{self.ticket_id} · {self.plan_id}"

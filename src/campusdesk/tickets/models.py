"""Tickets (问题), their append-only timeline, commitments, attachments and incident reports."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from campusdesk.catalog.models import Product, Project


class Status(models.TextChoices):
    NEW = "new", _("Awaiting acceptance")
    IN_PROGRESS = "in_progress", _("In progress")
    PENDING_CLOSE = "pending_close", _("Awaiting closure confirmation")
    CLOSED = "closed", _("Closed")
    WITHDRAWN = "withdrawn", _("Withdrawn")


OPEN_STATUSES = (Status.NEW, Status.IN_PROGRESS, Status.PENDING_CLOSE)


class Tier(models.IntegerChoices):
    LINE1 = 1, _("Line 1: project team")
    LINE2 = 2, _("Line 2: engineering expert")
    LINE3 = 3, _("Line 3: product expert")
    TASK_FORCE = 4, _("Task force")


class Severity(models.TextChoices):
    SIS1 = "SIS1", _("SIS1: system down or core business severely hit")
    SIS2 = "SIS2", _("SIS2: performance degraded or unstable")
    SIS3 = "SIS3", _("SIS3: minor problem")


class Urgency(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")


class ServiceType(models.TextChoices):
    BUG = "bug", _("Bug fix")
    FAULT = "fault", _("Fault handling")
    CONSULTATION = "consultation", _("Consultation")
    INCIDENT = "incident", _("Emergency incident")
    SUPPORT = "support", _("Running support")


class Channel(models.TextChoices):
    WEB = "web", _("Web")
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("E-mail")
    ALERT = "alert", _("Monitoring alert")
    API = "api", _("API")
    SYSTEM = "system", _("System")


class OutOfScopeType(models.TextChoices):
    """The six changes of seed §3.1.2 note that void the service promise: billed by workload."""

    REDEPLOY = "redeploy", _("Redeployment after a hardware failure")
    NETWORK = "network", _("IP address or domain name change")
    POWER_LOSS = "power_loss", _("Unplanned power loss or improper stop/restart")
    EXPANSION = "expansion", _("Expansion, migration, rebuilding or version upgrade")
    VERIFICATION = "verification", _("Verification or recovery test outside the agreement")
    CUSTOMISATION = "customisation", _("Business function change or customisation")


class Ticket(models.Model):
    number = models.CharField(_("number"), max_length=20, unique=True)
    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.PROTECT, related_name="tickets"
    )
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="tickets"
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("process and symptoms"))
    environment = models.TextField(_("system environment"), blank=True)
    urgency = models.CharField(_("urgency"), max_length=10, choices=Urgency.choices)
    expected_resolution_date = models.DateField(
        _("expected resolution date"), null=True, blank=True
    )
    service_type = models.CharField(_("service type"), max_length=20, choices=ServiceType.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.NEW
    )
    tier = models.PositiveSmallIntegerField(_("tier"), choices=Tier.choices, default=Tier.LINE1)
    severity = models.CharField(_("severity"), max_length=4, choices=Severity.choices, blank=True)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reporter"),
        on_delete=models.PROTECT,
        related_name="reported_tickets",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("registered by"),
        on_delete=models.PROTECT,
        related_name="registered_tickets",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_tickets",
    )
    committed_resolution_at = models.DateTimeField(
        _("committed resolution time"), null=True, blank=True
    )
    # set by the accepting or changing tier: the operations staff watch such promises
    commitment_exceeds_target = models.BooleanField(
        _("committed time beyond the resolution target"), default=False, db_default=False
    )
    solution = models.TextField(_("solution"), blank=True)
    urge_count = models.PositiveIntegerField(_("urges"), default=0)
    last_urged_at = models.DateTimeField(_("last urged at"), null=True, blank=True)
    rejection_count = models.PositiveIntegerField(_("rejections"), default=0)
    rating = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)
    rating_comment = models.TextField(_("rating comment"), blank=True)
    workload_hours = models.DecimalField(
        _("workload (hours)"), max_digits=7, decimal_places=2, null=True, blank=True
    )
    out_of_scope_type = models.CharField(
        _("out-of-scope change"), max_length=20, choices=OutOfScopeType.choices, blank=True
    )
    out_of_scope_hours = models.DecimalField(
        _("out-of-scope workload (hours)"), max_digits=7, decimal_places=2, null=True, blank=True
    )
    #: registered by the vendor outside its contract's service period (a customer cannot)
    out_of_contract = models.BooleanField(_("outside the service period"), default=False)
    #: closed or withdrawn long ago (``ARCHIVE_AFTER_DAYS``): out of the default lists, still
    #: found by a search and opened by its link
    archived = models.BooleanField(_("archived"), default=False)
    #: the version of the service levels the ticket was accepted under (an id of sla's
    #: versions; sla is above tickets, so a number rather than a foreign key); empty until
    #: acceptance: the deadlines follow the contract's current levels until then
    sla_policy_version = models.PositiveIntegerField(
        _("service level version"), null=True, blank=True
    )
    created_at = models.DateTimeField(_("registered at"), db_index=True)
    updated_at = models.DateTimeField(_("updated at"))
    accepted_at = models.DateTimeField(_("first accepted at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    # Service levels (sla app): deadlines counted from registration, recomputed on
    # every transition; the sweeper reads next_deadline_at.
    accept_by = models.DateTimeField(_("accept by"), null=True, blank=True)
    respond_by = models.DateTimeField(_("respond by"), null=True, blank=True)
    resolve_by = models.DateTimeField(_("resolve by"), null=True, blank=True)
    onsite_by = models.DateTimeField(_("on site by"), null=True, blank=True)
    plan_by = models.DateTimeField(_("plan by"), null=True, blank=True)
    responded_at = models.DateTimeField(_("first response at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("solution given at"), null=True, blank=True)
    onsite_at = models.DateTimeField(_("engineers on site at"), null=True, blank=True)
    waiting_since = models.DateTimeField(_("clock paused since"), null=True, blank=True)
    waiting_for = models.CharField(_("waiting for"), max_length=10, blank=True)
    paused_clock = models.DurationField(_("paused (wall time)"), default=timedelta(0))
    paused_working = models.DurationField(_("paused (working time)"), default=timedelta(0))
    next_deadline_at = models.DateTimeField(_("next deadline check"), null=True, blank=True)

    class Meta:
        verbose_name = _("problem")
        verbose_name_plural = _("problems")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "tier", "-created_at"], name="ticket_queue"),
            models.Index(fields=["project", "status", "-created_at"], name="ticket_project"),
            models.Index(fields=["assignee", "status"], name="ticket_assignee"),
            models.Index(fields=["reporter", "-created_at"], name="ticket_reporter"),
            models.Index(fields=["severity", "status"], name="ticket_severity"),
            models.Index(fields=["product", "tier", "status"], name="ticket_product_tier"),
            # a product's queue, newest first, page after page (keyset: core.paging)
            models.Index(
                fields=["product", "status", "-created_at", "-id"], name="ticket_product_queue"
            ),
            # the operations watch lists: past the committed time, not accepted in time, urged
            models.Index(fields=["status", "committed_resolution_at"], name="ticket_committed"),
            models.Index(fields=["status", "accept_by"], name="ticket_accept_by"),
            models.Index(
                fields=["status", "committed_resolution_at"],
                name="ticket_beyond_target",
                condition=Q(commitment_exceeds_target=True),
            ),
            models.Index(
                fields=["status", "-last_urged_at"],
                name="ticket_urged",
                condition=Q(urge_count__gt=0),
            ),
            models.Index(
                fields=["next_deadline_at"],
                name="ticket_next_deadline",
                condition=Q(next_deadline_at__isnull=False),
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(tier__gte=1, tier__lte=4), name="ticket_tier"),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="ticket_rating",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class TicketCounter(models.Model):
    """The last ticket number given out in a year (numbers read 2026-00001, 2026-00002, …)."""

    year = models.PositiveIntegerField(_("year"), primary_key=True)
    last = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("ticket number counter")
        verbose_name_plural = _("ticket number counters")

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"

    @staticmethod
    def number(year: int, serial: int) -> str:
        """The ticket number of ``serial`` in ``year``: registration and the bench's data
        generator both write it so."""
        return f"{year}-{serial:05d}"


class AppendOnlyError(Exception):
    pass


class AppendOnlyQuerySet(models.QuerySet["TicketEvent"]):
    """Bulk changes are refused too: the timeline is never rewritten."""

    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("timeline events are never changed")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("timeline events are never deleted")


class TicketEvent(models.Model):
    """One thing that happened to a ticket: who, when, through which channel, what.

    Rows are only ever added; the timeline, notifications, SLA and KPIs read them.
    """

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("action"), max_length=40)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    at = models.DateTimeField(_("time"))
    tier = models.PositiveSmallIntegerField(_("tier"), choices=Tier.choices)
    status_before = models.CharField(
        _("status before"), max_length=20, choices=Status.choices, blank=True
    )
    status_after = models.CharField(
        _("status after"), max_length=20, choices=Status.choices, blank=True
    )
    internal = models.BooleanField(_("vendor staff only"), default=False)
    data = models.JSONField(_("details"), default=dict, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("timeline event")
        verbose_name_plural = _("timeline events")
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["ticket", "at", "id"], name="event_timeline"),
            models.Index(fields=["action", "at"], name="event_action"),
        ]

    def __str__(self) -> str:
        from campusdesk.tickets.workflow import action_label  # loads after the models

        return f"{self.ticket_id} {action_label(self.action)} {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AppendOnlyError("timeline events are never changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnlyError("timeline events are never deleted")


class Commitment(models.Model):
    """A tier's committed resolution time (承诺解决时间); each change is a new row, with reason."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="commitments")
    tier = models.PositiveSmallIntegerField(_("tier"), choices=Tier.choices)
    due_at = models.DateTimeField(_("committed resolution time"))
    reason = models.TextField(_("reason for the change"), blank=True)
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("set at"))

    class Meta:
        verbose_name = _("commitment")
        verbose_name_plural = _("commitments")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "tier", "created_at"], name="commitment_tier")]

    def __str__(self) -> str:
        return f"{self.ticket_id} L{self.tier} {self.due_at:%Y-%m-%d %H:%M}"


def attachment_path(instance: Attachment, filename: str) -> str:
    # The stored name is random: the user's name is kept in the row, never in the path.
    return f"tickets/{instance.ticket_id}/{uuid.uuid4().hex}"


class Attachment(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=200)
    name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveBigIntegerField(_("size"))
    # "content type" alone is Django's 内容类型 (of its models) in the admin
    content_type = models.CharField(pgettext_lazy("file", "content type"), max_length=100)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"))

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.name


class IncidentReport(models.Model):
    """The analysis report of an emergency incident (seed §3.1.2), required before closure."""

    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, related_name="incident_report")
    what_happened = models.TextField(_("what happened"), blank=True)
    cause = models.TextField(_("cause"), blank=True)
    solution = models.TextField(_("solution"), blank=True)
    responsible_person = models.CharField(_("responsible person"), max_length=100, blank=True)
    improvements = models.TextField(_("improvement actions"), blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated at"))

    REQUIRED = ("what_happened", "cause", "solution", "responsible_person", "improvements")

    class Meta:
        verbose_name = _("incident analysis report")
        verbose_name_plural = _("incident analysis reports")

    def __str__(self) -> str:
        return f"{self.ticket_id}"

    @property
    def is_complete(self) -> bool:
        return all(str(getattr(self, field)).strip() for field in self.REQUIRED)

"""Operations supervision (运营干预, seed §7.3): corrective actions, dispatch, complaints."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from campusdesk.accounts.models import Organisation
from campusdesk.tickets.models import Ticket


class CorrectiveAction(models.Model):
    """What the handler of an overdue problem will do about it (纠正措施), tracked until done."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="corrective_actions")
    tier = models.PositiveSmallIntegerField(_("tier"))
    cause = models.TextField(_("cause of the delay"))
    plan = models.TextField(_("new plan"))
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    filed_at = models.DateTimeField(_("filed at"))
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)

    class Meta:
        verbose_name = _("corrective action")
        verbose_name_plural = _("corrective actions")
        ordering = ["filed_at", "id"]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.filed_at:%Y-%m-%d}"


class Dispatch(models.Model):
    """Engineers sent on site (派工) for a SIS1/SIS2 problem not solved in time (seed §6)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="dispatches")
    engineer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("engineer"),
        on_delete=models.PROTECT,
        related_name="dispatches",
    )
    arrived_at = models.DateTimeField(_("arrived on site at"))
    note = models.TextField(_("note"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"))

    class Meta:
        verbose_name = _("on-site dispatch")
        verbose_name_plural = _("on-site dispatches")
        ordering = ["arrived_at", "id"]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.engineer_id} {self.arrived_at:%Y-%m-%d %H:%M}"


class Complaint(models.Model):
    """A customer's complaint (投诉) about a problem or the service; its own track to the end."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        HANDLING = "handling", _("Being handled")
        #: the group resolved it; the filer confirms (closed) or reopens it (handling)
        RESOLVED = "resolved", _("Resolved, awaiting confirmation")
        CLOSED = "closed", _("Closed")

    class Severity(models.TextChoices):
        NORMAL = "normal", pgettext_lazy("complaint severity", "Normal")
        SERIOUS = "serious", pgettext_lazy("complaint severity", "Serious")
        MAJOR = "major", pgettext_lazy("complaint severity", "Major")

    number = models.CharField(_("number"), max_length=20, unique=True)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="complaints"
    )
    ticket = models.ForeignKey(
        Ticket,
        verbose_name=_("problem"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="complaints",
    )
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("what happened"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="complaints_filed"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="complaints_owned",
    )
    resolution = models.TextField(_("resolution"), blank=True)
    created_at = models.DateTimeField(_("filed at"))
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    severity = models.CharField(
        pgettext_lazy("complaint", "severity"),
        max_length=10,
        choices=Severity.choices,
        default=Severity.NORMAL,
    )
    #: when the group's working time started: filing, or the filer's latest reopening
    clock_from = models.DateTimeField(_("deadline counted from"), null=True, blank=True)
    due_at = models.DateTimeField(_("resolve by"), null=True, blank=True, db_index=True)
    #: the supervisors were told of this ``due_at`` missed (cleared with a new deadline)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    rating = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="complaint_rating",
            )
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.subject}"


class ComplaintNote(models.Model):
    """One step on a complaint's track (append-only)."""

    class Action(models.TextChoices):
        FILED = "filed", _("Complaint filed")
        ASSIGNED = "assigned", _("Owner assigned")
        NOTE = "note", _("Note")
        RESOLVED = "resolved", _("Complaint resolved")
        GROUP = "group", _("Resolution group changed")
        SEVERITY = "severity", _("Complaint severity changed")
        ESCALATED = "escalated", _("Deadline missed: told the supervisors")
        CONFIRMED = "confirmed", _("Resolution confirmed by the customer")
        REOPENED = "reopened", _("Reopened by the customer")

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="notes")
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    #: empty for the system's own steps (an escalation by the sweep)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    body = models.TextField(_("note"), blank=True)
    at = models.DateTimeField(_("time"))

    class Meta:
        verbose_name = _("complaint note")
        verbose_name_plural = _("complaint notes")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.get_action_display()}"


class ComplaintMember(models.Model):
    """A member of a complaint's special resolution group (专项解决小组, seed §7.3), named by
    operations; its leader is the complaint's ``owner``. Members see the complaint and act
    on it whatever their projects."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("member"),
        on_delete=models.PROTECT,
        related_name="complaint_groups",
    )
    added_at = models.DateTimeField(_("added at"))

    class Meta:
        verbose_name = _("resolution group member")
        verbose_name_plural = _("resolution group members")
        ordering = ["added_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["complaint", "user"], name="complaint_member_once")
        ]

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.user_id}"


class ClosureReminder(models.Model):
    """A reminder of a ticket waiting for its customer's closure (待关闭): to its reporter
    after 2 and 5 working days, to operations after 7. One row per ticket, closure request
    and stage: the unique key makes each one sent once, whatever the number of workers."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    #: the closure request it reminds of (the ticket's ``resolved_at`` then)
    requested_at = models.DateTimeField(_("closure requested at"))
    #: working days since the request: 2, 5 (the reporter) or 7 (operations)
    stage = models.PositiveSmallIntegerField(_("working days"))
    sent_at = models.DateTimeField(_("sent at"))

    class Meta:
        verbose_name = _("closure reminder")
        verbose_name_plural = _("closure reminders")
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "requested_at", "stage"], name="closure_reminder_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} +{self.stage}"

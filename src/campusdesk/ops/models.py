"""Operations supervision (运营干预, seed §7.3): corrective actions, dispatch, complaints."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

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
        RESOLVED = "resolved", _("Resolved")

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

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.number} {self.subject}"


class ComplaintNote(models.Model):
    """One step on a complaint's track (append-only)."""

    class Action(models.TextChoices):
        FILED = "filed", _("Complaint filed")
        ASSIGNED = "assigned", _("Owner assigned")
        NOTE = "note", _("Note")
        RESOLVED = "resolved", _("Complaint resolved")

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="notes")
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("note"), blank=True)
    at = models.DateTimeField(_("time"))

    class Meta:
        verbose_name = _("complaint note")
        verbose_name_plural = _("complaint notes")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.get_action_display()}"


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

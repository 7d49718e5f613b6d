"""Intake channels beyond the web: monitoring alerts (R-IN-4) and e-mail (R-IN-3)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from campusdesk.catalog.models import Project
from campusdesk.core import crypto


def default_severity_map() -> dict[str, str]:
    return {"critical": "SIS1", "error": "SIS2", "warning": "SIS2", "info": "SIS3"}


class AlertSource(models.Model):
    """A monitoring system (Prometheus Alertmanager, Zabbix, …) that reports for one project."""

    name = models.CharField(_("name"), max_length=100)
    project = models.ForeignKey(Project, verbose_name=_("project"), on_delete=models.CASCADE)
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("registered for"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The customer contact the incidents are registered for."),
    )
    severity_label = models.CharField(_("severity label"), max_length=50, default="severity")
    severity_map = models.JSONField(_("severity mapping"), default=default_severity_map)
    default_severity = models.CharField(_("default severity"), max_length=4, default="SIS2")
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"))
    #: when set (encrypted, core.crypto), every alert must carry a fresh HMAC of its body
    #: besides the bearer token (intake.signing)
    signing_secret = models.CharField(_("signing secret"), max_length=300, blank=True, default="")

    class Meta:
        verbose_name = _("alert source")
        verbose_name_plural = _("alert sources")

    def __str__(self) -> str:
        return self.name


class AlertSignature(models.Model):
    """A signature a signed source has used: the same one again is a replay, refused. Kept
    a little longer than the window in which a timestamp is accepted."""

    source = models.ForeignKey(AlertSource, on_delete=models.CASCADE, related_name="+")
    digest = models.CharField(_("signature digest"), max_length=64)
    seen_at = models.DateTimeField(_("seen at"), db_index=True)

    class Meta:
        verbose_name = _("alert signature")
        verbose_name_plural = _("alert signatures")
        constraints = [
            models.UniqueConstraint(fields=["source", "digest"], name="uniq_alert_signature")
        ]

    def __str__(self) -> str:
        return self.digest


class MaintenanceWindow(models.Model):
    """While it lasts, alerts of its source and probes of its system raise no incident.

    One concept for both (issue 19): a window belongs to an alert source or to an
    application system. A weekly window repeats every seven days from its first
    occurrence, for the same length (``windows.active`` decides).
    """

    source = models.ForeignKey(
        AlertSource,
        verbose_name=_("alert source"),
        on_delete=models.CASCADE,
        related_name="windows",
        null=True,
        blank=True,
    )
    system = models.ForeignKey(
        "systems.ApplicationSystem",
        verbose_name=_("application system"),
        on_delete=models.CASCADE,
        related_name="maintenance_windows",
        null=True,
        blank=True,
    )
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    weekly = models.BooleanField(_("every week"), default=False)

    class Meta:
        verbose_name = _("maintenance window")
        verbose_name_plural = _("maintenance windows")
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(source__isnull=False) & Q(system__isnull=True))
                | (Q(source__isnull=True) & Q(system__isnull=False)),
                name="window_one_owner",
            ),
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="window_order"),
        ]

    def __str__(self) -> str:
        owner = self.source_id or self.system_id
        return f"{owner} {self.starts_at:%Y-%m-%d %H:%M}–{self.ends_at:%H:%M}"


class Alert(models.Model):
    """One alert (by fingerprint) and the incident it raised; repeats only count up."""

    class State(models.TextChoices):
        FIRING = "firing", _("Firing")
        RESOLVED = "resolved", _("Resolved")
        SILENCED = "silenced", _("Silenced by maintenance")

    class Triage(models.TextChoices):
        UNTRIAGED = "untriaged", _("Untriaged")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        FALSE_ALARM = "false_alarm", _("False alarm")
        LINKED = "linked", _("Linked to a problem")

    source = models.ForeignKey(
        AlertSource,
        verbose_name=_("alert source"),
        on_delete=models.CASCADE,
        related_name="alerts",
    )
    fingerprint = models.CharField(_("fingerprint"), max_length=128)
    ticket = models.ForeignKey(
        "tickets.Ticket",
        verbose_name=_("problem"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="alerts",
    )
    state = models.CharField(_("state"), max_length=10, choices=State.choices)
    labels = models.JSONField(_("labels"), default=dict)
    annotations = models.JSONField(_("annotations"), default=dict)
    fired_count = models.PositiveIntegerField(_("times fired"), default=1)
    first_seen_at = models.DateTimeField(_("first seen"))
    last_seen_at = models.DateTimeField(_("last seen"))
    # what the service desk made of it (``intake.triage``): the last step, who and when
    triage = models.CharField(
        _("triage"), max_length=12, choices=Triage.choices, default=Triage.UNTRIAGED
    )
    triaged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("triaged by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    triaged_at = models.DateTimeField(_("triaged at"), null=True, blank=True)
    triage_note = models.CharField(_("triage note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        indexes = [
            models.Index(fields=["source", "fingerprint", "-last_seen_at"], name="alert_fp"),
            models.Index(fields=["state", "triage", "-last_seen_at"], name="alert_triage"),
        ]

    def __str__(self) -> str:
        return f"{self.source_id} {self.fingerprint} {self.get_state_display()}"

    # the labels a triage row shows (a monitor's own words: shown as data)
    @property
    def alertname(self) -> str:
        return str(self.labels.get("alertname", ""))

    @property
    def instance(self) -> str:
        return str(self.labels.get("instance", "") or self.labels.get("host", ""))

    @property
    def severity(self) -> str:
        return str(self.labels.get(self.source.severity_label, ""))

    @property
    def title(self) -> str:
        return str(self.annotations.get("summary") or self.alertname or self.fingerprint[:12])


# --- e-mail in (R-IN-3) -------------------------------------------------------------
def _raw_mail_path(instance: InboundMessage, filename: str) -> str:
    return f"mail/{instance.received_at:%Y/%m}/{uuid.uuid4().hex}.eml"


class Mailbox(models.Model):
    """A recipient address of ours: mail to it opens tickets in its project.

    The mailbox with no project is the default one: mail to it goes to the sender's only
    project. Senders are trusted when their address's domain is on the list (an empty
    list trusts every domain of a known user); all others wait in the review queue.
    A mailbox with an IMAP host is polled by the worker; the default mailbox may also be
    configured by the ``IMAP_*`` settings instead.
    """

    address = models.EmailField(_("address"), unique=True)
    project = models.ForeignKey(
        Project,
        verbose_name=_("project"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="mailboxes",
        help_text=_("Empty: the sender's only project."),
    )
    trusted_domains = models.TextField(
        _("trusted sender domains"),
        blank=True,
        help_text=_("One domain per line, e.g. njust.edu.cn; empty trusts every domain."),
    )
    imap_host = models.CharField(_("IMAP host"), max_length=200, blank=True)
    imap_port = models.PositiveIntegerField(_("IMAP port"), default=993)
    imap_ssl = models.BooleanField(_("IMAP over TLS"), default=True)
    imap_user = models.CharField(_("IMAP user"), max_length=200, blank=True)
    # encrypted (core.crypto): set_imap_password() writes it, imap_secret() reads it
    imap_password = models.CharField(_("IMAP password"), max_length=500, blank=True)
    imap_folder = models.CharField(_("IMAP folder"), max_length=100, default="INBOX")
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")

    def __str__(self) -> str:
        return self.address

    def domains(self) -> list[str]:
        return [d.strip().lower().lstrip("@") for d in self.trusted_domains.split() if d.strip()]

    def set_imap_password(self, password: str) -> None:
        """Keep the password encrypted; an empty one stays empty (no password)."""
        self.imap_password = crypto.encrypt(password) if password else ""

    def imap_secret(self) -> str:
        """The password to log in with; ``crypto.SecretUnreadable`` if it cannot be read."""
        return crypto.decrypt(self.imap_password) if self.imap_password else ""


class InboundMessage(models.Model):
    """Every message received, kept whole, with what became of it."""

    class Outcome(models.TextChoices):
        TICKET = "ticket", _("New problem registered")
        COMMENT = "comment", _("Added to a problem")
        REVIEW = "review", _("Awaiting review")
        IGNORED = "ignored", _("Ignored (automatic message)")
        DISCARDED = "discarded", _("Discarded by an agent")
        QUARANTINED = "quarantined", _("Quarantined (could not be processed)")

    # the Message-ID, else a digest of the message
    key = models.CharField(_("message key"), max_length=255, unique=True)
    mailbox = models.ForeignKey(
        Mailbox,
        verbose_name=_("mailbox"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="messages",
    )
    raw = models.FileField(_("original message"), upload_to=_raw_mail_path, max_length=200)
    sender = models.EmailField(_("sender"), max_length=254)
    sender_name = models.CharField(_("sender name"), max_length=200, blank=True)
    recipients = models.JSONField(_("recipients"), default=list)
    subject = models.CharField(_("subject"), max_length=500, blank=True)
    body = models.TextField(_("text"), blank=True)
    html = models.TextField(_("sanitised HTML"), blank=True)
    attachment_names = models.JSONField(_("attachments"), default=list)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("known sender"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    ticket = models.ForeignKey(
        "tickets.Ticket",
        verbose_name=_("problem"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="inbound_messages",
    )
    received_at = models.DateTimeField(_("received at"))
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("received e-mail")
        verbose_name_plural = _("received e-mails")
        indexes = [models.Index(fields=["outcome", "-received_at"], name="inbound_outcome")]

    def __str__(self) -> str:
        return f"{self.sender}: {self.subject}"

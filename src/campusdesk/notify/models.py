"""Notifications (消息通知, seed §7.2.4): the inbox, the outbox of deliveries, settings, robots."""

from __future__ import annotations

from datetime import time

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from campusdesk.catalog.models import Project


class Kind(models.TextChoices):
    """Message types a person can choose channels for (seed §7.2.4: 类型、环节)."""

    REGISTERED = "registered", _("New problem registered")
    ACCEPTED = "accepted", _("Problem accepted")
    COMMITMENT = "commitment", _("Committed time changed")
    RECORD = "record", _("New record or comment")
    ESCALATED = "escalated", _("Problem escalated")
    INFO = "info", _("Information requested or given")
    CLOSURE_REQUESTED = "closure_requested", _("Closure requested")
    CLOSURE_REJECTED = "closure_rejected", _("Closure rejected")
    CLOSED = "closed", _("Problem closed")
    URGED = "urged", _("Problem urged")
    SLA_WARNING = "sla_warning", _("Deadline near")
    SLA_BREACHED = "sla_breached", _("Deadline missed")
    DISPATCH = "dispatch", _("On-site dispatch required")
    COMPLAINT = "complaint", _("Complaint")
    ANNOUNCEMENT = "announcement", _("Announcement")
    ROUTINE = "routine", _("Routine work due")
    DUTY = "duty", _("Duty line")
    CONTRACT = "contract", _("Service contract")
    SURVEY = "survey", _("Satisfaction survey")


#: Kinds that can never be switched off entirely (the inbox always keeps them).
MANDATORY = frozenset({Kind.SLA_BREACHED, Kind.DISPATCH})


class Follower(models.Model):
    """Someone who follows a problem (关注) and hears of each step, like its reporter."""

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="followers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    since = models.DateTimeField(_("since"))

    class Meta:
        verbose_name = _("follower")
        verbose_name_plural = _("followers")
        constraints = [models.UniqueConstraint(fields=["ticket", "user"], name="uniq_follower")]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.user_id}"


class Rule(models.Model):
    """Who hears of a ticket event: editable data, seeded with the defaults of notify.rules."""

    action = models.CharField(_("event"), max_length=40, unique=True)
    kind = models.CharField(_("message type"), max_length=20, choices=Kind.choices)
    audiences = models.JSONField(
        _("recipients"), help_text=_("Names of recipient groups; see the list on this page.")
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("notification rule")
        verbose_name_plural = _("notification rules")
        ordering = ["action"]

    def __str__(self) -> str:
        return f"{self.action_label} → {self.get_kind_display()}"

    @property
    def action_label(self) -> str:
        from campusdesk.tickets.workflow import action_label  # loads after the models

        return action_label(self.action)


class Notification(models.Model):
    """One message in a person's inbox (站内消息)."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=300)
    body = models.TextField(_("message"), blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    event = models.ForeignKey(
        "tickets.TicketEvent", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    urgent = models.BooleanField(_("urgent"), default=False)
    created_at = models.DateTimeField(_("time"))
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="inbox_list"),
            models.Index(
                fields=["recipient"], name="inbox_unread", condition=Q(read_at__isnull=True)
            ),
        ]

    def __str__(self) -> str:
        return self.title


class RobotChannel(models.Model):
    """A WeCom / DingTalk / Feishu group robot that receives a project's (or every) message."""

    class Platform(models.TextChoices):
        WECOM = "wecom", _("WeCom (企业微信)")
        DINGTALK = "dingtalk", _("DingTalk (钉钉)")
        FEISHU = "feishu", _("Feishu (飞书)")

    name = models.CharField(_("name"), max_length=100)
    platform = models.CharField(_("platform"), max_length=10, choices=Platform.choices)
    webhook_url = models.URLField(_("webhook URL"), max_length=500)
    secret = models.CharField(_("signing secret"), max_length=200, blank=True)
    project = models.ForeignKey(
        Project,
        verbose_name=_("project"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        help_text=_("Empty: every project."),
    )
    kinds = models.JSONField(
        _("message types"), default=list, blank=True, help_text=_("Empty: every type.")
    )
    internal = models.BooleanField(
        _("vendor group"),
        default=True,
        help_text=_("A vendor staff group also gets internal messages; a customer group never."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("group robot")
        verbose_name_plural = _("group robots")

    def __str__(self) -> str:
        return f"{self.get_platform_display()} · {self.name}"


class WebhookSubscription(models.Model):
    """An outside system that receives a project's ticket events as signed JSON (R-IN-5)."""

    name = models.CharField(_("name"), max_length=100)
    project = models.ForeignKey(Project, verbose_name=_("project"), on_delete=models.CASCADE)
    url = models.URLField(_("URL"), max_length=500)
    secret = models.CharField(_("signing secret"), max_length=200)
    events = models.JSONField(
        _("events"), default=list, blank=True, help_text=_("Empty: every event.")
    )
    include_internal = models.BooleanField(_("also internal events"), default=False)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")

    def __str__(self) -> str:
        return self.name


class Preference(models.Model):
    """A person's channels for one message type (个人中心 → 消息设置)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notify_preferences"
    )
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    inbox = models.BooleanField(_("in-app message"), default=True)
    email = models.BooleanField(_("e-mail"), default=True)

    class Meta:
        verbose_name = _("notification setting")
        verbose_name_plural = _("notification settings")
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="uniq_preference")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind}"


class QuietHours(models.Model):
    """When non-urgent e-mails wait (免打扰), and whether they come as one daily digest."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="quiet_hours"
    )
    start = models.TimeField(_("quiet from"), default=time(22, 0))
    end = models.TimeField(_("quiet until"), default=time(8, 0))
    enabled = models.BooleanField(_("quiet hours on"), default=False)
    digest = models.BooleanField(_("daily digest of non-urgent e-mails"), default=False)

    class Meta:
        verbose_name = _("quiet hours")
        verbose_name_plural = _("quiet hours")

    def __str__(self) -> str:
        return f"{self.user_id} {self.start}-{self.end}"


#: Where a delivery goes: e-mail, a webhook subscriber, or a group robot of a platform.
CHANNELS = [("email", _("e-mail")), ("webhook", _("webhook")), *RobotChannel.Platform.choices]


class Delivery(models.Model):
    """One message to send on one channel: the outbox. Written in the event's transaction."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed for good")

    key = models.CharField(_("idempotency key"), max_length=64, unique=True)
    channel = models.CharField(_("channel"), max_length=10, choices=CHANNELS)
    address = models.CharField(_("address"), max_length=500)
    robot = models.ForeignKey(
        RobotChannel,
        verbose_name=_("group robot"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
    )
    webhook = models.ForeignKey(
        WebhookSubscription,
        verbose_name=_("webhook"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    notification = models.ForeignKey(
        Notification,
        verbose_name=_("notification"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    payload = models.JSONField(_("message"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"))
    locked_until = models.DateTimeField(_("locked until"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="outbox_due",
                condition=Q(status__in=["pending", "sending"]),
            ),
            # The operations watch list of deliveries that failed for good.
            models.Index(
                fields=["-created_at", "-id"], name="outbox_failed", condition=Q(status="failed")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel_label} → {self.address} ({self.get_status_display()})"

    @property
    def receiver(self) -> str:
        """Who it was for, by name: a robot's or subscriber's URL carries its credential."""
        named = self.robot or self.webhook or self.recipient
        return str(named) if named is not None else self.address

    @property
    def channel_label(self) -> str:
        return str(self.get_channel_display())

    @property
    def summary(self) -> str:
        """What it says: the subject; a webhook's JSON has none to show."""
        if self.channel == "webhook":
            return str(_("Problem event"))
        return str(self.payload.get("subject", ""))


class Announcement(models.Model):
    """What the vendor publishes to the customers of products (seed §5, the service e-mail)."""

    class Category(models.TextChoices):
        ALERT = "alert", _("Product alert")
        NOTICE = "notice", _("Important notice")
        BULLETIN = "bulletin", _("Technical support bulletin")
        DOCUMENT = "document", _("Product document")
        WHITE_PAPER = "white_paper", _("White paper")

    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"))
    products = models.ManyToManyField("catalog.Product", verbose_name=_("products"))
    organisations = models.ManyToManyField(
        "accounts.Organisation", verbose_name=_("only these organisations"), blank=True
    )
    attachment = models.FileField(_("attachment"), upload_to="announcements/", blank=True)
    attachment_name = models.CharField(_("attachment name"), max_length=200, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    published_at = models.DateTimeField(_("published at"), db_index=True)

    class Meta:
        verbose_name = _("announcement")
        verbose_name_plural = _("announcements")
        ordering = ["-published_at", "-id"]

    def __str__(self) -> str:
        return self.title

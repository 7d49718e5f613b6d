"""Probes of the application systems (R-SYS-2): checks, results, outages and their incidents.

A ``Probe`` checks one target of a system (an HTTP(S) URL, a TCP port, a TLS certificate)
every ``interval_seconds``; the scheduler picks due probes by the indexed ``next_run_at``.
Each run leaves a ``ProbeResult``; old results are rolled into ``ProbeHourly`` rows.

An ``Outage`` is one stretch of time in which a system was down (some probe failed
``failures_to_open`` times in a row). At most one outage per system is open, which the
database enforces (a partial unique index), so two workers that see the same failure
open it once. The outage's incident ticket is registered by whoever claims the outage
with a conditional update (``ticket_claimed_at``), again exactly once. A target that
comes back and fails again within the flap window reopens the same outage and counts a
flap instead of a new incident.

A ``CertificateWarning`` is one certificate nearing its expiry (or expired) at one
threshold; its unique key makes each a single SIS3 ticket, never one mail a day.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from campusdesk.systems.models import ApplicationSystem

#: the shortest interval a probe may have, in seconds
MIN_INTERVAL = 30


class Probe(models.Model):
    """One check of one target of a system, run every ``interval_seconds``."""

    class Kind(models.TextChoices):
        HTTP = "http", pgettext_lazy("probe", "HTTP(S)")
        TCP = "tcp", pgettext_lazy("probe", "TCP port")
        TLS = "tls", pgettext_lazy("probe", "TLS certificate")

    class State(models.TextChoices):
        UNKNOWN = "unknown", pgettext_lazy("probe", "Not yet run")
        UP = "up", pgettext_lazy("probe", "Up")
        DOWN = "down", pgettext_lazy("probe", "Down")

    system = models.ForeignKey(
        ApplicationSystem,
        verbose_name=_("application system"),
        on_delete=models.CASCADE,
        related_name="probes",
    )
    name = models.CharField(_("name"), max_length=100, blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    #: a URL for http; host:port for tcp and tls
    target = models.CharField(_("target"), max_length=500)
    method = models.CharField(_("method"), max_length=10, default="GET")
    #: the answer's status that counts as up: "200-399", "200", "200,204,301-302"
    expect_status = models.CharField(_("expected status"), max_length=100, default="200-399")
    keyword = models.CharField(_("keyword"), max_length=200, blank=True)
    #: the keyword must be absent (an error page's text) instead of present
    keyword_absent = models.BooleanField(_("keyword must be absent"), default=False)
    max_latency_ms = models.PositiveIntegerField(_("maximum latency (ms)"), null=True, blank=True)
    #: for tls: the server name to present and check the certificate against (default: host)
    sni = models.CharField(_("server name (SNI)"), max_length=255, blank=True)
    interval_seconds = models.PositiveIntegerField(_("interval (s)"), default=60)
    timeout_seconds = models.PositiveIntegerField(_("timeout (s)"), default=10)
    #: immediate re-tries of a failed run before it counts as a failure
    retries = models.PositiveSmallIntegerField(_("retries"), default=0)
    failures_to_open = models.PositiveSmallIntegerField(
        _("failures that open an incident"), default=3
    )
    is_active = models.BooleanField(_("active"), default=True)
    next_run_at = models.DateTimeField(_("next run"), db_index=True)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.UNKNOWN
    )
    consecutive_failures = models.PositiveIntegerField(_("failures in a row"), default=0)
    last_run_at = models.DateTimeField(_("last run"), null=True, blank=True)
    last_ok_at = models.DateTimeField(_("last up"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    last_latency_ms = models.PositiveIntegerField(_("last latency (ms)"), null=True, blank=True)
    cert_expires_at = models.DateTimeField(_("certificate expires"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("probe")
        verbose_name_plural = _("probes")
        ordering = ["system_id", "kind", "id"]
        indexes = [
            models.Index(fields=["is_active", "next_run_at"], name="probe_due"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(interval_seconds__gte=MIN_INTERVAL), name="probe_interval_min"
            ),
            models.CheckConstraint(condition=Q(failures_to_open__gte=1), name="probe_failures_min"),
        ]

    def __str__(self) -> str:
        return self.name or f"{self.get_kind_display()} {self.target}"


class ProbeResult(models.Model):
    """One run of a probe."""

    probe = models.ForeignKey(Probe, on_delete=models.CASCADE, related_name="results")
    #: when the run was due (lateness = started_at − scheduled_for)
    scheduled_for = models.DateTimeField(_("due at"))
    started_at = models.DateTimeField(_("started at"))
    ok = models.BooleanField(_("up"))
    latency_ms = models.PositiveIntegerField(_("latency (ms)"), null=True, blank=True)
    status_code = models.PositiveSmallIntegerField(_("status code"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)
    cert_expires_at = models.DateTimeField(_("certificate expires"), null=True, blank=True)

    class Meta:
        verbose_name = _("probe result")
        verbose_name_plural = _("probe results")
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["probe", "-started_at"], name="probe_result_at"),
            models.Index(fields=["started_at"], name="probe_result_age"),
        ]

    def __str__(self) -> str:
        return f"{self.probe_id} {self.started_at:%Y-%m-%d %H:%M:%S} {'up' if self.ok else 'down'}"


class ProbeHourly(models.Model):
    """The runs of one probe in one hour, rolled up when the raw results expire."""

    probe = models.ForeignKey(Probe, on_delete=models.CASCADE, related_name="hours")
    hour = models.DateTimeField(_("hour"))
    runs = models.PositiveIntegerField(_("runs"))
    failures = models.PositiveIntegerField(_("failures"))
    latency_sum_ms = models.PositiveBigIntegerField(_("latency sum (ms)"), default=0)
    latency_count = models.PositiveIntegerField(_("runs with latency"), default=0)
    latency_max_ms = models.PositiveIntegerField(_("maximum latency (ms)"), default=0)

    class Meta:
        verbose_name = _("hourly probe figures")
        verbose_name_plural = _("hourly probe figures")
        ordering = ["probe_id", "hour"]
        constraints = [
            models.UniqueConstraint(fields=["probe", "hour"], name="uniq_probe_hour"),
        ]

    def __str__(self) -> str:
        return f"{self.probe_id} {self.hour:%Y-%m-%d %H}:00 {self.failures}/{self.runs}"


class Outage(models.Model):
    """One stretch of time a system was down, and the incident it opened."""

    system = models.ForeignKey(
        ApplicationSystem,
        verbose_name=_("application system"),
        on_delete=models.CASCADE,
        related_name="outages",
    )
    probe = models.ForeignKey(
        Probe, verbose_name=_("probe"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    #: the first failed run of the streak that opened it
    started_at = models.DateTimeField(_("down since"))
    #: when the streak reached the probe's failures_to_open
    detected_at = models.DateTimeField(_("detected at"))
    ended_at = models.DateTimeField(_("up again at"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)
    failures = models.PositiveIntegerField(_("failed runs"), default=0)
    flaps = models.PositiveIntegerField(_("flaps"), default=0)
    #: began or was detected in a maintenance window: recorded, no incident
    in_maintenance = models.BooleanField(_("in maintenance"), default=False)
    ticket = models.ForeignKey(
        "tickets.Ticket",
        verbose_name=_("incident"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    #: set by the one worker that registers the incident (a conditional update)
    ticket_claimed_at = models.DateTimeField(null=True, blank=True)
    #: seconds from the first failed run to the incident's registration
    notice_seconds = models.PositiveIntegerField(_("time to notice (s)"), null=True, blank=True)

    class Meta:
        verbose_name = _("outage")
        verbose_name_plural = _("outages")
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["system", "-started_at"], name="outage_at")]
        constraints = [
            models.UniqueConstraint(
                fields=["system"], condition=Q(ended_at=None), name="uniq_open_outage"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.system_id} {self.started_at:%Y-%m-%d %H:%M}"


class CertificateWarning(models.Model):
    """A certificate of a TLS probe at one threshold (30 or 7 days left, or expired)."""

    probe = models.ForeignKey(Probe, on_delete=models.CASCADE, related_name="cert_warnings")
    expires_at = models.DateTimeField(_("certificate expires"))
    #: days left that crossed: 30, 7, or 0 for expired or invalid
    threshold = models.PositiveSmallIntegerField(_("threshold (days)"))
    at = models.DateTimeField(_("warned at"))
    ticket = models.ForeignKey(
        "tickets.Ticket",
        verbose_name=_("problem"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("certificate warning")
        verbose_name_plural = _("certificate warnings")
        ordering = ["-at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["probe", "expires_at", "threshold"], name="uniq_cert_warning"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.probe_id} {self.expires_at:%Y-%m-%d} {self.threshold}"


class StatusPage(models.Model):
    """An organisation's status page; the token makes its public, read-only link."""

    organisation = models.OneToOneField(
        "accounts.Organisation",
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        related_name="status_page",
    )
    #: empty: no public link; rotated by the vendor (the old link stops working)
    token = models.CharField(_("public link token"), max_length=64, blank=True, db_index=True)
    rotated_at = models.DateTimeField(_("link changed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("status page")
        verbose_name_plural = _("status pages")

    def __str__(self) -> str:
        return str(self.organisation_id)

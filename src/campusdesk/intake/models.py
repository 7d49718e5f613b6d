"""Intake channels beyond the web: monitoring alerts (R-IN-4)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from campusdesk.catalog.models import Project


def default_severity_map() -> dict[str, str]:
    return {"critical": "SIS1", "error": "SIS2", "warning": "SIS2", "info": "SIS3"}


class AlertSource(models.Model):
    """A monitoring system (Prometheus Alertmanager, Zabbix, …) that reports for one project."""

    name = models.CharField(_("name"), max_length=100)
    project = models.ForeignKey(Project, verbose_name=_("project"), on_delete=models.CASCADE)
    token_hash = models.CharField(max_length=64, unique=True)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("registered for"), on_delete=models.PROTECT,
        related_name="+", help_text=_("The customer contact the incidents are registered for."),
    )  # fmt: skip
    severity_label = models.CharField(_("severity label"), max_length=50, default="severity")
    severity_map = models.JSONField(_("severity mapping"), default=default_severity_map)
    default_severity = models.CharField(_("default severity"), max_length=4, default="SIS2")
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("alert source")
        verbose_name_plural = _("alert sources")

    def __str__(self) -> str:
        return self.name


class MaintenanceWindow(models.Model):
    """While it lasts, the source's alerts are recorded but raise no incident."""

    source = models.ForeignKey(AlertSource, on_delete=models.CASCADE, related_name="windows")
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("maintenance window")
        verbose_name_plural = _("maintenance windows")

    def __str__(self) -> str:
        return f"{self.source_id} {self.starts_at:%Y-%m-%d %H:%M}–{self.ends_at:%H:%M}"


class Alert(models.Model):
    """One alert (by fingerprint) and the incident it raised; repeats only count up."""

    class State(models.TextChoices):
        FIRING = "firing", _("Firing")
        RESOLVED = "resolved", _("Resolved")
        SILENCED = "silenced", _("Silenced by maintenance")

    source = models.ForeignKey(AlertSource, on_delete=models.CASCADE, related_name="alerts")
    fingerprint = models.CharField(_("fingerprint"), max_length=128)
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.SET_NULL, null=True, blank=True, related_name="alerts"
    )
    state = models.CharField(_("state"), max_length=10, choices=State.choices)
    labels = models.JSONField(_("labels"), default=dict)
    annotations = models.JSONField(_("annotations"), default=dict)
    fired_count = models.PositiveIntegerField(_("times fired"), default=1)
    first_seen_at = models.DateTimeField(_("first seen"))
    last_seen_at = models.DateTimeField(_("last seen"))

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        indexes = [models.Index(fields=["source", "fingerprint", "-last_seen_at"], name="alert_fp")]

    def __str__(self) -> str:
        return f"{self.source_id} {self.fingerprint} {self.state}"

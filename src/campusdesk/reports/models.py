"""What the monthly sending remembers: each project's report of a month goes out once."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from campusdesk.catalog.models import Project


class ReportDelivery(models.Model):
    """The service report of ``project`` for ``period`` (``2026-11``), sent by e-mail."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    period = models.CharField(_("period"), max_length=30)
    recipients = models.JSONField(_("recipients"), default=list, blank=True)
    created_at = models.DateTimeField(_("created at"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("service report delivery")
        verbose_name_plural = _("service report deliveries")
        constraints = [
            models.UniqueConstraint(fields=["project", "period"], name="report_sent_once")
        ]

    def __str__(self) -> str:
        return f"{self.project_id} {self.period}"

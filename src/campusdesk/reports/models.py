"""What the monthly sending remembers (each project's report of a month goes out once), and
the weights of the performance scores."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.validators import MinValueValidator
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


_NOT_NEGATIVE = MinValueValidator(Decimal(0))
_EARNED = _("Points earned at 100, in proportion below it.")
_LOST = _("Points lost at 100, in proportion below it.")


def _weight(label: Any, default: str, help_text: Any) -> models.DecimalField[Decimal, Decimal]:
    return models.DecimalField(
        label,
        max_digits=6,
        decimal_places=2,
        default=Decimal(default),
        validators=[_NOT_NEGATIVE],
        help_text=help_text,
    )


class ScoringScheme(models.Model):
    """The weights of the performance scores (绩效评分) of ``period`` (``2026-11``,
    ``2026-Q4``); an empty period: of every period without its own scheme. A figure in
    percent earns (costs) its weight at 100; a count earns (costs) its weight each."""

    period = models.CharField(
        _("period"),
        max_length=30,
        unique=True,
        blank=True,
        help_text=_("A month (2026-11) or a quarter (2026-Q4); empty: every other period."),
    )
    acceptance = _weight(_("accepted within 24 h"), "30", _EARNED)
    commitment = _weight(_("resolved by the committed time"), "40", _EARNED)
    rating = _weight(_("average rating"), "30", _("Points earned at 5 stars; none at 1 star."))
    rejection_rate = _weight(_("rejection rate"), "20", _LOST)
    urges = _weight(_("urges"), "2", _("Points lost for each."))
    complaints = _weight(_("complaints"), "5", _("Points lost for each."))
    retrospectives = _weight(_("retrospectives done"), "2", _("Points earned for each."))

    class Meta:
        verbose_name = _("scoring scheme")
        verbose_name_plural = _("scoring schemes")

    def __str__(self) -> str:
        return self.period or str(_("every other period"))

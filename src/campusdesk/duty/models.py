"""The 7×24 duty roster (值班表, seed §5): who answers for which projects outside the 5×8
service centre's hours, as shifts with hand-over notes, and swaps both people agreed to.

``now on duty`` for a project is one indexed query: the shift whose span holds the moment
and whose projects include the project (a shift without projects covers every project).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from campusdesk.catalog.models import Project


class Shift(models.Model):
    """One person on duty from ``starts_at`` to ``ends_at`` (end excluded)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("on duty"),
        on_delete=models.PROTECT,
        related_name="shifts",
    )
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    #: empty: every project
    projects = models.ManyToManyField(
        Project, verbose_name=_("projects"), blank=True, related_name="shifts"
    )
    handover = models.TextField(_("hand-over notes"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"))

    class Meta:
        verbose_name = _("duty shift")
        verbose_name_plural = _("duty shifts")
        ordering = ["starts_at", "id"]
        indexes = [models.Index(fields=["ends_at", "starts_at"], name="shift_span_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="shift_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.starts_at:%Y-%m-%d %H:%M}–{self.ends_at:%H:%M}"


class Swap(models.Model):
    """A shift handed to another person: asked by the one on duty, agreed by the other."""

    class Status(models.TextChoices):
        ASKED = "asked", pgettext_lazy("swap", "Asked")
        AGREED = "agreed", pgettext_lazy("swap", "Agreed")
        DECLINED = "declined", pgettext_lazy("swap", "Declined")

    shift = models.ForeignKey(
        Shift, verbose_name=_("shift"), on_delete=models.CASCADE, related_name="swaps"
    )
    from_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handed over by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("taken over by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ASKED
    )
    asked_at = models.DateTimeField(_("asked"))
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)

    class Meta:
        verbose_name = _("shift swap")
        verbose_name_plural = _("shift swaps")
        ordering = ["-asked_at", "-id"]

    def __str__(self) -> str:
        return f"{self.shift_id}: {self.from_user} → {self.to_user}"

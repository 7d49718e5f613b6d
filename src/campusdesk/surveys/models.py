"""Satisfaction surveys (满意度调查): beyond the rating of each closed problem, a periodic
survey of a contract's customers (one per semester, say), its questions as data.

A ``Survey`` belongs to one project (the service contract) and is answered by the customer
users of that project's organisation, each once (the unique key survey × respondent). It is
drafted (questions edited), opened (the customers are told; by hand or on ``opens_on``) and
closed (by hand or after ``closes_on``); answers are taken only while it is open and within
its dates. ``invited`` keeps how many customers it was opened to, so the response rate of a
closed survey does not change when people join or leave later.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from campusdesk.catalog.models import Project


class Status(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("survey", "Draft")
    OPEN = "open", pgettext_lazy("survey", "Open")
    CLOSED = "closed", pgettext_lazy("survey", "Closed")


class QuestionKind(models.TextChoices):
    RATING = "rating", pgettext_lazy("survey question", "Rating (1–5)")
    CHOICE = "choice", pgettext_lazy("survey question", "Single choice")
    TEXT = "text", pgettext_lazy("survey question", "Free text")


class Survey(models.Model):
    project = models.ForeignKey(
        Project,
        verbose_name=pgettext_lazy("survey", "service contract"),
        on_delete=models.PROTECT,
        related_name="surveys",
    )
    title = models.CharField(pgettext_lazy("survey", "title"), max_length=200)
    #: the period surveyed, as people say it ("2026 秋季学期")
    period_label = models.CharField(_("period surveyed"), max_length=100)
    opens_on = models.DateField(_("opens on"))
    closes_on = models.DateField(_("closes on"))
    status = models.CharField(
        pgettext_lazy("survey", "status"),
        max_length=10,
        choices=Status.choices,
        default=Status.DRAFT,
    )
    #: how many customers the survey was opened to (the response rate's denominator)
    invited = models.PositiveIntegerField(_("customers invited"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"))
    opened_at = models.DateTimeField(pgettext_lazy("survey", "opened at"), null=True, blank=True)
    closed_at = models.DateTimeField(pgettext_lazy("survey", "closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("satisfaction survey")
        verbose_name_plural = _("satisfaction surveys")
        ordering = ["-opens_on", "-id"]
        indexes = [
            models.Index(fields=["status", "opens_on"], name="survey_status_opens_idx"),
            models.Index(fields=["status", "closes_on"], name="survey_status_closes_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_on__gte=F("opens_on")), name="survey_closes_after_opening"
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.period_label})"


class Question(models.Model):
    survey = models.ForeignKey(
        Survey,
        verbose_name=_("satisfaction survey"),
        on_delete=models.CASCADE,
        related_name="questions",
    )
    position = models.PositiveSmallIntegerField(pgettext_lazy("survey question", "order"))
    text = models.CharField(pgettext_lazy("survey", "question"), max_length=300)
    kind = models.CharField(
        pgettext_lazy("survey question", "answered by"),
        max_length=10,
        choices=QuestionKind.choices,
        default=QuestionKind.RATING,
    )
    #: a choice question's options, in order (empty for the other kinds)
    options = models.JSONField(pgettext_lazy("survey question", "options"), default=list)
    required = models.BooleanField(pgettext_lazy("survey question", "required"), default=True)

    class Meta:
        verbose_name = pgettext_lazy("survey", "question")
        verbose_name_plural = pgettext_lazy("survey", "questions")
        ordering = ["survey_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "position"], name="uniq_question_position")
        ]

    def __str__(self) -> str:
        return self.text


class Response(models.Model):
    """One customer's answers to one survey: at most one each."""

    survey = models.ForeignKey(
        Survey,
        verbose_name=_("satisfaction survey"),
        on_delete=models.CASCADE,
        related_name="responses",
    )
    respondent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("respondent"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("submitted at"))

    class Meta:
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        ordering = ["survey_id", "submitted_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "respondent"], name="uniq_survey_response")
        ]

    def __str__(self) -> str:
        return f"{self.survey_id} {self.respondent_id}"


class Answer(models.Model):
    """The answer to one question: a rating, an option or a text, as the question asks."""

    response = models.ForeignKey(
        Response,
        verbose_name=_("survey response"),
        on_delete=models.CASCADE,
        related_name="answers",
    )
    question = models.ForeignKey(
        Question,
        verbose_name=pgettext_lazy("survey", "question"),
        on_delete=models.CASCADE,
        related_name="answers",
    )
    rating = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)
    choice = models.CharField(
        pgettext_lazy("survey answer", "option chosen"), max_length=100, blank=True
    )
    text = models.TextField(pgettext_lazy("survey answer", "text"), blank=True)

    class Meta:
        verbose_name = pgettext_lazy("survey", "answer")
        verbose_name_plural = pgettext_lazy("survey", "answers")
        constraints = [
            models.UniqueConstraint(fields=["response", "question"], name="uniq_answer"),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="answer_rating_1_to_5",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.response_id} {self.question_id}"

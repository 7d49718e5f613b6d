"""The common-problem case library (常见问题案例库, seed §7, §7.2.3) and retrospectives (复盘)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from campusdesk.catalog.models import Product


class Article(models.Model):
    """A case: symptoms, cause and solution of a common problem of a product."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        REVIEW = "review", _("In review")
        PUBLISHED = "published", _("Published")
        ARCHIVED = "archived", _("Archived")

    class Visibility(models.TextChoices):
        PUBLIC = "public", _("Customers and staff")
        INTERNAL = "internal", _("Vendor staff only")

    title = models.CharField(_("title"), max_length=200)
    symptoms = models.TextField(_("symptoms"))
    cause = models.TextField(_("cause"), blank=True)
    solution = models.TextField(_("solution"))
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="articles"
    )
    versions_from = models.CharField(_("from version"), max_length=50, blank=True)
    versions_to = models.CharField(_("to version"), max_length=50, blank=True)
    tags = models.JSONField(_("tags"), default=list, blank=True)
    visibility = models.CharField(
        _("visibility"), max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="articles"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    source_ticket = models.ForeignKey(
        "tickets.Ticket",
        verbose_name=_("from the problem"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="articles",
    )
    attachment = models.FileField(_("attachment"), upload_to="kb/", blank=True)
    attachment_name = models.CharField(_("file name"), max_length=200, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    views = models.PositiveIntegerField(_("views"), default=0)
    solved_count = models.PositiveIntegerField(_("solved a problem"), default=0)
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-updated_at", "-id"]
        indexes = [models.Index(fields=["product", "status", "visibility"], name="kb_filter")]

    def __str__(self) -> str:
        return self.title


class ArticleVersion(models.Model):
    """Every edit of a case, kept (append-only)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=200)
    symptoms = models.TextField(_("symptoms"))
    cause = models.TextField(_("cause"), blank=True)
    solution = models.TextField(_("solution"))
    tags = models.JSONField(_("tags"), default=list)
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    edited_at = models.DateTimeField(_("edited at"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("case version")
        verbose_name_plural = _("case versions")
        ordering = ["article", "number"]
        constraints = [
            models.UniqueConstraint(fields=["article", "number"], name="uniq_article_version")
        ]

    def __str__(self) -> str:
        return f"{self.article_id} v{self.number}"


class Term(models.Model):
    """The search index: one row per (case, term), weighted; the same on SQLite and PostgreSQL."""

    article = models.ForeignKey(
        Article, verbose_name=_("case"), on_delete=models.CASCADE, related_name="terms"
    )
    term = models.CharField(_("search term"), max_length=40)
    weight = models.FloatField(_("weight"))

    class Meta:
        verbose_name = _("search term")
        verbose_name_plural = _("search terms")
        indexes = [models.Index(fields=["term", "article"], name="kb_term_lookup")]
        constraints = [models.UniqueConstraint(fields=["article", "term"], name="uniq_kb_term")]

    def __str__(self) -> str:
        return f"{self.article_id}:{self.term}"


class Retrospective(models.Model):
    """The experts' look back at a closed problem (复盘): findings, root cause, tags, case?"""

    class Status(models.TextChoices):
        DUE = "due", _("Due")
        OFFERED = "offered", _("Offered")
        DONE = "done", _("Done")

    class RootCause(models.TextChoices):
        PRODUCT_BUG = "product_bug", _("Product defect")
        CONFIGURATION = "configuration", _("Configuration")
        ENVIRONMENT = "environment", _("Environment or infrastructure")
        DATA = "data", _("Data")
        USAGE = "usage", _("Usage or training")
        OTHER = "other", _("Other")

    ticket = models.OneToOneField(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="retrospective"
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, db_index=True)
    reason = models.CharField(_("why"), max_length=100, blank=True)
    findings = models.TextField(_("findings"), blank=True)
    root_cause = models.CharField(
        _("root cause"), max_length=20, choices=RootCause.choices, blank=True
    )
    tags = models.JSONField(_("tags"), default=list, blank=True)
    case_needed = models.BooleanField(_("a case entry is needed"), default=False)
    expert = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"))
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)

    class Meta:
        verbose_name = _("retrospective")
        verbose_name_plural = _("retrospectives")

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.status}"


class SuggestionOpen(models.Model):
    """A customer opened a suggested case while registering (R-REG-2): counted as deflection
    unless they registered anyway, or when they said it solved the problem."""

    article = models.ForeignKey(
        Article, verbose_name=_("case"), on_delete=models.CASCADE, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    opened_at = models.DateTimeField(_("opened at"))
    solved = models.BooleanField(_("solved the problem"), default=False)
    registered_anyway = models.BooleanField(_("registered anyway"), default=False)

    class Meta:
        verbose_name = _("opened case suggestion")
        verbose_name_plural = _("opened case suggestions")

    def __str__(self) -> str:
        return f"{self.article_id} {self.user_id}"

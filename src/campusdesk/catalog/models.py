from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from campusdesk.accounts.models import Organisation


class Product(models.Model):
    """A product of the vendor (研究生管理系统, 学工系统, …); experts are per product."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    code = models.SlugField(_("code"), max_length=50, unique=True)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ProductExpert(models.Model):
    """A vendor engineer who serves a product at an escalation tier (seed §7 3–5)."""

    class Tier(models.IntegerChoices):
        ENGINEERING = 2, _("Line 2: engineering expert")
        PRODUCT = 3, _("Line 3: product expert")
        TASK_FORCE = 4, _("Task force")

    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.CASCADE, related_name="experts"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="expert_for",
    )
    tier = models.PositiveSmallIntegerField(_("tier"), choices=Tier.choices)

    class Meta:
        verbose_name = _("product expert")
        verbose_name_plural = _("product experts")
        constraints = [
            models.UniqueConstraint(fields=["product", "user", "tier"], name="uniq_product_expert"),
            models.CheckConstraint(condition=Q(tier__in=[2, 3, 4]), name="product_expert_tier"),
        ]

    def __str__(self) -> str:
        return f"{self.product} · {self.get_tier_display()} · {self.user}"


class Project(models.Model):
    """An organisation's service contract for a product (所属项目)."""

    name = models.CharField(_("name"), max_length=200)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="projects",
    )
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="projects"
    )
    service_start = models.DateField(_("service start"))
    service_end = models.DateField(_("service end"))
    service_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("service manager"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="managed_projects",
    )
    line1_team = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("line 1 team"),
        blank=True,
        related_name="line1_projects",
    )
    calendar = models.ForeignKey(
        "sla.Calendar",
        verbose_name=_("working calendar"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        help_text=_("The customer's own business hours; empty: the default calendar."),
    )
    #: service hours the contract buys, consumed by the confirmed workload of closed tickets
    #: and of completed routine runs; empty: no budget
    hour_budget = models.DecimalField(
        _("service hour budget"), max_digits=8, decimal_places=1, null=True, blank=True
    )
    #: a ticket waiting this many working days for its customer's closure is closed
    #: automatically (recorded as such); empty: never, only the customer closes (the seed)
    auto_close_days = models.PositiveSmallIntegerField(
        _("auto-close after (working days)"), null=True, blank=True
    )
    #: the highest share of the budget (80, 100) the service manager was told of
    budget_alerted = models.PositiveSmallIntegerField(default=0, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        ordering = ["organisation__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="uniq_project_name"),
            models.CheckConstraint(
                condition=Q(service_end__gte=models.F("service_start")),
                name="project_service_period",
            ),
        ]

    def __str__(self) -> str:
        return self.name

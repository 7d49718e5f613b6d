"""Reading the filters of the report pages and the API from a query string."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from campusdesk.accounts.models import Organisation, Region, User
from campusdesk.accounts.roles import VENDOR_ROLES
from campusdesk.catalog.models import Product, Project
from campusdesk.core.errors import ValidationError
from campusdesk.core.widgets import FastSelect
from campusdesk.reports import periods
from campusdesk.reports.kpi import KpiFilters
from campusdesk.reports.periods import Period
from campusdesk.tickets.models import Severity, Tier

ID_FILTERS = ("organisation", "project", "product", "region", "manager", "person", "tier")


def period_from(params: QueryDict) -> Period:
    return periods.parse(
        params.get("period", ""), params.get("from", "").strip(), params.get("to", "").strip()
    )


def _id(params: QueryDict, name: str) -> int | None:
    raw = params.get(name, "").strip()
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 12:
        raise ValidationError(fields={name: [_("Choose one of the values offered.")]})
    return int(raw)


def period_or_current(params: QueryDict, now: datetime) -> Period:
    """The period a query string names; the current month when it names none."""
    given = any(params.get(name) for name in ("period", "from", "to"))
    return period_from(params) if given else periods.current_month(now)


def kpi_filters(params: QueryDict, now: datetime) -> KpiFilters:
    """The filters a query string names; the current month when it names no period."""
    period = period_or_current(params, now)
    severity = params.get("severity", "").strip()
    if severity and severity not in Severity.values:
        raise ValidationError(fields={"severity": [_("Choose one of the values offered.")]})
    ids = {name: _id(params, name) for name in ID_FILTERS}
    return KpiFilters(period=period, severity=severity, **ids)


class PeriodForm(forms.Form):
    """The period picker of the scores page: a month or quarter, or from/to dates."""

    period = forms.CharField(
        label=_("Month or quarter"),
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "2026-11"}),
    )
    from_ = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["from"] = self.fields.pop("from_")
        self.fields["to"] = self.fields.pop("to")


class KpiFilterForm(PeriodForm):
    """The filter bar of the KPI page (choices limited to what the user may see)."""

    organisation = forms.ModelChoiceField(
        Organisation.objects.none(), widget=FastSelect, required=False, label=_("Customer")
    )
    project = forms.ModelChoiceField(
        Project.objects.none(), widget=FastSelect, required=False, label=_("Project")
    )
    product = forms.ModelChoiceField(
        Product.objects.none(), widget=FastSelect, required=False, label=_("Product")
    )
    region = forms.ModelChoiceField(
        Region.objects.all(),
        widget=FastSelect,
        required=False,
        label=_("Team (regional service department)"),
    )
    manager = forms.ModelChoiceField(
        User.objects.none(), widget=FastSelect, required=False, label=_("Service manager")
    )
    person = forms.ModelChoiceField(
        User.objects.none(), widget=FastSelect, required=False, label=_("Person")
    )
    tier = forms.TypedChoiceField(
        choices=[("", "—"), *Tier.choices],
        coerce=int,
        required=False,
        empty_value=None,
        label=_("Tier"),
    )
    severity = forms.ChoiceField(
        choices=[("", "—"), *Severity.choices], required=False, label=_("Severity")
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        from campusdesk.catalog import scoping

        super().__init__(*args, **kwargs)
        fields: dict[str, Any] = self.fields
        fields["organisation"].queryset = scoping.visible_organisations(user).filter(
            kind=Organisation.Kind.CUSTOMER
        )
        fields["project"].queryset = scoping.visible_projects(user)
        fields["product"].queryset = scoping.visible_products(user)
        staff = User.objects.filter(role__in=VENDOR_ROLES, is_active=True).order_by("username")
        fields["person"].queryset = staff
        fields["manager"].queryset = staff.filter(managed_projects__isnull=False).distinct()

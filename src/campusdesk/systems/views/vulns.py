"""The pages of the vulnerability register and its findings: the register with search and
severity filter, an entry with the systems it was found on, the entry form, the import of
advisories, the findings list with its filters and a finding's page with its actions (the
declared ``ObjectAction``s of ``systems.finding_actions``)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from campusdesk.accounts.models import User
from campusdesk.core import clock
from campusdesk.core.api import query_text
from campusdesk.core.errors import DomainError, NotFound
from campusdesk.core.http import current_user, show_errors
from campusdesk.core.text import validate_one_line
from campusdesk.systems import finding_actions, findings_selectors, vulns
from campusdesk.systems.models import Finding, Severity, SystemEvent, Vulnerability
from campusdesk.systems.selectors import visible_systems

__all__ = ["finding_actions"]  # imported for its declarations: the buttons and POST handler

PAGE_SIZE = 50
#: how a finding's events read on its page
EVENTS = {
    "finding.opened": _("Found by the matcher"),
    "finding.confirmed": _("Confirmed: the version is in the range"),
    "finding.unverified": _("The version cannot be compared: to be checked"),
    "finding.fixed": _("Fixed: the version is out of the range"),
    "finding.reopened": _("Opened again"),
    "finding.fixing": _("Fixing started"),
    "finding.accept": _("Risk accepted"),
    "finding.fixed_by_decision": _("Marked fixed"),
    "finding.reopen": _("Reopened"),
    "finding.expiry_reminded": _("Reminded of the accepted risk's expiry"),
    "finding.expired": _("The accepted risk expired"),
}


class VulnerabilityForm(forms.Form):
    identifier = forms.CharField(
        label=_("identifier"),
        max_length=64,
        validators=[validate_one_line],
        help_text=_("A CVE, CNVD or CNNVD number, or an internal one."),
    )
    title = forms.CharField(label=_("title"), max_length=300, validators=[validate_one_line])
    description = forms.CharField(
        label=_("description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    cvss_score = forms.DecimalField(
        label=_("CVSS 3.1 base score"),
        min_value=0,
        max_value=10,
        max_digits=3,
        decimal_places=1,
        help_text=_("0.1–10.0; the severity follows from it (9.0 critical, 7.0 high, 4.0 medium)."),
    )
    component = forms.CharField(
        label=_("component"), max_length=200, validators=[validate_one_line]
    )
    affected = forms.CharField(
        label=_("affected versions"),
        max_length=300,
        validators=[validate_one_line],
        help_text=_(
            "Such as “<1.25.4”, “>=2.0,<2.4.1”, or alternatives joined by “||”: "
            "“>=9.0.0-M1,<9.0.86 || >=10.1.0-M1,<10.1.19”."
        ),
    )
    fixed_version = forms.CharField(
        label=_("fixed in version"), required=False, max_length=100, validators=[validate_one_line]
    )
    references = forms.CharField(
        label=_("references"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One web address a line."),
    )


class ImportForm(forms.Form):
    format = forms.ChoiceField(
        label=_("format"), choices=[("csv", "CSV"), ("json", "JSON")], initial="csv"
    )
    file = forms.FileField(label=_("file"), required=False)
    text = forms.CharField(
        label=_("or paste the list"), required=False, widget=forms.Textarea(attrs={"rows": 6})
    )


class FindingFilters(forms.Form):
    status = forms.ChoiceField(
        label=_("status"), required=False, choices=[("", "—"), *Finding.Status.choices]
    )
    severity = forms.ChoiceField(
        label=pgettext_lazy("vulnerability", "severity"),
        required=False,
        choices=[("", "—"), *Severity.choices],
    )
    overdue = forms.BooleanField(label=_("overdue only"), required=False)
    system = forms.TypedChoiceField(label=_("system"), required=False, coerce=int, empty_value=None)


def _vulnerability(user: User, pk: int) -> Vulnerability:
    try:
        return findings_selectors.vulnerability_for(user, pk)
    except NotFound as error:
        raise Http404 from error


@login_required
def vulnerability_list(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    query = query_text(request.GET.get("q"), 100).strip()
    severity = request.GET.get("severity", "")
    entries = findings_selectors.visible_vulnerabilities(user)
    if query:
        entries = entries.filter(
            Q(identifier__icontains=query)
            | Q(title__icontains=query)
            | Q(component__icontains=query)
        )
    if severity in Severity.values:
        entries = entries.filter(severity=severity)
    seen = visible_systems(user)
    entries = entries.annotate(
        open=Count(
            "findings",
            filter=Q(findings__system__in=seen, findings__status__in=findings_selectors.ACTIVE),
        )
    )
    page = Paginator(entries.order_by("-cvss_score", "identifier"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "page": page,
        "q": query,
        "severity": severity,
        "severities": Severity.choices,
        "may_write": vulns.may_write(user),
    }
    return render(request, "systems/vulns/list.html", context)


@login_required
def vulnerability_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    vulnerability = _vulnerability(user, pk)
    found = (
        findings_selectors.visible_findings(user)
        .filter(vulnerability=vulnerability)
        .select_related("system__organisation")
        .order_by("status", "due_date", "id")
    )
    context = {
        "vulnerability": vulnerability,
        "findings": found,
        "affected": findings_selectors.affected_systems(vulnerability, user),
        "may_write": vulns.may_write(user),
        "today": clock.local(clock.now()).date(),
    }
    return render(request, "systems/vulns/detail.html", context)


def _form_fields(form: VulnerabilityForm) -> dict[str, Any]:
    data = dict(form.cleaned_data)
    data["references"] = [line for line in data["references"].split() if line]
    return data


def _initial(vulnerability: Vulnerability) -> dict[str, Any]:
    initial = {name: getattr(vulnerability, name) for name in vulns.FIELDS}
    initial["references"] = "\n".join(vulnerability.references)
    return initial


@login_required
def vulnerability_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """The entry form: a new entry (no ``pk``) or an existing one."""
    user = current_user(request)
    if not vulns.may_write(user):
        raise PermissionDenied
    current = _vulnerability(user, pk) if pk is not None else None
    initial = _initial(current) if current is not None else None
    form = VulnerabilityForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if current is None:
                saved = vulns.vulnerability_create(actor=user, **_form_fields(form))
            else:
                saved = vulns.vulnerability_update(
                    vulnerability_id=current.pk, actor=user, **_form_fields(form)
                )
        except DomainError as error:
            show_errors(form, error)
        else:
            return redirect("systems-vulnerability", pk=saved.pk)
    return render(request, "systems/vulns/form.html", {"form": form, "vulnerability": current})


@login_required
def vulnerability_import(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    if not vulns.may_write(user):
        raise PermissionDenied
    form = ImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data: str | bytes = upload.read() if upload is not None else form.cleaned_data["text"]
        try:
            result = vulns.vulnerability_import(
                actor=user, data=data, format=form.cleaned_data["format"]
            )
        except DomainError as error:
            show_errors(form, error)
    return render(request, "systems/vulns/import.html", {"form": form, "result": result})


def _filtered(user: User, form: FindingFilters) -> QuerySet[Finding]:
    rows = findings_selectors.visible_findings(user)
    if not form.is_valid():
        return rows
    data = form.cleaned_data
    if data["status"]:
        rows = rows.filter(status=data["status"])
    if data["severity"]:
        rows = rows.filter(vulnerability__severity=data["severity"])
    if data["overdue"]:
        today = clock.local(clock.now()).date()
        rows = rows.filter(status__in=findings_selectors.ACTIVE, due_date__lt=today)
    if data["system"]:
        rows = rows.filter(system_id=data["system"])
    return rows


@login_required
def finding_list(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    form = FindingFilters(request.GET or None)
    system_field = form.fields["system"]
    assert isinstance(system_field, forms.TypedChoiceField)  # noqa: S101 - declared above
    system_field.choices = [("", "—"), *visible_systems(user).values_list("pk", "name")]
    rows = _filtered(user, form).select_related("system__organisation", "vulnerability")
    page = Paginator(rows.order_by("due_date", "id"), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "today": clock.local(clock.now()).date()}
    return render(request, "systems/vulns/findings.html", context)


@login_required
def finding_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    try:
        finding = findings_selectors.finding_for(user, pk)
    except NotFound as error:
        raise Http404 from error
    rows = (
        SystemEvent.objects.filter(system=finding.system, data__finding=finding.pk)
        .select_related("actor")
        .order_by("at", "id")
    )
    events = [(event, EVENTS.get(event.action, event.action)) for event in rows]
    context = {
        "finding": finding,
        "events": events,
        "overdue": finding_actions.is_overdue(finding),
    }
    return render(request, "systems/vulns/finding.html", context)


urlpatterns = [
    path("systems/vulnerabilities/", vulnerability_list, name="systems-vulnerabilities"),
    path("systems/vulnerabilities/new/", vulnerability_edit, name="systems-vulnerability-new"),
    path(
        "systems/vulnerabilities/import/",
        vulnerability_import,
        name="systems-vulnerability-import",
    ),
    path(
        "systems/vulnerabilities/<int:pk>/",
        vulnerability_detail,
        name="systems-vulnerability",
    ),
    path(
        "systems/vulnerabilities/<int:pk>/edit/",
        vulnerability_edit,
        name="systems-vulnerability-edit",
    ),
    path("systems/findings/", finding_list, name="systems-findings"),
    path("systems/findings/<int:pk>/", finding_detail, name="systems-finding"),
]

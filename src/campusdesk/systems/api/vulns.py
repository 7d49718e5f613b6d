"""/api/v1/vulnerabilities/ and /api/v1/findings/: the register and what it found.

Thin views over ``systems.vulns`` (writes) and ``systems.findings_selectors`` (who sees
what): the vendor's staff read and write every entry; a customer reads the entries found
on their organisation's systems and those findings only (another organisation's: 404).
A created or edited entry answers with ``affected_systems``: the ids of the systems the
caller sees whose version lies in the range or cannot be compared with it. A finding's
actions are the declared ``ObjectAction``s at ``/api/v1/findings/{id}/<name>/``.
"""

from __future__ import annotations

import json
from typing import Any

from django.db.models import Q, QuerySet
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.plumbing import build_array_type
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from campusdesk.accounts.models import User
from campusdesk.core import clock
from campusdesk.core.api import path_id, query_int, query_text
from campusdesk.core.errors import ValidationError
from campusdesk.core.http import current_user
from campusdesk.systems import actions, findings_selectors, vulns
from campusdesk.systems.finding_actions import FindingSerializer
from campusdesk.systems.models import Finding, Severity, Vulnerability


class VulnerabilitySerializer(serializers.ModelSerializer[Vulnerability]):
    class Meta:
        model = Vulnerability
        fields = [
            "id",
            "identifier",
            "title",
            "description",
            "cvss_score",
            "severity",
            "component",
            "affected",
            "fixed_version",
            "references",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class VulnerabilityResult(VulnerabilitySerializer):
    affected_systems = serializers.ListField(
        child=serializers.IntegerField(),
        read_only=True,
        help_text="Systems you see whose version is in the range or cannot be compared.",
    )

    class Meta(VulnerabilitySerializer.Meta):
        fields = [*VulnerabilitySerializer.Meta.fields, "affected_systems"]
        read_only_fields = fields


class VulnerabilityInput(serializers.Serializer[Any]):
    """Checked in depth by the service (the range against the component's version scheme,
    the score's range, the references' addresses); here only the shapes."""

    identifier = serializers.CharField(max_length=64)
    title = serializers.CharField(max_length=300)
    description = serializers.CharField(required=False, allow_blank=True, max_length=20000)
    cvss_score = serializers.DecimalField(max_digits=4, decimal_places=2, help_text="0.1–10.0")
    component = serializers.CharField(max_length=200)
    affected = serializers.CharField(max_length=300, help_text="Such as <1.25.4 or >=2.0,<2.4.1")
    fixed_version = serializers.CharField(required=False, allow_blank=True, max_length=100)
    references = serializers.ListField(
        child=serializers.CharField(max_length=500), required=False, max_length=20
    )


class ImportInput(serializers.Serializer[Any]):
    format = serializers.ChoiceField(choices=["csv", "json"], required=False)
    file = serializers.FileField(required=False)


ImportOutput = inline_serializer(
    "VulnerabilityImportResult",
    {
        "created": serializers.IntegerField(),
        "updated": serializers.IntegerField(),
        "unchanged": serializers.IntegerField(),
        "errors": serializers.ListField(child=serializers.DictField()),
    },
)


def _valid(request: Request, partial: bool = False) -> dict[str, Any]:
    serializer = VulnerabilityInput(data=request.data, partial=partial)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _result(vulnerability: Vulnerability, user: User) -> dict[str, Any]:
    data = dict(VulnerabilitySerializer(vulnerability).data)
    data["affected_systems"] = findings_selectors.affected_systems(vulnerability, user)
    return data


class VulnerabilitiesView(APIView):
    """The register (漏洞): the vendor's staff write entries; a customer reads those found on
    their own organisation's systems."""

    @extend_schema(
        operation_id="vulnerabilities_list",
        parameters=[
            OpenApiParameter("search", str, description="In the identifier, title, component."),
            OpenApiParameter("severity", str, enum=Severity.values),
            OpenApiParameter("component", str),
        ],
        responses=VulnerabilitySerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        entries = findings_selectors.visible_vulnerabilities(current_user(request))
        params = request.query_params
        if search := query_text(params.get("search"), 100).strip():
            entries = entries.filter(
                Q(identifier__icontains=search)
                | Q(title__icontains=search)
                | Q(component__icontains=search)
            )
        if severity := params.get("severity"):
            if severity not in Severity.values:
                raise ValidationError(
                    _("Choose the severity: critical, high, medium or low."),
                    fields={"severity": [_("Choose critical, high, medium or low.")]},
                )
            entries = entries.filter(severity=severity)
        if component := query_text(params.get("component"), 200).strip():
            entries = entries.filter(component__iexact=component)
        pages = PageNumberPagination()
        page = pages.paginate_queryset(entries.order_by("-cvss_score", "identifier"), request)
        return pages.get_paginated_response(VulnerabilitySerializer(page, many=True).data)

    @extend_schema(
        operation_id="vulnerabilities_create",
        request=VulnerabilityInput,
        responses={201: VulnerabilityResult},
    )
    def post(self, request: Request) -> Response:
        user = current_user(request)
        vulnerability = vulns.vulnerability_create(actor=user, **_valid(request))
        return Response(_result(vulnerability, user), status=status.HTTP_201_CREATED)


class VulnerabilityView(APIView):
    @extend_schema(operation_id="vulnerabilities_retrieve", responses=VulnerabilityResult)
    def get(self, request: Request, pk: Any) -> Response:
        user = current_user(request)
        vulnerability = findings_selectors.vulnerability_for(user, path_id(pk))
        return Response(_result(vulnerability, user))

    @extend_schema(
        operation_id="vulnerabilities_update",
        request=VulnerabilityInput,
        responses=VulnerabilityResult,
    )
    def put(self, request: Request, pk: Any) -> Response:
        return self._update(request, pk, partial=False)

    @extend_schema(
        operation_id="vulnerabilities_partial_update",
        request=VulnerabilityInput,
        responses=VulnerabilityResult,
    )
    def patch(self, request: Request, pk: Any) -> Response:
        return self._update(request, pk, partial=True)

    def _update(self, request: Request, pk: Any, *, partial: bool) -> Response:
        user = current_user(request)
        vulnerability = findings_selectors.vulnerability_for(user, path_id(pk))
        updated = vulns.vulnerability_update(
            vulnerability_id=vulnerability.pk, actor=user, **_valid(request, partial)
        )
        return Response(_result(updated, user))


class VulnerabilityImportView(APIView):
    """Create or update entries from a CSV file (``format=csv``, multipart ``file``) or a
    JSON list of advisories (the body itself). Bad rows are skipped and listed by line."""

    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(
        operation_id="vulnerabilities_import",
        request={
            "multipart/form-data": ImportInput,
            "application/json": build_array_type({"type": "object"}),
        },
        responses={200: ImportOutput},
    )
    def post(self, request: Request) -> Response:
        user = current_user(request)
        if isinstance(request.data, list):
            data: str | bytes = json.dumps(request.data)
            kind = "json"
        else:
            serializer = ImportInput(data=request.data)
            serializer.is_valid(raise_exception=True)
            upload = serializer.validated_data.get("file")
            if upload is None:
                raise ValidationError(
                    _("Send a CSV or JSON file, or a JSON list of advisories."),
                    fields={"file": [_("This field is required.")]},
                )
            data = upload.read()
            kind = serializer.validated_data.get("format") or _kind_of(upload.name or "")
        result = vulns.vulnerability_import(actor=user, data=data, format=kind)
        body = {
            "created": result.created,
            "updated": result.updated,
            "unchanged": result.unchanged,
            "errors": result.errors,
        }
        return Response(body)


def _kind_of(name: str) -> str:
    return "json" if name.lower().endswith(".json") else "csv"


FINDING_FILTERS = [
    OpenApiParameter("system", int),
    OpenApiParameter("vulnerability", int),
    OpenApiParameter("status", str, enum=Finding.Status.values),
    OpenApiParameter("severity", str, enum=Severity.values),
    OpenApiParameter(
        "overdue", bool, description="true: past the due date and still open, unverified or fixing."
    ),
]


def _findings(user: User, params: Any) -> QuerySet[Finding]:
    rows = findings_selectors.visible_findings(user)
    for name in ("system", "vulnerability"):
        if name in params:
            rows = rows.filter(**{f"{name}_id": query_int(params.get(name)) or 0})
    for name, field, choices in (
        ("status", "status", Finding.Status.values),
        ("severity", "vulnerability__severity", Severity.values),
    ):
        value = params.get(name)
        if value and value not in choices:
            raise ValidationError(
                _("Choose one of: %(choices)s.") % {"choices": ", ".join(choices)},
                fields={name: [_("Choose one of: %(choices)s.") % {"choices": ", ".join(choices)}]},
            )
        if value:
            rows = rows.filter(**{field: value})
    overdue = (params.get("overdue") or "").lower()
    if overdue in ("true", "1"):
        today = clock.local(clock.now()).date()
        rows = rows.filter(status__in=findings_selectors.ACTIVE, due_date__lt=today)
    elif overdue in ("false", "0"):
        today = clock.local(clock.now()).date()
        rows = rows.exclude(status__in=findings_selectors.ACTIVE, due_date__lt=today)
    elif overdue:
        raise ValidationError(
            _("Give overdue as true or false."), fields={"overdue": [_("true or false.")]}
        )
    return rows


class FindingsView(APIView):
    """Findings (one per system and vulnerability) of the systems you see."""

    @extend_schema(
        operation_id="findings_list",
        parameters=FINDING_FILTERS,
        responses=FindingSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        rows = _findings(current_user(request), request.query_params)
        rows = rows.select_related("system", "vulnerability").order_by("due_date", "id")
        pages = PageNumberPagination()
        page = pages.paginate_queryset(rows, request)
        return pages.get_paginated_response(FindingSerializer(page, many=True).data)


class FindingView(APIView):
    @extend_schema(operation_id="findings_retrieve", responses=FindingSerializer)
    def get(self, request: Request, pk: Any) -> Response:
        finding = findings_selectors.finding_for(current_user(request), path_id(pk))
        return Response(FindingSerializer(finding).data)


urlpatterns = [
    path("vulnerabilities/", VulnerabilitiesView.as_view(), name="api-vulnerabilities"),
    path(
        "vulnerabilities/import/",
        VulnerabilityImportView.as_view(),
        name="api-vulnerabilities-import",
    ),
    path("vulnerabilities/<int:pk>/", VulnerabilityView.as_view(), name="api-vulnerability"),
    path("findings/", FindingsView.as_view(), name="api-findings"),
    path("findings/<int:pk>/", FindingView.as_view(), name="api-finding"),
    *(
        path(
            f"findings/<int:pk>/{name}/", actions.endpoint("finding", name), name=f"finding-{name}"
        )
        for name in actions.ACTIONS["finding"]
    ),
]

"""/api/v1/reports/: the service report (JSON, xlsx, PDF) and the KPIs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.http import QueryDict
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from campusdesk.core import clock
from campusdesk.core.errors import PermissionDenied, ValidationError
from campusdesk.core.http import current_user
from campusdesk.reports import exports, forms, kpi, scores, selectors
from campusdesk.reports import report as reports


class _FileRenderer(BaseRenderer):
    """Passes the bytes the view made; chosen by ``?format=``."""

    charset = None
    render_style = "binary"

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> Any:
        return data


class XlsxRenderer(_FileRenderer):
    media_type = exports.XLSX_TYPE
    format = "xlsx"


class PdfRenderer(_FileRenderer):
    media_type = "application/pdf"
    format = "pdf"


def _int(params: QueryDict, name: str) -> int | None:
    raw = params.get(name, "").strip()
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 12:
        raise ValidationError(fields={name: ["A whole number."]})
    return int(raw)


REPORT_PARAMS = [
    OpenApiParameter("project", int, description="Project id (or organisation)."),
    OpenApiParameter("organisation", int, description="Organisation id: all its projects."),
    OpenApiParameter("period", str, description="2026-11 (month) or 2026-Q4 (quarter)."),
    OpenApiParameter("from", OpenApiTypes.DATE, description="Custom period: first day."),
    OpenApiParameter("to", OpenApiTypes.DATE, description="Custom period: last day."),
    OpenApiParameter("format", str, enum=["json", "xlsx", "pdf"]),
]


class ServiceReportView(APIView):
    """The service report (服务情况报表) of a customer's project for a period."""

    renderer_classes = [JSONRenderer, XlsxRenderer, PdfRenderer]

    @extend_schema(
        parameters=REPORT_PARAMS,
        responses={
            (200, "application/json"): OpenApiTypes.OBJECT,
            (200, exports.XLSX_TYPE): OpenApiResponse(OpenApiTypes.BINARY),
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY),
        },
    )
    def get(self, request: Request) -> Response:
        user = current_user(request)
        params = request.query_params
        period = forms.period_from(params)
        scope = reports.scope_for(
            user, project_id=_int(params, "project"), organisation_id=_int(params, "organisation")
        )
        data = reports.as_dict(reports.build(scope, period, clock.now()))
        kind = getattr(request.accepted_renderer, "format", "json")
        if kind == "xlsx":
            rows = list(reports.all_requests(scope, period).values(*exports.REQUEST_FIELDS))
            return _download(exports.xlsx(data, rows), exports.XLSX_TYPE, data, "xlsx")
        if kind == "pdf":
            return _download(exports.pdf(data), "application/pdf", data, "pdf")
        return Response(data)


def _download(body: bytes, content_type: str, data: dict[str, Any], extension: str) -> Response:
    response = Response(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{exports.filename(data, extension)}"'
    return response


#: ``?by=``: rows per person or per team (line); the row's key has the same name
ROWS_BY = ("person", "team")


class KpiView(APIView):
    """KPIs of the tickets the filters select (vendor staff); with ``?by=person`` or
    ``?by=team`` one row per person (team: line) who handled problems in the period, each
    equal to the KPIs filtered to that person (``?person=``) or line (``?tier=``)."""

    @extend_schema(
        parameters=[
            OpenApiParameter("from", OpenApiTypes.DATE),
            OpenApiParameter("to", OpenApiTypes.DATE),
            OpenApiParameter("period", str),
            *[OpenApiParameter(n, int) for n in forms.ID_FILTERS],
            OpenApiParameter("severity", str, enum=["SIS1", "SIS2", "SIS3"]),
            OpenApiParameter(
                "by",
                str,
                enum=list(ROWS_BY),
                description='Rows per person or per team (line): {"rows": [{"person": id, '
                '"name": …, and the keys of the filtered KPIs}]}.',
            ),
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request) -> Response:
        user = current_user(request)
        if not user.is_vendor_staff:
            raise PermissionDenied()
        now = clock.now()
        filters = forms.kpi_filters(request.query_params, now)
        by = request.query_params.get("by", "").strip()
        if not by:
            return Response(reports.kpi_dict(kpi.compute(kpi.tickets(user, filters), filters, now)))
        if by not in ROWS_BY:
            raise ValidationError(fields={"by": [_("Choose person or team.")]})
        rows = selectors.handler_rows(user, filters, by, now)
        return Response(
            {
                "rows": [
                    {by: row["key"], "name": row["name"], **reports.kpi_dict(row["k"])}
                    for row in rows
                ]
            }
        )


class ScoresView(APIView):
    """Performance scores (绩效评分) of a period, per person and per team (line): each row the
    KPI row of ``/api/v1/reports/kpi/?by=person`` (``by=team``) of the same period with its
    ``score``, ``rank`` and ``points``; ``?format=xlsx`` answers the workbook."""

    renderer_classes = [JSONRenderer, XlsxRenderer]

    @extend_schema(
        parameters=[
            OpenApiParameter("period", str, description="2026-11 (month) or 2026-Q4 (quarter)."),
            OpenApiParameter("from", OpenApiTypes.DATE, description="Custom period: first day."),
            OpenApiParameter("to", OpenApiTypes.DATE, description="Custom period: last day."),
            OpenApiParameter("format", str, enum=["json", "xlsx"]),
        ],
        responses={
            (200, "application/json"): OpenApiResponse(
                OpenApiTypes.OBJECT,
                description='{"period": {"key", "from", "to"}, "weights": {…}, "rows": '
                '[{"person": id, "name": …, "score": 87.5, "rank": 1, "points": {…}, '
                '"retrospectives": n, "tickets": {…}, and the keys of the KPI row}], '
                '"teams": [{"team": tier, …}]}',
            ),
            (200, exports.XLSX_TYPE): OpenApiResponse(OpenApiTypes.BINARY),
        },
    )
    def get(self, request: Request) -> Response:
        user = current_user(request)
        if not scores.may_read(user):
            raise PermissionDenied()
        now = clock.now()
        period = forms.period_or_current(request.query_params, now)
        data = scores.as_dict(scores.build(user, period, now))
        if getattr(request.accepted_renderer, "format", "json") == "xlsx":
            response = Response(scores.xlsx(data), content_type=exports.XLSX_TYPE)
            response["Content-Disposition"] = f'attachment; filename="{scores.filename(data)}"'
            return response
        return Response(data)

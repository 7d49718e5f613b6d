"""File downloads of a ticket, for the pages and the API alike (scope already checked)."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase

from campusdesk.core.http import sandboxed_download
from campusdesk.tickets import exports
from campusdesk.tickets.models import Attachment, IncidentReport, Ticket

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def incident_document(ticket: Ticket, report: IncidentReport) -> exports.IncidentReportDocument:
    return exports.IncidentReportDocument(
        ticket_number=ticket.number,
        ticket_title=ticket.title,
        organisation=ticket.project.organisation.name,
        project=ticket.project.name,
        product=ticket.product.name,
        severity=ticket.severity,
        registered_at=ticket.created_at,
        closed_at=ticket.closed_at,
        what_happened=report.what_happened,
        cause=report.cause,
        solution=report.solution,
        responsible_person=report.responsible_person,
        improvements=report.improvements,
        author=str(report.updated_by),
        updated_at=report.updated_at,
    )


def incident_report(ticket: Ticket, kind: str) -> HttpResponse:
    """The incident analysis report as .docx or PDF."""
    report = IncidentReport.objects.select_related("updated_by").filter(ticket=ticket).first()
    if report is None:
        raise Http404
    document = incident_document(ticket, report)
    if kind == "docx":
        response = HttpResponse(exports.incident_report_docx(document), content_type=DOCX)
    else:
        response = HttpResponse(
            exports.incident_report_pdf(document), content_type="application/pdf"
        )
    filename = exports.incident_report_filename(document, kind)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def attachment(ticket: Ticket, attachment_id: int) -> HttpResponseBase:
    """An attachment, always as a download (never rendered inline by the browser)."""
    found = Attachment.objects.filter(ticket=ticket, pk=attachment_id).first()
    if found is None:
        raise Http404
    return sandboxed_download(found.file, found.name, found.content_type)

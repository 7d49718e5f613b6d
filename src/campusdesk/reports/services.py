"""Sending the monthly service reports (seed §7.3: 定期服务情况报表).

On the first of each month the task sends, per active project, last month's report
(xlsx and PDF attached) to the project's service manager and the customer's users.
One project is one unit: ``report_send(project_id=…, period=…)`` claims a delivery
row (unique per project and month), so a rerun or a second worker never sends twice;
a failed send leaves the row unsent and the next run tries again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext as _

from campusdesk.accounts.models import User
from campusdesk.accounts.roles import Role
from campusdesk.catalog.models import Project
from campusdesk.core import clock
from campusdesk.core.text import one_line
from campusdesk.notify.channels.email.message import footer
from campusdesk.reports import exports, periods
from campusdesk.reports import report as reports
from campusdesk.reports.models import ReportDelivery


def recipients(project: Project) -> list[str]:
    """The service manager and the customer's active users with an address."""
    people = list(
        User.objects.filter(
            organisation_id=project.organisation_id, role=Role.CUSTOMER, is_active=True
        ).exclude(email="")
    )
    manager = project.service_manager
    if manager is not None and manager.is_active and manager.email:
        people.insert(0, manager)
    return list(dict.fromkeys(person.email for person in people))


def _claim(project: Project, period: str, now: datetime) -> ReportDelivery | None:
    try:
        with transaction.atomic():
            delivery, _created = ReportDelivery.objects.get_or_create(
                project=project, period=period, defaults={"created_at": now}
            )
    except IntegrityError:  # another worker created it a moment ago
        return None
    return None if delivery.sent_at is not None else delivery


def report_send(*, project_id: int, period: str, now: datetime | None = None) -> bool:
    """Send ``project``'s report of ``period`` once; whether it was sent now."""
    now = now or clock.now()
    project = Project.objects.select_related("organisation", "service_manager").get(pk=project_id)
    delivery = _claim(project, period, now)
    to = recipients(project)
    if delivery is None or not to:
        return False
    with translation.override(settings.LANGUAGE_CODE):
        scope = reports.Scope(project.organisation, project)
        chosen = periods.parse(period)
        data = reports.as_dict(reports.build(scope, chosen, now))
        rows = list(reports.all_requests(scope, chosen).values(*exports.REQUEST_FIELDS))
        message = EmailMessage(
            subject=one_line(exports.title(data)),  # names stored before they were checked
            body=_body(data) + footer(project_id=project.pk, now=now)["text"],  # seed §5
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=to,
            headers={"Auto-Submitted": "auto-generated"},
        )
        message.attach(exports.filename(data, "xlsx"), exports.xlsx(data, rows), exports.XLSX_TYPE)
        message.attach(exports.filename(data, "pdf"), exports.pdf(data), "application/pdf")
    message.send()
    ReportDelivery.objects.filter(pk=delivery.pk).update(sent_at=clock.now(), recipients=to)
    return True


def _body(data: dict[str, Any]) -> str:
    summary = [f"{label}: {'—' if v is None else v}" for label, v in exports.summary_rows(data)]
    link = (
        f"{settings.SITE_URL}/reports/service/?project={data['project']['id']}"
        f"&period={data['period']['key']}"
    )
    attached = _("The workbook and the PDF are attached.")
    return "\n".join([exports.title(data), "", *summary, "", attached, link])


def monthly_reports_send(*, now: datetime | None = None) -> int:
    """Last month's report of every active project; how many were sent."""
    now = now or clock.now()
    period = periods.previous_month(now).key
    projects = Project.objects.filter(is_active=True).order_by("pk").values_list("pk", flat=True)
    return sum(report_send(project_id=pk, period=period, now=now) for pk in projects)

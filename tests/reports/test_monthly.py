"""The monthly sending: last month's report to the manager and the customer, once."""

from __future__ import annotations

from datetime import UTC, datetime

import time_machine

from campusdesk.reports import services
from campusdesk.reports.models import ReportDelivery
from tests.notify.conftest import SmtpServer, smtp_server  # noqa: F401 - the fixture
from tests.reports.conftest import Month

FIRST_OF_DECEMBER = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)


def test_sent_once_with_both_files(month: Month, smtp_server: SmtpServer) -> None:  # noqa: F811
    with time_machine.travel(FIRST_OF_DECEMBER, tick=False):
        sent = services.monthly_reports_send()
        again = services.monthly_reports_send()
    assert sent == 2 and again == 0  # both demo projects, and nothing the second time
    mails = {
        tuple(sorted(e.rcpt_tos)): m
        for e, m in zip(smtp_server.envelopes, smtp_server.messages, strict=True)
    }
    ours = mails[("manager@vendor.example", "user@xjnu.example")]
    names = sorted(part.get_filename() for part in ours.iter_attachments())
    pk = month.project.pk
    assert names == [f"service-report-{pk}-2026-11.pdf", f"service-report-{pk}-2026-11.xlsx"]
    assert "2026-11" in str(ours["Subject"])
    delivery = ReportDelivery.objects.get(project=month.project, period="2026-11")
    assert delivery.sent_at is not None
    assert ("user2@univ2.example",) in mails  # the other customer gets their own only


def test_mail_server_down_is_retried(month: Month, smtp_server: SmtpServer) -> None:  # noqa: F811
    smtp_server.stop()
    with time_machine.travel(FIRST_OF_DECEMBER, tick=False):
        try:
            services.report_send(project_id=month.project.pk, period="2026-11")
        except OSError:
            pass
        else:
            raise AssertionError("the send should have failed")
        assert ReportDelivery.objects.get(project=month.project).sent_at is None
        smtp_server.start()
        assert services.report_send(project_id=month.project.pk, period="2026-11")
    assert len(smtp_server.messages) == 1

"""Every e-mail ends with whom to call (seed §5): the service hotline, the service e-mail and,
for an e-mail about one contract, its engineer on duty when it leaves; in the reader's
language, in the text part and the HTML part, once in a digest."""

from __future__ import annotations

from datetime import date, datetime, time

import time_machine
from django.utils import timezone

from campusdesk.accounts.models import User
from campusdesk.duty.models import Shift
from campusdesk.notify import inbox
from campusdesk.notify import outbox as services
from campusdesk.notify.models import Delivery, Kind, QuietHours
from tests.tickets.conftest import new_ticket

BEIJING = timezone.get_fixed_timezone(8 * 60)
NIGHT = datetime.combine(date(2026, 1, 6), time(23), BEIJING)  # a Tuesday, 23:00


def on_duty(person: User, *projects) -> Shift:
    person.phone = "13899110001"
    person.save(update_fields=["phone"])
    created = Shift.objects.create(
        user=person,
        starts_at=datetime.combine(date(2026, 1, 6), time(17), BEIJING),
        ends_at=datetime.combine(date(2026, 1, 7), time(9), BEIJING),
        created_at=NIGHT,
    )
    created.projects.set(projects)
    return created


def sent_to(smtp_server, person: User) -> tuple[str, str]:
    """The text and HTML parts of the one e-mail ``person`` got (HTML empty if none)."""
    [mail] = [m for m in smtp_server.messages if m["To"] == person.email]
    html = mail.get_body(("html",))
    return mail.get_body(("plain",)).get_content(), html.get_content() if html else ""


def test_a_ticket_e_mail_names_the_hotline_the_e_mail_and_the_engineer_on_duty(
    smtp_server, people, project, customer
):
    expert = people["expert2"]
    on_duty(expert, project)
    with time_machine.travel(NIGHT, tick=False):
        new_ticket(project, customer, title="论文系统登录报错")
        delivery = Delivery.objects.get(recipient=people["engineer"], channel="email")
        assert services.deliver(delivery.pk) == "sent"
    text, html = sent_to(smtp_server, people["engineer"])
    assert text.index("/tickets/") < text.index("-- ")  # the message itself comes first
    foot = text[text.index("-- ") :]
    assert "服务热线" in foot and "400-000-0000" in foot and "service@campusdesk.invalid" in foot
    assert f"值班工程师: {expert} 13899110001" in foot
    assert 'href="tel:400-000-0000"' in html and 'href="mailto:service@campusdesk.invalid"' in html
    assert str(expert) in html and 'href="tel:13899110001"' in html


def test_the_footer_speaks_the_reader_s_language_and_names_whoever_is_on_duty_on_sending(
    smtp_server, people, project, customer
):
    User.objects.filter(pk=people["engineer"].pk).update(preferred_language="en")
    with time_machine.travel(datetime.combine(date(2026, 1, 6), time(16), BEIJING), tick=False):
        new_ticket(project, customer)  # before the night shift: sent later, at night
    on_duty(people["expert2"], project)
    with time_machine.travel(NIGHT, tick=False):
        delivery = Delivery.objects.get(recipient=people["engineer"], channel="email")
        assert services.deliver(delivery.pk) == "sent"
    text, _html = sent_to(smtp_server, people["engineer"])
    assert "Service hotline: 400-000-0000" in text
    assert f"Engineer on duty: {people['expert2']}" in text


def test_another_contract_s_engineer_on_duty_is_not_named(
    smtp_server, people, project, other_project, customer
):
    on_duty(people["expert2"], other_project)
    with time_machine.travel(NIGHT, tick=False):
        new_ticket(project, customer)
        delivery = Delivery.objects.get(recipient=people["engineer"], channel="email")
        services.deliver(delivery.pk)
    text, _html = sent_to(smtp_server, people["engineer"])
    assert "400-000-0000" in text and str(people["expert2"]) not in text


def test_a_message_told_outside_a_ticket_carries_the_footer(smtp_server, people, project):
    on_duty(people["expert2"], project)
    manager = people["manager"]
    with time_machine.travel(NIGHT, tick=False):
        inbox.tell(manager, Kind.DUTY, "值班表有空档", "请安排值班", "/duty/", NIGHT, urgent=True)
        inbox.tell(
            manager,
            Kind.CONTRACT,
            "服务时长",
            "已用 80%",
            "/projects/",
            NIGHT,
            project_id=project.pk,
        )
        services.deliver_due()
    first, second = sorted(
        (m.get_content() for m in smtp_server.messages), key=lambda t: "已用" in t
    )
    assert "请安排值班" in first and "400-000-0000" in first
    assert str(people["expert2"]) not in first  # about no contract: no engineer on duty
    assert "已用 80%" in second and f"{people['expert2']} 13899110001" in second


def test_a_digest_carries_the_footer_once(smtp_server, people, project, customer):
    QuietHours.objects.create(user=people["engineer"], digest=True)
    on_duty(people["expert2"], project)
    with time_machine.travel("2026-01-06 10:00 +0800", tick=False):
        new_ticket(project, customer, title="上午的问题")
        new_ticket(project, customer, title="下午的问题")
    with time_machine.travel("2026-01-07 08:00 +0800", tick=False):
        services.deliver_due()
    [mail] = smtp_server.messages
    text = mail.get_body(("plain",)).get_content()
    assert "上午的问题" in text and "下午的问题" in text
    assert text.count("400-000-0000") == 1 and str(people["expert2"]) in text


def test_the_settings_choose_the_words_and_empty_ones_leave_the_e_mail_as_it_was(
    smtp_server, people, project, customer, settings
):
    settings.SERVICE_HOTLINE = "010-12345678"
    settings.SERVICE_EMAIL = "help@desk.example.edu"
    with time_machine.travel("2026-01-06 10:00 +0800", tick=False):  # by day: nobody on duty
        new_ticket(project, customer, title="第一")
        services.deliver_due()
    text, html = sent_to(smtp_server, people["engineer"])
    assert "010-12345678" in text and "help@desk.example.edu" in html
    assert "400-000-0000" not in text + html
    smtp_server.clear()
    settings.SERVICE_HOTLINE = settings.SERVICE_EMAIL = ""
    with time_machine.travel("2026-01-06 10:00 +0800", tick=False):
        new_ticket(project, customer, title="第二")
        services.deliver_due()
    text, html = sent_to(smtp_server, people["engineer"])
    assert "-- " not in text and "<hr>" not in html


def test_the_monthly_service_report_carries_the_footer(smtp_server, people, project):
    from campusdesk.reports.services import report_send

    on_duty(people["expert2"], project)
    with time_machine.travel(NIGHT, tick=False):
        assert report_send(project_id=project.pk, period="2025-12")
    [mail] = smtp_server.messages
    text = mail.get_body(("plain",)).get_content()
    assert "400-000-0000" in text and f"{people['expert2']} 13899110001" in text

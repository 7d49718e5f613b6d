"""Alert triage (告警分诊): line 1 and above take, dismiss, merge and raise monitoring alerts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from campusdesk.accounts.models import User
from campusdesk.catalog.models import Project
from campusdesk.core.errors import PermissionDenied, TransitionError
from campusdesk.intake import services, triage
from campusdesk.intake.models import Alert, AlertSource, MaintenanceWindow
from campusdesk.site.navigation import items_for
from campusdesk.tickets import services as ticket_services
from campusdesk.tickets.models import Ticket, TicketEvent
from tests.helpers import api_client_for, web_client_for
from tests.tickets.conftest import new_ticket

PAGE = "/intake/alerts/"
API = "/api/v1/alerts"
HTMX = {"HX-Request": "true", "HX-Target": "alert"}


def _source(people: dict[str, User], project: Project, name: str = "Prometheus") -> AlertSource:
    source, _token, _secret = services.alert_source_create(
        actor=people["admin"], name=name, project_id=project.pk
    )
    return source


def _alert(source: AlertSource, key: str = "web01", *, silenced: bool = False) -> Alert:
    if silenced:
        now = timezone.now()
        MaintenanceWindow.objects.get_or_create(
            source=source,
            starts_at=now - timedelta(minutes=5),
            ends_at=now + timedelta(hours=1),
        )
    labels = {"alertname": "InstanceDown", "instance": f"gms-{key}:8080", "severity": "critical"}
    incoming = services.Incoming(f"fp-{key}", True, labels, {"summary": f"研究生系统 {key} 不可用"})
    return services.alert_receive(source=source, alert=incoming)


@pytest.fixture
def alert(people: dict[str, User], project: Project) -> Alert:
    return _alert(_source(people, project))


def _zh(msgid: str) -> str:
    with translation.override("zh-hans"):
        return str(translation.gettext(msgid))


def _notes(ticket_id: int | None) -> list[TicketEvent]:
    return list(TicketEvent.objects.filter(ticket_id=ticket_id, action="record").order_by("id"))


# --- the page ---------------------------------------------------------------------------------
def test_a_line1_engineer_lists_and_acknowledges_on_the_page(people, alert):
    client = web_client_for(people["engineer"])
    page = client.get(PAGE)
    assert page.status_code == 200
    html = page.content.decode()
    assert f'id="alert-{alert.pk}"' in html and "研究生系统 web01 不可用" in html
    assert "alertname=InstanceDown" in html and alert.ticket.number in html
    assert 'id="untriaged-count" ' in html
    answer = client.post(f"{PAGE}{alert.pk}/acknowledge/", headers=HTMX)
    assert answer.status_code == 200
    assert answer.content.decode().startswith(f'<tr id="alert-{alert.pk}">')
    alert.refresh_from_db()
    assert (alert.triage, alert.triaged_by) == (Alert.Triage.ACKNOWLEDGED, people["engineer"])
    assert alert.triaged_at is not None
    [note] = _notes(alert.ticket_id)
    assert note.internal and note.actor == people["engineer"] and note.channel == "web"
    assert "研究生系统 web01 不可用 [gms-web01:8080]" in note.data["body"]


def test_plain_forms_redirect_back_with_a_message(people, alert):
    client = web_client_for(people["agent"])
    back = f"{PAGE}?state=firing"
    answer = client.post(f"{PAGE}{alert.pk}/false-alarm/", {"reason": "演练", "next": back})
    assert answer.status_code == 302 and answer["Location"] == back
    alert.refresh_from_db()
    assert alert.triage == Alert.Triage.FALSE_ALARM and alert.triage_note == "演练"
    elsewhere = client.post(f"{PAGE}{alert.pk}/link/", {"next": "https://evil.example/"})
    assert elsewhere["Location"] == PAGE


def test_filters_by_state_triage_and_source(people, project, alert):
    quiet = _alert(_source(people, project, "Zabbix"), "db01", silenced=True)
    client = web_client_for(people["ops"])
    silenced = client.get(f"{PAGE}?state=silenced").content.decode()
    assert f'id="alert-{quiet.pk}"' in silenced and f'id="alert-{alert.pk}"' not in silenced
    by_source = client.get(f"{PAGE}?source={alert.source_id}").content.decode()
    assert f'id="alert-{alert.pk}"' in by_source and f'id="alert-{quiet.pk}"' not in by_source
    assert 'id="alert-list"' not in client.get(f"{PAGE}?triage=acknowledged").content.decode()
    assert triage.untriaged_firing(people["ops"]) == 1  # the silenced one is not firing


def test_the_page_query_count_does_not_grow_with_rows(people, project):
    source = _source(people, project)
    for n in range(3):
        _alert(source, f"a{n}")
    client = web_client_for(people["engineer"])

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(PAGE).status_code == 200
        return len(queries)

    few = count()
    for n in range(3, 15):
        made = _alert(source, f"a{n}", silenced=n % 2 == 0)
        if n % 3 == 0:
            triage.alert_acknowledge(alert_id=made.pk, actor=people["agent"])
    many = count()
    assert many <= few, (few, many)
    # session, user, unread messages, the page's count and rows, the sources, the badge
    assert many <= 7, many


# --- who may ------------------------------------------------------------------------------
def test_customers_are_refused(people, alert):
    customer = people["user"]
    assert web_client_for(customer).get(PAGE).status_code == 403
    assert web_client_for(customer).post(f"{PAGE}{alert.pk}/acknowledge/").status_code == 403
    api = api_client_for(customer)
    assert api.get(f"{API}/triage/").status_code == 403
    assert api.post(f"{API}/{alert.pk}/acknowledge/").status_code == 403
    assert api.post(f"{API}/{alert.pk}/raise/").status_code == 403
    alert.refresh_from_db()
    assert alert.triage == Alert.Triage.UNTRIAGED and alert.triaged_by is None
    assert "intake:alert_list" not in {item.url_name for item in items_for(customer)}
    for login in ("engineer", "agent", "ops", "admin", "expert2"):
        assert "intake:alert_list" in {item.url_name for item in items_for(people[login])}


def test_staff_see_and_act_only_on_their_projects_alerts(people, alert):
    other = people["engineer2"]  # line 1 of the other university's project
    assert api_client_for(other).get(f"{API}/triage/").json()["count"] == 0
    assert api_client_for(other).post(f"{API}/{alert.pk}/acknowledge/").status_code == 404
    assert web_client_for(other).post(f"{PAGE}{alert.pk}/acknowledge/").status_code == 404
    assert api_client_for(people["engineer"]).get(f"{API}/triage/").json()["count"] == 1


# --- the steps ------------------------------------------------------------------------------
def test_the_api_lists_with_filters_and_acknowledges(people, alert):
    api = api_client_for(people["agent"])
    listed = api.get(f"{API}/triage/?state=firing&triage=untriaged").json()
    assert listed["count"] == 1
    row = listed["results"][0]
    assert (row["id"], row["alertname"], row["instance"], row["severity"]) == (
        alert.pk,
        "InstanceDown",
        "gms-web01:8080",
        "critical",
    )
    assert (row["ticket_number"], row["ticket_status"], row["triage"]) == (
        alert.ticket.number,
        "new",
        "untriaged",
    )
    assert api.get(f"{API}/triage/?state=resolved").json()["count"] == 0
    done = api.post(f"{API}/{alert.pk}/acknowledge/", {"note": "在看"}, format="json")
    assert done.status_code == 200, done.json()
    assert done.json()["triage"] == "acknowledged"
    assert done.json()["triaged_by"] == people["agent"].pk
    [note] = _notes(alert.ticket_id)
    assert note.channel == "api" and note.data["body"].endswith("\n在看")


def test_two_agents_acknowledge_at_once_one_wins(people, alert):
    first = api_client_for(people["engineer"]).post(f"{API}/{alert.pk}/acknowledge/")
    assert first.status_code == 200
    second = api_client_for(people["agent"]).post(
        f"{API}/{alert.pk}/acknowledge/", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert second.status_code == 409
    assert str(people["engineer"]) in second.json()["detail"]
    alert.refresh_from_db()
    assert alert.triaged_by == people["engineer"] and len(_notes(alert.ticket_id)) == 1
    # the race itself: a step that read the alert before the other one wrote loses the
    # compare-and-set
    stale = Alert.objects.get(pk=alert.pk)
    stale.triage, stale.triaged_by = Alert.Triage.UNTRIAGED, None
    with pytest.raises(TransitionError, match=str(people["engineer"])):
        triage._claim(stale, people["agent"], timezone.now(), Alert.Triage.ACKNOWLEDGED, "")
    alert.refresh_from_db()
    assert alert.triaged_by == people["engineer"]


def test_a_false_alarm_needs_a_reason_and_changes_nothing_without(people, alert):
    api = api_client_for(people["engineer"], language="zh-hans")
    for body in ({}, {"reason": "  "}):
        answer = api.post(f"{API}/{alert.pk}/false-alarm/", body, format="json")
        assert answer.status_code == 400
        assert answer.json()["reason"] == [_zh("Say why this is a false alarm.")]
    row = web_client_for(people["engineer"]).post(
        f"{PAGE}{alert.pk}/false-alarm/", {"reason": ""}, headers=HTMX
    )
    assert _zh("Say why this is a false alarm.") in row.content.decode()
    alert.refresh_from_db()
    assert (alert.triage, alert.triaged_by, alert.triage_note) == ("untriaged", None, "")
    assert _notes(alert.ticket_id) == []


def test_a_false_alarm_withdraws_the_unaccepted_problem_it_raised(people, alert):
    api = api_client_for(people["engineer"])
    answer = api.post(f"{API}/{alert.pk}/false-alarm/", {"reason": "探针配置错误"}, format="json")
    assert answer.status_code == 200, answer.json()
    assert answer.json()["triage"] == "false_alarm"
    assert answer.json()["triage_note"] == "探针配置错误"
    ticket = Ticket.objects.get(pk=alert.ticket_id)
    assert ticket.status == "withdrawn" and ticket.closed_at is not None
    [note] = _notes(ticket.pk)
    assert note.internal and "探针配置错误" in note.data["body"]
    withdrawn = ticket.events.get(action="withdraw")
    assert withdrawn.actor == people["engineer"] and "探针配置错误" in withdrawn.data["reason"]
    again = api.post(f"{API}/{alert.pk}/acknowledge/")
    assert again.status_code == 409


def test_a_false_alarm_leaves_an_accepted_problem_with_its_handler(people, alert):
    ticket_services.ticket_accept(
        ticket_id=alert.ticket_id,
        actor=people["engineer"],
        severity="SIS2",
        committed_resolution_at=timezone.now() + timedelta(hours=6),
    )
    api = api_client_for(people["agent"])
    answer = api.post(f"{API}/{alert.pk}/false-alarm/", {"reason": "演练"}, format="json")
    assert answer.status_code == 200, answer.json()
    ticket = Ticket.objects.get(pk=alert.ticket_id)
    assert ticket.status == "in_progress"
    assert "演练" in _notes(ticket.pk)[-1].data["body"]


def test_only_a_problem_the_monitoring_raised_is_withdrawn_by_staff(people, project):
    mine = new_ticket(project, people["user"], title="登录页面报错")
    with pytest.raises(PermissionDenied):
        ticket_services.ticket_withdraw(ticket_id=mine.pk, actor=people["engineer"], reason="误报")
    assert Ticket.objects.get(pk=mine.pk).status == "new"


def test_link_merges_into_an_open_problem_of_the_same_organisation(people, project, alert):
    existing = new_ticket(project, people["user"], title="研究生系统打不开")
    api = api_client_for(people["engineer"])
    answer = api.post(f"{API}/{alert.pk}/link/", {"ticket": existing.pk}, format="json")
    assert answer.status_code == 200, answer.json()
    assert (answer.json()["ticket"], answer.json()["triage"]) == (existing.pk, "linked")
    own = Ticket.objects.get(pk=alert.ticket_id)
    assert own.status == "withdrawn"  # nobody had accepted the duplicate
    assert existing.number in own.events.get(action="withdraw").data["reason"]
    assert existing.number in _notes(own.pk)[0].data["body"]
    assert "研究生系统 web01 不可用" in _notes(existing.pk)[0].data["body"]
    # its repeats are recorded on the problem it was linked to
    _alert(alert.source)
    assert existing.events.filter(action="alert_fired").exists()
    assert not own.events.filter(action="alert_fired").exists()


def test_link_to_a_problem_of_another_organisation_is_refused(people, other_project, alert):
    theirs = new_ticket(other_project, people["user2"], title="学工系统报错")
    answer = api_client_for(people["agent"], language="zh-hans").post(
        f"{API}/{alert.pk}/link/", {"ticket": theirs.pk}, format="json"
    )
    assert answer.status_code == 400
    assert answer.json()["ticket"] == [_zh("Link the alert to a problem of its own organisation.")]
    # line 1 of this project does not even see it
    unseen = api_client_for(people["engineer"]).post(
        f"{API}/{alert.pk}/link/", {"ticket": theirs.pk}, format="json"
    )
    assert unseen.status_code == 404
    web = web_client_for(people["agent"]).post(
        f"{PAGE}{alert.pk}/link/", {"ticket_number": "1999-99999"}, headers=HTMX
    )
    assert _zh("No problem has this number.") in web.content.decode()
    alert.refresh_from_db()
    assert alert.triage == "untriaged" and alert.ticket_id != theirs.pk
    assert _notes(theirs.pk) == []


def test_raise_registers_a_problem_for_a_silenced_alert(people, project):
    quiet = _alert(_source(people, project), "db01", silenced=True)
    assert quiet.state == "silenced" and quiet.ticket_id is None
    client = web_client_for(people["engineer"])
    assert f'action="{PAGE}{quiet.pk}/raise/"' in client.get(PAGE).content.decode()
    answer = client.post(f"{PAGE}{quiet.pk}/raise/", headers=HTMX)
    assert answer.status_code == 200
    quiet.refresh_from_db()
    ticket = quiet.ticket
    assert ticket is not None and quiet.triage == "acknowledged"
    assert (ticket.channel, ticket.service_type) == ("alert", "incident")
    assert ticket.urgency == "critical"
    assert ticket.reporter == quiet.source.reporter and ticket.created_by == people["engineer"]
    assert list(ticket.events.values_list("action", flat=True)) == ["register", "record"]
    again = api_client_for(people["engineer"]).post(f"{API}/{quiet.pk}/raise/")
    assert again.status_code == 409
    assert Ticket.objects.count() == 1

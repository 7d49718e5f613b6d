"""A contract's own service levels and calendar (R-SLA-4): read, set and removed through
``/api/v1/projects/{id}/sla/``; a change applies to the tickets accepted after it, and a
ticket keeps the version it was accepted under.

Instants are worked out by hand: SIS2 counts wall time from registration; SIS3 counts
working days of 8 h (09:00–17:00); March 2026 has no statutory holiday.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.admin.sites import site as admin_site
from django.test import Client
from rest_framework.test import APIClient

from campusdesk.accounts.models import User
from campusdesk.catalog.models import Project
from campusdesk.site import demo
from campusdesk.sla import demo as sla_demo
from campusdesk.sla import policies
from campusdesk.sla.models import Calendar, SlaPolicy, SlaPolicySet
from campusdesk.tickets import services
from tests.helpers import api_client_for
from tests.sla.test_deadlines import accept, deadlines_of, frozen, iso, register, t

PREVIEW = "/api/v1/sla/preview/"


def levels_url(project: Project) -> str:
    return f"/api/v1/projects/{project.pk}/sla/"


def faster_sis2(**extra: Any) -> dict[str, Any]:
    """The contract's own: SIS2 responded within 1 h and solved within 4 h (default 4 and 8)."""
    row = {
        "severity": "SIS2",
        "clock": "24x7",
        "respond": "1",
        "resolve": "4",
        "followup_kind": "onsite",
        "followup": "8",
    }
    return {"policies": [row], **extra}


@pytest.fixture
def admin(people: dict[str, User]) -> User:
    return people["admin"]


@pytest.fixture
def engineer(people: dict[str, User]) -> User:
    return people["engineer"]


@pytest.fixture
def admin_api(admin: User) -> APIClient:
    return api_client_for(admin)


def test_a_project_without_its_own_answers_the_default_levels_it_inherits(
    project: Project, customer: User
) -> None:
    answer = api_client_for(customer).get(levels_url(project))
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["inherited"] is True
    assert body["version"] == policies.current_default().pk
    assert [row["severity"] for row in body["policies"]] == ["SIS1", "SIS2", "SIS3"]
    sis3 = body["policies"][2]
    assert (sis3["clock"], sis3["respond"], sis3["resolve"]) == ("business", "1.00", "1.00")
    assert (sis3["followup_kind"], sis3["followup"]) == ("plan", "3.00")
    assert body["calendar"] is None


def test_put_stores_an_override_get_reads_it_and_delete_returns_to_the_default(
    project: Project, admin_api: APIClient
) -> None:
    calendar = Calendar.objects.create(name="研究生院 服务时间")
    with frozen("2026-03-10T09:00:00+08:00"):
        put = admin_api.put(levels_url(project), faster_sis2(calendar=calendar.pk), format="json")
    assert put.status_code == 200, put.content
    body = put.json()
    assert body["inherited"] is False and body["calendar"] == calendar.pk
    rows = {row["severity"]: row for row in body["policies"]}
    assert (rows["SIS2"]["respond"], rows["SIS2"]["resolve"]) == ("1.00", "4.00")
    # the severities not given keep the default's values
    assert (rows["SIS1"]["respond"], rows["SIS3"]["clock"]) == ("2.00", "business")
    version = body["version"]
    assert admin_api.get(levels_url(project)).json()["version"] == version
    project.refresh_from_db()
    assert project.calendar_id == calendar.pk

    # the same levels again: no new version
    again = admin_api.put(levels_url(project), faster_sis2(calendar=calendar.pk), format="json")
    assert again.json()["version"] == version

    gone = admin_api.delete(levels_url(project))
    assert gone.status_code == 200
    assert gone.json()["inherited"] is True
    assert gone.json()["version"] == policies.current_default().pk
    project.refresh_from_db()
    assert project.calendar_id is None
    # the contract's version is kept (tickets may hold it), only retired
    assert SlaPolicySet.objects.get(pk=version).retired_at is not None


def test_an_override_changes_the_deadlines_of_tickets_accepted_after_it_only(
    project: Project, customer: User, engineer: User, admin_api: APIClient
) -> None:
    default = policies.current_default().pk
    before = register(project, customer, "2026-03-10T09:00:00+08:00", "high")
    accept(before, engineer, "2026-03-10T09:30:00+08:00", "SIS2")
    waiting = register(project, customer, "2026-03-10T09:10:00+08:00", "high")
    assert deadlines_of(before)["resolve_by"] == "2026-03-10T17:00:00+08:00"

    with frozen("2026-03-10T09:45:00+08:00"):
        put = admin_api.put(levels_url(project), faster_sis2(), format="json")
    assert put.status_code == 200, put.content
    version = put.json()["version"]

    # accepted before: keeps the default version, whatever happens to it next
    services.ticket_ask_info(
        ticket_id=before.pk,
        actor=engineer,
        question="请提供截图。",
        now=t("2026-03-10T10:00:00+08:00"),
    )
    before.refresh_from_db()
    assert before.sla_policy_version == default
    assert deadlines_of(before)["resolve_by"] == "2026-03-10T17:00:00+08:00"

    # registered before the change, accepted after it: the contract's levels
    accept(waiting, engineer, "2026-03-10T10:05:00+08:00", "SIS2")
    waiting.refresh_from_db()
    assert waiting.sla_policy_version == version
    assert deadlines_of(waiting)["respond_by"] == "2026-03-10T10:10:00+08:00"
    assert deadlines_of(waiting)["resolve_by"] == "2026-03-10T13:10:00+08:00"

    after = register(project, customer, "2026-03-10T11:00:00+08:00", "high")
    assert deadlines_of(after)["resolve_by"] == "2026-03-10T15:00:00+08:00"  # provisional SIS2
    accept(after, engineer, "2026-03-10T11:05:00+08:00", "SIS2")
    assert deadlines_of(after)["resolve_by"] == "2026-03-10T15:00:00+08:00"

    # the API shows the version each ticket was accepted under
    api = api_client_for(customer)
    assert api.get(f"/api/v1/tickets/{before.pk}/").json()["sla_policy_version"] == default
    assert api.get(f"/api/v1/tickets/{after.pk}/").json()["sla_policy_version"] == version

    # a later change of the contract's levels leaves the accepted tickets alone as well
    with frozen("2026-03-10T11:30:00+08:00"):
        slower = faster_sis2()
        slower["policies"][0].update(respond="3", resolve="10")
        assert admin_api.put(levels_url(project), slower, format="json").status_code == 200
    services.ticket_ask_info(
        ticket_id=after.pk,
        actor=engineer,
        question="请提供日志。",
        now=t("2026-03-10T11:40:00+08:00"),
    )
    assert deadlines_of(after)["resolve_by"] == "2026-03-10T15:00:00+08:00"


def test_the_contract_calendar_moves_business_deadlines_and_preview_takes_the_project(
    project: Project, other_project: Project, customer: User, admin_api: APIClient
) -> None:
    made = admin_api.post(
        "/api/v1/sla/calendars/",
        {"name": "研究生院 8×5", "weekly": {str(d): [["09:00", "17:00"]] for d in range(5)}},
        format="json",
    )
    assert made.status_code == 201, made.content
    calendar = made.json()["id"]
    holiday = admin_api.post(
        "/api/v1/sla/calendar-days/",
        {"date": "2026-03-11", "kind": "holiday", "name": "校庆", "calendar": calendar},
        format="json",
    )
    assert holiday.status_code == 201, holiday.content
    api = api_client_for(customer)
    start: dict[str, Any] = {"severity": "SIS3", "start": "2026-03-10T16:00:00+08:00"}
    plain = api.get(PREVIEW, {**start, "project": project.pk}).json()
    assert plain["resolve_by"] == "2026-03-11T16:00:00+08:00"

    row = {
        "severity": "SIS3",
        "clock": "business",
        "respond": "0.5",
        "resolve": "1",
        "followup_kind": "plan",
        "followup": "2",
    }
    put = admin_api.put(
        levels_url(project), {"policies": [row], "calendar": calendar}, format="json"
    )
    assert put.status_code == 200, put.content
    own = api.get(PREVIEW, {**start, "project": project.pk}).json()
    # 03-11 is the university's holiday: one working day from 03-10 16:00 ends 03-12 16:00
    assert own["resolve_by"] == "2026-03-12T16:00:00+08:00"
    assert own["respond_by"] == "2026-03-12T12:00:00+08:00"
    # without the project: the default levels and calendar
    assert api.get(PREVIEW, start).json()["resolve_by"] == "2026-03-11T16:00:00+08:00"
    # another organisation's contract is not found
    assert api.get(PREVIEW, {**start, "project": other_project.pk}).status_code == 404

    ticket = register(project, customer, "2026-03-10T16:00:00+08:00")
    assert iso(ticket.resolve_by) == "2026-03-12T16:00:00+08:00"


def test_only_administrators_change_levels_and_other_organisations_see_nothing(
    project: Project, other_project: Project, customer: User, people: dict[str, User]
) -> None:
    for who in (customer, people["engineer"], people["manager"]):
        client = api_client_for(who)
        assert client.put(levels_url(project), faster_sis2(), format="json").status_code == 403
        assert client.delete(levels_url(project)).status_code == 403
    assert api_client_for(customer).get(levels_url(other_project)).status_code == 404
    assert api_client_for(customer).get("/api/v1/projects/abc/sla/").status_code == 404
    assert not SlaPolicySet.objects.filter(project__isnull=False).exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"severity": "SIS4"}, "severity"),
        ({"respond": "9", "resolve": "4"}, "respond"),
        ({"resolve": "-1"}, "resolve"),
        ({"clock": "sometimes"}, "clock"),
    ],
)
def test_bad_levels_are_refused_in_chinese_and_nothing_is_stored(
    project: Project, admin_api: APIClient, change: dict[str, str], field: str
) -> None:
    body = faster_sis2()
    body["policies"][0].update(change)
    answer = admin_api.put(levels_url(project), body, format="json", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert answer.status_code == 400, answer.content
    text = answer.content.decode()
    assert field in text
    assert any("\u4e00" <= char <= "\u9fff" for char in text), text
    assert not SlaPolicySet.objects.filter(project=project).exists()


def test_two_severities_given_twice_and_an_unknown_calendar_are_refused(
    project: Project, admin_api: APIClient
) -> None:
    body = faster_sis2()
    body["policies"].append(dict(body["policies"][0]))
    assert admin_api.put(levels_url(project), body, format="json").status_code == 400
    unknown = admin_api.put(levels_url(project), faster_sis2(calendar=999999), format="json")
    assert unknown.status_code == 400
    assert "calendar" in unknown.json()
    assert not SlaPolicySet.objects.filter(project=project).exists()


def test_the_default_levels_are_versioned_too(
    project: Project, customer: User, engineer: User, admin_api: APIClient
) -> None:
    first = policies.current_default().pk
    kept = register(project, customer, "2026-03-10T09:00:00+08:00", "high")
    accept(kept, engineer, "2026-03-10T09:30:00+08:00", "SIS2")
    with frozen("2026-03-10T09:45:00+08:00"):
        answer = admin_api.put("/api/v1/sla/policies/", faster_sis2(), format="json")
    assert answer.status_code == 200, answer.content
    assert answer.json()["version"] != first
    assert (
        api_client_for(customer)
        .put("/api/v1/sla/policies/", faster_sis2(), format="json")
        .status_code
        == 403
    )
    services.ticket_ask_info(
        ticket_id=kept.pk,
        actor=engineer,
        question="请提供截图。",
        now=t("2026-03-10T10:00:00+08:00"),
    )
    assert deadlines_of(kept)["resolve_by"] == "2026-03-10T17:00:00+08:00"
    fresh = register(project, customer, "2026-03-10T10:00:00+08:00", "high")
    assert deadlines_of(fresh)["resolve_by"] == "2026-03-10T14:00:00+08:00"
    # one current default version, the first one retired
    assert SlaPolicySet.objects.filter(project__isnull=True, retired_at__isnull=True).count() == 1
    assert SlaPolicySet.objects.get(pk=first).retired_at is not None


def test_saving_a_policy_in_the_admin_writes_a_new_version(
    project: Project, customer: User, engineer: User, admin: User
) -> None:
    kept = register(project, customer, "2026-03-10T09:00:00+08:00", "high")
    accept(kept, engineer, "2026-03-10T09:30:00+08:00", "SIS2")
    old = SlaPolicy.objects.get(severity="SIS2", policy_set__retired_at__isnull=True)
    assert admin_site.is_registered(SlaPolicy)
    client = Client()
    client.force_login(admin)
    if not admin.is_staff:
        pytest.skip("the demo administrator has no admin site access")
    form = client.get(f"/admin/sla/slapolicy/{old.pk}/change/")
    assert form.status_code == 200
    posted = client.post(
        f"/admin/sla/slapolicy/{old.pk}/change/",
        {
            "clock": "24x7",
            "accept_hours": "24",
            "respond": "1",
            "resolve": "2",
            "followup_kind": "onsite",
            "followup": "8",
            "calendar": "",
            "pause_while_waiting": "on",
            "pause_while_pending_close": "on",
            "warning_minutes": "60",
        },
    )
    assert posted.status_code == 302, posted.content.decode()[:2000]
    old.refresh_from_db()
    assert old.resolve == 8  # the version the ticket holds is unchanged
    new = SlaPolicy.objects.get(severity="SIS2", policy_set__retired_at__isnull=True)
    assert new.pk != old.pk and new.resolve == 2
    assert deadlines_of(kept)["resolve_by"] == "2026-03-10T17:00:00+08:00"


def test_the_ticket_page_names_the_version_of_its_levels(
    project: Project, customer: User, engineer: User
) -> None:
    ticket = register(project, customer, "2026-03-10T09:00:00+08:00", "high")
    client = Client()
    client.force_login(customer)
    page = client.get(f"/tickets/{ticket.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "sla-version" in page
    accept(ticket, engineer, "2026-03-10T09:30:00+08:00", "SIS2")
    page = client.get(f"/tickets/{ticket.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    version = policies.current_default().pk
    assert f"第 {version} 版" in page or f"v{version}" in page or f"{version}" in page


def test_the_contract_page_shows_its_levels_and_calendar(
    project: Project, customer: User, admin_api: APIClient
) -> None:
    client = Client()
    client.force_login(customer)
    page = client.get(f"/projects/{project.pk}/").content.decode()
    assert 'id="service-levels"' in page
    default = policies.current_default().pk
    assert f"version {default}" in page or f"第 {default} 版" in page
    calendar = Calendar.objects.create(name="研究生院 服务时间")
    put = admin_api.put(levels_url(project), faster_sis2(calendar=calendar.pk), format="json")
    page = client.get(f"/projects/{project.pk}/").content.decode()
    version = put.json()["version"]
    assert f"version {version}" in page or f"第 {version} 版" in page
    assert "研究生院 服务时间" in page


@pytest.mark.django_db
def test_the_demo_has_two_contracts_with_different_levels() -> None:
    with frozen("2026-11-20T11:00:00+08:00"):
        logins = demo.load()
        assert logins
        xjnu = Project.objects.get(name="研究生管理系统运维服务")
        univ2 = Project.objects.get(name="学工系统运维服务")
        seed, own = policies.levels_of(xjnu), policies.levels_of(univ2)
        assert seed.inherited and not own.inherited
        resolve = {p.severity: p.resolve for p in seed.policies}
        own_resolve = {p.severity: p.resolve for p in own.policies}
        assert resolve != own_resolve
        assert own.calendar_id is not None and seed.calendar_id is None
        # loading the demo again writes no new version
        people = {u.username: u for u in User.objects.filter(username__in=["admin"])}
        sla_demo.load(people, {"univ2": univ2})
        assert policies.levels_of(univ2).version.pk == own.version.pk

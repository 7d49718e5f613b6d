"""/api/v1/probes/, …/run/, …/results/, /api/v1/systems/{id}/maintenance/ and
/api/v1/status/{organisation_id}/: probes created, read, edited, listed and deleted in the
issue's fields; a refused target is a 400 with the guard's reason; "run now" against a
real server on loopback; results newest first and filtered; maintenance windows planned and
cancelled; customers only read; another organisation's objects are not there (404) on every
route; bad input answers in Chinese."""

from __future__ import annotations

import http.server
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from campusdesk.accounts.models import User
from campusdesk.catalog.models import Project
from campusdesk.intake import services as intake
from campusdesk.intake.models import MaintenanceWindow
from campusdesk.monitoring.models import Probe, ProbeResult
from campusdesk.systems.models import ApplicationSystem, SystemEvent
from tests.helpers import api_client_for, free_port, serving
from tests.monitoring.conftest import T0, Healthy, make_probe
from tests.systems.changefix import registered

URL = "/api/v1/probes/"


@pytest.fixture
def engineer(people: dict[str, User]) -> Any:
    return api_client_for(people["engineer"], language="en")


@pytest.fixture
def other(people: dict[str, User], other_project: Project) -> ApplicationSystem:
    """昆仑大学's system: 新疆师范大学's people never see it, nor its probes."""
    return registered(people["engineer2"], other_project)


@pytest.fixture
def probe(system: ApplicationSystem) -> Probe:
    return make_probe(system, name="首页")


def _create(client: Any, system: ApplicationSystem, **fields: Any) -> Any:
    body = {"system": system.pk, "kind": "http", "target": "http://127.0.0.1:8080/", **fields}
    return client.post(URL, body, format="json")


# --- probes ----------------------------------------------------------------------------
def test_a_probe_is_created_read_edited_listed_and_deleted(engineer, system):
    body = {
        "system": system.pk,
        "name": "统一门户",
        "kind": "http",
        "target": "http://127.0.0.1:8080/portal",
        "method": "HEAD",
        "expect_status": "200,301-302",
        "keyword": "欢迎",
        "keyword_absent": False,
        "max_latency_ms": 2000,
        "sni": "",
        "interval_seconds": 30,
        "timeout_seconds": 5,
        "retries": 1,
        "failures_to_open": 2,
        "is_active": True,
    }
    with time_machine.travel("2026-03-02 10:00 +08:00", tick=False):
        created = engineer.post(URL, body, format="json")
    assert created.status_code == 201, created.json()
    answer = created.json()
    pk = answer["id"]
    assert answer == {
        **body,
        "id": pk,
        "state": "unknown",
        "consecutive_failures": 0,
        "last_run_at": None,
        "last_error": "",
        "last_latency_ms": None,
        "cert_expires_at": None,
        "next_run_at": "2026-03-02T10:00:00+08:00",  # due at once
    }
    assert SystemEvent.objects.filter(system=system, action="probe.created").count() == 1
    assert engineer.get(f"{URL}{pk}/").json() == answer

    with time_machine.travel("2026-03-02 10:05 +08:00", tick=False):
        patched = engineer.patch(f"{URL}{pk}/", {"interval_seconds": 120}, format="json")
    assert patched.status_code == 200, patched.json()
    assert patched.json() == {  # checked at once with the new interval
        **answer,
        "interval_seconds": 120,
        "next_run_at": "2026-03-02T10:05:00+08:00",
    }
    put = engineer.put(
        f"{URL}{pk}/",
        {"system": system.pk, "kind": "tcp", "target": "127.0.0.1:5432", "name": "数据库"},
        format="json",
    )
    assert put.status_code == 200, put.json()
    saved = Probe.objects.get(pk=pk)
    assert (saved.kind, saved.target, saved.name, saved.interval_seconds) == (
        "tcp",
        "127.0.0.1:5432",
        "数据库",
        120,  # what PUT left out is kept
    )
    rows = engineer.get(URL, {"system": system.pk}).json()
    assert rows["count"] == 1 and rows["results"][0]["id"] == pk

    deleted = engineer.delete(f"{URL}{pk}/")
    assert deleted.status_code == 204
    assert not Probe.objects.filter(pk=pk).exists()
    assert SystemEvent.objects.filter(system=system, action="probe.deleted").count() == 1
    assert engineer.get(f"{URL}{pk}/").status_code == 404


def test_tcp_and_tls_targets_are_host_and_port(engineer, system):
    tcp = _create(engineer, system, kind="tcp", target="127.0.0.1:22")
    tls = _create(engineer, system, kind="tls", target="localhost:443", sni="ids.xjnu.example")
    assert tcp.status_code == 201 and tcp.json()["target"] == "127.0.0.1:22"
    assert tls.status_code == 201 and tls.json()["sni"] == "ids.xjnu.example"
    bad = _create(engineer, system, kind="tcp", target="127.0.0.1")
    assert bad.status_code == 400 and "host:port" in bad.json()["target"][0]


def test_the_list_filters_and_pages(engineer, people, system, other):
    up = make_probe(system, state="up")
    down = make_probe(system, kind="tcp", target="127.0.0.1:9", state="down")
    admin = api_client_for(people["admin"])
    theirs = make_probe(other)

    def ids(client: Any = engineer, **query: Any) -> list[int]:
        answer = client.get(URL, query)
        assert answer.status_code == 200, answer.json()
        assert set(answer.json()) == {"count", "next", "previous", "results"}
        return [row["id"] for row in answer.json()["results"]]

    mine = set(Probe.objects.exclude(system=other).values_list("pk", flat=True))
    assert set(ids()) == mine and theirs.pk not in ids()
    assert set(ids(admin)) == mine | {theirs.pk}
    assert ids(system=system.pk) == [up.pk, down.pk]  # http before tcp
    assert ids(kind="tcp", system=system.pk) == [down.pk]
    assert ids(state="down") == [down.pk]
    assert ids(admin, system=other.pk) == [theirs.pk]
    assert ids(system=other.pk) == []
    assert set(ids(system="abc")) == mine  # not an id: unset
    for name, value in (("kind", "icmp"), ("state", "sideways")):
        refused = engineer.get(URL, {name: value})
        assert refused.status_code == 400 and name in refused.json(), refused.json()


def test_the_list_does_not_query_per_probe(engineer, system):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert engineer.get(URL).status_code == 200
        return len(queries)

    for i in range(2):
        make_probe(system, name=f"P{i}")
    few = count()
    for i in range(2, 12):
        make_probe(system, name=f"P{i}")
    assert count() == few


@pytest.mark.parametrize(
    "target", ["http://169.254.169.254/latest/meta-data/", "http://[::ffff:169.254.169.254]/"]
)
def test_a_refused_target_answers_400_with_the_reason(engineer, people, system, target):
    refused = _create(engineer, system, target=target)
    assert refused.status_code == 400, refused.json()
    [reason] = refused.json()["target"]
    assert "169.254.169.254" in reason and "link-local" in reason
    assert "OUTBOUND_ALLOW_NETWORKS" in reason
    chinese = _create(api_client_for(people["engineer"], "zh-hans"), system, target=target)
    assert "链路本地地址" in chinese.json()["target"][0]
    tcp = _create(engineer, system, kind="tcp", target="169.254.169.254:80")
    assert tcp.status_code == 400 and "link-local" in tcp.json()["target"][0]
    assert not Probe.objects.filter(system=system).exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"kind": "icmp"}, "kind"),
        ({"target": ""}, "target"),
        ({"target": "ftp://127.0.0.1/"}, "target"),
        ({"interval_seconds": 29}, "interval_seconds"),
        ({"interval_seconds": "often"}, "interval_seconds"),
        ({"interval_seconds": 2**70}, "interval_seconds"),
        ({"timeout_seconds": 0}, "timeout_seconds"),
        ({"timeout_seconds": 30, "interval_seconds": 30}, "timeout_seconds"),
        ({"failures_to_open": 0}, "failures_to_open"),
        ({"retries": 9}, "retries"),
        ({"max_latency_ms": 0}, "max_latency_ms"),
        ({"method": "DELETE"}, "method"),
        ({"expect_status": "2xx"}, "expect_status"),
        ({"name": "首页\n检查"}, "name"),
        ({"system": 2**40}, "system"),
        ({"system": None}, "system"),
        ({"system": "other"}, "system"),  # another organisation's: not there for this body
    ],
)
def test_bad_values_are_refused_with_the_field(engineer, system, other, probe, change, field):
    body = {"system": system.pk, "kind": "http", "target": "http://127.0.0.1:8080/", **change}
    if body["system"] == "other":
        body["system"] = other.pk
    answer = engineer.post(URL, body, format="json")
    assert answer.status_code == 400, answer.json()
    assert field in answer.json(), answer.json()
    assert list(Probe.objects.values_list("pk", flat=True)) == [probe.pk]
    if field != "system":  # PATCH of the bad value(s): refused, nothing changed
        edited = engineer.patch(f"{URL}{probe.pk}/", change, format="json")
        assert edited.status_code == 400 and field in edited.json(), edited.json()
        fresh = Probe.objects.get(pk=probe.pk)
        assert (fresh.kind, fresh.target, fresh.interval_seconds) == ("http", probe.target, 60)


def test_a_probes_system_is_not_changed(engineer, probe, other):
    answer = engineer.patch(f"{URL}{probe.pk}/", {"system": other.pk}, format="json")
    assert answer.status_code == 400 and "system" in answer.json()
    assert Probe.objects.get(pk=probe.pk).system_id == probe.system_id
    same = engineer.patch(f"{URL}{probe.pk}/", {"system": probe.system_id}, format="json")
    assert same.status_code == 200


def test_bad_input_answers_in_chinese(people, system):
    client = api_client_for(people["engineer"], "zh-hans")
    answer = _create(client, system, kind="icmp", interval_seconds="often")
    assert answer.status_code == 400
    assert answer.json()["kind"] == ["“icmp” 不是合法选项。"]
    assert answer.json()["interval_seconds"] == ["请填写合法的整数值。"]
    missing = client.post(URL, {}, format="json").json()
    assert missing["system"] == ["此项为必填项。"] and missing["target"] == ["此项为必填项。"]
    since = client.get(f"{URL}{make_probe(system).pk}/results/", {"since": "昨天"})
    assert since.status_code == 400 and "2026-03-02T10:00:00+08:00" in since.json()["since"][0]
    window = client.post(
        f"/api/v1/systems/{system.pk}/maintenance/", {"starts_at": "明天"}, format="json"
    )
    assert window.status_code == 400 and "日期时间格式错误" in window.json()["starts_at"][0]


# --- run now and results -----------------------------------------------------------------
def test_run_now_answers_the_result_and_records_it(engineer, people, system):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Healthy)
    port = server.server_address[1]
    created = _create(engineer, system, target=f"http://127.0.0.1:{port}/", keyword="welcome")
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    with serving(server):
        ran = engineer.post(f"{URL}{pk}/run/")
    assert ran.status_code == 200, ran.json()
    result = ran.json()
    assert result["ok"] is True and result["status_code"] == 200 and result["error"] == ""
    assert isinstance(result["latency_ms"], int) and result["cert_expires_at"] is None
    assert {"ok", "latency_ms", "error", "cert_expires_at", "status_code", "started_at"} <= set(
        result
    )
    assert ProbeResult.objects.filter(probe_id=pk).count() == 1
    probe = engineer.get(f"{URL}{pk}/").json()
    assert probe["state"] == "up" and probe["last_run_at"] == result["started_at"]
    [listed] = engineer.get(f"{URL}{pk}/results/").json()["results"]
    assert listed == result

    refused = _create(engineer, system, kind="tcp", target=f"127.0.0.1:{free_port()}")
    down = engineer.post(f"{URL}{refused.json()['id']}/run/").json()
    assert down["ok"] is False and down["error"] and down["status_code"] is None

    customer = api_client_for(people["user"])
    assert customer.post(f"{URL}{pk}/run/").status_code == 403
    assert ProbeResult.objects.filter(probe_id=pk).count() == 1


def test_results_are_newest_first_paged_and_filtered_by_time(engineer, probe):
    for minute in range(60):
        at = T0 + timedelta(minutes=minute)
        ProbeResult.objects.create(
            probe=probe,
            scheduled_for=at,
            started_at=at + timedelta(seconds=1),
            ok=minute % 10 != 0,
            latency_ms=None if minute % 10 == 0 else 20 + minute,
            status_code=None if minute % 10 == 0 else 200,
            error="timed out" if minute % 10 == 0 else "",
        )
    base = f"{URL}{probe.pk}/results/"
    first = engineer.get(base).json()
    assert first["count"] == 60 and len(first["results"]) == 50 and first["next"]
    assert first["results"][0] == {
        "started_at": "2026-03-02T10:59:01+08:00",
        "scheduled_for": "2026-03-02T10:59:00+08:00",
        "ok": True,
        "latency_ms": 79,
        "status_code": 200,
        "error": "",
        "cert_expires_at": None,
    }
    assert engineer.get(first["next"]).json()["results"][-1]["started_at"] == (
        "2026-03-02T10:00:01+08:00"
    )
    window = engineer.get(
        base, {"since": "2026-03-02T02:10:00Z", "until": "2026-03-02T10:20:01+08:00"}
    ).json()
    # from 10:10 (inclusive) until the run of 10:20, started at 10:20:01 (exclusive)
    assert [r["scheduled_for"][11:16] for r in window["results"][:2]] == ["10:19", "10:18"]
    assert window["count"] == 10 and window["results"][-1]["scheduled_for"][11:16] == "10:10"
    local = engineer.get(base, {"since": "2026-03-02T10:55:00"}).json()  # no offset: local
    assert local["count"] == 5
    for name, value in (("since", "yesterday"), ("until", "2026-13-01T00:00:00")):
        bad = engineer.get(base, {name: value})
        assert bad.status_code == 400 and name in bad.json(), bad.json()


# --- maintenance windows ------------------------------------------------------------------
def test_maintenance_windows_are_planned_listed_and_cancelled(engineer, people, system):
    base = f"/api/v1/systems/{system.pk}/maintenance/"
    body = {
        "starts_at": "2026-03-07T22:00:00+08:00",
        "ends_at": "2026-03-08T02:00:00+08:00",
        "reason": "每周六晚例行维护",
        "weekly": True,
    }
    created = engineer.post(base, body, format="json")
    assert created.status_code == 201, created.json()
    window = created.json()
    assert window == {**body, "id": window["id"], "system": system.pk}
    one_off = engineer.post(
        base,
        {"starts_at": "2026-03-10T20:00:00+08:00", "ends_at": "2026-03-10T21:00:00+08:00"},
        format="json",
    )
    assert one_off.status_code == 201 and one_off.json()["weekly"] is False
    assert one_off.json()["reason"] == ""
    listed = api_client_for(people["user"]).get(base).json()  # customers read
    assert [w["id"] for w in listed["results"]] == [one_off.json()["id"], window["id"]]
    assert SystemEvent.objects.filter(system=system, action="maintenance.planned").count() == 2

    cancelled = engineer.delete(f"{base}{window['id']}/")
    assert cancelled.status_code == 204
    assert list(MaintenanceWindow.objects.filter(system=system)) == [
        MaintenanceWindow.objects.get(pk=one_off.json()["id"])
    ]
    assert engineer.delete(f"{base}{window['id']}/").status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"ends_at": "2026-03-08T02:00:00+08:00"}, "starts_at"),
        (
            {"starts_at": "2026-03-08T02:00:00+08:00", "ends_at": "2026-03-08T01:00:00+08:00"},
            "ends_at",
        ),
        (
            {
                "starts_at": "2026-03-01T00:00:00+08:00",
                "ends_at": "2026-03-08T00:00:00+08:00",
                "weekly": True,
            },
            "ends_at",
        ),
        ({"starts_at": "2026-03-08T00:00:00+08:00", "ends_at": "soon"}, "ends_at"),
        (
            {
                "starts_at": "2026-03-08T00:00:00+08:00",
                "ends_at": "2026-03-08T01:00:00+08:00",
                "reason": "x\ny",
            },
            "reason",
        ),
        (
            {
                "starts_at": "2026-03-08T00:00:00+08:00",
                "ends_at": "2026-03-08T01:00:00+08:00",
                "weekly": "sometimes",
            },
            "weekly",
        ),
    ],
)
def test_bad_windows_are_refused_with_the_field(engineer, system, body, field):
    answer = engineer.post(f"/api/v1/systems/{system.pk}/maintenance/", body, format="json")
    assert answer.status_code == 400, answer.json()
    assert field in answer.json(), answer.json()
    assert not MaintenanceWindow.objects.filter(system=system).exists()


def test_an_alert_sources_window_is_not_a_systems(engineer, people, system):
    source, _token, _secret = intake.alert_source_create(
        actor=people["admin"], name="zabbix", project_id=system.project_id
    )
    window = MaintenanceWindow.objects.create(
        source=source, starts_at=T0, ends_at=T0 + timedelta(hours=1)
    )
    base = f"/api/v1/systems/{system.pk}/maintenance/"
    assert engineer.get(base).json()["count"] == 0
    assert engineer.delete(f"{base}{window.pk}/").status_code == 404
    assert MaintenanceWindow.objects.filter(pk=window.pk).exists()


# --- who may ---------------------------------------------------------------------------------
def test_customers_only_read(people, system, probe):
    client = api_client_for(people["user"], language="en")
    window = MaintenanceWindow.objects.create(
        system=system, starts_at=T0, ends_at=T0 + timedelta(hours=1)
    )
    maintenance = f"/api/v1/systems/{system.pk}/maintenance/"
    reads = [
        client.get(URL),
        client.get(f"{URL}{probe.pk}/"),
        client.get(f"{URL}{probe.pk}/results/"),
        client.get(maintenance),
    ]
    assert [r.status_code for r in reads] == [200, 200, 200, 200]
    body = {"system": system.pk, "kind": "http", "target": "http://127.0.0.1:8080/"}
    span = {"starts_at": "2026-03-08T00:00:00+08:00", "ends_at": "2026-03-08T01:00:00+08:00"}
    writes = [
        client.post(URL, body, format="json"),
        client.put(f"{URL}{probe.pk}/", body, format="json"),
        client.patch(f"{URL}{probe.pk}/", {"name": "x"}, format="json"),
        client.delete(f"{URL}{probe.pk}/"),
        client.post(f"{URL}{probe.pk}/run/"),
        client.post(maintenance, span, format="json"),
        client.delete(f"{maintenance}{window.pk}/"),
    ]
    assert [w.status_code for w in writes] == [403] * 7
    assert writes[1].json() == {
        "detail": "Only the vendor's staff of the project manage its probes."
    }
    assert Probe.objects.get(pk=probe.pk).name == "首页"
    assert not ProbeResult.objects.exists()
    assert MaintenanceWindow.objects.filter(system=system).count() == 1


ROUTES = [
    ("get", "probe", ""),
    ("put", "probe", ""),
    ("patch", "probe", ""),
    ("delete", "probe", ""),
    ("post", "probe", "run/"),
    ("get", "probe", "results/"),
    ("get", "system", "maintenance/"),
    ("post", "system", "maintenance/"),
    ("delete", "system", "maintenance/{window}/"),
]


@pytest.mark.parametrize("who", ["user2", "engineer2"])
@pytest.mark.parametrize(("method", "base", "tail"), ROUTES)
def test_another_organisations_objects_are_not_there(people, system, who, method, base, tail):
    """Every route: a customer of 昆仑大学, and vendor staff who serve only 昆仑大学."""
    probe = make_probe(system)
    window = MaintenanceWindow.objects.create(
        system=system, starts_at=T0, ends_at=T0 + timedelta(hours=1)
    )
    client = api_client_for(people[who])
    prefix = f"{URL}{probe.pk}/" if base == "probe" else f"/api/v1/systems/{system.pk}/"
    body = {
        "system": system.pk,
        "kind": "http",
        "target": "http://127.0.0.1:8080/",
        "starts_at": "2026-03-08T00:00:00+08:00",
        "ends_at": "2026-03-08T01:00:00+08:00",
    }
    answer = getattr(client, method)(prefix + tail.format(window=window.pk), body, format="json")
    assert answer.status_code == 404, answer.content
    assert probe.pk not in [r["id"] for r in client.get(URL).json()["results"]]
    assert Probe.objects.get(pk=probe.pk).name == ""  # nothing changed, nothing deleted
    assert not ProbeResult.objects.exists()
    assert MaintenanceWindow.objects.filter(system=system).count() == 1


def test_ids_beyond_the_database_are_not_found(engineer, system):
    assert engineer.get(f"{URL}{2**64}/").status_code == 404
    assert engineer.get(f"{URL}{2**64}/results/").status_code == 404
    maintenance = f"/api/v1/systems/{system.pk}/maintenance/"
    assert engineer.delete(f"{maintenance}{2**64}/").status_code == 404
    assert engineer.get(f"/api/v1/status/{2**64}/").status_code == 404


# --- status page ------------------------------------------------------------------------------
def test_the_status_page_is_read_by_the_organisation_and_its_vendor_staff(people, system):
    organisation = system.organisation_id
    url = f"/api/v1/status/{organisation}/"
    for who in ("user", "engineer", "admin"):
        answer = api_client_for(people[who]).get(url)
        assert answer.status_code == 200, (who, answer.content)
        assert isinstance(answer.json(), dict)
    for who in ("user2", "engineer2"):
        assert api_client_for(people[who]).get(url).status_code == 404, who
    other_university = people["user2"].organisation_id
    assert (
        api_client_for(people["user2"]).get(f"/api/v1/status/{other_university}/").status_code
        == 200
    )
    assert (
        api_client_for(people["user"]).get(f"/api/v1/status/{other_university}/").status_code == 404
    )


def test_a_time_with_any_offset_filters_the_results(engineer, probe):
    """Found by the schema fuzzer on PostgreSQL: +20:00 is a valid ISO offset for Python but
    not for PostgreSQL; the filter compares in UTC."""
    url = f"{URL}{probe.pk}/results/"
    answer = engineer.get(url, {"since": "5072-01-06T06:32:01.3776+20:00"})
    assert answer.status_code == 200 and answer.json()["count"] == 0

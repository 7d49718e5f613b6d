"""The pages of the probes: the section of a system's page, the probe and window forms (bad
input answered in Chinese beside the field, nothing typed lost), run now, the status pages
(logged in and by the public link, which a rotation ends), the vendor's overview sorted by
state; another organisation's objects are 404; a fixed number of queries per page."""

from __future__ import annotations

import http.server
import re
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from campusdesk.accounts.models import User
from campusdesk.catalog.models import Project
from campusdesk.intake.models import AlertSource, MaintenanceWindow
from campusdesk.monitoring.models import Outage, Probe, ProbeResult, StatusPage
from campusdesk.systems import services as systems
from campusdesk.systems.models import ApplicationSystem
from tests.helpers import free_port, serving, web_client_for
from tests.monitoring.conftest import Healthy, make_probe
from tests.systems.changefix import registered
from tests.tickets.conftest import new_ticket


def _client(user: User | None = None) -> Client:
    client = web_client_for(user) if user is not None else Client()
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    return client


def _html(response: Any) -> str:
    return response.content.decode()


@pytest.fixture
def probe(system: ApplicationSystem) -> Probe:
    now = timezone.now()
    probe = make_probe(system, name="首页", state="up", last_run_at=now, last_latency_ms=120)
    for minutes in range(1, 6):
        at = now - timedelta(minutes=minutes)
        ProbeResult.objects.create(
            probe=probe, scheduled_for=at, started_at=at, ok=minutes != 3, latency_ms=100
        )
    return probe


@pytest.fixture
def window(system: ApplicationSystem) -> MaintenanceWindow:
    now = timezone.now()
    return MaintenanceWindow.objects.create(
        system=system,
        starts_at=now + timedelta(days=1),
        ends_at=now + timedelta(days=1, hours=2),
        reason="数据库升级",
    )


@pytest.fixture
def incident(system: ApplicationSystem, probe: Probe, people: dict[str, User], project: Project):
    """An open outage with its incident, which the public page never links."""
    ticket = new_ticket(project, people["user"], title="研究生管理系统无法访问")
    Outage.objects.create(
        system=system,
        probe=probe,
        started_at=timezone.now() - timedelta(minutes=9),
        detected_at=timezone.now() - timedelta(minutes=6),
        ticket=ticket,
        error="内部备注：数据库连接池耗尽",
    )
    return ticket


@pytest.fixture
def other(people: dict[str, User], other_project: Project) -> ApplicationSystem:
    """昆仑大学's system: 新疆师范大学's people never see it."""
    return registered(people["engineer2"], other_project)


def _urls(system: ApplicationSystem, probe: Probe) -> list[str]:
    return [
        f"/systems/{system.pk}/",
        f"/probes/{probe.pk}/",
        f"/status/{system.organisation_id}/",
    ]


# --- who sees what -----------------------------------------------------------------------
@pytest.mark.parametrize("who", ["engineer", "ops", "admin"])
def test_vendor_staff_see_and_manage(people, system, probe, window, incident, who):
    client = _client(people[who])
    for url in (
        *_urls(system, probe),
        "/availability/",
        f"/systems/{system.pk}/probes/new/",
        f"/probes/{probe.pk}/edit/",
        f"/systems/{system.pk}/maintenance/new/",
    ):
        assert client.get(url).status_code == 200, url
    page = _html(client.get(f"/systems/{system.pk}/"))
    section = page[page.index('id="system-probes"') :]
    assert "首页" in section and "数据库升级" in section and incident.number in section
    for marker in ('id="new-probe"', 'id="new-window"', f"/probes/{probe.pk}/run/"):
        assert marker in section, marker
    assert f"/maintenance/{window.pk}/delete/" in section and 'hx-confirm="' in section
    assert "80.00 %" in section  # 4 of 5 runs in 24 h
    status = _html(client.get(f"/status/{system.organisation_id}/"))
    assert 'id="rotate-link"' in status and f"/tickets/{incident.pk}/" in status


def test_customer_reads_their_own_organisation_only(people, system, probe, window, incident):
    client = _client(people["user"])
    for url in _urls(system, probe):
        assert client.get(url).status_code == 200, url
    own = _html(client.get("/availability/"))  # their organisation's status page
    assert f'id="status-system-{system.pk}"' in own and "status-overview" not in own
    page = _html(client.get(f"/systems/{system.pk}/"))
    assert 'id="system-probes"' in page and "首页" in page
    assert 'id="new-probe"' not in page and "/run/" not in page and "/delete/" not in page
    status = _html(client.get(f"/status/{system.organisation_id}/"))
    assert "研究生管理系统无法访问" in status and f"/tickets/{incident.pk}/" in status
    assert 'id="rotate-link"' not in status and "/status/public/" not in status
    for url in (
        f"/systems/{system.pk}/probes/new/",
        f"/probes/{probe.pk}/edit/",
        f"/systems/{system.pk}/maintenance/new/",
    ):
        assert client.get(url).status_code == 403, url
    for url in (
        f"/probes/{probe.pk}/run/",
        f"/probes/{probe.pk}/delete/",
        f"/maintenance/{window.pk}/delete/",
        f"/status/{system.organisation_id}/link/",
    ):
        assert client.post(url).status_code == 403, url
    assert Probe.objects.filter(pk=probe.pk).exists()
    assert MaintenanceWindow.objects.filter(pk=window.pk).exists()
    assert not StatusPage.objects.exists()


@pytest.mark.parametrize("who", ["user2", "engineer2"])
def test_another_organisation_is_not_there(people, system, probe, window, other, who):
    client = _client(people[who])
    for url in (
        *_urls(system, probe),
        f"/systems/{system.pk}/probes/new/",
        f"/probes/{probe.pk}/edit/",
        f"/systems/{system.pk}/maintenance/new/",
    ):
        assert client.get(url).status_code == 404, url
    for url in (
        f"/probes/{probe.pk}/run/",
        f"/probes/{probe.pk}/delete/",
        f"/maintenance/{window.pk}/delete/",
        f"/status/{system.organisation_id}/link/",
    ):
        assert client.post(url).status_code == 404, url
    assert Probe.objects.filter(pk=probe.pk).exists()
    assert MaintenanceWindow.objects.filter(pk=window.pk).exists()
    assert client.get(f"/status/{other.organisation_id}/").status_code == 200
    if who == "engineer2":
        assert f'data-system="{system.pk}"' not in _html(client.get("/availability/"))


def test_the_vendors_own_organisation_and_nonsense_are_not_there(people):
    client = _client(people["engineer"])
    vendor = people["engineer"].organisation_id
    assert client.get(f"/status/{vendor}/").status_code == 404
    assert client.get("/status/999999/").status_code == 404
    assert client.get("/probes/999999/").status_code == 404
    assert _client().get("/availability/").status_code == 302  # to the login


# --- the public link ---------------------------------------------------------------------
def test_the_public_link_shows_no_ticket_and_dies_when_rotated(people, system, probe, incident):
    engineer = _client(people["engineer"])
    status_url = f"/status/{system.organisation_id}/"
    assert "/status/public/" not in _html(engineer.get(status_url))
    made = engineer.post(f"{status_url}link/")
    assert made.status_code == 302 and made.url == status_url
    token = StatusPage.objects.get(organisation_id=system.organisation_id).token
    assert len(token) >= 32
    assert f"/status/public/{token}/" in _html(engineer.get(status_url))

    anonymous = _client()
    public = anonymous.get(f"/status/public/{token}/")
    assert public.status_code == 200 and public["X-Robots-Tag"] == "noindex, nofollow"
    page = _html(public)
    assert "研究生管理系统" in page and "研究生管理系统无法访问" in page
    assert "/tickets/" not in page and incident.number not in page
    assert "数据库连接池" not in page  # the outage's internal error
    assert f"/systems/{system.pk}/" not in page and 'id="rotate-link"' not in page

    engineer.post(f"{status_url}link/")
    new = StatusPage.objects.get(organisation_id=system.organisation_id).token
    assert new != token
    assert anonymous.get(f"/status/public/{token}/").status_code == 404
    assert anonymous.get(f"/status/public/{new}/").status_code == 200
    assert anonymous.get("/status/public/nonsense/").status_code == 404


def test_an_empty_token_opens_nothing(people, system):
    StatusPage.objects.create(organisation_id=system.organisation_id, token="")
    assert _client().get("/status/public/%20/").status_code == 404


# --- the status page -----------------------------------------------------------------------
def test_the_status_page_says_the_state_in_words_and_draws_the_latency(people, system, probe):
    page = _html(_client(people["user"]).get(f"/status/{system.organisation_id}/"))
    block = page[page.index(f'id="status-system-{system.pk}"') :]
    assert 'class="status state-up"' in block and "正常" in block or "Up" in block
    svg = re.search(r"<svg[^>]*>.*?</svg>", block, re.S)
    assert svg is not None
    assert 'role="img"' in svg.group(0) and "<title" in svg.group(0) and "<desc" in svg.group(0)
    assert svg.group(0).count("<rect") >= 1
    assert '<figcaption class="muted">' in block
    assert 'hx-trigger="every 60s"' in page


def test_the_poll_answers_the_fragment(people, system, probe):
    client = _client(people["user"])
    fragment = _html(client.get(f"/status/{system.organisation_id}/", HTTP_HX_REQUEST="true"))
    assert fragment.startswith('<div id="status-systems"') and "<html" not in fragment


def test_maintenance_is_announced(people, system, probe, window):
    page = _html(_client(people["user"]).get(f"/status/{system.organisation_id}/"))
    assert "数据库升级" in page
    now = timezone.now()
    MaintenanceWindow.objects.create(
        system=system, starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=1)
    )
    page = _html(_client(people["user"]).get(f"/status/{system.organisation_id}/"))
    assert 'data-state="maintenance"' in page


# --- the overview --------------------------------------------------------------------------
def _ordered(page: str) -> list[str]:
    return re.findall(r'<tr data-system="\d+" data-state="(\w+)"', page)


def test_the_overview_sorts_down_first_and_counts(people, system, probe, incident, project):
    quiet = systems.system_create(actor=people["engineer"], project=project, name="一卡通系统")
    make_probe(quiet, state="up", last_run_at=timezone.now())
    client = _client(people["engineer"])
    states = _ordered(_html(client.get("/availability/")))
    assert states[0] == "down" and states == sorted(
        states, key=["down", "maintenance", "unknown", "up"].index
    )
    page = _html(client.get("/availability/?sort=name"))
    assert 'data-state="down">' in page and _ordered(page) != []
    for sort in ("organisation", "uptime", "nonsense';--"):
        assert client.get(f"/availability/?sort={sort}").status_code == 200
    counts = page[page.index('id="state-counts"') :]
    assert re.search(r'data-state="down">[^<]*1</span>', counts)


# --- forms -------------------------------------------------------------------------------
def _error(page: str, field: str) -> str:
    """The error shown right after the field's input (beside it), or ""."""
    found = re.search(
        rf'id="id_{field}"[^>]*>(?:\s*</select>)?\s*<div id="id_{field}_error">'
        r'<div class="error" role="alert">([^<]+)</div>',
        page,
    )
    return found.group(1) if found else ""


def test_a_bad_probe_form_says_why_in_chinese_and_keeps_the_input(people, system):
    client = _client(people["engineer"])
    answer = client.post(
        f"/systems/{system.pk}/probes/new/",
        {
            "kind": "http",
            "target": "",
            "name": "教务首页",
            "method": "GET",
            "expect_status": "200-399",
            "interval_seconds": "10",
            "timeout_seconds": "5",
            "retries": "0",
            "failures_to_open": "3",
            "keyword": "欢迎",
            "is_active": "on",
        },
    )
    assert answer.status_code == 200
    page = _html(answer)
    assert _error(page, "target") == "此项为必填项。"
    assert _error(page, "interval_seconds") == "确保该值大于或等于30。"
    assert 'value="教务首页"' in page and 'value="欢迎"' in page and 'value="10"' in page
    assert not Probe.objects.filter(system=system).exists()


def test_a_refused_target_is_said_beside_the_field(people, system):
    client = _client(people["engineer"])
    answer = client.post(
        f"/systems/{system.pk}/probes/new/",
        {
            "kind": "http",
            "target": "http://169.254.169.254/latest/meta-data/",
            "method": "GET",
            "expect_status": "200-399",
            "interval_seconds": "60",
            "timeout_seconds": "5",
            "retries": "0",
            "failures_to_open": "3",
        },
    )
    assert answer.status_code == 200
    page = _html(answer)
    assert "169.254.169.254 是链路本地地址" in _error(page, "target")
    assert 'value="http://169.254.169.254/latest/meta-data/"' in page
    assert not Probe.objects.filter(system=system).exists()


def test_a_probe_is_added_edited_run_and_deleted_on_the_pages(people, system):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Healthy)
    target = f"http://127.0.0.1:{server.server_address[1]}/"
    client = _client(people["engineer"])
    form = {
        "kind": "http",
        "target": target,
        "name": "教务首页",
        "method": "GET",
        "expect_status": "200",
        "keyword": "welcome",
        "interval_seconds": "60",
        "timeout_seconds": "5",
        "retries": "0",
        "failures_to_open": "3",
        "is_active": "on",
    }
    added = client.post(f"/systems/{system.pk}/probes/new/", form)
    assert added.status_code == 302 and added.url == f"/systems/{system.pk}/#system-probes"
    probe = Probe.objects.get(system=system)
    assert (probe.name, probe.target, probe.keyword) == ("教务首页", target, "welcome")

    edit = _html(client.get(f"/probes/{probe.pk}/edit/"))
    assert 'value="教务首页"' in edit and 'value="welcome"' in edit
    client.post(f"/probes/{probe.pk}/edit/", {**form, "interval_seconds": "120"})
    probe.refresh_from_db()
    assert probe.interval_seconds == 120

    with serving(server):
        fragment = _html(client.post(f"/probes/{probe.pk}/run/", HTTP_HX_REQUEST="true"))
        plain = client.post(f"/probes/{probe.pk}/run/", follow=True)
    assert 'class="run-result ok"' in fragment and "200" in fragment
    assert plain.redirect_chain[-1][0] == f"/probes/{probe.pk}/"
    assert 'class="status state-up"' in _html(plain)
    results = _html(client.get(f"/probes/{probe.pk}/"))
    assert results.count('class="status state-up"') >= 2  # the probe and its runs
    assert ProbeResult.objects.filter(probe=probe, ok=True).count() == 2

    closed = client.post(f"/probes/{probe.pk}/run/", HTTP_HX_REQUEST="true")  # nothing listens
    assert 'class="run-result bad"' in _html(closed)

    gone = client.post(f"/probes/{probe.pk}/delete/")
    assert gone.status_code == 302 and not Probe.objects.filter(pk=probe.pk).exists()
    assert client.get(f"/probes/{probe.pk}/delete/").status_code in (404, 405)


def test_a_tcp_probe_to_a_closed_port_runs_down(people, system):
    client = _client(people["engineer"])
    client.post(
        f"/systems/{system.pk}/probes/new/",
        {
            "kind": "tcp",
            "target": f"127.0.0.1:{free_port()}",
            "method": "GET",
            "expect_status": "200-399",
            "interval_seconds": "60",
            "timeout_seconds": "2",
            "retries": "0",
            "failures_to_open": "3",
            "is_active": "on",
        },
    )
    probe = Probe.objects.get(system=system)
    answer = client.post(f"/probes/{probe.pk}/run/", follow=True)
    assert 'class="messages"' in _html(answer)
    assert ProbeResult.objects.filter(probe=probe, ok=False).count() == 1


def test_the_window_form_checks_the_times_and_keeps_them(people, system):
    client = _client(people["engineer"])
    url = f"/systems/{system.pk}/maintenance/new/"
    bad = client.post(
        url, {"starts_at": "2026-05-01T22:00", "ends_at": "2026-05-01T21:00", "reason": "备份"}
    )
    page = _html(bad)
    assert bad.status_code == 200
    assert _error(page, "ends_at")
    assert 'value="2026-05-01T22:00"' in page and 'value="备份"' in page
    weekly = client.post(
        url, {"starts_at": "2026-05-01T22:00", "ends_at": "2026-05-09T22:00", "weekly": "on"}
    )
    assert weekly.status_code == 200 and "error" in _html(weekly)  # a week or longer
    assert "日期" in _html(client.post(url, {"starts_at": "明天", "ends_at": ""}))
    assert not MaintenanceWindow.objects.filter(system=system).exists()

    good = client.post(
        url, {"starts_at": "2026-05-01T22:00", "ends_at": "2026-05-02T02:00", "reason": "备份"}
    )
    assert good.status_code == 302
    window = MaintenanceWindow.objects.get(system=system)
    assert timezone.localtime(window.starts_at).hour == 22 and window.reason == "备份"
    assert client.post(f"/maintenance/{window.pk}/delete/").status_code == 302
    assert not MaintenanceWindow.objects.filter(pk=window.pk).exists()


def test_an_alert_sources_window_is_not_deleted_here(people, system, project):
    now = timezone.now()
    source = AlertSource.objects.create(
        name="Zabbix", project=project, token_hash="x" * 64, reporter=people["user"], created_at=now
    )
    window = MaintenanceWindow.objects.create(
        source=source, starts_at=now, ends_at=now + timedelta(hours=1)
    )
    assert _client(people["admin"]).post(f"/maintenance/{window.pk}/delete/").status_code == 404


# --- navigation, CSP, queries ------------------------------------------------------------
def test_the_navigation_has_availability(people, system):
    for who in ("engineer", "user"):
        page = _html(_client(people[who]).get("/"))
        assert 'href="/availability/"' in page, who


def test_no_inline_script_or_style(people, system, probe, window, incident):
    client = _client(people["engineer"])
    for url in (
        *_urls(system, probe),
        "/availability/",
        f"/systems/{system.pk}/probes/new/",
        f"/systems/{system.pk}/maintenance/new/",
    ):
        html = _html(client.get(url))
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), url
        assert not re.search(r"<style|\sstyle=|\son[a-z]+=|javascript:", html), url


def _count(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def _more(people: dict[str, User], project: Project, names: list[str]) -> None:
    now = timezone.now()
    for name in names:
        system = systems.system_create(actor=people["engineer"], project=project, name=name)
        probe = make_probe(system, state="down", last_run_at=now)
        ProbeResult.objects.create(
            probe=probe, scheduled_for=now, started_at=now, ok=False, latency_ms=5
        )
        ticket = new_ticket(project, people["user"], title=f"{name}无法访问")
        Outage.objects.create(
            system=system, probe=probe, started_at=now, detected_at=now, ticket=ticket
        )
        MaintenanceWindow.objects.create(
            system=system, starts_at=now + timedelta(days=1), ends_at=now + timedelta(days=2)
        )


def test_a_fixed_number_of_queries_per_page(people, system, probe, project):
    StatusPage.objects.create(organisation_id=system.organisation_id, token="t" * 40)
    urls = [
        f"/status/{system.organisation_id}/",
        "/availability/",
        "/availability/?sort=uptime",
        f"/status/public/{'t' * 40}/",
    ]
    client = _client(people["engineer"])
    _more(people, project, ["系统甲", "系统乙"])
    few = [_count(client, url) for url in urls]
    _more(people, project, ["系统丙", "系统丁", "系统戊", "系统己"])
    assert [_count(client, url) for url in urls] == few
    assert max(few) <= 25, few

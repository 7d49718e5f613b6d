"""The demo's probes: every system of 新疆师范大学 probed with a month of history, one past
outage with its incident closed through the real flow, a certificate warning, maintenance
windows; the status page shows uptime for the eleven systems; and the demo target
(``campusdesk demo_target``) answers the probes: healthy pages, the one that is down, the
TLS certificate the warning was about."""

from __future__ import annotations

import contextlib
import socket
import threading
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from campusdesk.accounts.demo import UNIV2, XJNU
from campusdesk.accounts.models import Organisation, User
from campusdesk.intake.models import MaintenanceWindow
from campusdesk.monitoring import demo as monitoring_demo
from campusdesk.monitoring import services, status
from campusdesk.monitoring.management.commands import demo_target
from campusdesk.monitoring.models import (
    CertificateWarning,
    Outage,
    Probe,
    ProbeHourly,
    ProbeResult,
)
from campusdesk.site import demo
from campusdesk.tickets.models import Status, Ticket
from tests.helpers import free_port, serving, web_client_for


def _coming_wednesday() -> datetime:
    """10:00 in Shanghai of the coming Wednesday: no weekly window is on, and OpenSSL (which
    reads the real clock) finds the demo certificate made then valid."""
    today = datetime.now(UTC).replace(hour=2, minute=0, second=0, microsecond=0)
    return today + timedelta(days=(2 - today.weekday()) % 7)


NOW = _coming_wednesday()


def _two_free_ports() -> int:
    """A port whose next one is free too (the target's TLS port)."""
    for _attempt in range(50):
        port = free_port()
        with socket.socket() as s, contextlib.suppress(OSError):
            s.bind(("127.0.0.1", port + 1))
            return port
    raise RuntimeError("no two free ports")


@pytest.fixture
def port(settings: Any, tmp_path: Path) -> int:
    settings.DATA_DIR = tmp_path  # the demo certificate is made here
    settings.DEMO_TARGET_PORT = _two_free_ports()
    return int(settings.DEMO_TARGET_PORT)


@pytest.fixture
def loaded(db: None, port: int) -> None:
    with time_machine.travel(NOW, tick=False):
        demo.load()


def _xjnu() -> Organisation:
    return Organisation.objects.get(name=XJNU)


def test_every_system_is_probed_with_a_month_of_history(loaded: None, port: int) -> None:
    probes = Probe.objects.select_related("system__organisation")
    assert {p.system.organisation.name for p in probes} == {XJNU}  # none of 昆仑大学 (UNIV2)
    http = probes.filter(kind="http")
    assert http.count() == 11 and {p.system.name for p in http} == set(monitoring_demo.SLUGS)
    yjs = http.get(system__name="研究生管理系统")
    assert yjs.target == f"http://127.0.0.1:{port}/yjs/" and yjs.keyword == "运行正常"
    assert probes.get(kind="tcp").target == f"127.0.0.1:{port}"
    assert probes.get(kind="tls").target == f"127.0.0.1:{port + 1}"
    assert all(p.state == Probe.State.UP and p.next_run_at == NOW for p in probes)
    oldest = ProbeHourly.objects.order_by("hour").first()
    assert oldest is not None and oldest.hour <= NOW - timedelta(days=29)
    raw = ProbeResult.objects.filter(started_at__gte=NOW - timedelta(days=1))
    assert raw.count() > 13 * 24 * 55  # every minute of the last day
    assert not Organisation.objects.get(name=UNIV2).systems.filter(probes__isnull=False).exists()


def test_the_status_page_shows_the_eleven_systems(loaded: None, people: Any) -> None:
    page = status.organisation_status(_xjnu(), NOW + timedelta(minutes=1))
    rows = page["systems"]
    assert len(rows) == 11
    for row in rows:
        assert all(row["uptime"][key] is not None for key in ("24h", "7d", "30d")), row["name"]
        assert row["state"] == "up" and row["latency"]
    uptime = {row["name"]: row["uptime"]["30d"] for row in rows}
    assert uptime["研究生管理系统"] < 100 and min(uptime.values()) > 95
    upcoming = {row["name"]: row["maintenance"] for row in rows}
    assert upcoming["一卡通系统"][0]["weekly"] and not upcoming["统一身份认证管理系统"][0]["weekly"]
    user = User.objects.get(username="user")
    with time_machine.travel(NOW + timedelta(minutes=1), tick=False):
        html = web_client_for(user).get(f"/status/{_xjnu().pk}/").content.decode()
    assert all(name in html for name in monitoring_demo.SLUGS)


def test_one_past_outage_and_its_closed_incident(loaded: None) -> None:
    outage = Outage.objects.select_related("ticket", "system").get()
    assert outage.system.name == "研究生管理系统" and outage.ended_at is not None
    assert outage.ended_at - outage.started_at == timedelta(minutes=47)
    assert NOW - timedelta(days=9) < outage.started_at < NOW - timedelta(days=7)
    ticket = outage.ticket
    assert ticket is not None and ticket.status == Status.CLOSED and ticket.severity == "SIS1"
    assert ticket.service_type == "incident" and ticket.reporter.username == "user"
    actions = list(ticket.events.values_list("action", flat=True))
    assert "probe_recovered" in actions and "close" in actions
    assert not Outage.objects.filter(ended_at=None).exists()  # until the worker meets /net/


def test_a_certificate_warning_and_the_maintenance_windows(loaded: None) -> None:
    warning = CertificateWarning.objects.select_related("ticket", "probe").get()
    assert warning.threshold == 30 and warning.probe.kind == "tls"
    assert timedelta(days=20) < warning.expires_at - NOW < timedelta(days=22)
    assert warning.ticket is not None and warning.ticket.status == Status.NEW
    assert warning.ticket.urgency == "medium"  # SIS3
    weekly = MaintenanceWindow.objects.get(system__name="一卡通系统")
    local = timezone.localtime(weekly.starts_at)
    assert weekly.weekly and (local.weekday(), local.hour) == (6, 2)
    assert weekly.ends_at - weekly.starts_at == timedelta(hours=2)
    once = MaintenanceWindow.objects.get(system__name="统一身份认证管理系统")
    assert not once.weekly and once.starts_at > NOW


def test_loading_twice_changes_nothing(loaded: None) -> None:
    models = (
        Probe,
        ProbeResult,
        ProbeHourly,
        Outage,
        CertificateWarning,
        MaintenanceWindow,
        Ticket,
    )
    before = [m.objects.count() for m in models]
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        demo.load()
    assert [m.objects.count() for m in models] == before


@contextlib.contextmanager
def _target(port: int) -> Iterator[None]:
    plain, secure = demo_target.servers("127.0.0.1", port)
    with serving(plain), serving(secure):
        yield


def test_the_demo_target_answers_the_probes(loaded: None, port: int, settings: Any) -> None:
    settings.PROBE_CA_FILE = str(monitoring_demo.certificate(NOW).ca)
    probes = {(p.system.name, p.kind): p for p in Probe.objects.select_related("system")}
    with time_machine.travel(NOW + timedelta(minutes=1), tick=True), _target(port):
        healthy = services.probe_run(probes["研究生管理系统", "http"].pk)
        down = services.probe_run(probes["网络计费系统", "http"].pk)
        port_open = services.probe_run(probes["统一身份认证管理系统", "tcp"].pk)
        tls = services.probe_run(probes["网上办事服务大厅", "tls"].pk)
    assert healthy is not None and healthy.ok and healthy.status_code == 200
    assert down is not None and not down.ok and down.status_code == 503
    assert port_open is not None and port_open.ok
    assert tls is not None, "the TLS probe did not run"
    assert tls.ok, tls.error
    warning = CertificateWarning.objects.get()
    assert tls.cert_expires_at == warning.expires_at  # the same certificate: no second ticket


def test_the_target_loop_serves_until_stopped(port: int) -> None:
    found = demo_target.servers("127.0.0.1", port)
    stop = threading.Event()
    loop = threading.Thread(target=demo_target.serve, args=(found, stop.is_set), daemon=True)
    loop.start()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/card/", timeout=5) as answer:
            assert answer.status == 200 and "一卡通系统" in answer.read().decode()
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/nothing/", timeout=5)
        assert refused.value.code == 404
    finally:
        stop.set()
        loop.join(timeout=5)
        for server in found:
            server.server_close()
    assert not loop.is_alive()

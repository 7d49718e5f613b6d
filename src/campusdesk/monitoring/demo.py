"""Demo probes: every system of 新疆师范大学 checked against ``campusdesk demo_target`` on
loopback (``make run`` serves it), so the status pages show live data offline.

What is loaded, once (running it again changes nothing):

1. An HTTP probe per system (``http://127.0.0.1:<DEMO_TARGET_PORT>/<slug>/``), a TCP probe of
   统一身份认证管理系统's port and a TLS probe of 网上办事服务大厅's certificate (the next
   port; the certificate, made by the demo's own CA, has three weeks left: one SIS3 ticket).
   The target answers 网络计费系统's page with 503, so once the worker runs, its outage
   and incident open live.
2. Thirty days of history: hourly figures (``ProbeHourly``) up to a day ago, raw runs
   (``ProbeResult``) since, written in bulk; a few single failures, and the restarts in
   一卡通系统's weekly maintenance window (Sunday 02:00–04:00), which open nothing.
3. One past outage, through the real path (``services.record`` at past times): 研究生管理系统
   down 47 minutes eight days ago; its incident accepted, analysed, and closed by the
   system's customer contact.
4. A one-off maintenance window: the approved Apache Shiro patch of 统一身份认证管理系统.

The probes reach loopback only where ``OUTBOUND_ALLOW_NETWORKS`` allows it (``make run``
sets ``127.0.0.0/8``); elsewhere this part of the demo is skipped with a warning.
"""

from __future__ import annotations

import ipaddress
import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.conf import settings
from django.utils import translation

from campusdesk.accounts.models import User
from campusdesk.core import clock, outbound
from campusdesk.monitoring import services
from campusdesk.monitoring.checks import CheckResult
from campusdesk.monitoring.models import Outage, Probe, ProbeHourly, ProbeResult
from campusdesk.systems import services as systems
from campusdesk.systems.models import ApplicationSystem
from campusdesk.tickets import services as tickets

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
#: system → the path of its page on the demo target
SLUGS = {
    "网上办事服务大厅": "ehall",
    "校级数据中心": "data",
    "统一身份认证管理系统": "ids",
    "学工系统": "xg",
    "人事系统": "hr",
    "研究生管理系统": "yjs",
    "科研管理系统": "kyc",
    "一卡通系统": "card",
    "乐学平台": "lexue",
    "网络计费系统": "net",
    "网站群管理系统": "www",
}
#: the page the target answers with 503: a live outage once the worker has run three times
DOWN = "net"
#: the text a healthy page shows (the HTTP probes look for it)
HEALTHY = "运行正常"
TCP_SYSTEM, TLS_SYSTEM = "统一身份认证管理系统", "网上办事服务大厅"
OUTAGE_SYSTEM, OUTAGE_MINUTES, OUTAGE_DAYS_AGO = "研究生管理系统", 47, 8
WEEKLY_SYSTEM = "一卡通系统"
HISTORY_DAYS, RAW_DAYS = 30, 1
#: the demo certificate's life when made: under the 30-day warning, over the 7-day one
CERT_DAYS = 21
INTERVAL = 60
MINUTE, HOUR, DAY = timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)


def http_port() -> int:
    return settings.DEMO_TARGET_PORT


def tls_port() -> int:
    return settings.DEMO_TARGET_PORT + 1


# --- the target's certificate ------------------------------------------------------------------
@dataclass(frozen=True)
class Certificate:
    """The demo target's TLS certificate (``cert``, ``key``) and the CA that signed it (``ca``:
    what ``PROBE_CA_FILE`` names in ``make run``)."""

    ca: Path
    cert: Path
    key: Path
    expires_at: datetime


def certificate_dir() -> Path:
    return Path(settings.DATA_DIR) / "demo-target"


def certificate(now: datetime | None = None) -> Certificate:
    """The demo certificate, made (with a new CA) when missing or expired."""
    now = now or clock.now()
    folder = certificate_dir()
    found = Certificate(folder / "ca.pem", folder / "cert.pem", folder / "key.pem", now)
    if all(path.exists() for path in (found.ca, found.cert, found.key)):
        expires = x509.load_pem_x509_certificate(found.cert.read_bytes()).not_valid_after_utc
        if expires > now:
            return Certificate(found.ca, found.cert, found.key, expires)
    folder.mkdir(parents=True, exist_ok=True)
    return _make_certificate(found, now)


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _usage(*, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def _make_certificate(paths: Certificate, now: datetime) -> Certificate:
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = _name("campusdesk demo CA")
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - 365 * DAY)
        .not_valid_after(now + 3650 * DAY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_usage(ca=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    ski = ca.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    leaf = (
        x509.CertificateBuilder()
        .subject_name(_name(HOST))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - 60 * DAY)
        .not_valid_after(now + CERT_DAYS * DAY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_usage(ca=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address(HOST)), x509.DNSName("localhost")]
            ),
            False,
        )
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    paths.key.touch(mode=0o600)
    paths.key.write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    paths.cert.write_bytes(leaf.public_bytes(pem))
    paths.ca.write_bytes(ca.public_bytes(pem))
    return Certificate(paths.ca, paths.cert, paths.key, leaf.not_valid_after_utc)


# --- the probes ---------------------------------------------------------------------------------
def _specs() -> list[tuple[str, dict[str, Any]]]:
    """(system, probe data) of every demo probe."""
    common = {"interval_seconds": INTERVAL, "timeout_seconds": 5, "failures_to_open": 3}
    found: list[tuple[str, dict[str, Any]]] = [
        (
            name,
            {
                "kind": "http",
                "name": "首页",
                "target": f"http://{HOST}:{http_port()}/{slug}/",
                "keyword": HEALTHY,
                **common,
            },
        )
        for name, slug in SLUGS.items()
    ]
    found.append(
        (
            TCP_SYSTEM,
            {"kind": "tcp", "name": "CAS 端口", "target": f"{HOST}:{http_port()}", **common},
        )
    )
    found.append(
        (
            TLS_SYSTEM,
            {"kind": "tls", "name": "HTTPS 证书", "target": f"{HOST}:{tls_port()}", **common},
        )
    )
    return found


def load(people: dict[str, User], systems_by_name: dict[str, ApplicationSystem]) -> None:
    now = clock.now()
    made = certificate(now)  # before anything: `make run` starts the target after the demo
    xjnu = {name: systems_by_name[name] for name in SLUGS if name in systems_by_name}
    if not xjnu or Probe.objects.filter(system__in=xjnu.values()).exists():
        return
    refused = outbound.refusal(HOST)
    if refused is not None:
        log.warning(
            "demo probes skipped: %s (%s); `make run` sets OUTBOUND_ALLOW_NETWORKS=127.0.0.0/8",
            HOST,
            refused,
        )
        return
    with translation.override("zh-hans"):  # the incidents' texts are stored text
        _load(people, xjnu, made, now)


def _load(
    people: dict[str, User],
    xjnu: dict[str, ApplicationSystem],
    made: Certificate,
    now: datetime,
) -> None:
    engineer, start = people["engineer"], now - HISTORY_DAYS * DAY
    for system in xjnu.values():
        if system.customer_contact_id is None:
            systems.system_update(
                system_id=system.pk, actor=engineer, now=start, customer_contact=people["user"].pk
            )
    probes = [
        services.probe_create(actor=engineer, system_id=xjnu[name].pk, data=data, now=start)
        for name, data in _specs()
        if name in xjnu
    ]
    _windows(engineer, xjnu, now)
    web = next(p for p in probes if p.system_id == xjnu[OUTAGE_SYSTEM].pk and p.kind == "http")
    outage_at = clock.local(now - OUTAGE_DAYS_AGO * DAY).replace(
        hour=10, minute=13, second=0, microsecond=0
    )
    _history(probes, now, skip=(web.pk, outage_at - HOUR, outage_at + 2 * HOUR))
    _past_outage(web, outage_at, people)
    for probe in probes:  # the current state: each probe's last run, a success
        expires = made.expires_at if probe.kind == "tls" else None
        _run(probe, now - MINUTE, ok=True, latency_ms=12, cert_expires_at=expires)
    Probe.objects.filter(pk__in=[p.pk for p in probes]).update(next_run_at=now)


def _windows(engineer: User, xjnu: dict[str, ApplicationSystem], now: datetime) -> None:
    """一卡通系统's weekly window (Sunday 02:00–04:00 since before the history) and the
    approved Shiro patch of 统一身份认证管理系统 as a one-off window."""
    card, ids = xjnu.get(WEEKLY_SYSTEM), xjnu.get(TCP_SYSTEM)
    if card is not None:
        first = clock.local(now - (HISTORY_DAYS + 7) * DAY)
        sunday = (first + (6 - first.weekday()) * DAY).replace(
            hour=2, minute=0, second=0, microsecond=0
        )
        services.window_create(
            actor=engineer,
            system=card,
            starts_at=sunday,
            ends_at=sunday + 2 * HOUR,
            reason="每周例行维护：数据库备份与前置机重启",
            weekly=True,
            now=now - HISTORY_DAYS * DAY,
        )
    if ids is not None:
        change = ids.changes.filter(title__startswith="Apache Shiro").first()
        if change is not None and change.window_start > now:
            begin, end = change.window_start, change.window_end
        else:
            begin = clock.local(now + 3 * DAY).replace(hour=22, minute=0, second=0, microsecond=0)
            end = begin + 2 * HOUR
        services.window_create(
            actor=engineer,
            system=ids,
            starts_at=begin,
            ends_at=end,
            reason="Apache Shiro 升级到 1.13.0（已批准的变更），期间统一身份认证暂停服务",
            weekly=False,
            now=now,
        )


# --- history -------------------------------------------------------------------------------------
def _top(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def _in_weekly_window(hour: datetime) -> bool:
    local = clock.local(hour)
    return local.weekday() == 6 and 2 <= local.hour < 4


def _hour(
    probe: Probe, hour: datetime, base: int, rng: random.Random, restart: bool
) -> ProbeHourly:
    runs = 3600 // INTERVAL
    failures = 8 if restart else int(rng.random() < 0.02)
    answered = runs - failures
    return ProbeHourly(
        probe=probe,
        hour=hour,
        runs=runs,
        failures=failures,
        latency_sum_ms=answered * base + rng.randint(0, answered * base // 2),
        latency_count=answered,
        latency_max_ms=3 * base + rng.randint(0, 120),
    )


def _runs(
    probe: Probe,
    since: datetime,
    until: datetime,
    base: int,
    rng: random.Random,
    avoid: tuple[datetime, datetime] | None = None,
) -> list[ProbeResult]:
    """A run every interval from ``since`` to ``until``, but in ``avoid``; rarely a failure."""
    rows, at = [], since
    while at < until:
        if avoid is None or not avoid[0] <= at <= avoid[1]:
            ok = rng.random() > 0.003
            rows.append(
                ProbeResult(
                    probe=probe,
                    scheduled_for=at,
                    started_at=at + timedelta(milliseconds=rng.randint(5, 400)),
                    ok=ok,
                    latency_ms=base + rng.randint(0, base) if ok else None,
                    status_code=200 if ok and probe.kind == "http" else None,
                    error="" if ok else "连接超时（5 秒内没有回答）",
                )
            )
        at += timedelta(seconds=INTERVAL)
    return rows


def _history(probes: list[Probe], now: datetime, *, skip: tuple[int, datetime, datetime]) -> None:
    """Hourly figures up to a day ago, raw runs since; in bulk. The hours of ``skip``'s
    probe between its two times get raw runs around the ones ``services.record`` writes."""
    rng = random.Random(19)  # noqa: S311 - made-up figures, not secrets
    raw_from = _top(now - RAW_DAYS * DAY)
    hours: list[ProbeHourly] = []
    results: list[ProbeResult] = []
    for probe in probes:
        base = rng.randint(8, 60)
        weekly = probe.system.name == WEEKLY_SYSTEM
        hour = _top(now - HISTORY_DAYS * DAY)
        while hour < raw_from:
            if probe.pk == skip[0] and skip[1] < hour + HOUR and hour <= skip[2]:
                results += _runs(probe, hour, hour + HOUR, base, rng, avoid=skip[1:])
            else:
                hours.append(_hour(probe, hour, base, rng, weekly and _in_weekly_window(hour)))
            hour += HOUR
        results += _runs(probe, raw_from, now - 2 * MINUTE, base, rng)
    ProbeHourly.objects.bulk_create(hours, batch_size=2000)
    ProbeResult.objects.bulk_create(results, batch_size=2000)


# --- the past outage ----------------------------------------------------------------------------
def _run(
    probe: Probe,
    at: datetime,
    *,
    ok: bool,
    latency_ms: int | None = None,
    error: str = "",
    cert_expires_at: datetime | None = None,
) -> None:
    code = (200 if ok else 502) if probe.kind == "http" else None
    result = CheckResult(ok, latency_ms, code, error, cert_expires_at)
    services.record(probe, result, scheduled_for=at, started_at=at)


def _past_outage(probe: Probe, down_at: datetime, people: dict[str, User]) -> None:
    """研究生管理系统 down ``OUTAGE_MINUTES`` minutes: failures then a success, recorded at
    those times; its incident is then handled and closed by the customer contact."""
    _run(probe, down_at - MINUTE, ok=True, latency_ms=35)
    probe.refresh_from_db()
    for minute in range(OUTAGE_MINUTES):
        error = "HTTP 502：网关错误（Tomcat 无响应）"
        _run(probe, down_at + minute * MINUTE, ok=False, latency_ms=30, error=error)
    _run(probe, down_at + OUTAGE_MINUTES * MINUTE, ok=True, latency_ms=41)
    outage = Outage.objects.filter(probe=probe, started_at=down_at).first()
    if outage is not None and outage.ticket_id is not None:
        _handle(outage.ticket_id, down_at, people)


def _handle(ticket_id: int, down_at: datetime, people: dict[str, User]) -> None:
    engineer, contact = people["engineer"], people["user"]
    tickets.ticket_accept(
        ticket_id=ticket_id,
        actor=engineer,
        severity="SIS1",
        committed_resolution_at=down_at + 4 * HOUR,
        now=down_at + 6 * MINUTE,
    )
    tickets.incident_report_save(
        ticket_id=ticket_id,
        actor=engineer,
        now=down_at + 40 * MINUTE,
        fields={
            "what_happened": "研究生管理系统首页返回 502，全校无法登录研究生系统。",
            "cause": "Tomcat 连接池耗尽：选课开放时并发激增，达梦数据库慢查询占满连接。",
            "solution": "重启 Tomcat，为慢查询补建索引，连接池上限由 100 调到 300。",
            "responsible_person": "服务工程师 陈刚",
            "improvements": "选课等高峰前扩容并压测；连接池使用率纳入监控。",
        },
    )
    tickets.ticket_request_close(
        ticket_id=ticket_id,
        actor=engineer,
        solution="已恢复：重启 Tomcat 并优化慢查询，探针确认系统已恢复访问。",
        now=down_at + 55 * MINUTE,
    )
    tickets.ticket_close(
        ticket_id=ticket_id,
        actor=contact,
        rating=5,
        workload_hours="1.5",
        comment="恢复及时，感谢。",
        now=down_at + 3 * HOUR,
    )

"""The guarded outgoing client (core.outbound) against real servers on loopback.

The test settings allow 127.0.0.0/8 and ::1 (pyproject's env), so the servers here are
reachable; tests of refusals empty ``OUTBOUND_ALLOW_NETWORKS`` first. Nothing leaves the
machine: a refused address is refused before any connection is made.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import trustme
from django.utils import translation

from campusdesk.core import outbound
from campusdesk.core.errors import ValidationError
from tests.helpers import serving

pytestmark = pytest.mark.security

HOST = "127.0.0.1"


@dataclass
class Server:
    """What the loopback server received and how it answers next."""

    port: int = 0
    paths: list[str] = field(default_factory=list)
    hosts: list[str] = field(default_factory=list)
    bodies: list[bytes] = field(default_factory=list)
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b"ok"
    drip: bool = False  # answer one header byte every 50 ms, for ever

    def url(self, path: str = "/", host: str = HOST) -> str:
        return f"http://{host}:{self.port}{path}"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    state: Server

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that give up are the point of some tests


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def _answer(self) -> None:
        state = self.server.state
        state.paths.append(self.path)
        state.hosts.append(self.headers.get("Host", ""))
        state.bodies.append(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
        if state.drip:
            self.wfile.write(b"HTTP/1.1 200 OK\r\n")
            for _ in range(400):  # 20 s of "X-Slow: ..." a byte at a time
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(0.05)
            return
        self.send_response(state.status)
        for name, value in state.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(state.body)))
        self.end_headers()
        self.wfile.write(state.body)

    do_GET = do_POST = _answer

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[Server]:
    http = _Server((HOST, 0), _Handler)
    http.state = Server(port=http.server_address[1])
    with serving(http):
        yield http.state


@pytest.fixture
def no_allow_list(settings: Any) -> None:
    settings.OUTBOUND_ALLOW_NETWORKS = []


@pytest.fixture
def silent() -> Iterator[int]:
    """A port that accepts connections and never says a word."""
    with socket.socket() as listener:
        listener.bind((HOST, 0))
        listener.listen(8)
        yield listener.getsockname()[1]


# --- which addresses -------------------------------------------------------------------------
REFUSED = {
    "127.0.0.1": "回环地址",
    "127.8.9.10": "回环地址",
    "::1": "回环地址",
    "::ffff:127.0.0.1": "回环地址",  # IPv4-mapped IPv6
    "::127.0.0.1": "回环地址",  # IPv4-compatible
    "2002:7f00:1::": "回环地址",  # 6to4 of 127.0.0.1
    "169.254.169.254": "链路本地",  # the cloud's metadata service
    "fe80::1": "链路本地",
    "64:ff9b::a9fe:a9fe": "链路本地",  # NAT64 of 169.254.169.254
    "0.0.0.0": "未指定",  # noqa: S104 - an address to refuse, not one to bind
    "::": "未指定",
    "10.1.2.3": "内网",
    "172.16.0.1": "内网",
    "192.168.1.1": "内网",
    "::ffff:192.168.1.1": "内网",
    "100.64.0.1": "内网",  # carrier-grade NAT
    "fc00::1": "内网",
    "224.0.0.1": "组播",
    "239.1.2.3": "组播",
    "ff02::1": "组播",
    "240.0.0.1": "保留",
    "255.255.255.255": "保留",  # broadcast
    "192.0.2.1": "内网",  # documentation range: private in Python's table
}


@pytest.mark.parametrize(("address", "reason"), REFUSED.items())
def test_non_public_addresses_are_refused_with_the_reason(address: str, reason: str) -> None:
    with translation.override("zh-hans"):
        assert reason in str(outbound.refusal(address, ()))


@pytest.mark.parametrize(
    "address", ["8.8.8.8", "202.112.0.36", "2606:4700::1", "64:ff9b::808:808", "::ffff:8.8.8.8"]
)
def test_public_addresses_pass(address: str) -> None:
    assert outbound.refusal(address, ()) is None


def test_an_allowed_network_passes_also_mapped_into_ipv6() -> None:
    campus = (ipaddress.ip_network("10.0.0.0/8"),)
    assert outbound.refusal("10.1.2.3", campus) is None
    assert outbound.refusal("::ffff:10.1.2.3", campus) is None
    assert outbound.refusal("192.168.1.1", campus) is not None


@pytest.mark.usefixtures("no_allow_list")
@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://169.254.169.254/latest/meta-data/", ["169.254.169.254", "链路本地"]),
        ("http://127.0.0.1:8080/hook", ["127.0.0.1", "回环地址"]),
        ("http://[::ffff:127.0.0.1]:8080/hook", ["::ffff:127.0.0.1", "回环地址"]),
        ("http://localhost:8080/hook", ["localhost", "回环地址"]),  # a name resolving there
        ("http://2130706433/", ["127.0.0.1", "回环地址"]),  # 127.0.0.1 as one number
        ("https://0x7f.1/", ["127.0.0.1", "回环地址"]),
        ("http://0.0.0.0:8000/", ["未指定"]),
        ("ftp://example.edu/x", ["http://"]),
        ("http:///no-host", ["http://"]),
        ("http://example.edu:99999/", ["http://"]),
        ("javascript:alert(1)", ["http://"]),
    ],
)
def test_check_url_refuses_with_a_clear_chinese_message(url: str, words: list[str]) -> None:
    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
        outbound.check_url(url)
    for word in words:
        assert word in str(refused.value)
    assert "OUTBOUND_ALLOW_NETWORKS" in str(refused.value) or "http://" in words


def test_check_url_gives_the_pinned_target(server: Server) -> None:
    target = outbound.check_url(server.url("/a?b=1"))
    assert (target.scheme, target.host, target.path) == ("http", HOST, "/a?b=1")
    assert target.port == server.port
    assert target.addresses == (HOST,)


def test_an_unresolvable_name_is_a_validation_error() -> None:
    # A label longer than 63 characters fails before any query leaves the machine.
    name = "x" * 64 + ".example.edu"
    with translation.override("zh-hans"), pytest.raises(ValidationError, match="无法解析主机名"):
        outbound.check_url(f"http://{name}/")
    with pytest.raises(outbound.OutboundError):
        outbound.request("GET", f"http://{name}/")


def test_a_bad_network_in_the_setting_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from django.core.exceptions import ImproperlyConfigured

    from campusdesk import settings as app_settings

    monkeypatch.setenv("CD_NETS", "10.0.0.0/8, fd00::/8")
    assert [str(n) for n in app_settings.envnetworks("CD_NETS")] == ["10.0.0.0/8", "fd00::/8"]
    monkeypatch.setenv("CD_NETS", "10.0.0.0/8,10.0.0.1/8")
    with pytest.raises(ImproperlyConfigured, match=r"CD_NETS.*10\.0\.0\.1/8"):
        app_settings.envnetworks("CD_NETS")
    monkeypatch.setenv("CD_NETS", "intranet")
    with pytest.raises(ImproperlyConfigured, match="CIDR"):
        app_settings.envnetworks("CD_NETS")


# --- requests --------------------------------------------------------------------------------
def test_a_request_to_an_allowed_server(server: Server) -> None:
    server.headers = {"X-Answer": "42"}
    answer = outbound.request(
        "POST",
        server.url("/hook?x=1"),
        body=b'{"a": 1}',
        headers={"Content-Type": "application/json"},
    )
    assert (answer.status, answer.body, answer.truncated) == (200, b"ok", False)
    assert answer.headers["x-answer"] == "42"
    assert server.paths == ["/hook?x=1"] and server.bodies == [b'{"a": 1}']
    assert server.hosts == [f"{HOST}:{server.port}"]


def test_a_name_is_resolved_once_and_the_address_pinned(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = socket.getaddrinfo
    asked: list[str] = []

    def counting(host: Any, *args: Any, **kwargs: Any) -> Any:
        asked.append(host)
        return [info for info in real(host, *args, **kwargs) if info[0] == socket.AF_INET]

    monkeypatch.setattr(socket, "getaddrinfo", counting)
    answer = outbound.request("GET", server.url("/", host="localhost"))
    assert answer.status == 200
    assert asked == ["localhost"]  # connecting to the checked address asks no more
    assert server.hosts == [f"localhost:{server.port}"]  # the name, for virtual hosts


@pytest.mark.usefixtures("no_allow_list")
def test_a_refused_address_is_never_contacted(server: Server) -> None:
    for url in (
        server.url("/"),
        server.url("/", host="localhost"),
        f"http://[::ffff:127.0.0.1]:{server.port}/",
    ):
        with pytest.raises(outbound.OutboundRefused):
            outbound.request("POST", url, body=b"{}")
    assert server.paths == []


@pytest.mark.parametrize(
    "location", ["http://169.254.169.254/latest/meta-data/", "http://127.0.0.1:1/", "/elsewhere"]
)
def test_a_redirect_is_returned_not_followed(server: Server, location: str) -> None:
    server.status, server.headers = 302, {"Location": location}
    answer = outbound.request("POST", server.url("/hook"), body=b"{}")
    assert answer.status == 302 and answer.headers["location"] == location
    assert server.paths == ["/hook"]


def test_the_body_read_is_bounded(server: Server) -> None:
    server.body = b"x" * (5 * 1024 * 1024)
    answer = outbound.request("GET", server.url(), max_bytes=1000)
    assert len(answer.body) == 1000 and answer.truncated


def test_a_silent_server_is_bounded_by_the_timeout(silent: int) -> None:
    started = time.monotonic()
    with pytest.raises(outbound.OutboundError, match="timed out"):
        outbound.request("GET", f"http://{HOST}:{silent}/", timeout=0.5)
    assert time.monotonic() - started < 3


def test_a_server_that_drips_is_bounded_by_the_total_time(server: Server) -> None:
    # Each byte comes well within any per-read timeout: only a deadline for the whole
    # exchange stops this.
    server.drip = True
    started = time.monotonic()
    with pytest.raises(outbound.OutboundError, match="timed out"):
        outbound.request("GET", server.url(), timeout=0.6)
    assert time.monotonic() - started < 3


def test_a_closed_port_is_an_outbound_error() -> None:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port = sock.getsockname()[1]
    with pytest.raises(outbound.OutboundError):
        outbound.request("GET", f"http://{HOST}:{port}/", timeout=2)


# --- TLS ----------------------------------------------------------------------------------------
@pytest.fixture
def tls_server() -> Iterator[tuple[Server, ssl.SSLContext]]:
    """An HTTPS server on loopback whose certificate names only ``localhost``; the client
    context that trusts its CA."""
    authority = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("localhost").configure_cert(server_context)
    client_context = ssl.create_default_context()
    authority.configure_trust(client_context)
    https = _Server((HOST, 0), _Handler)
    https.socket = server_context.wrap_socket(https.socket, server_side=True)
    https.state = Server(port=https.server_address[1])
    with serving(https):
        yield https.state, client_context


def test_https_presents_and_checks_the_name_while_connecting_to_the_pinned_address(
    tls_server: tuple[Server, ssl.SSLContext],
) -> None:
    server, context = tls_server
    answer = outbound.request("GET", f"https://localhost:{server.port}/secure", tls=context)
    assert answer.status == 200 and server.paths == ["/secure"]
    # The same server by its address: the certificate does not name 127.0.0.1.
    with pytest.raises(outbound.OutboundError, match="CERTIFICATE_VERIFY_FAILED|match"):
        outbound.request("GET", f"https://{HOST}:{server.port}/secure", tls=context)


# --- raw connections (probes) -------------------------------------------------------------------
def test_connect_gives_a_socket_to_an_allowed_address(server: Server) -> None:
    with outbound.connect("localhost", server.port, timeout=2) as sock:
        sock.sendall(b"GET /raw HTTP/1.0\r\nHost: x\r\n\r\n")
        assert sock.recv(12).startswith(b"HTTP/1.0 200")
    assert server.paths == ["/raw"]


def test_connect_speaks_tls_checked_against_the_name(
    tls_server: tuple[Server, ssl.SSLContext],
) -> None:
    server, context = tls_server
    with outbound.connect("localhost", server.port, timeout=2, tls=context) as sock:
        assert isinstance(sock, ssl.SSLSocket)
        assert sock.getpeercert() is not None


@pytest.mark.usefixtures("no_allow_list")
def test_connect_refuses_like_request(server: Server) -> None:
    with pytest.raises(outbound.OutboundRefused):
        outbound.connect("localhost", server.port, timeout=2)
    assert server.paths == []

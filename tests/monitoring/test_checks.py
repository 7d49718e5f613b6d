"""One probe's check (monitoring.checks) against real servers on loopback.

The test settings allow 127.0.0.0/8 and ::1 (pyproject's env); tests of refusals empty or
change ``OUTBOUND_ALLOW_NETWORKS``. Certificates come from a trustme CA that the probes
trust through ``PROBE_CA_FILE``. No database: the probes are unsaved model instances.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import trustme
from django.utils import translation

from campusdesk.core import outbound
from campusdesk.core.errors import ValidationError
from campusdesk.monitoring import checks
from campusdesk.monitoring.checks import CheckResult, check, parse_status_ranges, validate_target
from campusdesk.monitoring.models import Probe
from tests.helpers import serving

HOST = "127.0.0.1"


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    # Our phrases reach the Chinese catalogue with `make messages`; assert the msgids.
    with translation.override("en"):
        yield


@dataclass
class Answer:
    status: int = 200
    body: bytes = b"<h1>campus portal</h1>"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class Server:
    """What the loopback server was asked, and how it answers: ``answers`` in turn, the
    last one for ever after."""

    port: int = 0
    scheme: str = "http"
    paths: list[str] = field(default_factory=list)
    methods: list[str] = field(default_factory=list)
    answers: list[Answer] = field(default_factory=lambda: [Answer()])

    def url(self, path: str = "/", host: str = HOST) -> str:
        return f"{self.scheme}://{host}:{self.port}{path}"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    state: Server

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # probes that give up (or only shake hands) are the point of some tests


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def _answer(self) -> None:
        state = self.server.state
        state.paths.append(self.path)
        state.methods.append(self.command)
        answer = state.answers.pop(0) if len(state.answers) > 1 else state.answers[0]
        time.sleep(answer.delay)
        self.send_response(answer.status)
        for name, value in answer.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(answer.body)

    do_GET = do_HEAD = do_POST = _answer

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[Server]:
    httpd = _Server((HOST, 0), _Handler)
    httpd.state = Server(port=httpd.server_address[1])
    with serving(httpd):
        yield httpd.state


@pytest.fixture
def silent() -> Iterator[int]:
    """A port that accepts connections and never says a word."""
    with socket.socket() as listener:
        listener.bind((HOST, 0))
        listener.listen(8)
        yield listener.getsockname()[1]


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def connections(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every address the outbound client connects to."""
    seen: list[str] = []
    real = outbound._open

    def recording(addresses: tuple[str, ...], port: int, deadline: float) -> socket.socket:
        seen.extend(addresses)
        return real(addresses, port, deadline)

    monkeypatch.setattr(outbound, "_open", recording)
    return seen


def probe(kind: str = "http", target: str = "", **fields: Any) -> Probe:
    values: dict[str, Any] = {"timeout_seconds": 5, **fields}
    return Probe(kind=kind, target=target, **values)


def near(moment: datetime | None, expected: datetime) -> bool:
    return moment is not None and abs(moment - expected) < timedelta(minutes=1)


# --- status ranges -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("spec", "ranges"),
    [
        ("200-399", [(200, 399)]),
        ("200", [(200, 200)]),
        ("200,204,301-302", [(200, 200), (204, 204), (301, 302)]),
        (" 200 - 299 , 418 ", [(200, 299), (418, 418)]),
        ("100-599", [(100, 599)]),
    ],
)
def test_status_ranges(spec: str, ranges: list[tuple[int, int]]) -> None:
    assert parse_status_ranges(spec) == ranges


@pytest.mark.parametrize(
    "spec", ["", " ", "2xx", "99", "600", "200-", "-200", "399-200", "200-300-400", "200,,204", "²"]
)
def test_bad_status_ranges_are_refused_on_their_field(spec: str) -> None:
    with pytest.raises(ValidationError) as refused:
        parse_status_ranges(spec)
    assert "100 to 599" in str(refused.value.fields["expect_status"][0])


# --- targets -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kind", "target", "normalised"),
    [
        ("tcp", "127.0.0.1:8080", "127.0.0.1:8080"),
        ("tls", " LOCALHOST:443 ", "localhost:443"),
        ("tcp", "[::1]:22", "[::1]:22"),
        ("tcp", "[0:0::1]:65535", "[::1]:65535"),
        ("http", "http://127.0.0.1:8080/health?x=1", "http://127.0.0.1:8080/health?x=1"),
        ("http", " https://localhost/ ", "https://localhost/"),
    ],
)
def test_validate_target_accepts_loopback_under_the_test_settings(
    kind: str, target: str, normalised: str
) -> None:
    assert validate_target(kind, target) == normalised


@pytest.mark.parametrize(
    ("kind", "target", "words"),
    [
        ("http", "http://169.254.169.254/latest/meta-data/", ["169.254.169.254", "link-local"]),
        ("tcp", "169.254.169.254:80", ["169.254.169.254", "link-local"]),
        ("tls", "10.0.0.1:443", ["10.0.0.1", "private"]),
        ("tcp", "[fe80::1]:22", ["link-local"]),
        ("http", "http://10.0.0.1/", ["10.0.0.1", "private"]),
    ],
)
def test_validate_target_refuses_what_the_guard_refuses(
    kind: str, target: str, words: list[str]
) -> None:
    with pytest.raises(ValidationError) as refused:
        validate_target(kind, target)
    [reason] = refused.value.fields["target"]
    for word in [*words, "OUTBOUND_ALLOW_NETWORKS"]:
        assert word in str(reason)


def test_the_refusal_reads_in_chinese() -> None:
    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
        validate_target("tcp", "169.254.169.254:80")
    assert "链路本地" in str(refused.value.fields["target"][0])


def test_an_allowed_network_may_be_probed(settings: Any) -> None:
    settings.OUTBOUND_ALLOW_NETWORKS = ["169.254.0.0/16", "10.0.0.0/8"]
    assert validate_target("tcp", "169.254.169.254:80") == "169.254.169.254:80"
    assert validate_target("tls", "10.0.0.1:443") == "10.0.0.1:443"


def test_loopback_is_refused_without_the_test_allowance(settings: Any) -> None:
    settings.OUTBOUND_ALLOW_NETWORKS = []
    for kind, target in [("tcp", "127.0.0.1:22"), ("tls", "localhost:443"), ("tcp", "[::1]:1")]:
        with pytest.raises(ValidationError, match="loopback"):
            validate_target(kind, target)


@pytest.mark.parametrize(
    ("kind", "target", "field", "words"),
    [
        ("tcp", "localhost:0", "target", "1 to 65535"),
        ("tcp", "localhost:65536", "target", "1 to 65535"),
        ("tcp", "localhost", "target", "host:port"),
        ("tls", "::1:443", "target", "host:port"),
        ("tls", "[not-v6]:443", "target", "host:port"),
        ("tcp", "https://localhost:443", "target", "host:port"),
        ("tcp", "local host:80", "target", "host:port"),
        ("tcp", "", "target", "host:port"),
        ("tcp", "localhost:80\nX", "target", "One line"),
        ("http", "ftp://localhost/", "target", "http://"),
        ("http", "localhost:80", "target", "http://"),
        ("ping", "localhost", "kind", "HTTP(S)"),
    ],
)
def test_validate_target_refuses_bad_specs(kind: str, target: str, field: str, words: str) -> None:
    with pytest.raises(ValidationError) as refused:
        validate_target(kind, target)
    assert words in str(refused.value.fields[field][0])


@pytest.mark.parametrize("sni", ["two words", "127.0.0.1", "host:443", "a/b"])
def test_a_server_name_must_be_a_host_name(sni: str) -> None:
    with pytest.raises(ValidationError) as refused:
        validate_target("tls", "localhost:443", sni=sni)
    assert "host name" in str(refused.value.fields["sni"][0])
    assert validate_target("tls", "localhost:443", sni="jw.example.edu.cn") == "localhost:443"


def test_an_unresolvable_host_is_refused() -> None:
    name = "x" * 64 + ".example.edu"  # fails before any query leaves the machine
    with pytest.raises(ValidationError) as refused:
        validate_target("tcp", f"{name}:443")
    assert "cannot be resolved" in str(refused.value.fields["target"][0])


# --- HTTP --------------------------------------------------------------------------------------
def test_a_healthy_server_is_up(server: Server) -> None:
    result = check(probe(target=server.url("/health")))
    assert result.ok and result.status_code == 200 and result.error == ""
    assert result.latency_ms is not None and 0 <= result.latency_ms < 5000
    assert result.cert_expires_at is None
    assert server.paths == ["/health"] and server.methods == ["GET"]


def test_the_method_is_the_probes(server: Server) -> None:
    assert check(probe(target=server.url(), method="head")).ok
    assert server.methods == ["HEAD"]


def test_a_500_is_down(server: Server) -> None:
    server.answers = [Answer(status=500, body=b"oops")]
    result = check(probe(target=server.url()))
    assert not result.ok and result.status_code == 500 and result.latency_ms is not None
    assert result.error == "Answered 500; expected 200-399."


def test_the_expected_statuses_are_the_probes(server: Server) -> None:
    server.answers = [Answer(status=401)]
    assert not check(probe(target=server.url())).ok
    assert check(probe(target=server.url(), expect_status="200,401")).ok


def test_a_keyword_must_be_present(server: Server) -> None:
    server.answers = [Answer(body="<p>教务管理系统 登录</p>".encode())]
    assert check(probe(target=server.url(), keyword="教务管理系统")).ok
    result = check(probe(target=server.url(), keyword="统一身份认证"))
    assert not result.ok and result.status_code == 200
    assert result.error == "The page does not contain “统一身份认证”."


def test_a_keyword_that_must_be_absent(server: Server) -> None:
    server.answers = [Answer(body=b"<p>Service Unavailable - maintenance</p>")]
    result = check(probe(target=server.url(), keyword="Unavailable", keyword_absent=True))
    assert not result.ok
    assert result.error == "The page contains “Unavailable”, which must be absent."
    assert check(probe(target=server.url(), keyword="Fatal error", keyword_absent=True)).ok


def test_a_keyword_on_an_older_gbk_page(server: Server) -> None:
    server.answers = [Answer(body="<p>研究生管理系统</p>".encode("gbk"))]  # no charset given
    assert check(probe(target=server.url(), keyword="研究生")).ok
    server.answers = [
        Answer(
            body="<p>图书馆</p>".encode("gbk"), headers={"Content-Type": "text/html; charset=GBK"}
        )
    ]
    assert check(probe(target=server.url(), keyword="图书馆")).ok


def test_the_keyword_is_looked_for_in_a_bounded_body(server: Server) -> None:
    server.answers = [Answer(body=b"x" * (checks.MAX_BODY + 10) + b"needle")]
    result = check(probe(target=server.url(), keyword="needle"))
    assert not result.ok and "needle" in result.error


def test_a_slow_answer_exceeds_the_maximum_latency(server: Server) -> None:
    server.answers = [Answer(delay=0.3)]
    result = check(probe(target=server.url(), max_latency_ms=100))
    assert not result.ok and result.status_code == 200
    assert result.latency_ms is not None and result.latency_ms >= 300
    assert result.error.startswith(f"Answered in {result.latency_ms} ms, more than the 100 ms")
    assert check(probe(target=server.url(), max_latency_ms=5000)).ok


def test_a_redirect_is_reported_not_followed(server: Server) -> None:
    server.answers = [Answer(status=302, headers={"Location": "/login"})]
    result = check(probe(target=server.url("/"), expect_status="200"))
    assert not result.ok and result.status_code == 302
    assert result.error == "Redirected (302) to /login, not followed; expected 200."
    assert server.paths == ["/"]
    # The default 200-399 counts the redirect itself as up.
    assert check(probe(target=server.url("/"))).ok
    assert server.paths == ["/", "/"]


def test_a_redirect_to_the_metadata_service_is_never_followed(
    server: Server, connections: list[str]
) -> None:
    location = "http://169.254.169.254/latest/meta-data/"
    server.answers = [Answer(status=301, headers={"Location": location})]
    result = check(probe(target=server.url(), expect_status="200", retries=2))
    assert not result.ok
    assert location in result.error and "not followed" in result.error
    assert connections and set(connections) == {HOST}  # nothing went to 169.254.169.254


def test_a_refused_target_fails_with_the_reason_and_no_connection(
    server: Server, settings: Any, connections: list[str]
) -> None:
    settings.OUTBOUND_ALLOW_NETWORKS = []
    result = check(probe(target=server.url(), retries=3))
    assert not result.ok and result.latency_ms is None
    assert "loopback" in result.error and "OUTBOUND_ALLOW_NETWORKS" in result.error
    assert connections == [] and server.paths == []


def test_a_refused_port_is_down(closed_port: int) -> None:
    result = check(probe(target=f"http://{HOST}:{closed_port}/"))
    assert not result.ok and result.status_code is None
    assert result.error == "The connection was refused: nothing listens on that port."


def test_a_hanging_server_fails_within_the_timeout(silent: int) -> None:
    started = time.monotonic()
    result = check(probe(target=f"http://{HOST}:{silent}/", timeout_seconds=1))
    assert time.monotonic() - started < 2
    assert not result.ok and result.error == "No complete answer within 1 s."


def test_retries_count_only_the_last_attempt(server: Server) -> None:
    server.answers = [Answer(status=503), Answer(status=200)]
    assert check(probe(target=server.url(), retries=1)).ok
    assert len(server.paths) == 2
    server.answers = [Answer(status=503), Answer(status=200)]
    assert not check(probe(target=server.url(), retries=0)).ok
    assert len(server.paths) == 3


def test_retries_stop_at_the_first_success(server: Server) -> None:
    assert check(probe(target=server.url(), retries=3)).ok
    assert len(server.paths) == 1
    server.answers = [Answer(status=500)]
    assert not check(probe(target=server.url(), retries=2)).ok
    assert len(server.paths) == 4  # one try and two retries


def test_a_stored_target_that_is_no_longer_valid_fails_without_raising() -> None:
    result = check(probe(kind="tcp", target="no port here"))
    assert not result.ok and "host:port" in result.error
    assert not check(probe(target="http://x/", expect_status="fine")).ok


# --- TCP ---------------------------------------------------------------------------------------
def test_an_open_tcp_port_is_up(silent: int) -> None:
    result = check(probe(kind="tcp", target=f"{HOST}:{silent}"))
    assert result.ok and result.latency_ms is not None and result.status_code is None


def test_a_tcp_port_that_refuses_is_down(closed_port: int) -> None:
    result = check(probe(kind="tcp", target=f"{HOST}:{closed_port}", retries=1))
    assert not result.ok and result.latency_ms is None
    assert "refused" in result.error


def test_tcp_over_ipv6_loopback() -> None:
    if not socket.has_ipv6:
        pytest.skip("no IPv6")
    with socket.socket(socket.AF_INET6) as listener:
        try:
            listener.bind(("::1", 0))
        except OSError:
            pytest.skip("no IPv6 loopback")
        listener.listen(1)
        assert check(probe(kind="tcp", target=f"[::1]:{listener.getsockname()[1]}")).ok


# --- TLS ---------------------------------------------------------------------------------------
NOW = datetime.now(UTC)


@pytest.fixture
def authority(tmp_path: Path, settings: Any) -> trustme.CA:
    """A campus CA that the probes trust through PROBE_CA_FILE."""
    ca = trustme.CA()
    path = tmp_path / "campus-ca.pem"
    ca.cert_pem.write_to_path(str(path))
    settings.PROBE_CA_FILE = str(path)
    return ca


@dataclass
class TLSServer(Server):
    names: list[str | None] = field(default_factory=list)  # the SNI of each handshake


@pytest.fixture
def tls_server() -> Iterator[Callable[[trustme.LeafCert], TLSServer]]:
    """Starts HTTPS servers on loopback presenting the given certificate."""
    with contextlib.ExitStack() as stack:

        def start(cert: trustme.LeafCert) -> TLSServer:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            cert.configure_cert(context)
            state = TLSServer(scheme="https")
            context.sni_callback = lambda _sock, name, _ctx: state.names.append(name)
            httpd = _Server((HOST, 0), _Handler)
            httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
            state.port = httpd.server_address[1]
            httpd.state = state
            stack.enter_context(serving(httpd))
            return state

        yield start


def tls_probe(server: Server, host: str = "localhost", **fields: Any) -> Probe:
    return probe(kind="tls", target=f"{host}:{server.port}", **fields)


def test_a_valid_certificate_reports_its_expiry(authority: trustme.CA, tls_server: Any) -> None:
    expires = NOW + timedelta(days=5)
    server = tls_server(authority.issue_cert("localhost", not_after=expires))
    result = check(tls_probe(server))
    assert result.ok and result.error == "" and result.latency_ms is not None
    assert near(result.cert_expires_at, expires)
    assert result.cert_expires_at is not None and result.cert_expires_at.tzinfo is not None
    assert server.names == ["localhost"]


def test_an_expired_certificate_is_down_with_its_date(
    authority: trustme.CA, tls_server: Any
) -> None:
    expired = NOW - timedelta(days=2)
    cert = authority.issue_cert("localhost", not_before=NOW - timedelta(days=90), not_after=expired)
    result = check(tls_probe(tls_server(cert)))
    assert not result.ok
    assert near(result.cert_expires_at, expired)
    assert result.error.startswith("The certificate expired on ")


def test_a_certificate_for_another_name_is_down(authority: trustme.CA, tls_server: Any) -> None:
    expires = NOW + timedelta(days=200)
    server = tls_server(authority.issue_cert("campus.example.edu", not_after=expires))
    result = check(tls_probe(server))
    assert not result.ok and result.error == "The certificate is not valid for localhost."
    assert near(result.cert_expires_at, expires)  # read again without verification
    result = check(tls_probe(server, host=HOST))
    assert not result.ok and result.error == f"The certificate is not valid for {HOST}."


def test_the_server_name_presents_and_checks_the_sni(
    authority: trustme.CA, tls_server: Any
) -> None:
    server = tls_server(authority.issue_cert("jw.example.edu.cn"))
    result = check(tls_probe(server, host=HOST, sni="jw.example.edu.cn"))
    assert result.ok, result.error
    assert server.names == ["jw.example.edu.cn"]


def test_an_untrusted_certificate_is_down(
    authority: trustme.CA, tls_server: Any, settings: Any
) -> None:
    server = tls_server(trustme.CA().issue_cert("localhost"))  # another CA
    result = check(tls_probe(server))
    assert not result.ok and "trusted certificate authority" in result.error
    assert result.cert_expires_at is not None
    settings.PROBE_CA_FILE = ""  # the system's CAs alone do not know the campus CA either
    assert not check(tls_probe(tls_server(authority.issue_cert("localhost")))).ok


def test_a_missing_ca_file_fails_clearly(
    authority: trustme.CA, tls_server: Any, settings: Any, tmp_path: Path
) -> None:
    server = tls_server(authority.issue_cert("localhost"))
    settings.PROBE_CA_FILE = str(tmp_path / "missing.pem")
    result = check(tls_probe(server))
    assert not result.ok and "PROBE_CA_FILE" in result.error


def test_a_renewed_ca_file_is_picked_up(
    authority: trustme.CA, tls_server: Any, settings: Any
) -> None:
    other = trustme.CA()
    server = tls_server(other.issue_cert("localhost"))
    assert not check(tls_probe(server)).ok
    path = Path(settings.PROBE_CA_FILE)
    path.write_bytes(authority.cert_pem.bytes() + other.cert_pem.bytes())
    assert check(tls_probe(server)).ok


def test_a_hanging_tls_server_fails_within_the_timeout(authority: trustme.CA, silent: int) -> None:
    started = time.monotonic()
    result = check(probe(kind="tls", target=f"{HOST}:{silent}", timeout_seconds=1))
    assert time.monotonic() - started < 2
    assert not result.ok and result.error == "No complete answer within 1 s."


def test_a_tls_port_that_refuses_is_down(authority: trustme.CA, closed_port: int) -> None:
    result = check(probe(kind="tls", target=f"{HOST}:{closed_port}"))
    assert not result.ok and "refused" in result.error and result.cert_expires_at is None


def test_an_https_probe_reports_the_certificate_expiry_too(
    authority: trustme.CA, tls_server: Any
) -> None:
    expires = NOW + timedelta(days=40)
    server = tls_server(authority.issue_cert("localhost", not_after=expires))
    result = check(probe(target=server.url("/", host="localhost"), keyword="campus portal"))
    assert result.ok and result.status_code == 200
    assert near(result.cert_expires_at, expires)
    result = check(probe(target=server.url("/", host=HOST)))  # not the certificate's name
    assert not result.ok and result.error == f"The certificate is not valid for {HOST}."


def test_errors_are_one_line_and_bounded(server: Server) -> None:
    server.answers = [Answer(status=302, headers={"Location": "/" + "x" * 2000})]
    result = check(probe(target=server.url(), expect_status="200"))
    assert not result.ok and "\n" not in result.error and len(result.error) <= 500
    assert isinstance(result, CheckResult)

"""One run of one probe's check: HTTP(S), a TCP port, or a TLS certificate.

Every connection goes through the guarded outbound client (core/outbound.py): the target's
name is resolved once, each address checked against ``OUTBOUND_ALLOW_NETWORKS``, the
connection pinned to a checked address, redirects answered but never followed, the body
read bounded and the whole exchange held to the probe's timeout. There is no other network
code here.

``check`` never raises for trouble on the other side: it answers a ``CheckResult`` whose
``error`` says, in the user's words, what was wrong. A refused target (a link-local or
private address) fails at once with the guard's reason and is not retried.

Certificates are verified against the system's certificate authorities plus those in
``settings.PROBE_CA_FILE`` (a campus's own CA). When verification fails, a second
connection without verification still reads the certificate's expiry, so an expired
certificate reports its date; the 30/7-day warnings are decided from that date elsewhere
(services).
"""

from __future__ import annotations

import functools
import http.client
import ipaddress
import os
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campusdesk.core import outbound
from campusdesk.core.errors import ValidationError
from campusdesk.core.text import has_control, one_line
from campusdesk.monitoring.models import Probe

#: enough of a page to find a keyword in; more is not read
MAX_BODY = 256 * 1024
MAX_ERROR = 500
USER_AGENT = "campusdesk-probe/1"
STATUS_RANGE = (100, 599)

# OpenSSL's verification results (X509_V_ERR_*) that we explain in our own words.
_NOT_YET_VALID, _EXPIRED, _HOST_MISMATCH, _IP_MISMATCH = 9, 10, 62, 64
_UNTRUSTED = {2, 18, 19, 20, 21, 27}

_HOST_PORT = re.compile(
    r"(?:\[(?P<v6>[0-9A-Fa-f:.]+)\]|(?P<host>[^\s:/\\\[\]@?#%]+)):(?P<port>[0-9]{1,5})"
)
_NAME = re.compile(r"[^\s:/\\\[\]@?#%]{1,253}")


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    latency_ms: int | None
    status_code: int | None = None
    #: one line, at most 500 characters, in the active language where the words are ours
    error: str = ""
    #: the peer certificate's notAfter (tls probes, and https probes when it was verified)
    cert_expires_at: datetime | None = None


class _Failed(Exception):
    """A check failed for a reason we can name; carries what the result should say."""

    def __init__(self, message: Any, *, expires_at: datetime | None = None) -> None:
        super().__init__(str(message))
        self.expires_at = expires_at


# --- validation ------------------------------------------------------------------------------
def parse_status_ranges(spec: str) -> list[tuple[int, int]]:
    """``"200-399"``, ``"200"`` or ``"200,204,301-302"`` as inclusive ranges of statuses."""
    ranges: list[tuple[int, int]] = []
    for item in (spec or "").split(","):
        low, dash, high = item.strip().partition("-")
        bounds = (low.strip(), (high if dash else low).strip())
        if not all(part.isascii() and part.isdigit() for part in bounds):
            ranges = []
            break
        first, last = int(bounds[0]), int(bounds[1])
        if not STATUS_RANGE[0] <= first <= last <= STATUS_RANGE[1]:
            ranges = []
            break
        ranges.append((first, last))
    if not ranges:
        message = _(
            "Give statuses from 100 to 599, single or as ranges, separated by commas: "
            "200-399, 200 or 200,204,301-302."
        )
        raise ValidationError(message, fields={"expect_status": [message]})
    return ranges


def _host_port(target: str) -> tuple[str, int]:
    """``host:port`` (an IPv6 address in brackets) as its host and port."""
    found = _HOST_PORT.fullmatch(target.strip())
    port = int(found["port"]) if found else 0
    host = (found["v6"] or found["host"]).lower() if found else ""
    if found and found["v6"]:
        try:
            host = str(ipaddress.IPv6Address(host))
        except ValueError:
            host = ""
    if not host or not 1 <= port <= 65535:
        raise _target_error(
            _(
                "Give the host and port as host:port with a port from 1 to 65535, "
                "e.g. jw.example.edu.cn:443 (an IPv6 address in brackets: [2001:db8::1]:443)."
            )
        )
    return host, port


def _joined(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _target_error(message: Any, field: str = "target") -> ValidationError:
    return ValidationError(message, fields={field: [message]})


def validate_target(kind: str, target: str, *, sni: str = "") -> str:
    """The normalised ``target`` of a probe of ``kind``, its host resolved and checked.

    Raises ValidationError (on ``target``, or ``sni``/``kind``) with the outbound guard's
    reason for a refused address, so a probe to 169.254.169.254 is never created unless
    ``OUTBOUND_ALLOW_NETWORKS`` allows it.
    """
    target = (target or "").strip()
    if has_control(target) or len(target) > 500:
        raise _target_error(_("One line, at most 500 characters."))
    if kind == Probe.Kind.HTTP:
        try:
            outbound.check_url(target)
        except ValidationError as error:
            raise _target_error(error.message) from error
        return target
    if kind not in (Probe.Kind.TCP, Probe.Kind.TLS):
        raise _target_error(_("Choose HTTP(S), TCP port or TLS certificate."), "kind")
    host, port = _host_port(target)
    if sni and (not _NAME.fullmatch(sni) or _is_address(sni)):
        raise _target_error(_("Give a host name (no address, no port)."), "sni")
    try:
        outbound.resolve(host, port)
    except outbound.OutboundRefused as error:
        raise _target_error(error.message) from error
    except outbound.OutboundError as error:
        raise _target_error(
            _("The host name %(host)s cannot be resolved.") % {"host": host}
        ) from error
    return _joined(host, port)


def _is_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


# --- trust -----------------------------------------------------------------------------------
class _Seen(threading.local):
    expires_at: datetime | None = None


_seen = _Seen()


class _Verifying(ssl.SSLContext):
    """A client context that notes, per thread, when the certificate it verified expires.

    The HTTPS probe's connection is closed inside the outbound client before the answer
    comes back, so the certificate is read while the handshake's socket is still open.
    """

    def wrap_socket(self, sock: socket.socket, *args: Any, **kwargs: Any) -> ssl.SSLSocket:
        wrapped = super().wrap_socket(sock, *args, **kwargs)
        _seen.expires_at = _expiry(wrapped.getpeercert(binary_form=True))
        return wrapped


def _verifying() -> _Verifying:
    """The shared verifying context (loading the system's CAs costs ~30 ms: not per run)."""
    path = settings.PROBE_CA_FILE
    try:
        return _trust(path, os.stat(path).st_mtime_ns if path else 0)
    except (OSError, ssl.SSLError) as error:
        raise _Failed(
            _("The CA file in PROBE_CA_FILE (%(path)s) cannot be used: %(detail)s")
            % {"path": path, "detail": error}
        ) from error


@functools.lru_cache(maxsize=4)
def _trust(path: str, stamp: int) -> _Verifying:
    """Keyed by the file's modification time too, so a renewed campus CA is picked up."""
    context = _Verifying(ssl.PROTOCOL_TLS_CLIENT)  # verifies the chain and the name
    context.load_default_certs()
    if path:
        context.load_verify_locations(cafile=path)
    return context


@functools.lru_cache(maxsize=1)
def _unverified() -> ssl.SSLContext:
    """Only to read the expiry of a certificate that failed verification."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def _expiry(der: bytes | None) -> datetime | None:
    if not der:
        return None
    try:
        return x509.load_der_x509_certificate(der).not_valid_after_utc
    except ValueError:
        return None


def _certificate_error(error: ssl.SSLCertVerificationError, name: str, expires: Any) -> Any:
    code = error.verify_code
    if code == _EXPIRED and expires is not None:
        day = timezone.localtime(expires).strftime("%Y-%m-%d %H:%M")
        return _("The certificate expired on %(date)s.") % {"date": day}
    if code == _EXPIRED:
        return _("The certificate has expired.")
    if code == _NOT_YET_VALID:
        return _("The certificate is not valid yet.")
    if code in (_HOST_MISMATCH, _IP_MISMATCH):
        return _("The certificate is not valid for %(name)s.") % {"name": name}
    if code in _UNTRUSTED:
        return _(
            "The certificate is not issued by a trusted certificate authority (%(detail)s); "
            "a campus's own CA can be added in PROBE_CA_FILE."
        ) % {"detail": error.verify_message}
    return _("The certificate could not be verified: %(detail)s") % {
        "detail": error.verify_message or error
    }


# --- the kinds -------------------------------------------------------------------------------
def _ms(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


def _http(probe: Probe, timeout: float) -> CheckResult:
    ranges = parse_status_ranges(probe.expect_status)
    https = urlsplit(probe.target.strip()).scheme.lower() == "https"
    _seen.expires_at = None
    started = time.monotonic()
    try:
        answer = outbound.request(
            (probe.method or "GET").upper(),
            probe.target,
            headers={"User-Agent": USER_AGENT},
            timeout=timeout,
            max_bytes=MAX_BODY,
            tls=_verifying() if https else None,
        )
    except outbound.OutboundError as error:
        name = urlsplit(probe.target.strip()).hostname or ""
        raise _Failed(_failure(error, name, timeout, time.monotonic() - started)) from error
    latency = _ms(started)
    problem = _verdict(probe, answer, ranges, latency)
    return CheckResult(
        ok=not problem,
        latency_ms=latency,
        status_code=answer.status,
        error=_line(problem) if problem else "",
        cert_expires_at=_seen.expires_at if https else None,
    )


def _verdict(
    probe: Probe, answer: outbound.Response, ranges: list[tuple[int, int]], latency: int
) -> Any:
    """What is wrong with the answer (a lazy phrase), or "" when it is what was expected."""
    if not any(low <= answer.status <= high for low, high in ranges):
        location = one_line(answer.headers.get("location", ""))[:300]
        values = {"status": answer.status, "expected": probe.expect_status, "to": location}
        if 300 <= answer.status < 400 and location:
            redirected = _(
                "Redirected (%(status)s) to %(to)s, not followed; expected %(expected)s."
            )
            return redirected % values
        return _("Answered %(status)s; expected %(expected)s.") % values
    if probe.keyword:
        found = probe.keyword in _text(answer)
        if found and probe.keyword_absent:
            return _("The page contains “%(keyword)s”, which must be absent.") % {
                "keyword": probe.keyword
            }
        if not found and not probe.keyword_absent:
            return _("The page does not contain “%(keyword)s”.") % {"keyword": probe.keyword}
    if probe.max_latency_ms is not None and latency > probe.max_latency_ms:
        return _("Answered in %(latency)s ms, more than the %(limit)s ms allowed.") % {
            "latency": latency,
            "limit": probe.max_latency_ms,
        }
    return ""


def _text(answer: outbound.Response) -> str:
    """The body as text: the declared charset, else UTF-8, else GB18030 (older campus sites)."""
    declared = re.search(r"charset=[\"']?([\w.:-]+)", answer.headers.get("content-type", ""))
    if declared:
        try:
            return answer.body.decode(declared[1], errors="replace")
        except LookupError:
            pass
    try:
        return answer.body.decode("utf-8")
    except UnicodeDecodeError as error:
        # a character cut at the read limit is not a sign of another encoding
        if error.start >= len(answer.body) - 3 and answer.truncated:
            return answer.body.decode("utf-8", errors="replace")
        return answer.body.decode("gb18030", errors="replace")


def _tcp(probe: Probe, timeout: float) -> CheckResult:
    host, port = _host_port(probe.target)
    started = time.monotonic()
    try:
        outbound.connect(host, port, timeout=timeout).close()
    except outbound.OutboundError as error:
        raise _Failed(_failure(error, host, timeout, time.monotonic() - started)) from error
    return CheckResult(ok=True, latency_ms=_ms(started))


def _tls(probe: Probe, timeout: float) -> CheckResult:
    host, port = _host_port(probe.target)
    name = probe.sni or host  # the name presented (SNI) and checked
    context = _verifying()
    started = time.monotonic()
    deadline = started + timeout
    try:
        sock = outbound.connect(host, port, timeout=timeout)
    except outbound.OutboundError as error:
        raise _Failed(_failure(error, name, timeout, time.monotonic() - started)) from error
    try:
        # outbound bounded the connect; the handshake gets what is left of the timeout
        sock.settimeout(max(deadline - time.monotonic(), 0.001))
        with context.wrap_socket(sock, server_hostname=name) as tls:
            expires = _expiry(tls.getpeercert(binary_form=True))
    except ssl.SSLCertVerificationError as error:
        sock.close()
        expires = _peek_expiry(host, port, name, deadline)
        raise _Failed(_certificate_error(error, name, expires), expires_at=expires) from error
    except OSError as error:
        raise _Failed(_failure(error, name, timeout, time.monotonic() - started)) from error
    finally:
        sock.close()  # detached once wrapped; this closes it when the handshake failed
    return CheckResult(ok=True, latency_ms=_ms(started), cert_expires_at=expires)


def _peek_expiry(host: str, port: int, name: str, deadline: float) -> datetime | None:
    """The expiry of the certificate that failed verification, read without verifying."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        return None
    try:
        with outbound.connect(host, port, timeout=remaining) as sock:
            sock.settimeout(max(deadline - time.monotonic(), 0.001))
            with _unverified().wrap_socket(sock, server_hostname=name) as tls:
                return _expiry(tls.getpeercert(binary_form=True))
    except (outbound.OutboundError, OSError):
        return None


def _failure(error: BaseException, name: str, timeout: float, elapsed: float) -> Any:
    """What a failed connection or exchange means, in our words where we know them."""
    cause = error.__cause__ if isinstance(error, outbound.OutboundError) else error
    cause = cause or error
    if isinstance(cause, ssl.SSLCertVerificationError):
        return _certificate_error(cause, name, None)
    if elapsed >= timeout or isinstance(cause, TimeoutError):
        return _("No complete answer within %(seconds)s s.") % {"seconds": f"{timeout:g}"}
    if isinstance(cause, ConnectionRefusedError):
        return _("The connection was refused: nothing listens on that port.")
    if isinstance(cause, socket.gaierror):
        return _("The host name %(host)s cannot be resolved.") % {"host": name}
    if isinstance(cause, ConnectionResetError | BrokenPipeError):
        return _("The server closed the connection without an answer.")
    if isinstance(cause, http.client.HTTPException):
        return _("The answer is not HTTP: %(detail)s") % {"detail": cause}
    if isinstance(cause, ssl.SSLError):
        return _("The TLS handshake failed: %(detail)s") % {"detail": cause}
    return _("The check failed: %(detail)s") % {"detail": error}


_KINDS: dict[str, Callable[[Probe, float], CheckResult]] = {
    Probe.Kind.HTTP: _http,
    Probe.Kind.TCP: _tcp,
    Probe.Kind.TLS: _tls,
}


# --- the run ---------------------------------------------------------------------------------
def _once(probe: Probe) -> tuple[CheckResult, bool]:
    """One attempt, and whether another could answer differently (a refusal cannot)."""
    run = _KINDS.get(probe.kind)
    if run is None:
        return _failed(_("Unknown kind of probe: %(kind)s") % {"kind": probe.kind}), False
    try:
        return run(probe, float(max(probe.timeout_seconds, 1))), True
    except ValidationError as error:  # refused by the guard, or a stored value now invalid
        return _failed(error.message), False
    except _Failed as error:
        return _failed(str(error), error.expires_at), True
    except (outbound.OutboundError, OSError, http.client.HTTPException, ValueError) as error:
        return _failed(_("The check failed: %(detail)s") % {"detail": error}), True


def _failed(message: Any, expires_at: datetime | None = None) -> CheckResult:
    return CheckResult(ok=False, latency_ms=None, error=_line(message), cert_expires_at=expires_at)


def _line(message: Any) -> str:
    text = one_line(str(message))
    return text if len(text) <= MAX_ERROR else text[: MAX_ERROR - 1] + "…"


def check(probe: Probe) -> CheckResult:
    """Run ``probe``'s check now; on failure again up to ``probe.retries`` times at once.

    The last attempt's result counts. Never raises for network trouble.
    """
    result, retry = _once(probe)
    for _attempt in range(probe.retries):
        if result.ok or not retry:
            break
        result, retry = _once(probe)
    return result

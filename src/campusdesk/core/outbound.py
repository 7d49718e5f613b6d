"""Outgoing connections to addresses that people typed, guarded against request forgery (SSRF).

Webhooks, group robots and (later) probes reach URLs an administrator entered; without a
guard such a URL reaches the cloud's metadata service (169.254.169.254), the database on
loopback or anything on the campus network. Every such request goes through here:

1. The URL must be ``http``/``https`` with a host name. The name is resolved once.
2. Every address it resolves to is checked (``refusal``): loopback, link-local,
   unspecified, multicast, private (incl. the shared 100.64.0.0/10), reserved and other
   non-public ranges are refused, also when an IPv6 address embeds an IPv4 one
   (``::ffff:127.0.0.1``, 6to4, NAT64), unless the administrator allow-listed the network
   in ``settings.OUTBOUND_ALLOW_NETWORKS``. One refused address refuses the name: a name
   that answers with a public and an internal address is not used at all.
3. The connection goes to a checked address (pinned), so a second lookup cannot answer
   differently (DNS rebinding); the ``Host`` header, the TLS server name and the
   certificate check use the name from the URL.
4. Redirects are never followed: the 3xx answer goes back to the caller, which treats it
   as a failure. A webhook receiver or a robot does not redirect, and a probe reports what
   it was answered; following would let a public server send us on to a refused address.
5. The whole exchange has one deadline (a watchdog shuts the socket at the end, so a
   server that drips a byte a second is cut off too) and the body read is bounded.
   Name resolution is bounded by the system resolver's own timeout.

No proxy is used (``HTTP_PROXY`` is ignored): behind one the check would mean nothing.

Built on the standard library's ``http.client``, whose ``connect()`` is the one place to
override for pinning; urllib3 could do the same with a custom connection class but would
be a new dependency for the same twenty lines.
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError as FieldError
from django.utils.translation import gettext_lazy as _

from campusdesk.core.errors import ValidationError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

DEFAULT_TIMEOUT = 10.0
DEFAULT_MAX_BYTES = 1024 * 1024
SCHEMES = {"http": 80, "https": 443}
# Not private in Python 3.11's tables, yet not reachable from the internet either.
_SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT (RFC 6598)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052: the low 32 bits are IPv4


class OutboundRefused(ValidationError):
    """The URL is not one we may reach: trying again cannot help."""


class OutboundError(Exception):
    """The other side could not be reached or did not answer in time: it may later."""


@dataclass(frozen=True)
class Target:
    """A checked URL: the name to present (Host, TLS) and the addresses to connect to."""

    scheme: str
    host: str
    port: int
    path: str  # path and query, at least "/"
    addresses: tuple[str, ...]  # every one checked; tried in the resolver's order

    @property
    def address(self) -> str:
        return self.addresses[0]


@dataclass(frozen=True)
class Response:
    status: int
    reason: str
    headers: dict[str, str]  # names in lower case
    body: bytes  # at most ``max_bytes``
    truncated: bool  # the server had more to say than ``max_bytes``


# --- the check -----------------------------------------------------------------------------
def allowed_networks() -> tuple[Network, ...]:
    """``settings.OUTBOUND_ALLOW_NETWORKS`` (networks, or CIDR strings in a test's override)."""
    given: Iterable[Any] = getattr(settings, "OUTBOUND_ALLOW_NETWORKS", ())
    return tuple(ipaddress.ip_network(str(item), strict=False) for item in given)


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one stands for, where a router would deliver it there."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64 or (int(ip) >> 32 == 0 and int(ip) > 1):  # NAT64, IPv4-compatible (::a.b.c.d)
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def _kind(ip: IPAddress) -> Any:
    """Why ``ip`` is not a public address (a lazy translated phrase), or None."""
    if ip.is_unspecified:
        return _("an unspecified address")
    if ip.is_loopback:
        return _("a loopback address")
    if ip.is_link_local:
        return _("a link-local address")
    if ip.is_multicast:
        return _("a multicast address")
    if ip.is_reserved:
        return _("a reserved address, not on the public internet")
    if ip.is_private or ip in _SHARED:
        return _("a private network address")
    if not ip.is_global:
        return _("a reserved address, not on the public internet")
    return None


def refusal(address: str, allow: tuple[Network, ...] | None = None) -> Any:
    """Why outgoing requests may not go to ``address`` (a lazy phrase), or None if they may.

    An IPv6 address that stands for an IPv4 one is judged as that IPv4 address: that is
    where it leads (DNS64 networks reach every IPv4-only host through 64:ff9b::/96).
    """
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 zone names no other host
    inner = _embedded_ipv4(ip) if isinstance(ip, ipaddress.IPv6Address) else None
    networks = allowed_networks() if allow is None else allow
    if any(candidate in net for candidate in (ip, inner) if candidate for net in networks):
        return None
    return _kind(inner or ip)


def _parse(url: str) -> tuple[str, str, int, str]:
    parts = urlsplit(url.strip())
    try:
        port = parts.port
    except ValueError:
        port = -1
    if parts.scheme not in SCHEMES or not parts.hostname or port == -1:
        raise OutboundRefused(_("Give an http:// or https:// URL with a host name."))
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, parts.hostname, port or SCHEMES[parts.scheme], path


def resolve(host: str, port: int) -> tuple[str, ...]:
    """The addresses of ``host``, each one checked; OutboundRefused names the first refused."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise OutboundError(f"the host name {host} cannot be resolved: {error}") from error
    addresses = tuple(dict.fromkeys(str(info[4][0]) for info in found))
    allow = allowed_networks()
    for address in addresses:
        kind = refusal(address, allow)
        if kind is not None:
            raise OutboundRefused(
                _(
                    "Outgoing requests may not go to %(host)s: %(address)s is %(reason)s. "
                    "An administrator may allow its network in OUTBOUND_ALLOW_NETWORKS."
                )
                % {"host": host, "address": address, "reason": kind}
            )
    if not addresses:
        raise OutboundError(f"the host name {host} has no address")
    return addresses


def _target(url: str) -> Target:
    scheme, host, port, path = _parse(url)
    return Target(scheme, host, port, path, resolve(host, port))


def check_url(url: str) -> Target:
    """The checked target of ``url``, or a ValidationError that says why it may not be used.

    For forms, serializers and services that take a URL to call later; the request itself
    checks again (the name may resolve differently by then).
    """
    try:
        return _target(url)
    except OutboundError as error:
        raise ValidationError(
            _("The host name %(host)s cannot be resolved.") % {"host": urlsplit(url).hostname}
        ) from error


def validate_url(url: str) -> None:
    """``check_url`` as a Django field validator (forms, model admin, DRF serializers)."""
    try:
        check_url(url)
    except ValidationError as error:
        raise FieldError(str(error), code="outbound") from error


# --- connecting ----------------------------------------------------------------------------
def _open(addresses: tuple[str, ...], port: int, deadline: float) -> socket.socket:
    """A TCP connection to the first of ``addresses`` that answers before ``deadline``."""
    last: OSError = TimeoutError("no time left to connect")
    for address in addresses:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        family = socket.AF_INET6 if ip.version == 6 else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.settimeout(remaining)
        try:
            sock.connect((address, port))
        except OSError as error:
            sock.close()
            last = error
            continue
        return sock
    raise last


def connect(
    host: str, port: int, *, timeout: float = DEFAULT_TIMEOUT, tls: ssl.SSLContext | None = None
) -> socket.socket:
    """A TCP connection to a checked address of ``host`` (TLS with ``tls``, verified against
    ``host``), for probes that speak their own protocol. Raises OutboundRefused for a refused
    address and OutboundError (or ssl.SSLError) when the other side cannot be reached."""
    deadline = time.monotonic() + timeout
    try:
        sock = _open(resolve(host, port), port, deadline)
    except OSError as error:
        raise OutboundError(_describe(error)) from error
    if tls is None:
        return sock
    try:
        return tls.wrap_socket(sock, server_hostname=host)
    except OSError:
        sock.close()
        raise


def _in_time(deadline: float) -> None:
    if time.monotonic() >= deadline:
        raise TimeoutError


class _Pinned(http.client.HTTPConnection):
    """HTTP to the target's checked addresses, whatever a new lookup of its name would say."""

    def __init__(self, target: Target, deadline: float, **options: Any) -> None:
        super().__init__(target.host, target.port, timeout=deadline - time.monotonic(), **options)
        self.target = target
        self.deadline = deadline

    def connect(self) -> None:
        self.sock = _open(self.target.addresses, self.target.port, self.deadline)
        _in_time(self.deadline)  # the watchdog may have fired before the socket was there


class _PinnedTLS(_Pinned, http.client.HTTPSConnection):
    def __init__(self, target: Target, deadline: float, context: ssl.SSLContext) -> None:
        super().__init__(target, deadline, context=context)
        self.tls = context

    def connect(self) -> None:
        super().connect()
        # SNI and the certificate's name are the URL's host, not the address.
        self.sock = self.tls.wrap_socket(self.sock, server_hostname=self.target.host)


class _Watchdog:
    """Shuts the connection's socket at the deadline, whatever the server is doing."""

    def __init__(self, connection: http.client.HTTPConnection, seconds: float) -> None:
        self.connection = connection
        self.fired = False
        self._timer = threading.Timer(max(seconds, 0.0), self._fire)
        self._timer.daemon = True
        self._timer.start()

    def _fire(self) -> None:
        self.fired = True
        sock = self.connection.sock
        if sock is not None:
            with contextlib.suppress(OSError):  # already closed
                sock.shutdown(socket.SHUT_RDWR)

    def cancel(self) -> None:
        self._timer.cancel()


def _read(answer: http.client.HTTPResponse, max_bytes: int) -> tuple[bytes, bool]:
    chunks: list[bytes] = []
    size = 0
    while size <= max_bytes:
        chunk = answer.read(max_bytes + 1 - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    data = b"".join(chunks)
    return data[:max_bytes], size > max_bytes


def _describe(error: BaseException) -> str:
    if isinstance(error, TimeoutError):
        return "timed out"
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


def request(
    method: str,
    url: str,
    *,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    max_bytes: int = DEFAULT_MAX_BYTES,
    tls: ssl.SSLContext | None = None,
) -> Response:
    """One HTTP request to a checked, pinned address; redirects are returned, not followed.

    Raises OutboundRefused (a ValidationError: permanent) when the URL or an address of
    its host is refused, OutboundError when the host cannot be reached or does not answer
    completely within ``timeout`` seconds (counted from the start, for the whole exchange).
    """
    deadline = time.monotonic() + timeout
    target = _target(url)
    connection: http.client.HTTPConnection
    if target.scheme == "https":
        connection = _PinnedTLS(target, deadline, tls or ssl.create_default_context())
    else:
        connection = _Pinned(target, deadline)
    watchdog = _Watchdog(connection, deadline - time.monotonic())
    try:
        connection.request(method, target.path, body=body, headers=headers or {})
        answer = connection.getresponse()
        data, truncated = _read(answer, max_bytes)
        if watchdog.fired:
            raise TimeoutError
        found = {name.lower(): value for name, value in answer.getheaders()}
        return Response(answer.status, answer.reason, found, data, truncated)
    except (OSError, http.client.HTTPException) as error:
        reason = "timed out" if watchdog.fired else _describe(error)
        raise OutboundError(f"{target.host}: {reason}") from error
    finally:
        watchdog.cancel()
        connection.close()

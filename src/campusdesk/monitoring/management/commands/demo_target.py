"""``campusdesk demo_target``: the pages the demo's probes check, on loopback (``make run``).

HTTP on ``DEMO_TARGET_PORT`` (8099) answers ``/<system>/`` of each demo system
(``monitoring.demo.SLUGS``) with a short page that says 运行正常, but 网络计费系统's page with
503, so a live outage opens once the worker has run its probe three times. TLS on the next
port answers the same pages with the demo certificate (made by the demo's own CA, three
weeks left: the TLS probe warns). Both are the standard library's ``ThreadingHTTPServer``
(a thread per request); one selector loop accepts for both, until Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import random
import selectors
import signal
import ssl
import time
from collections.abc import Callable
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from campusdesk.monitoring import demo

NAMES = {slug: name for name, slug in demo.SLUGS.items()}


class Pages(BaseHTTPRequestHandler):
    """``/<slug>/``: 200 with the system's name and 运行正常; the down one 503; else 404."""

    server_version = "campusdesk-demo-target/1"

    def do_GET(self) -> None:  # noqa: N802 - the standard library's name
        self._answer(body=True)

    def do_HEAD(self) -> None:  # noqa: N802
        self._answer(body=False)

    def _answer(self, *, body: bool) -> None:
        slug = self.path.split("?", 1)[0].strip("/")
        name = NAMES.get(slug)
        if name is None:
            status, text, name = 404, "没有这个页面", "campusdesk demo target"
        elif slug == demo.DOWN:
            status, text = 503, "服务暂不可用（演示：这个系统一直故障）"
        else:
            status, text = 200, demo.HEALTHY
        # a page takes its time, a little different per system (the latency chart)
        time.sleep((sum(map(ord, slug)) % 40 + random.uniform(2, 12)) / 1000)  # noqa: S311
        page = (
            f'<!doctype html><html lang="zh-Hans"><meta charset="utf-8">'
            f"<title>{escape(name)}</title><h1>{escape(name)}</h1><p>{text}</p></html>"
        ).encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(page)))
        self.end_headers()
        if body:
            self.wfile.write(page)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Quiet: the probes' runs every minute are not news on the terminal."""


class TLSServer(ThreadingHTTPServer):
    """The same pages over TLS; the handshake happens in the request's thread, so a slow
    client never holds up the loop that accepts."""

    def __init__(self, address: tuple[str, int], context: ssl.SSLContext) -> None:
        self.context = context
        super().__init__(address, Pages)

    def get_request(self) -> tuple[Any, Any]:
        sock, address = self.socket.accept()
        wrapped = self.context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return wrapped, address

    def finish_request(self, request: Any, client_address: Any) -> None:
        try:
            request.settimeout(10)
            request.do_handshake()
        except OSError:  # ssl.SSLError too: a TCP check, or a client that gave up
            return
        super().finish_request(request, client_address)


def servers(host: str, port: int) -> list[ThreadingHTTPServer]:
    """The HTTP server on ``port`` and the TLS one on ``port + 1``."""
    made = demo.certificate()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(made.cert, made.key)
    plain = ThreadingHTTPServer((host, port), Pages)
    try:
        secure = TLSServer((host, port + 1), context)
    except OSError:
        plain.server_close()
        raise
    return [plain, secure]


def serve(found: list[ThreadingHTTPServer], stopping: Callable[[], bool]) -> None:
    """Accept on every server until ``stopping()``; each request runs in its own thread."""
    with selectors.DefaultSelector() as selector:
        for server in found:
            server.timeout = 0.5  # handle_request never waits long if a client went away
            selector.register(server, selectors.EVENT_READ)
        while not stopping():
            for key, _events in selector.select(timeout=0.5):
                key.fileobj.handle_request()  # type: ignore[union-attr]


class Command(BaseCommand):
    help = "Serve the pages the demo's probes check (HTTP and TLS on loopback), until Ctrl-C."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument(
            "--port", type=int, default=None, help="HTTP port (default DEMO_TARGET_PORT); TLS +1"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        host, port = options["host"], options["port"] or settings.DEMO_TARGET_PORT
        if not 0 < port < 65535:
            raise CommandError("--port must be between 1 and 65534")
        try:
            found = servers(host, port)
        except OSError as error:
            raise CommandError(f"demo target: cannot listen on {host}:{port}: {error}") from error
        stopping: list[int] = []

        def on_signal(signum: int, frame: FrameType | None) -> None:
            stopping.append(signum)

        signal.signal(signal.SIGTERM, on_signal)
        self.stdout.write(
            f"demo target on http://{host}:{port}/<system>/ and TLS {host}:{port + 1} "
            f"(/{demo.DOWN}/ answers 503)"
        )
        try:
            serve(found, lambda: bool(stopping))
        except KeyboardInterrupt:
            pass
        finally:
            for server in found:
                server.server_close()

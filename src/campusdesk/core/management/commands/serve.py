"""``campusdesk serve``: the web server (gunicorn) and the background worker (Huey) together.

For several hosts, run the pieces separately instead (README, "Production"):
``gunicorn campusdesk.wsgi`` on web hosts and ``campusdesk run_huey`` on worker hosts.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

STOP_GRACE_SECONDS = 15


def bind_address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


class Command(BaseCommand):
    help = "Serve the web application and run the background worker, until Ctrl-C or SIGTERM."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=2, help="web worker processes")
        parser.add_argument("--threads", type=int, default=4, help="threads per web worker")
        parser.add_argument("--no-worker", action="store_true", help="web server only")

    def handle(self, *args: Any, **options: Any) -> None:
        if not 0 < options["port"] < 65536:
            raise CommandError("--port must be between 1 and 65535")
        children = [self._start_web(options)]
        if not options["no_worker"]:
            worker = [sys.executable, "-m", "campusdesk", "run_huey"]
            children.append(subprocess.Popen(worker))  # noqa: S603 - our own fixed command
        stopping: list[int] = []

        def on_signal(signum: int, frame: FrameType | None) -> None:
            stopping.append(signum)

        signal.signal(signal.SIGINT, on_signal)
        signal.signal(signal.SIGTERM, on_signal)
        self.stdout.write(
            f"campusdesk serving on http://{bind_address(options['host'], options['port'])}/"
        )
        while not stopping and all(child.poll() is None for child in children):
            time.sleep(0.2)
        failed = [c for c in children if c.poll() not in (None, 0)]
        self._stop(children)
        if failed and not stopping:
            raise CommandError(f"a process stopped unexpectedly (exit code {failed[0].returncode})")

    def _start_web(self, options: dict[str, Any]) -> subprocess.Popen[bytes]:
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "campusdesk.wsgi:application",
            "--bind",
            bind_address(options["host"], options["port"]),
            "--workers",
            str(options["workers"]),
            "--threads",
            str(options["threads"]),
            "--access-logfile",
            "-",
            "--graceful-timeout",
            str(STOP_GRACE_SECONDS - 5),
        ]
        return subprocess.Popen(command)  # noqa: S603 - our own fixed command

    def _stop(self, children: list[subprocess.Popen[bytes]]) -> None:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for child in children:
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()

"""``campusdesk serve``: web server and worker in one command, stopped cleanly by SIGTERM."""

from __future__ import annotations

import signal
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from campusdesk.core.management.commands.serve import bind_address
from tests.helpers import PYTHON, free_port, subprocess_env


def test_bind_address_brackets_ipv6():
    assert bind_address("127.0.0.1", 8000) == "127.0.0.1:8000"
    assert bind_address("::1", 8000) == "[::1]:8000"


def _get(url: str, seconds: float) -> tuple[int, str]:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.status, response.read().decode()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def _wait_for(lines: list[str], text: str, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if any(text in line for line in lines):
            return True
        time.sleep(0.2)
    return False


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_serve_answers_and_stops_both_processes_on_sigterm(tmp_path: Path):
    port = free_port()
    server = subprocess.Popen(
        [PYTHON, "-m", "campusdesk", "serve", "--port", str(port), "--workers", "1"],
        env=subprocess_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    lines: list[str] = []  # read as it comes, so the test knows when the worker is up
    assert server.stdout is not None
    stdout = server.stdout
    reader = threading.Thread(
        target=lambda: lines.extend(line.decode() for line in iter(stdout.readline, b"")),
        daemon=True,
    )
    reader.start()
    try:
        status, body = _get(f"http://127.0.0.1:{port}/accounts/login/", seconds=30)
        assert status == 200
        assert "登录" in body
        css_status, _ = _get(f"http://127.0.0.1:{port}/static/campusdesk/css/app.css", 5)
        assert css_status == 200
        # a SIGTERM that comes while the worker is still importing Django stops it before
        # it can say so: wait for it on a busy machine
        assert _wait_for(lines, "Huey consumer started", 60), "".join(lines)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        reader.join(timeout=10)
    output = "".join(lines)
    assert server.returncode == 0, output
    assert "Shutting down: Master" in output  # gunicorn stopped
    assert "Consumer exiting" in output  # the Huey consumer stopped

"""Regenerate the README's screenshots from the demo: ``make screenshots``.

On a throwaway SQLite data directory: migrate, load the demo, serve it on a free loopback
port, and photograph the main pages as the people who use them, on a laptop (1366×768) and
a phone (390×844), with Playwright driving Debian's Chromium (never a downloaded browser).
The PNGs (the visible screen, not the whole page) go to docs/screenshots/<page>-<device>.png.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"
CAMPUSDESK = Path(sys.executable).with_name("campusdesk")
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# As tests/browser/conftest.py: Chromium's background services stay off (no internet here).
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DEVICES: dict[str, dict[str, Any]] = {
    "laptop": {"viewport": {"width": 1366, "height": 768}},
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "is_mobile": True,
        "has_touch": True,
    },
}
PASSWORD = "campusdesk"  # noqa: S105 - the demo's published password (campusdesk.site.demo)
#: the problem whose page is shown: at line 2, urged twice, with a complaint
TICKET = "培养方案审核流程卡在学院审核环节"


@dataclass(frozen=True)
class Shot:
    name: str
    username: str
    path: str
    #: what to do on the page before the picture (fill a field, wait for a panel)
    prepare: Callable[[Any], None] | None = None


def _suggest(page: Any) -> None:
    """Type a title as a customer would: the case library's suggestions appear."""
    page.locator("#id_title").press_sequentially("统一身份认证登录失败", delay=20)
    page.wait_for_timeout(1500)
    page.wait_for_load_state("networkidle")


def shots(ticket_id: int) -> list[Shot]:
    return [
        Shot("customer-home", "user", "/"),
        Shot("registration", "user", "/tickets/new/", _suggest),
        Shot("ticket-list", "engineer", "/tickets/"),
        Shot("ticket", "engineer", f"/tickets/{ticket_id}/"),
        Shot("kpi", "hq", f"/reports/kpi/?period={_last_month()}"),
        Shot("ops-watch", "ops", "/ops/"),
    ]


def _last_month() -> str:
    """Last month (the demo's history is complete there), as the KPI page's period."""
    first = datetime.now(ZoneInfo("Asia/Shanghai")).date().replace(day=1)
    return (first - timedelta(days=1)).strftime("%Y-%m")


def _run(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(  # noqa: S603 - our own command with fixed arguments
        [str(CAMPUSDESK), *args], env=env, check=True, capture_output=True, text=True
    )
    return done.stdout


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def _server(env: dict[str, str], port: int) -> Iterator[str]:
    """``campusdesk serve`` (web only) on ``port``, until the block ends."""
    command = [str(CAMPUSDESK), "serve", "--host", "127.0.0.1", "--port", str(port)]
    server = subprocess.Popen(  # noqa: S603 - our own command with fixed arguments
        [*command, "--no-worker", "--workers", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/accounts/login/", timeout=2):  # noqa: S310 - loopback
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("campusdesk serve did not start") from None
                time.sleep(0.5)
        yield url
    finally:
        server.terminate()  # serve stops its web server on SIGTERM
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)  # the session this script started
            server.wait()


def _photograph(url: str, ticket_id: int) -> list[Path]:
    from playwright.sync_api import sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    saved = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for device, options in DEVICES.items():
            contexts: dict[str, Any] = {}
            for shot in shots(ticket_id):
                if shot.username not in contexts:
                    contexts[shot.username] = _logged_in(browser, url, shot.username, options)
                page = contexts[shot.username].new_page()
                page.goto(f"{url}{shot.path}")
                page.wait_for_load_state("networkidle")
                if shot.prepare is not None:
                    shot.prepare(page)
                path = OUT / f"{shot.name}-{device}.png"
                page.screenshot(path=str(path), full_page=False)
                page.close()
                saved.append(path)
            for context in contexts.values():
                context.close()
        browser.close()
    return saved


def _logged_in(browser: Any, url: str, username: str, options: dict[str, Any]) -> Any:
    context = browser.new_context(locale="zh-CN", device_scale_factor=1, **options)
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(f"{url}/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button.primary")
    page.wait_for_url(f"{url}/")
    page.close()
    return context


def main() -> None:
    if not Path(CHROMIUM).exists():
        sys.exit(f"{CHROMIUM} is missing: apt-get install chromium (make sysdeps)")
    data = tempfile.mkdtemp(prefix="campusdesk-screenshots-")
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}  # SQLite in ``data``
    env.update(DATA_DIR=data, DEBUG="1", ALLOWED_HOSTS="127.0.0.1,localhost")
    try:
        _run(env, "migrate", "--noinput")
        _run(env, "demo")
        query = (
            "from campusdesk.tickets.models import Ticket; "
            f"print(Ticket.objects.get(title={TICKET!r}).pk)"
        )
        ticket_id = int(_run(env, "shell", "--verbosity", "0", "-c", query).split()[-1])
        with _server(env, _free_port()) as url:
            saved = _photograph(url, ticket_id)
    finally:
        shutil.rmtree(data, ignore_errors=True)
    for path in saved:
        print(f"{path.relative_to(ROOT)}  {path.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()

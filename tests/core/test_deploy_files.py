"""The deployment files as a campus operator installs them (issue 23 §5): the systemd units
pass ``systemd-analyze verify`` and keep their sandbox; the nginx site passes ``nginx -t``
and, run for real on loopback in front of campusdesk, takes an upload, sends the file back
itself after campusdesk checked who asks (X-Accel-Redirect, with campusdesk's headers),
never serves its internal location directly, serves static files, and refuses an
oversized body with campusdesk's Chinese message; the compose file names every part."""

from __future__ import annotations

import os
import shutil
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from django.conf import settings as django_settings

from campusdesk.accounts import services as accounts
from campusdesk.accounts.models import User
from campusdesk.catalog.models import Project
from campusdesk.monitoring import demo as target
from campusdesk.site import demo
from tests.tickets.conftest import new_ticket
from tests.tickets.test_api_files import png_bytes

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
UNITS = sorted((DEPLOY / "systemd").iterdir())
VENV_BIN = Path(sys.executable).parent


def _rendered_units(tmp_path: Path) -> list[Path]:
    """The units with their programs where this checkout has them (verify wants them to exist)."""
    out = []
    for unit in UNITS:
        text = unit.read_text(encoding="utf-8")
        assert "/srv/campusdesk/.venv/bin/" in text or unit.suffix == ".timer", unit
        path = tmp_path / unit.name
        path.write_text(text.replace("/srv/campusdesk/.venv/bin/", f"{VENV_BIN}/"), "utf-8")
        out.append(path)
    return out


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd is not installed")
def test_the_systemd_units_verify_and_keep_their_sandbox(tmp_path: Path):
    names = {unit.name for unit in UNITS}
    assert names == {
        "campusdesk-web.service",
        "campusdesk-worker.service",
        "campusdesk-backup.service",
        "campusdesk-backup.timer",
    }
    units = _rendered_units(tmp_path)
    done = subprocess.run(
        ["systemd-analyze", "verify", *map(str, units)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == "", done.stderr  # no unknown key, no unparsable value
    for unit in units:
        if unit.suffix != ".service":
            continue
        text = unit.read_text()
        for line in ("NoNewPrivileges=yes", "ProtectSystem=strict", "User=campusdesk"):
            assert line in text, (unit.name, line)
        exposure = subprocess.run(
            ["systemd-analyze", "security", "--offline=yes", "--threshold=25", str(unit)],
            capture_output=True,
            text=True,
        )
        # the exposure score out of 10 (lower is safer): a sandbox, not a default unit (9.6)
        assert exposure.returncode == 0, exposure.stdout[-2000:]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _replace_once(text: str, old: str, new: str) -> str:
    assert text.count(old) >= 1, f"the site no longer has {old!r}: update this test"
    return text.replace(old, new)


def render_nginx(tmp_path: Path, upstream: int, https: int, http: int, media: Path) -> Path:
    """deploy/nginx/campusdesk.conf with this test's ports, certificate and directories, in a
    main configuration of its own (nginx -p tmp_path)."""
    tls = tmp_path / "tls"  # copies: the demo may make itself a new certificate meanwhile
    tls.mkdir(exist_ok=True)
    made = target.certificate()
    for path in (made.ca, made.cert, made.key):
        shutil.copy(path, tls / path.name)
    site = (DEPLOY / "nginx" / "campusdesk.conf").read_text(encoding="utf-8")
    site = "\n".join(line for line in site.splitlines() if "listen [::]" not in line)
    for old, new in [
        ("server 127.0.0.1:8000;", f"server 127.0.0.1:{upstream};"),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{https} ssl http2;"),
        ("listen 80;", f"listen 127.0.0.1:{http};"),
        ("/etc/ssl/campusdesk/fullchain.pem", str(tls / made.cert.name)),
        ("/etc/ssl/campusdesk/privkey.pem", str(tls / made.key.name)),
        ("/var/lib/campusdesk/static/", f"{ROOT}/src/campusdesk/static/"),
        ("/var/lib/campusdesk/media/", f"{media}/"),
    ]:
        site = _replace_once(site, old, new)
    (tmp_path / "site.conf").write_text(site, encoding="utf-8")
    user = "user root;\n" if os.geteuid() == 0 else ""  # the files are the test's own
    main = f"""{user}worker_processes 1;
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/error.log;
events {{ worker_connections 64; }}
http {{
    include /etc/nginx/mime.types;
    access_log {tmp_path}/access.log;
    client_body_temp_path {tmp_path}/body;
    proxy_temp_path {tmp_path}/proxy;
    fastcgi_temp_path {tmp_path}/fastcgi;
    uwsgi_temp_path {tmp_path}/uwsgi;
    scgi_temp_path {tmp_path}/scgi;
    include {tmp_path}/site.conf;
}}
"""
    path = tmp_path / "nginx.conf"
    path.write_text(main, encoding="utf-8")
    return path


NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
needs_nginx = pytest.mark.skipif(not Path(NGINX).exists(), reason="nginx is not installed")


@needs_nginx
def test_the_nginx_site_passes_nginx_t(tmp_path: Path):
    conf = render_nginx(tmp_path, _free_port(), _free_port(), _free_port(), tmp_path / "media")
    done = subprocess.run(
        [NGINX, "-t", "-p", str(tmp_path), "-c", str(conf)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "syntax is ok" in done.stderr and "test is successful" in done.stderr


@pytest.fixture
def nginx(tmp_path: Path, live_server: Any, settings: Any) -> Iterator[str]:
    """nginx on loopback in front of the live server, campusdesk told to hand files to it."""
    settings.ACCEL_REDIRECT_PREFIX = "/_protected/"
    settings.ALLOWED_HOSTS = ["127.0.0.1"]  # nginx passes the Host the client asked for
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_ROOT.mkdir()
    https, http = _free_port(), _free_port()
    upstream = int(live_server.url.rsplit(":", 1)[1])
    conf = render_nginx(tmp_path, upstream, https, http, settings.MEDIA_ROOT)
    process = subprocess.Popen(
        [NGINX, "-p", str(tmp_path), "-c", str(conf), "-g", "daemon off;"],
        stderr=subprocess.PIPE,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", https), timeout=0.2).close()
                break
            except OSError:
                assert process.poll() is None, process.stderr.read() if process.stderr else ""
                time.sleep(0.05)
        yield f"https://127.0.0.1:{https}"
    finally:
        process.terminate()
        process.wait(timeout=10)


@needs_nginx
@pytest.mark.django_db(transaction=True)
def test_behind_nginx_files_go_out_through_it_only_to_those_who_may(nginx: str):
    demo.load(tickets=False)
    customer = User.objects.get(username="user")
    project = Project.objects.get(name="研究生管理系统运维服务")
    ticket = new_ticket(project, customer, title="导出的报表是空白的")
    _token, secret = accounts.api_token_create(user=customer)
    web = requests.Session()
    web.trust_env = False  # REQUESTS_CA_BUNDLE would win over our CA, proxies over loopback
    ca = str(next((Path(django_settings.MEDIA_ROOT).parent / "tls").glob("ca.pem")))
    web.verify = ca
    web.headers["Authorization"] = f"Token {secret}"
    data = png_bytes()
    sent = web.post(
        f"{nginx}/api/v1/tickets/{ticket.pk}/attachments/",
        files={"file": ("报表截图.png", data, "image/png")},
        timeout=30,
    )
    assert sent.status_code == 201, sent.text
    row = sent.json()
    stored = [p for p in Path(django_settings.MEDIA_ROOT).rglob("*") if p.is_file()]
    assert len(stored) == 1

    got = web.get(nginx + row["download_url"], timeout=30)
    assert got.status_code == 200
    assert got.content == data  # campusdesk answered no body: nginx sent the stored file
    assert got.headers["Content-Type"] == "image/png"
    assert got.headers["Content-Disposition"].startswith("attachment;")
    assert "%E6%8A%A5%E8%A1%A8%E6%88%AA%E5%9B%BE.png" in got.headers["Content-Disposition"]
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in got.headers["Content-Security-Policy"]
    assert "X-Accel-Redirect" not in got.headers
    assert got.headers.get("Server") == "nginx"  # server_tokens off: no version

    # the internal location is not reachable from outside, whatever the path
    relative = stored[0].relative_to(django_settings.MEDIA_ROOT).as_posix()
    assert web.get(f"{nginx}/_protected/{relative}", timeout=30).status_code == 404
    # another organisation's customer gets nothing from campusdesk, so nothing from nginx
    _t, other = accounts.api_token_create(user=User.objects.get(username="user2"))
    theirs = web.get(
        nginx + row["download_url"], headers={"Authorization": f"Token {other}"}, timeout=30
    )
    assert theirs.status_code == 404 and data not in theirs.content

    css = web.get(f"{nginx}/static/campusdesk/css/app.css", timeout=30)
    assert css.status_code == 200 and "text/css" in css.headers["Content-Type"]
    assert "immutable" in css.headers["Cache-Control"]

    # a body over the limit is refused by nginx from its length, in campusdesk's words
    # (a raw request: an HTTP client will not announce 60 MB and send none)
    host, port = nginx.removeprefix("https://").split(":")
    context = ssl.create_default_context(cafile=ca)
    raw = socket.create_connection((host, int(port)), timeout=30)
    with context.wrap_socket(raw, server_hostname=host) as tls:
        tls.sendall(
            b"POST /api/v1/tickets/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nContent-Length: 62914560\r\n\r\n"
        )
        answer = tls.recv(65536).decode("utf-8", "replace")
    assert answer.startswith("HTTP/1.1 413"), answer[:200]
    assert "上传内容过大" in answer and "application/json" in answer


def test_the_compose_file_names_every_part():
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert set(services) == {"web", "worker", "postgres", "redis"}
    for name in ("web", "worker"):
        env = services[name]["environment"]
        assert (
            env["DATABASE_URL"].startswith("postgres://")
            and "@postgres:5432/" in env["DATABASE_URL"]
        )
        assert env["REDIS_URL"].startswith("redis://redis:6379")
        assert (
            "SECRET_KEY" in env
            and "campusdesk-data:/var/lib/campusdesk" in services[name]["volumes"]
        )
        assert {"postgres", "redis"} <= set(services[name]["depends_on"])
    assert services["worker"]["command"] == ["campusdesk", "run_huey"]
    assert "healthcheck" in services["postgres"] and "healthcheck" in services["web"]
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "constraints.txt" in dockerfile and "USER campusdesk" in dockerfile

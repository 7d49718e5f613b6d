"""``campusdesk doctor`` (issue 23 §5) on a running installation: healthy, it says so and exits
0; with its worker gone, its mail relay down, its disk short or its clock's zone elsewhere,
it names each problem and what to do, in Chinese, and exits 1; a new host that was never
migrated and whose Redis is down is told so too."""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import translation

from campusdesk.core import clock, services
from campusdesk.core.models import WorkerHeartbeat
from tests.notify.conftest import SmtpServer, smtp_server  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


def doctor(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    with translation.override("zh-hans"):
        try:
            call_command("doctor", *args, stdout=out)
        except SystemExit as exit_:
            return int(exit_.code or 0), out.getvalue()
    return 0, out.getvalue()


def test_a_healthy_installation_says_so(smtp_server: SmtpServer, settings: Any):  # noqa: F811
    settings.DEBUG = False
    services.worker_heartbeat_record()
    status, text = doctor()
    assert status == 0, text
    lines = text.strip().splitlines()
    assert all(line.startswith("✓") for line in lines[:-1]), text
    for part in (
        "数据库",
        "所有数据库迁移均已执行",
        "任务队列",
        "1 个后台进程在报告",
        "邮件服务器",
        "磁盘",
    ):
        assert part in text, part
    assert lines[-1] == "0 个问题，0 个警告。"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_each_problem_is_named_with_what_to_do(settings: Any):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", _closed_port()
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.DOCTOR_MIN_FREE_MB = 10**12  # more than any disk here has
    settings.TIME_ZONE = "Europe/Berlin"
    services.worker_heartbeat_record(now=clock.now() - timedelta(minutes=10))
    status, text = doctor()
    assert status == 1
    expect = {
        "✗ 后台进程": "campusdesk run_huey",
        "✗ 邮件服务器": "EMAIL_HOST",
        "✗ 磁盘": "请清理此磁盘",
        "! 时区与时钟": "TIME_ZONE=Asia/Shanghai",
    }
    for head, fix in expect.items():
        line = next((row for row in text.splitlines() if row.startswith(head)), None)
        assert line is not None and fix in line, (head, text)
    assert "3 个问题，1 个警告。" in text

    status, raw = doctor("--json")
    rows = json.loads(raw)
    assert status == 1
    assert {row["level"] for row in rows} == {"ok", "warning", "error"}
    assert all(row["fix"] for row in rows if row["level"] != "ok")
    WorkerHeartbeat.objects.all().delete()
    assert "从未有后台进程报告" in doctor()[1]


def test_a_new_host_without_migrations_or_redis_is_told(tmp_path: Path):
    env = {
        **{k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
        "DATA_DIR": str(tmp_path),
        "REDIS_URL": f"redis://127.0.0.1:{_closed_port()}/0",
        "DEBUG": "0",
        "ALLOWED_HOSTS": "desk.example.edu.cn",
        "LANGUAGE_CODE": "zh-hans",
    }
    done = subprocess.run(
        [sys.executable, "-m", "campusdesk", "doctor", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr
    rows = {row["check"]: row for row in json.loads(done.stdout)}
    assert rows["数据库"]["level"] == "ok"
    assert (
        rows["数据库迁移"]["level"] == "error" and "campusdesk migrate" in rows["数据库迁移"]["fix"]
    )
    assert rows["任务队列"]["level"] == "error" and "REDIS_URL" in rows["任务队列"]["fix"]

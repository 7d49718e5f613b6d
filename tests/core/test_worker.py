"""Huey: the heartbeat unit, the status page, and a real consumer process."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from huey import PriorityRedisHuey, SqliteHuey

from campusdesk.accounts.models import User
from campusdesk.core import tasks
from campusdesk.core.models import WorkerHeartbeat
from campusdesk.core.services import worker_heartbeat_record
from tests.helpers import PYTHON, subprocess_env, web_client_for

REDIS_TEST_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def test_heartbeat_task_records_this_worker(db: None):
    tasks.heartbeat_now()
    beat = WorkerHeartbeat.objects.get()
    assert beat.pid == os.getpid()
    tasks.heartbeat_now()
    beat.refresh_from_db()
    assert beat.beats == 2


def test_status_page_shows_alive_and_silent_workers(people: dict[str, User]):
    with time_machine.travel("2026-11-26 10:00 +0800", tick=False):
        worker_heartbeat_record(hostname="old-host", pid=1)
    with time_machine.travel("2026-11-26 10:10 +0800", tick=False):
        worker_heartbeat_record(hostname="new-host", pid=2)
        page = web_client_for(people["admin"]).get(reverse("core:status"))
    body = page.content.decode()
    assert page.status_code == 200
    assert "new-host:2" in body and "old-host:1" in body
    assert body.index("new-host:2") < body.index("old-host:1")
    assert "静默" in body  # the old one is silent
    assert 'id="worker-state" class="ok"' in body


def test_status_page_says_when_no_worker_runs(people: dict[str, User]):
    with time_machine.travel("2026-11-26 10:00 +0800", tick=False):
        worker_heartbeat_record(hostname="gone", pid=3)
    with time_machine.travel("2026-11-26 11:00 +0800", tick=False):
        body = web_client_for(people["admin"]).get(reverse("core:status")).content.decode()
    assert 'id="worker-state" class="bad"' in body


@pytest.mark.parametrize("login", ["user", "engineer", "ops", "hq"])
def test_status_page_is_for_administrators_only(people: dict[str, User], login: str):
    assert web_client_for(people[login]).get(reverse("core:status")).status_code == 403


def test_status_page_anonymous_goes_to_login(db: None):
    assert Client().get(reverse("core:status")).status_code == 302


def _wait_for_heartbeat(pid: int, seconds: float) -> WorkerHeartbeat | None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        beat = WorkerHeartbeat.objects.filter(pid=pid).first()
        if beat is not None:
            return beat
        time.sleep(0.25)
    return None


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("storage", ["sqlite", "redis"])
def test_a_real_consumer_runs_an_enqueued_task(tmp_path: Path, storage: str):
    """A `campusdesk run_huey` process picks up work that this process enqueued."""
    extra = {"REDIS_URL": REDIS_TEST_URL} if storage == "redis" else {"REDIS_URL": ""}
    queue = (
        PriorityRedisHuey("campusdesk", url=REDIS_TEST_URL)
        if storage == "redis"
        else SqliteHuey("campusdesk", filename=str(tmp_path / "huey.sqlite3"))
    )
    queue.flush()
    # The same task, registered on this handle to the consumer's storage.
    remote_heartbeat = queue.task(name="core.heartbeat_now")(tasks._beat)
    consumer = subprocess.Popen(
        [PYTHON, "-m", "campusdesk", "run_huey", "--workers", "1"],
        env=subprocess_env(tmp_path, **extra),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        queue.enqueue(remote_heartbeat.s())
        beat = _wait_for_heartbeat(consumer.pid, seconds=30)
        assert beat is not None, "the consumer did not run the task"
        assert beat.pid == consumer.pid != os.getpid()
    finally:
        consumer.terminate()
        output = consumer.communicate(timeout=20)[0].decode()
    assert consumer.returncode == 0, output
    assert "core.heartbeat_now" in output

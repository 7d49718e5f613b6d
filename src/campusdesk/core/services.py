from __future__ import annotations

import os
import socket
from datetime import datetime

from django.db.models import F

from campusdesk.core import clock
from campusdesk.core.models import WorkerHeartbeat


def worker_heartbeat_record(
    *, hostname: str | None = None, pid: int | None = None, now: datetime | None = None
) -> WorkerHeartbeat:
    """Record that the worker process ``hostname:pid`` is alive at ``now``."""
    now = now or clock.now()
    hostname = hostname or socket.gethostname()
    pid = pid if pid is not None else os.getpid()
    worker = f"{hostname}:{pid}"
    updated = WorkerHeartbeat.objects.filter(worker=worker).update(
        last_seen_at=now, beats=F("beats") + 1
    )
    if not updated:
        WorkerHeartbeat.objects.get_or_create(
            worker=worker,
            defaults={
                "hostname": hostname,
                "pid": pid,
                "started_at": now,
                "last_seen_at": now,
                "beats": 1,
            },
        )
    return WorkerHeartbeat.objects.get(worker=worker)

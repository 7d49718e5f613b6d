from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings

from campusdesk.core import clock
from campusdesk.core.models import WorkerHeartbeat

#: A worker whose heartbeat (every minute) is older than this is taken as gone.
HEARTBEAT_STALE_AFTER = timedelta(minutes=3)


@dataclass(frozen=True)
class WorkerStatus:
    heartbeat: WorkerHeartbeat
    alive: bool


@dataclass(frozen=True)
class QueueStatus:
    backend: str
    pending: int | None
    scheduled: int | None
    workers: list[WorkerStatus]

    @property
    def any_alive(self) -> bool:
        return any(w.alive for w in self.workers)


def queue_backend() -> str:
    return "Redis" if settings.REDIS_URL else "SQLite"


def queue_counts() -> tuple[int | None, int | None]:
    """Tasks waiting and scheduled in the queue; ``None``s when its store cannot be read."""
    from huey.contrib.djhuey import HUEY

    try:
        return HUEY.pending_count(), HUEY.scheduled_count()
    except Exception:  # the queue store is down: callers show the rest
        return None, None


def workers(*, now: datetime | None = None) -> list[WorkerStatus]:
    """The last 20 workers heard of, newest first, each alive or not."""
    now = now or clock.now()
    return [
        WorkerStatus(heartbeat=h, alive=now - h.last_seen_at <= HEARTBEAT_STALE_AFTER)
        for h in WorkerHeartbeat.objects.order_by("-last_seen_at")[:20]
    ]


def queue_status(*, now: datetime | None = None) -> QueueStatus:
    """What the administrators' status page shows of the background work."""
    pending, scheduled = queue_counts()
    return QueueStatus(
        backend=queue_backend(), pending=pending, scheduled=scheduled, workers=workers(now=now)
    )

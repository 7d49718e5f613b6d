"""Shared fixtures of the monitoring tests: a registered system of 新疆师范大学 with its
customer contact, and a probe maker that bypasses the network check of the target."""

from __future__ import annotations

import http.server
from datetime import datetime
from typing import Any

import pytest
from django.utils import timezone

from campusdesk.accounts.models import User
from campusdesk.catalog.models import Project
from campusdesk.monitoring.models import Probe
from campusdesk.systems.models import ApplicationSystem
from tests.systems.changefix import registered

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=timezone.get_fixed_timezone(0))


@pytest.fixture
def system(people: dict[str, User], project: Project) -> ApplicationSystem:
    system = registered(people["engineer"], project)
    system.importance = "core"
    system.customer_contact = people["user"]
    system.save(update_fields=["importance", "customer_contact"])
    return system


def make_probe(system: ApplicationSystem, **fields: Any) -> Probe:
    """A probe row as the services would store it (the target is not resolved here)."""
    values: dict[str, Any] = {
        "kind": "http",
        "target": "http://127.0.0.1:9/",
        "interval_seconds": 60,
        "timeout_seconds": 5,
        "failures_to_open": 3,
        "created_at": T0,
        "next_run_at": T0,
        **fields,
    }
    return Probe.objects.create(system=system, **values)


class Healthy(http.server.BaseHTTPRequestHandler):
    """A page that is up: 200 with a welcome."""

    def do_GET(self) -> None:  # noqa: N802 - the standard library's name
        body = b"<h1>welcome</h1>"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass

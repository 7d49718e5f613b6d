"""Content-Security-Policy: every route of the demo answers with one that runs no inline or
eval'd script and may not be framed; ticket attachments keep their own sandbox."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.apps import apps
from django.db.models import Model
from django.test import Client
from django.urls import Resolver404, URLPattern, URLResolver, get_resolver, resolve

from campusdesk.accounts.models import User
from campusdesk.catalog.models import Product
from campusdesk.intake.models import InboundMessage
from campusdesk.kb.models import Article
from campusdesk.notify import announcements
from campusdesk.notify.models import Announcement, Notification
from campusdesk.ops.models import Complaint
from campusdesk.site import demo
from campusdesk.tickets.models import Attachment

pytestmark = pytest.mark.security

#: ``<int:pk>`` of a path() route, ``(?P<pk>[^/.]+)`` of a router's regex.
PARAM = re.compile(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>[^()]*\)")
#: The resource a ``pk`` names, by the path segment before it.
PK_MODELS: dict[str, str] = {
    "tickets": "tickets.Ticket",
    "projects": "catalog.Project",
    "organisations": "accounts.Organisation",
    "products": "catalog.Product",
    "complaints": "ops.Complaint",
    "corrective-actions": "ops.CorrectiveAction",
    "inbox": "notify.Notification",
    "notifications": "notify.Notification",
    "announcements": "notify.Announcement",
    "kb": "kb.Article",
    "articles": "kb.Article",
    "mail": "intake.InboundMessage",
    "alerts": "intake.Alert",
    "tokens": "accounts.ApiToken",
    "systems": "systems.ApplicationSystem",
    "changes": "systems.Change",
    "vulnerabilities": "systems.Vulnerability",
    "findings": "systems.Finding",
    "probes": "monitoring.Probe",
    "status": "accounts.Organisation",  # an organisation's status page
    "maintenance": "intake.MaintenanceWindow",
    "routines": "routines.Routine",
    "runs": "routines.Run",
    "emergency-plans": "routines.EmergencyPlan",
    "plans": "routines.EmergencyPlan",
    "shifts": "duty.Shift",
    "swaps": "duty.Swap",
    "surveys": "surveys.Survey",
    "users": "accounts.User",
    "robots": "notify.RobotChannel",
    "maintenance-windows": "intake.MaintenanceWindow",
}
#: Other parameters: one real value each (a wrong one still answers, with a 404).
VALUES = {
    "action": "accept",
    "field": "project",
    "kind": "pdf",
    "format": "json",
    "step": "assign",
    "status": "published",
    "url": "no-such-page/",
    "number": "1",  # an environment version
    "window_id": "1",  # a maintenance window (DELETE only: 405)
    "organisation_id": "1",  # a status page
    "token": "no-such-token",  # a public status link (a wrong one: 404)
    "n": "0",  # a run's first check
    "evidence_id": "1",  # a check's evidence file (none in the demo: its 404)
    "plan_pk": "1",  # an emergency plan opened on a ticket (POST only: 405)
}
#: Routes this walk cannot fill, with the reason.
SKIPPED: dict[str, str] = {
    "systems/do/<str:kind>/<int:pk>/<str:name>/": "POST only: the object actions' handler",
}


def routes(patterns: list[Any], prefix: str = "") -> Iterator[str]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from routes(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            assert isinstance(pattern, URLPattern)
            yield prefix + str(pattern.pattern)


def first_pk(label: str) -> str | None:
    try:
        model: type[Model] = apps.get_model(label)
    except LookupError:
        return None
    found = model._default_manager.order_by("pk").values_list("pk", flat=True).first()
    return None if found is None else str(found)


def value(route: str, before: str, name: str, attachment: Attachment) -> str | None:
    segments = [s for s in re.sub(r"[\^$\\]", "", before).split("/") if s]
    if name in ("ticket", "ticket_id"):
        return str(attachment.ticket_id)
    if name == "attachment_id":
        return str(attachment.pk)
    if name == "pk" and segments and segments[-1] == "tickets":
        return str(attachment.ticket_id)  # the ticket with a file: its download is walked
    if name == "pk" and segments and segments[-1] in PK_MODELS:
        return first_pk(PK_MODELS[segments[-1]]) or "1"  # none in the demo: its 404
    if route.startswith("admin/"):
        if name == "app_label":
            return segments[-1] if len(segments) > 1 else "tickets"
        if name == "object_id" and len(segments) >= 3:
            return first_pk(f"{segments[1]}.{segments[2]}") or "1"
        if name in ("content_type_id", "object_id", "id"):
            return "1"
    if name == "name":
        return "urged" if "ops" in segments else "new"
    return VALUES.get(name)


def fill(route: str, attachment: Attachment) -> str | None:
    """A path for the route with its parameters filled, or None when one has no value."""
    missing = []

    def one(match: re.Match[str]) -> str:
        name = match[1] or match[2]
        if match[0].startswith("<drf_format_suffix:"):
            return ".json"
        found = value(route, route[: match.start()], name, attachment)
        if found is None:
            missing.append(name)
            return ""
        return found

    path = PARAM.sub(one, route)
    if missing:
        return None
    path = path.replace("^", "").replace("$", "").replace("/?", "/").replace("\\.", ".")
    return "/" + path


def directives(header: str) -> dict[str, list[str]]:
    result = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            result[words[0]] = words[1:]
    return result


def assert_policy(path: str, response: Any) -> None:
    header = response.headers.get("Content-Security-Policy")
    assert header, f"{path} ({response.status_code}) has no Content-Security-Policy"
    policy = directives(header)
    scripts = policy.get("script-src", policy.get("default-src"))
    assert scripts, f"{path}: no script-src nor default-src in {header!r}"
    for unsafe in ("'unsafe-inline'", "'unsafe-eval'", "*", "data:", "http:", "https:"):
        assert unsafe not in scripts, f"{path}: script-src allows {unsafe}: {header!r}"
    assert policy.get("frame-ancestors") == ["'none'"], f"{path}: {header!r}"
    assert policy.get("object-src") == ["'none'"], f"{path}: {header!r}"


@pytest.fixture
def demo_data(db: None) -> Attachment:
    demo.load(tickets=True)
    announcements.announcement_publish(
        actor=User.objects.get(username="ops"),
        category="notice",
        title="系统升级通知",
        body="周六 22:00 升级。",
        products=Product.objects.all(),
    )
    attachment = Attachment.objects.order_by("pk").first()
    assert attachment is not None, "the demo has an attachment to walk its download"
    # the objects the routes name, so that their pages are rendered rather than 404
    for model in (Complaint, Notification, Announcement, Article, InboundMessage):
        assert model._default_manager.exists(), model
    return attachment


SANDBOX = "default-src 'none'; sandbox; frame-ancestors 'none'"


def test_every_route_answers_with_the_policy(demo_data: Attachment):
    admin = User.objects.get(username="admin")
    client = Client(raise_request_exception=False)
    client.force_login(admin, backend="campusdesk.accounts.backends.UserBackend")
    walked, statuses, downloads = [], set(), []
    for route in sorted(set(routes(get_resolver().url_patterns))):
        path = fill(route, demo_data)
        if path is None:
            assert route in SKIPPED, f"cannot fill {route}: add a value or a reason to SKIPPED"
            continue
        try:
            resolve(path)
        except Resolver404:
            pytest.fail(f"{route} filled as {path}, which is none of ours")
        response = client.get(path)
        statuses.add(response.status_code)
        if response.get("Content-Security-Policy") == SANDBOX:
            # a stored file keeps its own, stricter policy: a sandbox, nothing loads, and it
            # is always a download
            assert response.status_code == 200, path
            assert response["Content-Disposition"].startswith("attachment"), path
            assert response["X-Content-Type-Options"] == "nosniff", path
            downloads.append(path)
        else:
            assert_policy(path, response)
        walked.append(path)
    assert len(walked) > 250, walked  # the whole URL conf, the admin's too
    ticket_file = f"/tickets/{demo_data.ticket_id}/attachments/{demo_data.pk}/"
    assert {ticket_file, f"/api/v1{ticket_file}"} <= set(downloads), downloads
    assert {200, 302, 404, 405} <= statuses


def test_anonymous_pages_static_files_and_errors_have_the_policy(db: None):
    client = Client()
    for path in (
        "/accounts/login/",
        "/",
        "/healthz",
        "/no-such-page/",
        "/static/campusdesk/css/app.css",
        "/static/campusdesk/js/app.js",
        "/api/v1/tickets/",
        "/api/docs/",
        "/api/docs/?script=",
    ):
        assert_policy(path, client.get(path))


def test_pages_carry_no_inline_script_or_style(people: dict[str, User]):
    """What the policy would refuse is not in the pages (the browser test runs them)."""
    client = Client()
    client.force_login(people["engineer"], backend="campusdesk.accounts.backends.UserBackend")
    for path in ("/", "/tickets/", "/tickets/new/", "/kb/", "/api/docs/"):
        html = client.get(path).content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), path
        assert not re.search(r"<style|\sstyle=|\son[a-z]+=|javascript:", html), path
    page = client.get("/tickets/").content.decode()
    assert '"allowEval": false' in page and '"includeIndicatorStyles": false' in page
    script = client.get("/api/docs/?script=")
    assert script.headers["Content-Type"].startswith("application/javascript")
    assert b"SwaggerUIBundle" in script.content

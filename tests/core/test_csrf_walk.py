"""CSRF on every unsafe view (issue 23 §1), found by walking the URL conf as the CSP test does:
a signed-in administrator's browser session POSTing anywhere without the CSRF token is
refused before any view runs — the Chinese "request refused" page for pages, a CSRF
failure (or, for an API that reads JSON only, a 415 for the form) for the API read through
the session — and nothing is written. The only routes
that take a POST without it do not act on a session cookie at all, each with its reason."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.test import Client
from django.urls import get_resolver

from campusdesk.accounts.models import User
from campusdesk.tickets.models import Attachment
from tests.core.test_csp import demo_data, fill, routes  # noqa: F401 - demo_data: the fixture

pytestmark = pytest.mark.security

#: routes whose POST reads no session cookie, so there is no request to forge
NO_SESSION = {
    "api/v1/auth/token/": "a token for a username and password in the body",
    "api/v1/alerts/": "an alert source's bearer token (and signature)",
    "api/v1/alerts/alertmanager/": "an alert source's bearer token",
}


def _rows() -> dict[str, int]:
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


def test_no_unsafe_request_passes_without_the_csrf_token(demo_data: Attachment):  # noqa: F811
    admin = User.objects.get(username="admin")
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin, backend="campusdesk.accounts.backends.UserBackend")
    before = _rows()
    refused, walked = [], 0
    for route in sorted(set(routes(get_resolver().url_patterns))):
        path = fill(route, demo_data) or "/" + route.replace("<str:kind>", "systems").replace(
            "<int:pk>", "1"
        ).replace("<str:name>", "approve")
        if route in NO_SESSION:
            continue
        # what another site's page can send: a form (multipart or urlencoded)
        for method, kind in [
            ("post", "multipart/form-data; boundary=BoUnDaRy"),
            ("post", "application/x-www-form-urlencoded"),
            ("put", "application/x-www-form-urlencoded"),
            ("patch", "application/x-www-form-urlencoded"),
            ("delete", "application/x-www-form-urlencoded"),
        ]:
            body = "--BoUnDaRy--\r\n" if kind.startswith("multipart") else ""
            response = getattr(client, method)(path, body, content_type=kind)
            walked += 1
            body = response.content.decode("utf-8", "replace")
            if response.status_code == 403 and ("请求被拒绝" in body or "CSRF" in body):
                continue
            if response.status_code == 415 and path.startswith("/api/"):
                continue  # an API that reads JSON only cannot even read a forged form
            refused.append(f"{method.upper()} {path}: {response.status_code} {body[:120]!r}")
    assert not refused, "\n".join(refused)
    assert walked > 1000  # every unsafe method on every route of the URL conf
    assert _rows() == before  # and nothing was written

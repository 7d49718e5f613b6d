"""Schemathesis against /api/schema/: every operation, as several personas, never a 5xx.

The schema is the one the app serves, read through its WSGI handler in process (no
socket). Each operation is one test: schemathesis's coverage phase (boundary and malformed
values) and 15 fuzzed examples, each sent as one of four personas, with ids that often name
demo rows so that the services behind the lookups are reached too.

The demo data are loaded once for the module, in a transaction rolled back at its end
(``setUpTestData``'s way); every request runs in a savepoint rolled back after it, so each
one meets the same data and a database error in one (PostgreSQL aborts the transaction)
cannot poison the next.

Only 5xx answers fail. ``status_code_conformance`` is not checked: the schema documents the
success answers only, so every 400/403/404/409 would count as undocumented.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, models, transaction
from django.test import Client, override_settings
from huey.contrib.djhuey import HUEY
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from campusdesk.accounts.models import Organisation, User
from campusdesk.catalog.models import Product, Project
from campusdesk.intake.models import Alert, AlertSource, MaintenanceWindow
from campusdesk.kb.models import Article
from campusdesk.monitoring.models import Probe
from campusdesk.notify.models import Announcement, Notification, RobotChannel
from campusdesk.ops.models import Complaint, CorrectiveAction
from campusdesk.site import demo
from campusdesk.sla.models import Calendar
from campusdesk.surveys.models import Survey
from campusdesk.systems.models import ApplicationSystem, Change, Finding, Vulnerability
from campusdesk.tickets.models import Ticket
from campusdesk.wsgi import application
from tests.helpers import api_token_with_secret

pytestmark = pytest.mark.django_db

#: Schemathesis's WSGI client sends ``Host: localhost``, Django's test client "testserver".
HOST = {"ALLOWED_HOSTS": ["localhost", "testserver"]}
FAST_HASHER = {"PASSWORD_HASHERS": ["django.contrib.auth.hashers.MD5PasswordHasher"]}

with override_settings(**HOST):
    schema = schemathesis.openapi.from_wsgi("/api/schema/", application)

#: A customer, line-1 and operations staff, and an administrator: between them they reach
#: every role check (403) and, where the role is allowed, the service behind it.
PERSONAS = ("user", "engineer", "ops", "admin")
TOKENS = [f"schemathesis-{name}" for name in PERSONAS]

#: The model an ``{id}`` (or ``{ticket}``, ``{organisation_id}``) path parameter names, by
#: path prefix.
PATH_IDS: dict[str, type[models.Model]] = {
    "/api/v1/tickets/": Ticket,
    "/api/v1/kb/retrospectives/": Ticket,
    "/api/v1/complaints/": Complaint,
    "/api/v1/kb/articles/": Article,
    "/api/v1/notifications/": Notification,
    "/api/v1/announcements/": Announcement,
    "/api/v1/organisations/": Organisation,
    "/api/v1/products/": Product,
    "/api/v1/projects/": Project,
    "/api/v1/ops/corrective-actions/": CorrectiveAction,
    "/api/v1/systems/": ApplicationSystem,
    "/api/v1/changes/": Change,
    "/api/v1/vulnerabilities/": Vulnerability,
    "/api/v1/findings/": Finding,
    "/api/v1/probes/": Probe,
    "/api/v1/status/": Organisation,
    "/api/v1/users/": User,
    "/api/v1/robots/": RobotChannel,
    "/api/v1/maintenance-windows/": MaintenanceWindow,
    "/api/v1/alerts/": Alert,
    "/api/v1/surveys/": Survey,
}

#: The model an integer in a query string or a JSON body names, by its key.
FIELD_IDS: dict[str, type[models.Model]] = {
    "project": Project,
    "product": Product,
    "products": Product,
    "organisations": Organisation,
    "reporter": User,
    "user": User,
    "engineer": User,
    "owner": User,
    "ticket": Ticket,
    "calendar": Calendar,
    "system": ApplicationSystem,
    "vulnerability": Vulnerability,
    "vendor_contact": User,
    "customer_contact": User,
    "service_manager": User,
    "line1_team": User,
    "source": AlertSource,
}

INTEGRAL = re.compile(r"-?[0-9]+")

#: Ids of demo rows, filled by the ``demo_data`` fixture (database ids differ between runs).
KNOWN: dict[type[models.Model], list[int]] = {}


@pytest.fixture(scope="module")
def demo_data(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """Demo data and a token per persona for every operation's test, rolled back at the end."""
    was_immediate = HUEY.immediate
    HUEY.immediate = True
    with (
        override_settings(**HOST, **FAST_HASHER),
        django_db_blocker.unblock(),
        transaction.atomic(),
        _connection_kept(),
    ):
        demo.load(tickets=True)
        for name, key in zip(PERSONAS, TOKENS, strict=True):
            api_token_with_secret(User.objects.get(username=name), key)
        for model in {*PATH_IDS.values(), *FIELD_IDS.values()}:
            KNOWN[model] = list(
                model._default_manager.order_by("pk").values_list("pk", flat=True)[:20]
            )
        yield
        KNOWN.clear()
        transaction.set_rollback(True)
    HUEY.immediate = was_immediate


@contextmanager
def _connection_kept() -> Iterator[None]:
    """Keep Django's request signals from closing the connection of the test transaction,
    as ``django.test.Client`` does for its own requests."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@schema.hook
def flatmap_case(context: Any, case: schemathesis.Case[Any]) -> st.SearchStrategy[Any]:
    """Fuzzing-phase cases: a persona drawn, and each id either as generated or a demo row's."""
    slots = list(_id_slots(case))
    drawn = st.tuples(
        st.sampled_from(TOKENS),
        *(_maybe_known(container[name], model) for container, name, model in slots),
    )
    return drawn.map(lambda values: _apply(case, slots, values))


def _id_slots(
    case: schemathesis.Case[Any],
) -> Iterator[tuple[dict[str, Any], str, type[models.Model]]]:
    """Where the case names a row by its id: (container, key, model)."""
    path = case.operation.path
    path_model = next((m for prefix, m in PATH_IDS.items() if path.startswith(prefix)), None)
    for name in case.path_parameters:
        if path_model is not None and name in ("id", "ticket", "organisation_id"):
            yield case.path_parameters, name, path_model
    containers = [case.query, case.body] if isinstance(case.body, dict) else [case.query]
    for container in containers:
        for name in container:
            if name in FIELD_IDS:
                yield container, name, FIELD_IDS[name]


def _maybe_known(value: Any, model: type[models.Model]) -> st.SearchStrategy[Any]:
    ids = KNOWN.get(model)
    if not ids:
        return st.just(value)
    if isinstance(value, list):
        return st.one_of(st.just(value), st.lists(st.sampled_from(ids), min_size=1, max_size=3))
    return st.one_of(st.just(value), st.sampled_from(ids))


def _apply(
    case: schemathesis.Case[Any],
    slots: list[tuple[dict[str, Any], str, type[models.Model]]],
    values: tuple[Any, ...],
) -> schemathesis.Case[Any]:
    token, *ids = values
    case.headers["Authorization"] = f"Token {token}"
    for (container, name, _model), value in zip(slots, ids, strict=True):
        container[name] = value
    return case


_turn = itertools.count()


def _take_turn(case: schemathesis.Case[Any]) -> None:
    """Coverage-phase cases (boundary and malformed values, built at collection, before the
    demo data exist) go out as each persona in turn, and an integral id names each demo row
    in turn, so that a body's boundary values reach the service rather than a 404.
    Malformed ids stay as they are."""
    turn = next(_turn)
    case.headers["Authorization"] = f"Token {TOKENS[turn % len(TOKENS)]}"
    for container, name, model in _id_slots(case):
        ids, value = KNOWN[model], container[name]
        if ids and INTEGRAL.fullmatch(str(value)):
            known = ids[turn // len(TOKENS) % len(ids)]
            container[name] = str(known) if isinstance(value, str) else known


@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_no_server_errors(case: schemathesis.Case[Any], demo_data: None) -> None:
    if not case.headers.get("Authorization"):  # not drawn by ``flatmap_case``, nor done before
        _take_turn(case)
    savepoint = transaction.savepoint()
    try:
        response = case.call()
    finally:
        transaction.savepoint_rollback(savepoint)
    case.validate_response(response, checks=[schemathesis.checks.not_a_server_error])


#: (path, name) of every text parameter of a query string.
QUERY_TEXT = [
    (path, parameter["name"])
    for path, item in schema.raw_schema["paths"].items()
    if "get" in item and "{" not in path
    for parameter in item["get"].get("parameters", [])
    if parameter["in"] == "query" and parameter["schema"].get("type") == "string"
]


@pytest.mark.parametrize(("path", "name"), QUERY_TEXT)
def test_no_server_error_for_nul_in_query_text(path: str, name: str, demo_data: None) -> None:
    """A NUL, which the fuzzer sends only by luck: a PostgreSQL text value cannot hold one."""
    for token in TOKENS:
        response = Client().get(path, {name: "a\x00b"}, HTTP_AUTHORIZATION=f"Token {token}")
        assert response.status_code < 500, (token, response.status_code)

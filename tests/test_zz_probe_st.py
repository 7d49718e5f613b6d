"""Schemathesis against /api/schema/: every operation, as several personas, never a 5xx.

The schema is the one the app serves, read through its WSGI handler in process (no
socket). Each operation is one test. The demo data are loaded once for the module, in a
transaction that is rolled back at its end (``setUpTestData``'s way); every request runs
in a savepoint that is rolled back after it, so each one meets the same data and a
database error in one (PostgreSQL aborts the transaction) cannot poison the next.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, models, transaction
from django.test import override_settings
from huey.contrib.djhuey import HUEY
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token

from campusdesk.accounts.models import Organisation, User
from campusdesk.catalog.models import Product, Project
from campusdesk.core import demo
from campusdesk.kb.models import Article
from campusdesk.notify.models import Announcement, Notification
from campusdesk.ops.models import Complaint, CorrectiveAction
from campusdesk.sla.models import Calendar
from campusdesk.tickets.models import Ticket
from campusdesk.wsgi import application

pytestmark = pytest.mark.django_db

#: Schemathesis's WSGI client sends ``Host: localhost``.
HOST = {"ALLOWED_HOSTS": ["localhost"]}
FAST_HASHER = {"PASSWORD_HASHERS": ["django.contrib.auth.hashers.MD5PasswordHasher"]}

with override_settings(**HOST):
    schema = schemathesis.openapi.from_wsgi("/api/schema/", application)

#: A customer, line-1 and operations staff, and an administrator: between them they reach
#: every role check (403) and, where the role is allowed, the service behind it.
PERSONAS = ("user", "engineer", "ops", "admin")
TOKENS = [f"schemathesis-{name}" for name in PERSONAS]

#: The model an ``{id}`` (or ``{ticket}``) path parameter names, by path prefix.
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
}

#: Ids of demo rows, filled by the ``demo_data`` fixture (database ids differ between runs).
KNOWN: dict[type[models.Model], list[int]] = {}


@pytest.fixture(scope="module")
def demo_data(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """Demo data and a token per persona for every operation's test, rolled back at the end."""
    was_immediate = HUEY.immediate
    HUEY.immediate = True
    with override_settings(**HOST, **FAST_HASHER), django_db_blocker.unblock():
        with transaction.atomic(), _connection_kept():
            demo.load(tickets=True)
            for name, key in zip(PERSONAS, TOKENS, strict=True):
                Token.objects.create(user=User.objects.get(username=name), key=key)
            for model in {*PATH_IDS.values(), *FIELD_IDS.values()}:
                KNOWN[model] = list(model.objects.order_by("pk").values_list("pk", flat=True)[:20])
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


_rotation = itertools.cycle(TOKENS)


@schema.hook  # type: ignore[untyped-decorator]
def map_case(context: Any, case: schemathesis.Case) -> schemathesis.Case:
    """The coverage phase's cases (boundary and malformed values) go out as each persona in
    turn; the fuzzing phase draws the persona again in ``flatmap_case``."""
    case.headers["Authorization"] = f"Token {next(_rotation)}"
    return case


@schema.hook  # type: ignore[untyped-decorator]
def flatmap_case(context: Any, case: schemathesis.Case) -> st.SearchStrategy[Any]:
    """A persona, and often the id of a demo row instead of a random integer.

    Random integers are almost always 404s; real ids reach the services behind the lookups.
    """
    path_model = next(
        (model for prefix, model in PATH_IDS.items() if case.operation.path.startswith(prefix)),
        None,
    )
    draws: dict[str, st.SearchStrategy[Any]] = {"token": st.sampled_from(TOKENS)}
    for name, value in case.path_parameters.items():
        if path_model is not None and name in ("id", "ticket"):
            draws[f"path:{name}"] = _maybe_known(value, path_model)
    for name, value in case.query.items():
        if name in FIELD_IDS:
            draws[f"query:{name}"] = _maybe_known(value, FIELD_IDS[name])
    if isinstance(case.body, dict):
        for name, value in case.body.items():
            if name in FIELD_IDS:
                draws[f"body:{name}"] = _maybe_known(value, FIELD_IDS[name])
    return st.fixed_dictionaries(draws).map(lambda drawn: _apply(case, drawn))


def _maybe_known(value: Any, model: type[models.Model]) -> st.SearchStrategy[Any]:
    ids = KNOWN.get(model)
    if not ids:
        return st.just(value)
    if isinstance(value, list):
        return st.one_of(st.just(value), st.lists(st.sampled_from(ids), min_size=1, max_size=3))
    return st.one_of(st.just(value), st.sampled_from(ids))


def _apply(case: schemathesis.Case, drawn: dict[str, Any]) -> schemathesis.Case:
    case.headers["Authorization"] = f"Token {drawn.pop('token')}"
    containers = {"path": case.path_parameters, "query": case.query, "body": case.body}
    for key, value in drawn.items():
        where, name = key.split(":", 1)
        containers[where][name] = value
    return case


@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_no_server_errors(case: schemathesis.Case, demo_data: None) -> None:
    savepoint = transaction.savepoint()
    try:
        response = case.call()
    finally:
        transaction.savepoint_rollback(savepoint)
    with open("/tmp/probe.tsv", "a") as f:
        f.write(f"{case.operation.label}\t{response.status_code}\n")
    case.validate_response(response, checks=[schemathesis.checks.not_a_server_error])

"""Cross-organisation IDOR on every route that takes an id (issue 23 §1), found by walking the
URL conf: a customer of 昆仑大学, signed in on the web and with an API token, asks for every
route filled with the ids of 新疆师范大学's objects (a problem, its attachment, a system, a
complaint, a survey, a user, a token …) and gets a refusal (403/404/405) every time, with
none of the other university's problem numbers in the answer; the same for writes, where a
400 for the empty body passes only when an id nothing has gets the very same answer (no
oracle of what exists).

Which organisation owns an object is found from the models, not listed: the shortest chain
of foreign keys from the model to ``accounts.Organisation`` that does not pass through a
person (a ticket's reporter would say nothing of the ticket's owner), or, for what belongs
to one person (a notification, a token), through that person.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.apps import apps
from django.db import models
from django.test import Client
from django.urls import get_resolver

from campusdesk.accounts.models import Organisation, User
from campusdesk.site import demo
from campusdesk.tickets.models import Attachment, Ticket
from tests.core.test_csp import PARAM, PK_MODELS, VALUES, routes
from tests.helpers import api_client_for

pytestmark = pytest.mark.security

PERSONAL = ("recipient", "user")  # what belongs to one person belongs to their organisation
REFUSED = {403, 404, 405}


def owner_path(model: type[models.Model], depth: int = 0) -> str | None:
    """The lookup from ``model`` to its organisation, shortest first; None when it has none."""
    if model is Organisation:
        return ""
    if depth >= 3:
        return None
    found: list[str] = []
    for field in model._meta.get_fields():
        if not (isinstance(field, models.ForeignKey) and field.concrete):
            continue
        target = field.related_model
        if target is User:
            if field.name in PERSONAL and depth == 0:
                found.append(f"{field.name}__organisation")
            continue
        if target is model or not isinstance(target, type):
            continue
        rest = owner_path(target, depth + 1)
        if rest is not None:
            found.append(field.name + (f"__{rest}" if rest else ""))
    return min(found, key=lambda p: (p.count("__"), p)) if found else None


def victims(org: Organisation) -> dict[str, str]:
    """For each model a route names, the id of one object of ``org`` (those it owns)."""
    ids: dict[str, str] = {}
    for label in set(PK_MODELS.values()):
        model = apps.get_model(label)
        path = owner_path(model)
        if path is None:
            continue  # not an organisation's (a product, a published case, a shift)
        lookup = {path: org} if path else {"pk": org.pk}
        pk = model._default_manager.filter(**lookup).order_by("pk").values_list("pk", flat=True)
        if pk.first() is not None:
            ids[label] = str(pk.first())
    return ids


GHOST = "987654321"  # an id nothing has


def fill(
    route: str, ids: dict[str, str], ticket: Ticket, attachment: Attachment, ghost: bool = False
) -> str | None:
    """The route with the victim's ids (or, ``ghost``, with ids nothing has), or None when it
    names no object of theirs."""
    named = False

    def one(match: re.Match[str]) -> str:
        nonlocal named
        name = match[1] or match[2]
        before = [s for s in re.sub(r"[\^$\\]", "", route[: match.start()]).split("/") if s]
        if match[0].startswith("<drf_format_suffix:"):
            return ".json"
        if name in ("ticket", "ticket_id") or (name == "pk" and before[-1:] == ["tickets"]):
            named = True
            return GHOST if ghost else str(ticket.pk)
        if name == "attachment_id":
            named = True
            return GHOST if ghost else str(attachment.pk)
        if name == "organisation_id":
            named = True
            return GHOST if ghost else ids["accounts.Organisation"]
        if name == "pk" and before and PK_MODELS.get(before[-1]) in ids:
            named = True
            return GHOST if ghost else ids[PK_MODELS[before[-1]]]
        return VALUES.get(name, "1")

    path = PARAM.sub(one, route)
    path = path.replace("^", "").replace("$", "").replace("/?", "/").replace("\\.", ".")
    return "/" + path if named else None


def test_no_route_gives_another_organisations_objects(db: None):
    demo.load()
    victim = User.objects.get(username="user").organisation
    attacker = User.objects.get(username="user2")
    assert victim is not None and attacker.organisation not in (None, victim)
    ids = victims(victim)
    assert {"tickets.Ticket", "systems.ApplicationSystem", "accounts.User"} <= set(ids)
    ticket = Ticket.objects.filter(project__organisation=victim, attachments__isnull=False).first()
    assert ticket is not None
    attachment = ticket.attachments.order_by("pk").first()
    assert attachment is not None
    numbers = set(
        Ticket.objects.filter(project__organisation=victim).values_list("number", flat=True)
    )

    web = Client()
    web.force_login(attacker, backend="campusdesk.accounts.backends.UserBackend")
    api = api_client_for(attacker)
    leaks: list[str] = []
    walked = 0
    for route in sorted(set(routes(get_resolver().url_patterns))):
        if route.startswith("admin/"):
            continue  # the admin refuses customers whole (tested in accounts)
        path = fill(route, ids, ticket, attachment)
        if path is None:
            continue
        client: Any = api if path.startswith("/api/") else web
        for method in ("get", "post"):
            response = getattr(client, method)(path)
            walked += 1
            body = b"".join(response.streaming_content) if response.streaming else response.content
            text = body.decode("utf-8", "replace")
            if response.status_code == 400:
                # a refused body says nothing if it is what an id nothing has gets too
                ghost = getattr(client, method)(fill(route, ids, ticket, attachment, ghost=True))
                if (ghost.status_code, ghost.content) == (400, body):
                    continue
            if response.status_code not in REFUSED:
                leaks.append(f"{method.upper()} {path}: {response.status_code} {text[:150]!r}")
            elif any(number in text for number in numbers):
                leaks.append(f"{method.upper()} {path}: names a problem of theirs")
    assert not leaks, "\n".join(leaks)
    assert walked > 150, walked

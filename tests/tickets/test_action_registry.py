"""One declaration per action (issue 17, item 1): an action declared only through
``tickets.actions.register`` is offered, enforced, on the timeline and in the API schema,
notifies the audience its ``notice`` names and moves the SLA clocks as its ``sla`` says."""

from __future__ import annotations

import sys
import types
from collections.abc import Iterator
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
import yaml
from django import forms
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.urls import include, path, reverse
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiYamlRenderer
from rest_framework import serializers

from campusdesk import urls as root_urls
from campusdesk.accounts.models import User
from campusdesk.api_urls import Router
from campusdesk.catalog.models import Project
from campusdesk.core import clock
from campusdesk.notify import rules
from campusdesk.notify.models import Delivery, Notification, Rule
from campusdesk.sla import services as sla
from campusdesk.tickets import actions, services, workflow
from campusdesk.tickets.api import TicketViewSet, add_action_endpoints
from campusdesk.tickets.models import Status, Ticket, TicketEvent
from campusdesk.tickets.services import begin_action
from tests.helpers import api_client_for, web_client_for
from tests.tickets.conftest import later, new_ticket

HTMX = {"HTTP_HX_REQUEST": "true"}
SH = ZoneInfo("Asia/Shanghai")
STAMP_URLS = "tests.tickets.stamp_urls"  # the site's URLs while the action is declared


class Extra(StrEnum):
    STAMP = "stamp"


class StampForm(forms.Form):
    note = forms.CharField(max_length=100)


class StampSerializer(serializers.Serializer[Any]):
    note = serializers.CharField(max_length=100)


@transaction.atomic
def ticket_stamp(*, ticket_id: int, actor: User, note: str, channel: str) -> Ticket:
    """The throw-away action's service: the same shape as every ticket service."""
    ticket, target = begin_action(ticket_id, actor, Extra.STAMP)
    workflow.transition(
        ticket=ticket,
        action=Extra.STAMP,
        target=target,
        actor=actor,
        channel=channel,
        now=clock.now(),
        data={"note": note},
    )
    return ticket


def _urlconf() -> types.ModuleType:
    """The site's URLs with a router whose ticket viewset has every declared action now."""
    router = Router()
    viewset = add_action_endpoints(type("StampTicketViewSet", (TicketViewSet,), {}))
    router.register("tickets", viewset, basename="ticket")
    module = types.ModuleType(STAMP_URLS)
    module.urlpatterns = [
        path("api/v1/", include(router.urls)),
        *root_urls.urlpatterns,
    ]
    return module


@pytest.fixture
def stamp(settings: Any) -> Iterator[None]:
    actions.register(
        actions.ActionSpec(
            Extra.STAMP,
            label="Stamp",
            rule=workflow.Rule(Extra.STAMP, (Status.IN_PROGRESS,), None, workflow.is_tier_staff),
            form=StampForm,
            run=lambda t, u, d, channel: ticket_stamp(
                ticket_id=t.pk, actor=u, note=d["note"], channel=channel
            ),
            api=actions.ApiSpec("stamp", StampSerializer),
            summary=lambda d: f"Stamped: {d.get('note')}",
            # heard by the reporter and operations; the clocks wait for the customer
            notice=actions.Notice("info", ("reporter", "operations")),
            sla=actions.SlaEffect.AWAITS_INFO,
        )
    )
    urlconf = _urlconf()
    sys.modules[urlconf.__name__] = urlconf
    settings.ROOT_URLCONF = urlconf.__name__
    try:
        yield
    finally:
        actions.unregister(Extra.STAMP)
        del sys.modules[urlconf.__name__]


def _offered(client: Any, ticket: Ticket) -> bool:
    page = client.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()
    return 'data-action="stamp"' in page


def test_a_declared_action_is_offered_enforced_on_the_timeline_and_in_the_schema(
    stamp: None, people: dict[str, User], project: Project, customer: User
) -> None:
    ticket = new_ticket(project, customer)
    engineer = people["engineer"]
    api = api_client_for(engineer)
    url = f"/api/v1/tickets/{ticket.pk}/stamp/"

    # a new problem: not offered, and the API answers 409 (the status does not allow it)
    assert not _offered(web_client_for(engineer), ticket)
    refused = api.post(url, {"note": "x"}, format="json")
    assert refused.status_code == 409, refused.content

    accepted = api.post(
        f"/api/v1/tickets/{ticket.pk}/accept/",
        {"severity": "SIS1", "committed_resolution_at": later(4)},
        format="json",
    )
    assert accepted.status_code == 200, accepted.content
    assert "stamp" in accepted.json()["allowed_actions"]

    # in progress: offered to the handler, not to the customer; the customer gets 403
    assert _offered(web_client_for(engineer), ticket)
    assert not _offered(web_client_for(customer), ticket)
    forbidden = api_client_for(customer).post(url, {"note": "x"}, format="json")
    assert forbidden.status_code == 403, forbidden.content

    # the page: a bad form says why; a good one carries it out and shows it on the timeline
    web = web_client_for(engineer)
    act = reverse("tickets:act", args=[ticket.pk, "stamp"])
    assert web.post(act, {"note": ""}).status_code == 422
    done = web.post(act, {"note": "第一次"}, **HTMX)
    assert done.status_code == 200
    assert "Stamped: 第一次" in done.content.decode()

    # the API: 400 on bad input, then the ticket as it is now
    assert api.post(url, {}, format="json").status_code == 400
    answered = api.post(url, {"note": "second"}, format="json")
    assert answered.status_code == 200, answered.content
    assert answered.json()["id"] == ticket.pk
    stamps = TicketEvent.objects.filter(ticket=ticket, action="stamp")
    assert [(e.channel, e.data["note"]) for e in stamps.order_by("id")] == [
        ("web", "第一次"),
        ("api", "second"),
    ]
    timeline = api.get(f"/api/v1/tickets/{ticket.pk}/timeline/").json()
    assert [e["action"] for e in timeline].count("stamp") == 2

    # the OpenAPI schema, generated fresh, has its endpoint with its input
    schema = SchemaGenerator(urlconf=STAMP_URLS).get_schema(request=None, public=True)
    operation = schema["paths"]["/api/v1/tickets/{id}/stamp/"]["post"]
    assert operation["operationId"] == "v1_tickets_stamp_create"
    body = yaml.safe_load(OpenApiYamlRenderer().render(schema))
    assert "Stamp" in body["components"]["schemas"]


def test_unregistering_leaves_the_table_and_the_api_as_they_were() -> None:
    assert "stamp" not in actions.ACTIONS
    assert all(action != "stamp" for (_status, action) in workflow.TRANSITIONS)
    assert not hasattr(TicketViewSet, "stamp")
    before = dict(workflow.TRANSITIONS)
    actions.register(
        actions.ActionSpec(
            Extra.STAMP,
            rule=workflow.Rule(Extra.STAMP, (Status.NEW,), None, workflow.anyone),
        )
    )
    assert workflow.TRANSITIONS[(Status.NEW, Extra.STAMP)] == Status.NEW
    with pytest.raises(ValueError, match="declared twice"):
        actions.register(actions.ActionSpec(Extra.STAMP))
    actions.unregister(Extra.STAMP)
    assert dict(workflow.TRANSITIONS) == before
    assert "stamp" not in workflow.RULE_OF
    assert "stamp" not in workflow.ACTION_LABELS


def at(text: str) -> Any:
    """The clock stands at ``text`` (Shanghai time, 2026-03: no holiday)."""
    return time_machine.travel(datetime.fromisoformat(f"{text}+08:00"), tick=False)


def shanghai(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(SH).strftime("%m-%d %H:%M")


def test_a_declared_action_notifies_its_audience_and_pauses_the_clocks(
    stamp: None, people: dict[str, User], project: Project, customer: User, outsider: User
) -> None:
    engineer, ops = people["engineer"], people["ops"]
    # SIS2 from Mon 18:00, wall time: respond by 22:00, resolve by Tue 02:00, on site 10:00
    with at("2026-03-09T18:00:00"):
        ticket = new_ticket(project, customer)
    with at("2026-03-09T18:30:00"):
        services.ticket_accept(
            ticket_id=ticket.pk,
            actor=engineer,
            severity="SIS2",
            committed_resolution_at=datetime(2026, 3, 10, 12, tzinfo=SH),
        )
    ticket.refresh_from_db()
    assert (shanghai(ticket.resolve_by), shanghai(ticket.onsite_by)) == (
        "03-10 02:00",
        "03-10 10:00",
    )

    with at("2026-03-09T19:00:00"):
        done = api_client_for(engineer).post(
            f"/api/v1/tickets/{ticket.pk}/stamp/", {"note": "请提供日志"}, format="json"
        )
    assert done.status_code == 200, done.content
    assert done.json()["waiting_for"] == "info"

    # the declared audience hears it, as the declared message type: the reporter (inbox
    # and e-mail) and operations; not its actor, nobody of another organisation
    stamped = TicketEvent.objects.get(ticket=ticket, action="stamp")
    notes = Notification.objects.filter(event=stamped)
    assert sorted(note.recipient.username for note in notes) == sorted(
        [customer.username, ops.username]
    )
    assert {note.kind for note in notes} == {"info"}
    inbox = api_client_for(customer).get("/api/v1/notifications/", {"kind": "info"}).json()
    mine = [n for n in inbox["results"] if n["ticket"] == ticket.pk]
    assert len(mine) == 1 and "Stamped: 请提供日志" in mine[0]["body"]
    assert mine[0]["url"] == f"/tickets/{ticket.pk}/"
    mail = Delivery.objects.get(notification__event=stamped, recipient=customer)
    assert (mail.channel, mail.address) == ("email", customer.email)
    assert not Notification.objects.filter(recipient__in=[engineer, outsider], event=stamped)

    # the clocks stand still: the old resolve target passes and nothing fires
    ticket.refresh_from_db()
    assert (ticket.waiting_for, shanghai(ticket.waiting_since)) == ("info", "03-09 19:00")
    assert ticket.next_deadline_at is None
    assert sla.sweep(now=datetime(2026, 3, 10, 2, 30, tzinfo=SH)) == 0
    assert not TicketEvent.objects.filter(ticket=ticket, action__startswith="sla_")

    # the customer's reply answers: the clocks run again, every deadline 8 h later
    with at("2026-03-10T03:00:00"):
        services.ticket_add_record(ticket_id=ticket.pk, actor=customer, body="日志见附件。")
    ticket.refresh_from_db()
    assert (ticket.waiting_for, ticket.paused_clock) == ("", timedelta(hours=8))
    assert (shanghai(ticket.resolve_by), shanghai(ticket.onsite_by)) == (
        "03-10 10:00",
        "03-10 18:00",
    )
    assert shanghai(ticket.next_deadline_at) == "03-10 09:00"  # the resolve warning


def test_the_declared_notices_are_the_seeded_rules_and_leave_with_their_action(db: None) -> None:
    """The built-in actions' notices are the defaults the data migration wrote as rows; an
    action's notice is read from the registry when asked, and goes when it is unregistered."""
    seeded = {row.action: (row.kind, row.audiences) for row in Rule.objects.all()}
    declared = {name: (str(kind), names) for name, (kind, names) in rules.default_rules().items()}
    assert seeded and seeded == {name: declared[name] for name in seeded}
    # declared after the data migration wrote its rows: read from the registry, not seeded
    assert set(declared) - set(seeded) == {
        "alert_resolved",
        "probe_recovered",
        "cert_warning",
        "auto_close",
    }
    assert actions.ACTIONS[workflow.Action.ANSWER_INFO].sla == actions.SlaEffect.ANSWERS_INFO

    notice = actions.Notice("closed", ("reporter",))
    actions.register(actions.ActionSpec(Extra.STAMP, notice=notice))
    try:
        assert rules.rule_for("stamp") == ("closed", ["reporter"])
    finally:
        actions.unregister(Extra.STAMP)
    assert rules.rule_for("stamp") is None and "stamp" not in rules.default_rules()


def test_a_notice_naming_an_unknown_group_is_refused_loudly(db: None) -> None:
    actions.register(
        actions.ActionSpec(Extra.STAMP, notice=actions.Notice("info", ("reporter", "everyone")))
    )
    try:
        with pytest.raises(ImproperlyConfigured, match="stamp.*'everyone'"):
            rules.rule_for("stamp")
    finally:
        actions.unregister(Extra.STAMP)
    actions.register(actions.ActionSpec(Extra.STAMP, notice=actions.Notice("gossip", ())))
    try:
        with pytest.raises(ImproperlyConfigured, match="'gossip'"):
            rules.default_rules()
    finally:
        actions.unregister(Extra.STAMP)

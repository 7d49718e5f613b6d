"""``core.bulk.insert``: COPY on PostgreSQL, bulk_create on SQLite; the rows and pks the same."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from campusdesk.accounts.models import User
from campusdesk.core import bulk
from campusdesk.notify.models import Delivery, Notification

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("copy_from", [1, 10_000])  # through COPY (PostgreSQL), through bulk_create
def test_rows_come_back_with_pks_and_everything_round_trips(
    people: dict[str, User], monkeypatch: pytest.MonkeyPatch, copy_from: int
) -> None:
    monkeypatch.setattr(bulk, "COPY_FROM", copy_from)
    now = timezone.now()
    user = people["engineer"]
    notes = [
        Notification(
            recipient=user,
            kind="sla_breached",
            title=f'[#{n}] 超时 \t\\ "引号"',
            body="第一行\n第二行\r\n\\N 不是空值",
            url=f"/tickets/{n}/",
            urgent=n % 2 == 0,
            created_at=now,
        )
        for n in range(5)
    ]
    assert bulk.insert(notes) is notes
    assert all(note.pk for note in notes) and len({note.pk for note in notes}) == 5
    mails = [
        Delivery(
            key=f"k{n}-{now.timestamp()}",
            channel="email",
            address="a@example.edu.cn",
            kind="sla_breached",
            recipient=user,
            notification=note,
            payload={
                "subject": note.title,
                "html": "<p>&amp;</p>",
                "n": n,
                "none": None,
                "list": ["一", 2],
            },
            next_attempt_at=now + timedelta(minutes=n),
            created_at=now,
        )
        for n, note in enumerate(notes)
    ]
    bulk.insert(mails)
    for note in notes:
        saved = Notification.objects.get(pk=note.pk)
        assert (saved.title, saved.body, saved.urgent) == (note.title, note.body, note.urgent)
        assert saved.read_at is None and saved.created_at == now
    for n, mail in enumerate(mails):
        saved = Delivery.objects.get(pk=mail.pk)
        assert saved.notification_id == notes[n].pk  # linked though saved after assignment
        assert saved.payload == mail.payload
        assert saved.status == Delivery.Status.PENDING and saved.attempts == 0
        assert saved.next_attempt_at == now + timedelta(minutes=n)
    # the objects are usable as saved ones
    assert not mails[0]._state.adding
    Delivery.objects.filter(pk=mails[0].pk).update(attempts=1)


def test_copy_is_one_statement_after_the_ids_on_postgresql(
    people: dict[str, User], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk, "COPY_FROM", 1)
    now = timezone.now()
    notes = [
        Notification(recipient=people["ops"], kind="urged", title=str(n), created_at=now)
        for n in range(300)
    ]
    with CaptureQueriesContext(connection) as queries:
        bulk.insert(notes)
    if connection.vendor == "postgresql":
        assert "nextval" in queries.captured_queries[0]["sql"]
        assert len(queries) <= 2
    assert Notification.objects.filter(recipient=people["ops"], kind="urged").count() == 300
    assert sorted(n.pk for n in notes) == sorted(
        Notification.objects.filter(kind="urged").values_list("pk", flat=True)
    )


def test_new_builds_what_the_keyword_constructor_builds(db):
    now = timezone.now()
    values = {
        "key": "k1",
        "channel": "email",
        "address": "a@example.edu",
        "kind": "record",
        "payload": {"subject": "s"},
        "next_attempt_at": now,
        "created_at": now,
    }
    fast, slow = bulk.new(Delivery, recipient_id=None, **values), Delivery(**values)
    names = [field.attname for field in Delivery._meta.concrete_fields]
    assert [getattr(fast, n) for n in names] == [getattr(slow, n) for n in names]
    assert fast.status == "pending" and fast.attempts == 0 and fast.pk is None
    with pytest.raises(TypeError, match="recipient"):
        bulk.new(Delivery, recipient=None, **values)  # by attribute name only

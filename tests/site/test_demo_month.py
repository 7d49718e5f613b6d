"""The demo reads as a real month: problems in every status spread over the working days,
some evenings and a weekend or holiday, incidents with their reports, and a document
library with a user manual and a maintenance notice; whatever day the demo is loaded."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from campusdesk.accounts.models import User
from campusdesk.core import clock
from campusdesk.notify.models import Announcement
from campusdesk.site import demo
from campusdesk.tickets import demo_stories
from campusdesk.tickets.demo import Calendar, is_working_day
from campusdesk.tickets.models import IncidentReport, Ticket
from tests.helpers import web_client_for

SHANGHAI = ZoneInfo("Asia/Shanghai")
MOMENT = datetime(2026, 11, 20, 11, 0, tzinfo=SHANGHAI)


@pytest.mark.django_db
def test_the_demo_is_a_month_of_work() -> None:
    with time_machine.travel(MOMENT, tick=False):
        demo.load()
    tickets = list(Ticket.objects.select_related("project"))
    assert 40 <= len(tickets) <= 60
    assert not [t.title for t in tickets if "上月" in t.title]
    statuses = {t.status for t in tickets}
    assert {"new", "in_progress", "pending_close", "closed", "withdrawn"} <= statuses
    assert any(t.waiting_for == "info" for t in tickets)  # awaiting the customer's answer
    open_tiers = {t.tier for t in tickets if t.status in ("new", "in_progress")}
    assert {1, 2, 3} <= open_tiers  # escalated to lines 2 and 3
    closed = [t for t in tickets if t.status == "closed"]
    assert len({t.rating for t in closed}) >= 3 and all(t.rating for t in closed)
    incidents = IncidentReport.objects.filter(ticket__severity="SIS1", ticket__status="closed")
    assert incidents.count() >= 2 and all(r.is_complete for r in incidents)
    # spread over a month: working hours of many days, some evenings, a day off
    month = [t for t in tickets if MOMENT - t.created_at <= timedelta(days=31)]
    local = [clock.local(t.created_at) for t in month]
    assert len({m.date() for m in local}) >= 15
    assert sum(9 <= m.hour < 17 for m in local) >= 0.7 * len(local)
    assert any(m.hour >= 19 for m in local)
    assert any(not is_working_day(m.date()) for m in local)
    assert {t.project.product.name for t in tickets} == {"研究生管理系统", "学工系统"}
    # the document library: a user manual to download and a maintenance notice
    manual = Announcement.objects.get(category="document", attachment_name__endswith=".pdf")
    notice = Announcement.objects.filter(category="notice", title__contains="维护").get()
    page = web_client_for(User.objects.get(username="user")).get("/announcements/")
    assert manual.title in page.content.decode() and notice.title in page.content.decode()
    download = web_client_for(User.objects.get(username="user")).get(
        f"/announcements/{manual.pk}/attachment/"
    )
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF")  # type: ignore[attr-defined]


def _moments_every_day_of_a_year() -> list[datetime]:
    first = date(2025, 12, 20)  # across New Year, Spring Festival, National Day …
    return [
        datetime.combine(first + timedelta(days=n), at, tzinfo=SHANGHAI)
        for n in range(400)
        for at in (time(0, 5), time(23, 55))
    ]


def test_every_story_is_told_in_the_past_whatever_the_day() -> None:
    """The stories' moments are in order and before now on every day, holidays included."""
    for now in _moments_every_day_of_a_year():
        calendar = Calendar(now.astimezone(UTC))
        for story in demo_stories.STORIES:
            moments = calendar.moments(story)  # raises when out of order or not past
            assert moments == sorted(moments) and moments[-1] < now, (now, story.title)

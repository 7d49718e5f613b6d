"""The demo's surveys, as `make run` shows them: last semester's survey of 新疆师范大学, closed,
with four responses; this semester's, open, which the demo customer has yet to answer; and a
draft of 昆仑大学's."""

from __future__ import annotations

from datetime import date

import pytest

from campusdesk.accounts.models import User
from campusdesk.site import demo
from campusdesk.surveys import selectors
from campusdesk.surveys.demo import semesters
from campusdesk.surveys.models import Status, Survey
from tests.helpers import web_client_for


def test_the_demo_has_a_closed_and_an_open_survey(db):
    demo.load()
    demo.load()  # again: nothing doubles
    closed, current, draft = Survey.objects.order_by("opens_on")
    assert (closed.status, current.status) == (Status.CLOSED, Status.OPEN)
    assert draft.status == Status.DRAFT and draft.project.organisation.name == "昆仑大学"
    assert closed.period_label == "2026 春季学期" and current.period_label == "2026 秋季学期"
    found = selectors.results(closed)
    assert (found.responses, found.invited, found.rate) == (4, 4, 100)
    assert found.average is not None and 3 < found.average < 5
    user = User.objects.get(username="user")
    page = web_client_for(user).get(f"/surveys/{current.pk}/").content.decode()
    assert 'id="answer"' in page
    assert 'id="thank-you"' in web_client_for(user).get(f"/surveys/{closed.pk}/").content.decode()


@pytest.mark.parametrize(
    ("day", "labels"),
    [
        (date(2026, 9, 10), ("2026 春季学期", "2026 秋季学期")),
        (date(2027, 1, 5), ("2026 春季学期", "2026 秋季学期")),
        (date(2027, 3, 1), ("2026 秋季学期", "2027 春季学期")),
    ],
)
def test_semesters(day, labels):
    assert semesters(day) == labels

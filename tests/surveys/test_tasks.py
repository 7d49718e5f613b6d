"""The scheduler opens a survey on its opening day once, whatever the number of workers (the
customers told once), and closes it after its closing day."""

from __future__ import annotations

from datetime import date, timedelta

from campusdesk.notify.models import Kind, Notification
from campusdesk.surveys import services, tasks
from campusdesk.surveys.models import Status, Survey
from tests.surveys.conftest import T0, drafted

DAY = timedelta(days=1)


def test_a_survey_opens_on_its_day_once(manager, project, colleagues):
    survey = drafted(manager, project, opens_on=date(2026, 9, 11))
    assert services.open_due(now=T0) == 0  # not yet: it opens tomorrow
    assert services.open_due(now=T0 + DAY) == 1
    assert services.open_due(now=T0 + DAY) == 0
    survey.refresh_from_db()
    assert survey.status == Status.OPEN and survey.invited == 3
    assert Notification.objects.filter(kind=Kind.SURVEY).count() == 3


def test_a_second_worker_that_read_the_draft_too_does_nothing(manager, project, colleagues):
    survey = drafted(manager, project)
    stale = Survey.objects.get(pk=survey.pk)  # what the other worker read: still a draft
    assert services._open(survey, T0) is True
    assert services._open(stale, T0) is False
    assert Notification.objects.filter(kind=Kind.SURVEY).count() == 3


def test_a_draft_without_questions_or_past_its_closing_day_is_not_opened(manager, project):
    empty = drafted(manager, project)
    empty.questions.all().delete()
    past = drafted(manager, project, closes_on=date(2026, 9, 12))
    assert services.open_due(now=T0 + 3 * DAY) == 0
    assert set(Survey.objects.values_list("status", flat=True)) == {Status.DRAFT}
    assert {empty.pk, past.pk} == set(Survey.objects.values_list("pk", flat=True))


def test_an_open_survey_closes_after_its_closing_day(survey):
    assert services.close_due(now=T0 + 14 * DAY) == 0  # 2026-09-24: its last day
    assert services.close_due(now=T0 + 15 * DAY) == 1
    survey.refresh_from_db()
    assert survey.status == Status.CLOSED and survey.closed_at == T0 + 15 * DAY


def test_the_periodic_task_opens_and_closes(manager, project, _frozen):
    drafted(manager, project)
    assert tasks._open_and_close() == 1  # opened at T0 (the frozen clock)
    _frozen.move_to(T0 + 15 * DAY)
    assert tasks._open_and_close() == 1  # and closed
    assert Survey.objects.get().status == Status.CLOSED

"""Shared fixtures of the survey tests: the 2026 autumn semester's survey of 研究生管理系统运维服务
(新疆师范大学), drafted by its service manager with the default questions, and a second and
third customer user of 新疆师范大学 to answer it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from campusdesk.accounts.models import User
from campusdesk.accounts.roles import Role
from campusdesk.catalog.models import Project
from campusdesk.surveys import services
from campusdesk.surveys.models import Survey

#: 2026-09-10 10:00 in Beijing, the day the survey opens
T0 = datetime(2026, 9, 10, 2, 0, tzinfo=timezone.get_fixed_timezone(0))
OPENS = date(2026, 9, 10)
CLOSES = date(2026, 9, 24)


@pytest.fixture(autouse=True)
def _frozen() -> Any:
    """The pages and the API read the clock: it stands at T0 unless a test moves it."""
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def manager(people: dict[str, User]) -> User:
    return people["manager"]


@pytest.fixture
def colleagues(customer: User) -> list[User]:
    """Two more customer users of 新疆师范大学."""
    return [
        User.objects.create(
            username=name, role=Role.CUSTOMER, organisation=customer.organisation, email=""
        )
        for name in ("user_b", "user_c")
    ]


def drafted(manager: User, project: Project, **fields: Any) -> Survey:
    data: dict[str, Any] = {
        "title": "2026 秋季学期运维服务满意度调查",
        "period_label": "2026 秋季学期",
        "opens_on": OPENS,
        "closes_on": CLOSES,
        **fields,
    }
    return services.survey_create(actor=manager, project=project, now=T0, **data)


@pytest.fixture
def draft(manager: User, project: Project) -> Survey:
    return drafted(manager, project)


@pytest.fixture
def survey(manager: User, draft: Survey, colleagues: list[User]) -> Survey:
    """The draft opened at T0 (the customers told)."""
    return services.survey_open(actor=manager, survey=draft, now=T0)


def answers_for(survey: Survey, ratings: tuple[int, ...], comment: str = "") -> dict[int, Any]:
    """Answers to the default questions: five ratings, then the comment."""
    questions = list(survey.questions.order_by("position"))
    found: dict[int, Any] = {q.pk: r for q, r in zip(questions[:5], ratings, strict=True)}
    found[questions[5].pk] = comment
    return found

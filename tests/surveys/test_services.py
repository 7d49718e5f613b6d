"""The surveys' rules: who runs a survey, the default questions, opening tells the customers
once, each customer answers once while it is open, bad answers are refused whole."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import translation

from campusdesk.core.errors import NotFound, PermissionDenied, TransitionError, ValidationError
from campusdesk.notify.models import Kind, Notification
from campusdesk.surveys import services
from campusdesk.surveys.models import Answer, QuestionKind, Response, Status
from tests.surveys.conftest import T0, answers_for, drafted


def test_a_draft_gets_the_default_questions(draft):
    questions = list(draft.questions.order_by("position"))
    assert [q.text for q in questions] == [
        "服务态度",
        "响应及时性",
        "问题解决质量",
        "沟通与反馈",
        "总体满意度",
        "意见和建议",
    ]
    assert [q.kind for q in questions] == [QuestionKind.RATING] * 5 + [QuestionKind.TEXT]
    assert [q.required for q in questions] == [True] * 5 + [False]
    assert draft.status == Status.DRAFT and draft.created_by.username == "manager"


@pytest.mark.parametrize("who", ["user", "engineer", "supervisor", "hq"])
def test_only_the_service_manager_operations_and_admins_run_surveys(people, project, who):
    with pytest.raises(PermissionDenied):
        drafted(people[who], project)
    assert drafted(people["ops"], project).pk
    assert drafted(people["admin"], project).pk


def test_a_manager_runs_only_the_projects_they_manage(people, other_project):
    with pytest.raises(PermissionDenied):
        drafted(people["manager"], other_project)


def test_dates_are_checked(manager, project):
    with pytest.raises(ValidationError) as bad:
        drafted(manager, project, closes_on=date(2026, 9, 1))
    assert "closes_on" in bad.value.fields
    with pytest.raises(ValidationError):
        drafted(manager, project, title="两行\n标题")


def test_opening_tells_each_customer_of_the_organisation_once(survey, customer, outsider):
    told = Notification.objects.filter(kind=Kind.SURVEY)
    assert sorted(told.values_list("recipient__username", flat=True)) == [
        "user",
        "user_b",
        "user_c",
    ]
    assert not told.filter(recipient=outsider).exists()
    assert told.get(recipient=customer).url == f"/surveys/{survey.pk}/"
    assert survey.status == Status.OPEN and survey.invited == 3 and survey.opened_at == T0
    with pytest.raises(TransitionError):
        services.survey_open(actor=survey.created_by, survey=survey, now=T0)
    assert told.count() == 3


def test_a_customer_answers_once(survey, customer):
    response = services.response_submit(
        actor=customer, survey=survey, answers=answers_for(survey, (5, 4, 5, 4, 5), "很好"), now=T0
    )
    assert response.answers.count() == 6
    with pytest.raises(TransitionError):
        services.response_submit(
            actor=customer, survey=survey, answers=answers_for(survey, (1, 1, 1, 1, 1)), now=T0
        )
    assert Response.objects.count() == 1
    assert sorted(Answer.objects.exclude(rating=None).values_list("rating", flat=True)) == [
        4,
        4,
        5,
        5,
        5,
    ]


def test_another_organisation_does_not_find_the_survey(survey, outsider):
    with pytest.raises(NotFound):
        services.survey_for(outsider, survey.pk)
    with pytest.raises(NotFound):
        services.response_submit(
            actor=outsider, survey=survey, answers=answers_for(survey, (5, 5, 5, 5, 5)), now=T0
        )
    assert not Response.objects.exists()


def test_vendor_staff_do_not_answer(survey, people):
    with pytest.raises(PermissionDenied):
        services.response_submit(
            actor=people["manager"],
            survey=survey,
            answers=answers_for(survey, (5, 5, 5, 5, 5)),
            now=T0,
        )


def test_a_closed_survey_takes_no_answers(survey, customer, manager):
    services.survey_close(actor=manager, survey=survey, now=T0)
    with pytest.raises(TransitionError):
        services.response_submit(
            actor=customer, survey=survey, answers=answers_for(survey, (5, 5, 5, 5, 5)), now=T0
        )
    assert not Response.objects.exists()
    with pytest.raises(TransitionError):
        services.survey_close(actor=manager, survey=survey, now=T0)


def test_an_open_survey_past_its_closing_day_takes_no_answers(survey, customer):
    late = T0 + timedelta(days=15)  # 2026-09-25: after closes_on, before the scheduler ran
    with pytest.raises(TransitionError):
        services.response_submit(
            actor=customer, survey=survey, answers=answers_for(survey, (5, 5, 5, 5, 5)), now=late
        )


def test_a_draft_takes_no_answers_and_customers_do_not_see_it(draft, customer):
    with pytest.raises(NotFound):
        services.survey_for(customer, draft.pk)
    with pytest.raises(TransitionError):
        services.response_submit(
            actor=customer, survey=draft, answers=answers_for(draft, (5, 5, 5, 5, 5)), now=T0
        )


def test_bad_answers_are_refused_whole_with_a_chinese_message(survey, customer, manager):
    choice = survey.questions.create(
        position=7, text="您主要使用的渠道", kind=QuestionKind.CHOICE, options=["网页", "电话"]
    )
    answers = answers_for(survey, (5, 4, 5, 4, 5), "字" * 2001)
    questions = list(survey.questions.order_by("position"))
    answers[questions[0].pk] = 7  # out of 1..5
    answers[questions[1].pk] = ""  # a required rating left out
    answers[choice.pk] = "邮件"  # not an option
    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
        services.response_submit(actor=customer, survey=survey, answers=answers, now=T0)
    fields = {name: [str(m) for m in ms] for name, ms in refused.value.fields.items()}
    assert fields == {
        f"q{questions[0].pk}": ["请评 1 到 5 分。"],
        f"q{questions[1].pk}": ["请回答此问题。"],
        f"q{questions[5].pk}": ["请控制在 2000 字以内（当前 2001 字）。"],
        f"q{choice.pk}": ["请从选项中选择一项。"],
    }
    assert not Response.objects.exists() and not Answer.objects.exists()


def test_optional_questions_may_be_left_blank(survey, customer):
    answers = answers_for(survey, (3, 3, 3, 3, 3))
    response = services.response_submit(actor=customer, survey=survey, answers=answers, now=T0)
    assert response.answers.count() == 5  # the blank comment is not kept


def test_an_answer_to_another_surveys_question_is_refused(survey, customer, manager, project):
    other = drafted(manager, project)
    answers = answers_for(survey, (5, 5, 5, 5, 5))
    answers[other.questions.first().pk] = 5
    with pytest.raises(ValidationError):
        services.response_submit(actor=customer, survey=survey, answers=answers, now=T0)


def test_questions_are_edited_while_a_draft(draft, manager):
    rows = [
        {"text": "总体满意度", "kind": "rating"},
        {"text": "您主要使用的渠道", "kind": "choice", "options": "网页\n电话\n\n邮件"},
    ]
    found = services.questions_set(actor=manager, survey=draft, questions=rows)
    assert [(q.position, q.kind, q.options) for q in found] == [
        (1, "rating", []),
        (2, "choice", ["网页", "电话", "邮件"]),
    ]
    with pytest.raises(ValidationError):
        services.questions_set(
            actor=manager, survey=draft, questions=[{"text": "渠道", "kind": "choice"}]
        )
    with pytest.raises(ValidationError):
        services.questions_set(actor=manager, survey=draft, questions=[])
    assert draft.questions.count() == 2  # a refused set changes nothing
    services.survey_open(actor=manager, survey=draft, now=T0)
    with pytest.raises(TransitionError):
        services.questions_set(actor=manager, survey=draft, questions=rows)


def test_opening_before_the_day_moves_the_opening_day(manager, project):
    early = drafted(manager, project, opens_on=date(2026, 9, 15))
    opened = services.survey_open(actor=manager, survey=early, now=T0)
    assert opened.opens_on == date(2026, 9, 10)

"""The survey pages: a customer answers on the portal and reads the thank-you, once; another
organisation's user finds nothing; the service manager drafts, edits and opens a survey and
reads its results, in a fixed number of queries."""

from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext

from campusdesk.notify.models import Kind, Notification
from campusdesk.surveys import services
from campusdesk.surveys.models import Response, Status, Survey
from tests.helpers import web_client_for
from tests.surveys.conftest import T0, answers_for


def _form(survey, ratings=(5, 4, 5, 4, 5), comment="工程师很专业"):
    return {f"q{pk}": value for pk, value in answers_for(survey, ratings, comment).items()}


def test_a_customer_answers_on_the_portal_once(survey, customer):
    client = web_client_for(customer)
    listed = client.get("/surveys/").content.decode()
    assert f'data-survey="{survey.pk}"' in listed and survey.title in listed
    page = client.get(f"/surveys/{survey.pk}/")
    assert page.status_code == 200 and 'id="answer"' in page.content.decode()
    assert "服务态度" in page.content.decode()
    sent = client.post(f"/surveys/{survey.pk}/", _form(survey))
    assert sent.status_code == 302
    thanks = client.get(f"/surveys/{survey.pk}/").content.decode()
    assert 'id="thank-you"' in thanks and 'id="answer"' not in thanks
    again = client.post(f"/surveys/{survey.pk}/", _form(survey, ratings=(1, 1, 1, 1, 1)))
    assert again.status_code == 302
    assert Response.objects.count() == 1
    assert sorted(r.rating for r in Response.objects.get().answers.exclude(rating=None)) == [
        4,
        4,
        5,
        5,
        5,
    ]


def test_bad_answers_show_on_the_form_and_nothing_is_saved(survey, customer):
    client = web_client_for(customer)
    form = _form(survey)
    first = survey.questions.order_by("position").first()
    form[f"q{first.pk}"] = "9"
    page = client.post(f"/surveys/{survey.pk}/", form)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'class="error"' in html and "请评 1 到 5 分。" in html
    assert not Response.objects.exists()


def test_another_organisation_gets_404(survey, outsider):
    client = web_client_for(outsider)
    assert client.get(f"/surveys/{survey.pk}/").status_code == 404
    assert client.post(f"/surveys/{survey.pk}/", _form(survey)).status_code == 404
    assert client.get(f"/surveys/{survey.pk}/results/").status_code == 404
    assert f'data-survey="{survey.pk}"' not in client.get("/surveys/").content.decode()
    assert not Response.objects.exists()


def test_a_closed_survey_says_so_and_takes_no_answers(survey, customer, manager, _frozen):
    services.survey_close(actor=manager, survey=survey, now=T0)
    client = web_client_for(customer)
    html = client.get(f"/surveys/{survey.pk}/").content.decode()
    assert 'id="not-taking"' in html and 'id="answer"' not in html
    assert client.post(f"/surveys/{survey.pk}/", _form(survey)).status_code == 302
    assert not Response.objects.exists()


def test_customers_do_not_read_results_nor_run_surveys(survey, customer, people):
    client = web_client_for(customer)
    assert client.get(f"/surveys/{survey.pk}/results/").status_code == 403
    assert client.get("/surveys/new/").status_code == 403
    assert client.post(f"/surveys/{survey.pk}/close/").status_code == 403
    engineer = web_client_for(people["engineer"])
    assert engineer.get("/surveys/").status_code == 403
    assert engineer.get(f"/surveys/{survey.pk}/").status_code == 404


def test_the_service_manager_drafts_edits_and_opens_a_survey(manager, project, colleagues):
    client = web_client_for(manager)
    assert 'id="new-survey"' in client.get("/surveys/").content.decode()
    created = client.post(
        "/surveys/new/",
        {
            "project": project.pk,
            "title": "2026 秋季学期运维服务满意度调查",
            "period_label": "2026 秋季学期",
            "opens_on": "2026-09-12",
            "closes_on": "2026-09-30",
        },
    )
    assert created.status_code == 302
    survey = Survey.objects.get()
    assert created["Location"] == f"/surveys/{survey.pk}/edit/"
    edit = client.get(f"/surveys/{survey.pk}/edit/").content.decode()
    assert "沟通与反馈" in edit
    questions = {
        "title": survey.title,
        "period_label": survey.period_label,
        "opens_on": "2026-09-12",
        "closes_on": "2026-09-30",
        "questions-TOTAL_FORMS": "3",
        "questions-INITIAL_FORMS": "0",
        "questions-0-text": "总体满意度",
        "questions-0-kind": "rating",
        "questions-0-required": "on",
        "questions-0-ORDER": "2",
        "questions-1-text": "您主要通过哪个渠道联系我们",
        "questions-1-kind": "choice",
        "questions-1-options": "网页\r\n电话",
        "questions-1-ORDER": "1",
        "questions-2-text": "",
        "questions-2-kind": "text",
    }
    saved = client.post(f"/surveys/{survey.pk}/edit/", questions)
    assert saved.status_code == 302, saved.content.decode()
    kept = list(survey.questions.order_by("position").values_list("text", "kind", "required"))
    assert kept == [("您主要通过哪个渠道联系我们", "choice", False), ("总体满意度", "rating", True)]
    opened = client.post(f"/surveys/{survey.pk}/open/")
    assert opened.status_code == 302
    survey.refresh_from_db()
    assert survey.status == Status.OPEN and survey.invited == 3
    assert Notification.objects.filter(kind=Kind.SURVEY).count() == 3
    assert client.get(f"/surveys/{survey.pk}/edit/").status_code == 302  # no longer a draft
    closed = client.post(f"/surveys/{survey.pk}/close/")
    assert closed.status_code == 302
    survey.refresh_from_db()
    assert survey.status == Status.CLOSED


def test_a_refused_edit_shows_why(draft, manager):
    client = web_client_for(manager)
    page = client.post(
        f"/surveys/{draft.pk}/edit/",
        {
            "title": draft.title,
            "period_label": draft.period_label,
            "opens_on": "2026-09-12",
            "closes_on": "2026-09-30",
            "questions-TOTAL_FORMS": "1",
            "questions-INITIAL_FORMS": "0",
            "questions-0-text": "渠道",
            "questions-0-kind": "choice",
            "questions-0-options": "只有一个",
        },
    )
    assert page.status_code == 200 and 'class="error"' in page.content.decode()
    assert "第 1 题：单选题需要 2 到 12 个选项。" in page.content.decode()
    assert draft.questions.count() == 6  # unchanged


def _answer_many(survey, people_list, first=0):
    for n, person in enumerate(people_list, start=first):
        ratings = tuple((n + k) % 5 + 1 for k in range(5))
        services.response_submit(
            actor=person, survey=survey, answers=answers_for(survey, ratings, f"意见 {n}"), now=T0
        )


def test_results_page_shows_the_figures_in_few_queries(
    survey, customer, colleagues, manager, django_assert_max_num_queries
):
    _answer_many(survey, [customer])
    client = web_client_for(manager)
    url = f"/surveys/{survey.pk}/results/"
    client.get(url)  # the session's first read
    # session, user, unread count; the survey, its questions, the answers counted, the free
    # texts, the responses counted (one to spare)
    with django_assert_max_num_queries(9):
        few = client.get(url)
    _answer_many(survey, colleagues, first=1)
    with django_assert_max_num_queries(9):
        many = client.get(url)
    html = many.content.decode()
    assert few.status_code == many.status_code == 200
    assert 'id="response-rate">100%</dd>' in html
    assert "意见 0" in html and "意见 2" in html
    assert html.count("<meter") == 25  # five ratings × five bars


def test_results_page_query_count_does_not_grow_with_responses(
    survey, customer, colleagues, manager
):
    client = web_client_for(manager)
    url = f"/surveys/{survey.pk}/results/"
    client.get(url)
    with CaptureQueriesContext(connection) as none:
        client.get(url)
    _answer_many(survey, [customer, *colleagues])
    with CaptureQueriesContext(connection) as three:
        client.get(url)
    assert len(three) == len(none)


def test_the_survey_list_in_the_navigation(customer, people):
    home = web_client_for(customer).get("/").content.decode()
    assert 'href="/surveys/"' in home
    assert 'href="/surveys/"' not in web_client_for(people["engineer"]).get("/").content.decode()
    assert 'href="/surveys/"' in web_client_for(people["manager"]).get("/").content.decode()


def test_an_open_survey_past_its_closing_day_says_so(survey, customer, _frozen):
    _frozen.move_to(T0 + timedelta(days=20))  # before the scheduler closed it
    html = web_client_for(customer).get(f"/surveys/{survey.pk}/").content.decode()
    assert 'id="not-taking"' in html

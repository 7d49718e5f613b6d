"""A survey's results are computed from its responses: averages, distributions, the response
rate over the customers invited, choices' counts, the free texts; and the service report's
satisfaction section lists the period's surveys."""

from __future__ import annotations

from io import BytesIO

import openpyxl

from campusdesk.reports import periods
from campusdesk.reports import report as reports
from campusdesk.surveys import selectors, services
from campusdesk.surveys.models import QuestionKind
from tests.helpers import api_client_for, web_client_for
from tests.surveys.conftest import T0, answers_for, drafted


def _answered(survey, customer, colleagues):
    """The answers of two of the three customers invited."""
    rows = [
        (customer, (5, 4, 5, 4, 5), "响应很快"),
        (colleagues[0], (4, 4, 3, 4, 4), ""),
    ]
    for person, ratings, comment in rows:
        answers = answers_for(survey, ratings, comment)
        services.response_submit(actor=person, survey=survey, answers=answers, now=T0)


def test_results_are_computed_from_the_responses(survey, customer, colleagues):
    _answered(survey, customer, colleagues)
    colleagues[1].is_active = False
    colleagues[1].save(update_fields=["is_active"])
    found = selectors.results(survey)
    assert (found.responses, found.invited, found.rate) == (2, 3, 67)
    # every rating given: 5,4,5,4,5 and 4,4,3,4,4 → 42 / 10
    assert found.average == 4.2
    first, *_rest, comments = found.questions
    assert first.question.text == "服务态度" and first.answers == 2 and first.average == 4.5
    assert [(bar.label, bar.count, bar.percent) for bar in first.distribution] == [
        ("5", 1, 50),
        ("4", 1, 50),
        ("3", 0, 0),
        ("2", 0, 0),
        ("1", 0, 0),
    ]
    assert found.questions[2].average == 4.0  # 问题解决质量: 5 and 3
    assert comments.question.kind == QuestionKind.TEXT and comments.texts == ["响应很快"]
    assert comments.answers == 1


def test_a_choice_question_counts_each_option(manager, project, customer, colleagues):
    draft = drafted(manager, project)
    rows = [{"text": "您主要使用的渠道", "kind": "choice", "options": ["网页", "电话", "邮件"]}]
    (question,) = services.questions_set(actor=manager, survey=draft, questions=rows)
    survey = services.survey_open(actor=manager, survey=draft, now=T0)
    for person, choice in ((customer, "电话"), (colleagues[0], "电话"), (colleagues[1], "网页")):
        services.response_submit(actor=person, survey=survey, answers={question.pk: choice}, now=T0)
    (row,) = selectors.results(survey).questions
    assert [(bar.label, bar.count, bar.percent) for bar in row.distribution] == [
        ("网页", 1, 33),
        ("电话", 2, 67),
        ("邮件", 0, 0),
    ]
    assert row.average is None and selectors.results(survey).rate == 100


def test_a_draft_reads_the_customers_it_would_invite(draft, colleagues):
    found = selectors.results(draft)
    assert (found.responses, found.invited, found.rate, found.average) == (0, 3, 0, None)


def test_the_service_report_has_the_periods_surveys(survey, customer, colleagues, project, manager):
    _answered(survey, customer, colleagues)
    drafted(manager, project, title="未开放的草稿")  # drafts are not reported
    scope = reports.Scope(project.organisation, project)
    data = reports.as_dict(reports.build(scope, periods.parse("2026-09"), T0))
    (row,) = data["satisfaction"]["surveys"]
    assert row | {"id": 0} == {
        "id": 0,
        "title": "2026 秋季学期运维服务满意度调查",
        "period_label": "2026 秋季学期",
        "project": project.name,
        "status": "open",
        "opens_on": "2026-09-10",
        "closes_on": "2026-09-24",
        "responses": 2,
        "invited": 3,
        "response_rate": 67,
        "average": 4.2,
    }
    averages = [
        (q["question"], q["answers"], q["average"]) for q in data["satisfaction"]["questions"]
    ]
    assert averages[:3] == [("服务态度", 2, 4.5), ("响应及时性", 2, 4.0), ("问题解决质量", 2, 4.0)]
    assert len(averages) == 5  # the rating questions only
    # a month without the survey: none; the other organisation's report: none
    assert reports.as_dict(reports.build(scope, periods.parse("2026-08"), T0))["satisfaction"] == {
        "surveys": [],
        "questions": [],
    }


def test_the_service_report_shows_the_section(survey, customer, colleagues, project, people):
    _answered(survey, customer, colleagues)
    page = web_client_for(people["ops"]).get(
        f"/reports/service/?project={project.pk}&period=2026-09"
    )
    html = page.content.decode()
    assert page.status_code == 200
    table = html[html.index('id="satisfaction-surveys"') :]
    assert "2026 秋季学期运维服务满意度调查" in table and "2/3" in table and "67%" in table
    assert 'id="satisfaction-questions"' in html


def test_the_report_exports_carry_the_surveys(survey, customer, colleagues, project, people):
    _answered(survey, customer, colleagues)
    client = api_client_for(people["ops"])
    url = f"/api/v1/reports/service/?project={project.pk}&period=2026-09"
    assert client.get(url).json()["satisfaction"]["surveys"][0]["responses"] == 2
    book = openpyxl.load_workbook(BytesIO(client.get(f"{url}&format=xlsx").content))
    cells = [
        c for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for c in row
    ]
    assert "2026 秋季学期运维服务满意度调查" in cells and "2/3" in cells
    pdf = client.get(f"{url}&format=pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")

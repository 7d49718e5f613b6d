"""/api/v1/surveys/ as an integration uses it: the service manager drafts a survey (default
questions), opens it; customers answer once (a second answer 409, bad answers 400 with nothing
kept); another organisation's user finds nothing (404); the results add up."""

from __future__ import annotations

import pytest

from campusdesk.surveys.models import Answer, Response, Survey
from tests.helpers import api_client_for

NEW = {
    "title": "2026 秋季学期运维服务满意度调查",
    "period_label": "2026 秋季学期",
    "opens_on": "2026-09-10",
    "closes_on": "2026-09-24",
}


@pytest.fixture
def manager_api(people):
    return api_client_for(people["manager"], "zh-hans")


def _opened(manager_api, project):
    created = manager_api.post("/api/v1/surveys/", {**NEW, "project": project.pk}, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == "draft" and len(body["questions"]) == 6
    opened = manager_api.post(f"/api/v1/surveys/{body['id']}/open/")
    assert opened.status_code == 200, opened.content
    assert opened.json()["status"] == "open"
    return opened.json()


def _answers(survey, ratings=(5, 4, 5, 4, 5), comment="很好"):
    questions = survey["questions"]
    rows = [{"question": q["id"], "rating": r} for q, r in zip(questions[:5], ratings, strict=True)]
    return {"answers": [*rows, {"question": questions[5]["id"], "text": comment}]}


def test_a_survey_is_run_and_answered_through_the_api(manager_api, project, customer, colleagues):
    survey = _opened(manager_api, project)
    assert survey["invited"] == 3
    user_api = api_client_for(customer, "zh-hans")
    listed = user_api.get("/api/v1/surveys/").json()
    assert [s["id"] for s in listed["results"]] == [survey["id"]]
    url = f"/api/v1/surveys/{survey['id']}/responses/"
    answered = user_api.post(url, _answers(survey), format="json")
    assert answered.status_code == 201, answered.content
    assert len(answered.json()["answers"]) == 6
    again = user_api.post(url, _answers(survey, (1, 1, 1, 1, 1)), format="json")
    assert again.status_code == 409
    other = api_client_for(colleagues[0], "zh-hans")
    assert other.post(url, _answers(survey, (3, 4, 3, 4, 3), ""), format="json").status_code == 201
    results = manager_api.get(f"/api/v1/surveys/{survey['id']}/results/").json()
    assert (results["responses"], results["invited"], results["response_rate"]) == (2, 3, 67)
    assert results["average"] == 4.0
    first = results["questions"][0]
    assert first["average"] == 4.0 and first["distribution"][0] == {
        "label": "5",
        "count": 1,
        "percent": 50,
    }
    assert results["questions"][5]["texts"] == ["很好"]
    closed = manager_api.post(f"/api/v1/surveys/{survey['id']}/close/")
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    late = api_client_for(colleagues[1]).post(url, _answers(survey), format="json")
    assert late.status_code == 409


def test_another_organisation_finds_nothing(manager_api, project, outsider):
    survey = _opened(manager_api, project)
    api = api_client_for(outsider)
    assert api.get(f"/api/v1/surveys/{survey['id']}/").status_code == 404
    answered = api.post(
        f"/api/v1/surveys/{survey['id']}/responses/", _answers(survey), format="json"
    )
    assert answered.status_code == 404
    assert api.get(f"/api/v1/surveys/{survey['id']}/results/").status_code == 404
    assert api.get("/api/v1/surveys/").json()["count"] == 0
    assert not Response.objects.exists()


def test_bad_answers_are_400_in_chinese_and_nothing_is_kept(manager_api, project, customer):
    survey = _opened(manager_api, project)
    body = _answers(survey)
    body["answers"][0]["rating"] = 0
    del body["answers"][1]
    refused = api_client_for(customer, "zh-hans").post(
        f"/api/v1/surveys/{survey['id']}/responses/", body, format="json"
    )
    assert refused.status_code == 400
    errors = refused.json()
    first, second = survey["questions"][0]["id"], survey["questions"][1]["id"]
    assert errors[f"q{first}"] == ["请评 1 到 5 分。"]
    assert errors[f"q{second}"] == ["请回答此问题。"]
    assert not Response.objects.exists() and not Answer.objects.exists()


def test_customers_and_engineers_do_not_run_surveys(people, project, customer):
    for who in (customer, people["engineer"]):
        created = api_client_for(who).post(
            "/api/v1/surveys/", {**NEW, "project": project.pk}, format="json"
        )
        assert created.status_code in (403, 404)
    assert not Survey.objects.exists()


def test_customers_do_not_read_results(manager_api, project, customer):
    survey = _opened(manager_api, project)
    assert (
        api_client_for(customer).get(f"/api/v1/surveys/{survey['id']}/results/").status_code == 403
    )


def test_questions_are_replaced_while_a_draft(manager_api, project):
    created = manager_api.post(
        "/api/v1/surveys/",
        {
            **NEW,
            "project": project.pk,
            "questions": [{"text": "总体满意度", "kind": "rating"}],
        },
        format="json",
    ).json()
    assert [q["text"] for q in created["questions"]] == ["总体满意度"]
    url = f"/api/v1/surveys/{created['id']}/questions/"
    rows = {
        "questions": [
            {"text": "渠道", "kind": "choice", "options": ["网页", "电话"], "required": False},
            {"text": "建议", "kind": "text"},
        ]
    }
    replaced = manager_api.put(url, rows, format="json")
    assert replaced.status_code == 200, replaced.content
    assert [(q["kind"], q["options"]) for q in replaced.json()["questions"]] == [
        ("choice", ["网页", "电话"]),
        ("text", []),
    ]
    manager_api.post(f"/api/v1/surveys/{created['id']}/open/")
    assert manager_api.put(url, rows, format="json").status_code == 409
    assert manager_api.post(f"/api/v1/surveys/{created['id']}/open/").status_code == 409


def test_an_unknown_state_filter_is_a_400_naming_the_parameter(manager_api):
    answer = manager_api.get("/api/v1/surveys/", {"status": "nonsense"})
    assert answer.status_code == 400
    assert answer.json()["status"] == ["请选择一种状态。"]
    assert manager_api.get("/api/v1/surveys/", {"status": "open"}).status_code == 200

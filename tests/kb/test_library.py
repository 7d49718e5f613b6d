"""The case library's workflow, visibility, tickets turned into cases, retrospectives."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from campusdesk.accounts.models import User
from campusdesk.kb.models import Article, ArticleVersion, Retrospective, SuggestionOpen
from campusdesk.tickets import services as tickets
from tests.helpers import api_client_for, web_client_for
from tests.tickets.conftest import new_ticket

URL = "/api/v1/kb/articles/"


def case(project, **extra: object) -> dict[str, object]:
    body: dict[str, object] = {
        "title": "录入成绩时系统报错",
        "symptoms": "保存成绩时提示系统异常。",
        "cause": "重复记录",
        "solution": "清理重复记录后重新保存。",
        "product": project.product_id,
        "tags": ["成绩"],
        "visibility": "public",
    }
    body.update(extra)
    return body


def close(ticket, people, rating: int, severity: str = "SIS3"):
    tickets.ticket_accept(
        ticket_id=ticket.pk,
        actor=people["engineer"],
        severity=severity,
        committed_resolution_at=timezone.now() + timedelta(days=1),
    )
    tickets.ticket_add_record(
        ticket_id=ticket.pk, actor=people["engineer"], body="排查：成绩表存在重复数据。"
    )
    tickets.ticket_request_close(
        ticket_id=ticket.pk, actor=people["engineer"], solution="删除重复数据并加唯一约束。"
    )
    return tickets.ticket_close(
        ticket_id=ticket.pk, actor=ticket.reporter, rating=rating, workload_hours="1"
    )


def test_draft_review_publish_by_the_products_experts(people: dict[str, User], project):
    expert, engineer, user = (api_client_for(people[n]) for n in ("expert2", "engineer", "user"))
    assert user.post(URL, case(project), format="json").status_code == 403
    draft = engineer.post(URL, case(project), format="json")
    assert draft.status_code == 201 and draft.json()["status"] == "draft"
    aid = draft.json()["id"]
    assert user.get(f"{URL}{aid}/").status_code == 404  # customers never see drafts
    assert engineer.post(f"{URL}{aid}/publish/").status_code == 403  # line 1 is no expert
    assert expert.post(f"{URL}{aid}/publish/").json()["status"] == "published"
    assert user.get(f"{URL}{aid}/").status_code == 200
    assert api_client_for(people["user2"]).get(f"{URL}{aid}/").status_code == 404
    assert expert.post(f"{URL}{aid}/publish/").status_code == 409


def test_internal_cases_stay_with_the_vendor(people: dict[str, User], project):
    expert = api_client_for(people["expert2"])
    aid = expert.post(URL, case(project, visibility="internal"), format="json").json()["id"]
    expert.post(f"{URL}{aid}/publish/")
    assert api_client_for(people["user"]).get(f"{URL}{aid}/").status_code == 404
    assert api_client_for(people["user"]).get(URL, {"search": "成绩"}).json()["results"] == []
    assert api_client_for(people["engineer"]).get(f"{URL}{aid}/").status_code == 200


def test_every_edit_is_a_version(people: dict[str, User], project):
    from campusdesk.kb import services

    fields = {k: v for k, v in case(project).items() if k != "product"}
    article = services.article_create(
        actor=people["expert2"], product_id=project.product_id, fields=fields
    )
    services.article_update(
        article_id=article.pk,
        actor=people["expert2"],
        fields={"solution": "新的解决办法"},
        note="补充",
    )
    article.refresh_from_db()
    assert article.version == 2
    versions = ArticleVersion.objects.filter(article=article).order_by("number")
    assert [v.solution for v in versions] == ["清理重复记录后重新保存。", "新的解决办法"]


def test_a_closed_problem_becomes_a_draft_case_in_one_action(people, project, customer):
    ticket = new_ticket(project, customer)
    engineer = api_client_for(people["engineer"])
    assert engineer.post(f"{URL}from-ticket/", {"ticket": ticket.pk}).status_code == 409
    close(ticket, people, rating=5)
    made = engineer.post(f"{URL}from-ticket/", {"ticket": ticket.pk}, format="json")
    assert made.status_code == 201
    body = made.json()
    assert body["status"] == "draft" and body["source_ticket"] == ticket.pk
    assert body["title"] == ticket.title and "重复数据" in body["cause"]
    assert body["solution"] == "删除重复数据并加唯一约束。"
    assert Article.objects.get(pk=body["id"]).source_ticket == ticket
    assert api_client_for(people["user2"]).post(
        f"{URL}from-ticket/", {"ticket": ticket.pk}, format="json"
    ).status_code in (403, 404)
    page = web_client_for(people["engineer"]).post(f"/kb/from-ticket/{ticket.pk}/")
    assert page.status_code == 302 and page["Location"].startswith("/kb/")


def test_retrospectives_are_due_for_sis1_and_low_ratings(people, project, customer):
    sis1 = close(new_ticket(project, customer), people, rating=5, severity="SIS1")
    low = close(new_ticket(project, customer), people, rating=2)
    fine = close(new_ticket(project, customer), people, rating=4)
    states = {t.pk: Retrospective.objects.get(ticket=t).status for t in (sis1, low, fine)}
    assert states == {sis1.pk: "due", low.pk: "due", fine.pk: "offered"}
    watch = api_client_for(people["ops"]).get("/api/v1/ops/watch/", {"list": "retrospectives"})
    assert sorted(r["id"] for r in watch.json()["results"]) == sorted([sis1.pk, low.pk])
    body = {
        "findings": "重复提交未做幂等",
        "root_cause": "product_bug",
        "tags": ["成绩", "幂等"],
        "case_needed": True,
    }
    path = f"/api/v1/kb/retrospectives/{sis1.pk}/"
    assert api_client_for(people["engineer"]).post(path, body, format="json").status_code == 403
    bad = api_client_for(people["expert2"]).post(path, {**body, "root_cause": "?"}, format="json")
    assert bad.status_code == 400
    done = api_client_for(people["expert2"]).post(path, body, format="json")
    assert done.status_code == 200 and done.json()["status"] == "done"
    assert api_client_for(people["user2"]).post(path, body, format="json").status_code == 404
    watch = api_client_for(people["ops"]).get("/api/v1/ops/watch/", {"list": "retrospectives"})
    assert [r["id"] for r in watch.json()["results"]] == [low.pk]


def test_opening_a_suggestion_and_solving_or_registering_anyway(people, project, customer):
    expert = api_client_for(people["expert2"])
    aid = expert.post(URL, case(project), format="json").json()["id"]
    expert.post(f"{URL}{aid}/publish/")
    client = web_client_for(customer)
    assert client.get(f"/kb/{aid}/?from=register").status_code == 200
    new_ticket(project, customer)  # registered anyway
    assert SuggestionOpen.objects.get().registered_anyway is True
    solved = client.post(f"/kb/{aid}/solved/", HTTP_HX_REQUEST="true")
    assert 'id="solved"' in solved.content.decode()
    assert Article.objects.get(pk=aid).solved_count == 1


def test_the_registration_panel_suggests_cases(people, project, customer):
    expert = api_client_for(people["expert2"])
    aid = expert.post(URL, case(project), format="json").json()["id"]
    expert.post(f"{URL}{aid}/publish/")
    panel = (
        web_client_for(customer)
        .get("/kb/suggest/", {"title": "成绩录入报错", "description": "", "project": project.pk})
        .content.decode()
    )
    assert "录入成绩时系统报错" in panel and f"/kb/{aid}/?from=register" in panel
    api = api_client_for(customer).get("/api/v1/kb/suggest/", {"q": "成绩录入报错"}).json()
    assert [s["id"] for s in api] == [aid] and set(api[0]) == {"id", "title", "score", "url"}
    assert (
        api_client_for(people["user2"]).get("/api/v1/kb/suggest/", {"q": "成绩录入报错"}).json()
        == []
    )


def test_the_suggestions_say_how_many_and_sit_under_the_description(people, project, customer):
    """Issue 22 §2: on a phone too, the cases show before the button, with their number."""
    from django.utils import translation

    expert = api_client_for(people["expert2"])
    aid = expert.post(URL, case(project), format="json").json()["id"]
    expert.post(f"{URL}{aid}/publish/")
    client = web_client_for(customer)
    panel = client.get("/kb/suggest/", {"title": "成绩录入报错", "project": project.pk})
    with translation.override("zh-hans"):
        found = translation.gettext("Found %(count)s related cases") % {"count": 1}
    assert found in panel.content.decode()
    page = client.get("/tickets/new/").content.decode()
    marks = ('id="id_description"', 'id="kb-suggestions"', '<button type="submit" class="primary"')
    places = [page.index(mark) for mark in marks]
    assert places == sorted(places)
    assert page.index('id="kb-suggestions"') < page.index('for="id_environment"')


def test_frequent_problems_without_a_case_are_proposed(people, project, customer):
    similar = [
        "成绩录入时系统报错",
        "录入成绩报错，提示系统异常",
        "导师录入成绩时报错",
        "成绩录入页面保存报错",
    ]
    made = [new_ticket(project, customer, title=t, description=f"{t}。请处理。") for t in similar]
    other = new_ticket(project, customer, title="学位证书打印格式错位", description="打印错位")
    from campusdesk.tickets.models import Ticket

    Ticket.objects.filter(pk__in=[t.pk for t in [*made, other]]).update(
        status="closed", closed_at=timezone.now() - timedelta(days=3)
    )
    expert = api_client_for(people["expert2"])
    groups = expert.get("/api/v1/kb/frequent/").json()
    assert len(groups) == 1
    assert sorted(groups[0]["ticket_ids"]) == sorted(t.pk for t in made)
    assert groups[0]["covered_by"] is None
    assert api_client_for(customer).get("/api/v1/kb/frequent/").status_code == 403
    page = web_client_for(people["expert2"]).get("/kb/").content.decode()
    assert 'id="frequent"' in page
    aid = expert.post(URL, case(project), format="json").json()["id"]
    expert.post(f"{URL}{aid}/publish/")
    assert expert.get("/api/v1/kb/frequent/").json()[0]["covered_by"] == aid


def test_a_case_with_an_attachment_is_downloaded_only_by_its_readers(
    people, project, settings, tmp_path
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    expert = web_client_for(people["expert2"])
    form = {
        "product": project.product_id,
        "title": "成绩导出脚本",
        "symptoms": "需要批量导出",
        "cause": "",
        "solution": "运行附件中的脚本",
        "tags": "成绩, 脚本",
        "visibility": "public",
    }
    form["attachment"] = SimpleUploadedFile("导出.txt", b"select 1;")
    made = expert.post("/kb/new/", form)
    assert made.status_code == 302
    article = Article.objects.get(title="成绩导出脚本")
    assert article.tags == ["成绩", "脚本"] and article.attachment_name == "导出.txt"
    bad = {**form, "title": "坏附件", "attachment": SimpleUploadedFile("x.exe", b"MZ")}
    assert expert.post("/kb/new/", bad).status_code == 200
    assert not Article.objects.filter(title="坏附件").exists()
    from campusdesk.kb import services

    services.article_set_status(article_id=article.pk, actor=people["expert2"], status="published")
    got = web_client_for(people["user"]).get(f"/kb/{article.pk}/attachment/")
    assert got.status_code == 200 and b"".join(got.streaming_content) == b"select 1;"
    assert web_client_for(people["user2"]).get(f"/kb/{article.pk}/attachment/").status_code == 404


def test_a_published_case_reads_published_not_a_time(people: dict[str, User], project):
    """The status 'Published' and the column 'Published at' were one msgid: a published
    case said 发布时间 where its status belongs."""
    expert = api_client_for(people["expert2"])
    aid = expert.post(URL, case(project), format="json").json()["id"]
    expert.post(f"{URL}{aid}/publish/")
    page = web_client_for(people["expert2"]).get(f"/kb/{aid}/").content.decode()
    assert '<span class="status">已发布 · v1</span>' in page
    assert "发布时间" not in page

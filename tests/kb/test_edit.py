"""Editing a case from the web and with PATCH: who may, and the review of a non-expert's edit."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from campusdesk.accounts.models import User
from campusdesk.catalog.models import Project
from campusdesk.kb.models import Article, ArticleVersion
from tests.helpers import api_client_for, web_client_for
from tests.kb.test_library import URL, case


def published(people: dict[str, User], project: Project, author: str = "engineer", **extra) -> int:
    """A published case written by ``author`` (line 1: no expert) and published by an expert."""
    aid = api_client_for(people[author]).post(URL, case(project, **extra), format="json")
    assert aid.status_code == 201, aid.json()
    answer = api_client_for(people["expert2"]).post(f"{URL}{aid.json()['id']}/publish/")
    assert answer.json()["status"] == "published"
    return int(aid.json()["id"])


# --- the API ---------------------------------------------------------------------------------
def test_an_experts_edit_of_a_published_case_stays_published(people, project):
    aid = published(people, project)
    answer = api_client_for(people["expert2"]).patch(
        f"{URL}{aid}/", {"solution": "升级到 3.2.1 后重新保存。", "note": "补充版本"}, format="json"
    )
    assert answer.status_code == 200, answer.json()
    body = answer.json()
    assert (body["status"], body["version"]) == ("published", 2)
    assert body["title"] == "录入成绩时系统报错"  # what the PATCH did not name is kept
    read = api_client_for(people["user"]).get(f"{URL}{aid}/").json()
    assert read["solution"] == "升级到 3.2.1 后重新保存。"
    kept = ArticleVersion.objects.filter(article_id=aid).order_by("number")
    assert [(v.number, v.note) for v in kept][-1] == (2, "补充版本")
    assert kept[0].solution == "清理重复记录后重新保存。"


def test_a_non_experts_edit_of_a_published_case_goes_back_to_review(people, project):
    aid = published(people, project)
    customer = api_client_for(people["user"])
    edited = api_client_for(people["engineer"]).patch(
        f"{URL}{aid}/", {"symptoms": "保存成绩时提示“系统异常”，并生成错误日志。"}, format="json"
    )
    assert edited.status_code == 200, edited.json()
    assert edited.json()["status"] == "review"
    # until an expert approves the edit, customers do not read it
    assert customer.get(f"{URL}{aid}/").status_code == 404
    assert aid not in [a["id"] for a in customer.get(URL).json()["results"]]
    approved = api_client_for(people["expert2"]).post(f"{URL}{aid}/publish/")
    assert approved.json()["status"] == "published"
    assert customer.get(f"{URL}{aid}/").json()["symptoms"].endswith("并生成错误日志。")


def test_a_draft_edited_by_its_author_stays_a_draft(people, project):
    engineer = api_client_for(people["engineer"])
    aid = engineer.post(URL, case(project), format="json").json()["id"]
    answer = engineer.patch(f"{URL}{aid}/", {"tags": ["成绩", "唯一索引"]}, format="json")
    assert answer.status_code == 200
    assert answer.json()["status"] == "draft" and answer.json()["tags"] == ["唯一索引", "成绩"]


def test_who_may_patch_a_case(people, project):
    aid = published(people, project)
    internal = published(people, project, visibility="internal")
    body = {"title": "改个标题"}
    # a customer reads the case but does not write it; the other university's customer
    # does not even see it, nor anyone a case that is not public
    assert api_client_for(people["user"]).patch(f"{URL}{aid}/", body).status_code == 403
    assert api_client_for(people["user"]).patch(f"{URL}{internal}/", body).status_code == 404
    assert api_client_for(people["user2"]).patch(f"{URL}{aid}/", body).status_code == 404
    assert api_client_for(people["user2"]).patch(f"{URL}{internal}/", body).status_code == 404
    # vendor staff who are neither its author nor an expert of its product
    assert api_client_for(people["engineer2"]).patch(f"{URL}{aid}/", body).status_code == 403
    assert api_client_for(people["engineer"]).patch(f"{URL}999999/", body).status_code == 404
    assert api_client_for(people["expert2"]).put(f"{URL}{aid}/", body).status_code == 405
    assert Article.objects.get(pk=aid).title == "录入成绩时系统报错"


def test_a_patch_is_checked_like_a_new_case(people, project, other_project):
    aid = published(people, project)
    engineer = api_client_for(people["engineer"], "zh-hans")
    blank = engineer.patch(f"{URL}{aid}/", {"title": ""}, format="json")
    assert blank.status_code == 400 and "title" in blank.json()
    wrong = engineer.patch(f"{URL}{aid}/", {"visibility": "everyone"}, format="json")
    assert wrong.status_code == 400 and "visibility" in wrong.json()
    # line 1 of the graduate system does not file cases under the other university's product
    moved = engineer.patch(f"{URL}{aid}/", {"product": other_project.product_id}, format="json")
    assert moved.status_code == 400 and moved.json()["product"] == ["请选择您负责的产品。"]
    nothing = engineer.patch(f"{URL}{aid}/", {}, format="json")
    assert nothing.status_code == 200
    assert (nothing.json()["version"], nothing.json()["status"]) == (1, "published")


def test_an_expert_moves_a_case_to_another_of_their_products(people, project, other_project):
    aid = published(people, project)
    moved = api_client_for(people["expert2"]).patch(
        f"{URL}{aid}/", {"product": other_project.product_id}, format="json"
    )
    assert moved.status_code == 200
    assert (moved.json()["product"], moved.json()["status"]) == (
        other_project.product_id,
        "published",
    )
    assert api_client_for(people["user2"]).get(f"{URL}{aid}/").status_code == 200


# --- the web -------------------------------------------------------------------------------------
def test_the_case_page_links_to_its_edit_page_for_those_who_may(people, project):
    aid = published(people, project)
    link = f'href="/kb/{aid}/edit/"'
    for who, shown in (("engineer", True), ("expert2", True), ("engineer2", False)):
        page = web_client_for(people[who]).get(f"/kb/{aid}/").content.decode()
        assert (link in page) is shown, who
    assert link not in web_client_for(people["user"]).get(f"/kb/{aid}/").content.decode()


def test_editing_on_the_page_keeps_what_was_typed_and_sends_the_edit_to_review(people, project):
    aid = published(people, project)
    client = web_client_for(people["engineer"])
    page = client.get(f"/kb/{aid}/edit/").content.decode()
    assert 'id="edit-review"' in page  # the author is told the edit goes to review
    assert 'value="录入成绩时系统报错"' in page and "清理重复记录后重新保存。" in page
    form = {
        "product": project.product_id,
        "title": "",
        "symptoms": "保存成绩时提示系统异常。",
        "cause": "重复记录",
        "solution": "先备份再清理重复记录。",
        "tags": "成绩，唯一索引",
        "visibility": "public",
        "note": "补充备份步骤",
    }
    refused = client.post(f"/kb/{aid}/edit/", form)
    assert refused.status_code == 200
    html = refused.content.decode()
    assert '<div class="error" role="alert">此项为必填项。</div>' in html
    assert "先备份再清理重复记录。" in html and 'value="成绩，唯一索引"' in html
    assert Article.objects.get(pk=aid).version == 1
    saved = client.post(f"/kb/{aid}/edit/", {**form, "title": "录入成绩报错（重复记录）"})
    assert saved.status_code == 302 and saved["Location"] == f"/kb/{aid}/"
    article = Article.objects.get(pk=aid)
    assert (article.title, article.status, article.version) == (
        "录入成绩报错（重复记录）",
        "review",
        2,
    )
    assert article.tags == ["唯一索引", "成绩"]
    shown = client.get(f"/kb/{aid}/").content.decode()
    assert 'id="in-review"' in shown and "补充备份步骤" in shown
    assert web_client_for(people["user"]).get(f"/kb/{aid}/").status_code == 404


def test_an_expert_edits_on_the_page_and_replaces_the_attachment(people, project):
    aid = published(people, project)
    client = web_client_for(people["expert2"])
    assert 'id="edit-review"' not in client.get(f"/kb/{aid}/edit/").content.decode()
    form = {
        "product": project.product_id,
        "title": "录入成绩时系统报错",
        "symptoms": "保存成绩时提示系统异常。",
        "cause": "",
        "solution": "见附件中的清理脚本。",
        "tags": "成绩",
        "visibility": "public",
        "note": "",
        "attachment": SimpleUploadedFile("清理步骤.txt", b"delete from t;\n", "text/plain"),
    }
    assert client.post(f"/kb/{aid}/edit/", form).status_code == 302
    article = Article.objects.get(pk=aid)
    assert (article.status, article.attachment_name, article.cause) == (
        "published",
        "清理步骤.txt",
        "",
    )
    assert web_client_for(people["user"]).get(f"/kb/{aid}/attachment/").status_code == 200
    wrong = {**form, "attachment": SimpleUploadedFile("run.exe", b"MZ", "application/x-msdos")}
    html = client.post(f"/kb/{aid}/edit/", wrong).content.decode()
    assert html.index('id="id_attachment"') < html.index('class="error"')  # beside the field
    assert "见附件中的清理脚本。" in html


def test_the_edit_page_refuses_those_who_may_not(people, project):
    aid = published(people, project)
    draft = api_client_for(people["engineer"]).post(URL, case(project), format="json").json()
    assert web_client_for(people["user"]).get(f"/kb/{aid}/edit/").status_code == 403
    assert web_client_for(people["user"]).post(f"/kb/{aid}/edit/", {}).status_code == 403
    assert web_client_for(people["user"]).get(f"/kb/{draft['id']}/edit/").status_code == 404
    assert web_client_for(people["user2"]).get(f"/kb/{aid}/edit/").status_code == 404
    assert web_client_for(people["engineer2"]).get(f"/kb/{aid}/edit/").status_code == 403
    assert Article.objects.get(pk=aid).version == 1


def test_the_edit_pages_speak_chinese(people, project):
    from tests.test_i18n_pages import findings, visible_text

    aid = published(people, project)
    client = web_client_for(people["engineer"])
    pages = [client.get(f"/kb/{aid}/edit/"), client.post(f"/kb/{aid}/edit/", {"title": ""})]
    client.post(
        f"/kb/{aid}/edit/",
        {**case(project), "product": project.product_id, "tags": "成绩", "solution": "新办法"},
    )
    pages.append(client.get(f"/kb/{aid}/"))  # in review, with the message of the save
    names = frozenset(User.objects.values_list("username", flat=True))
    problems = [
        p for page in pages for p in findings("", visible_text(page.content.decode()), names)
    ]
    assert problems == []
    assert "案例已保存，现处于审核中" in pages[-1].content.decode()

"""The demo's case library answers what users ask most: a search for 登录 or 密码 finds
published cases, through the search service and the API, for each university's product."""

from __future__ import annotations

import pytest

from campusdesk.accounts.models import User
from campusdesk.kb import search
from campusdesk.kb.models import Article
from campusdesk.site import demo
from tests.helpers import api_client_for


@pytest.mark.django_db
def test_the_demo_cases_answer_login_and_password_questions() -> None:
    demo.load()
    people = {u.username: u for u in User.objects.filter(username__in=["user", "user2"])}
    for username in ("user", "user2"):
        client = api_client_for(people[username])
        for query in ("登录", "密码"):
            found = search.search(query, user=people[username])
            assert found, (username, query)
            assert all(a.status == Article.Status.PUBLISHED for a, _score in found)
            answer = client.get("/api/v1/kb/articles/", {"search": query})
            assert answer.status_code == 200, answer.content
            titles = [row["title"] for row in answer.json()["results"]]
            assert {a.title for a, _score in found} <= set(titles), (username, query)
    # the other common questions of the graduate system are answered too
    for query in ("成绩", "论文", "导师分配", "报表导出"):
        assert search.search(query, user=people["user"]), query

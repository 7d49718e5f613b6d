"""The main navigation: each role's items, their addresses and the current page."""

from __future__ import annotations

import re

from django.urls import reverse

from campusdesk.accounts.models import User
from campusdesk.site.navigation import items_for
from tests.helpers import web_client_for


def test_each_role_sees_its_items_with_their_addresses(people: dict[str, User]):
    for who in ("user", "ops", "admin"):
        page = web_client_for(people[who]).get("/tickets/").content.decode()
        nav = re.search(r'<nav id="main-nav".*?</nav>', page, re.S)
        assert nav, who
        links = re.findall(r'<a href="([^"]+)"( aria-current="page")?>', nav.group(0))
        expected = [reverse(item.url_name) for item in items_for(people[who])]
        assert [href for href, _current in links] == expected, who
        assert [href for href, current in links if current] == [reverse("tickets:list")], who
    customer = {item.url_name for item in items_for(people["user"])}
    assert "tickets:queue" not in customer and "admin:index" not in customer

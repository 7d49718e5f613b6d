"""The demo data: idempotent, refused on a real site, and every printed login works."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from campusdesk.accounts.models import Organisation, User
from campusdesk.catalog.models import Product, ProductExpert, Project
from campusdesk.site.demo import PASSWORD
from tests.helpers import web_login

LOGINS = [
    "user",
    "user2",
    "agent",
    "engineer",
    "expert2",
    "expert3",
    "taskforce",
    "ops",
    "manager",
    "admin",
]


def counts() -> tuple[int, ...]:
    models = (Organisation, User, Product, ProductExpert, Project)
    return tuple(m.objects.count() for m in models)


def test_demo_twice_changes_nothing(db: None, settings, capsys):
    settings.DEBUG = True
    call_command("demo")
    first = counts()
    call_command("demo")
    assert counts() == first
    out = capsys.readouterr().out
    for login in LOGINS:
        assert f"  {login} " in out


def test_demo_refuses_without_debug(db: None, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG is off"):
        call_command("demo")
    assert User.objects.count() == 0
    call_command("demo", force=True)
    assert User.objects.filter(username="admin").exists()


@pytest.mark.parametrize("login", LOGINS)
def test_every_demo_login_works(people: dict[str, User], login: str):
    client, ok = web_login(login, PASSWORD)
    assert ok
    assert client.get("/").status_code == 200


def test_demo_matches_the_seed(people: dict[str, User]):
    project = Project.objects.get(name="研究生管理系统运维服务")
    assert project.organisation.name == "新疆师范大学"
    assert project.product.name == "研究生管理系统"
    assert list(project.line1_team.all()) == [people["engineer"]]
    assert project.service_manager == people["manager"]
    assert people["user"].email == "user@xjnu.example"
    assert people["user2"].email == "user2@univ2.example"
    assert people["engineer"].email == "engineer@vendor.example"
    tiers = {e.user.username: e.tier for e in project.product.experts.select_related("user")}
    assert tiers == {"expert2": 2, "expert3": 3, "taskforce": 4}

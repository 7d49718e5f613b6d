"""Group robots (群机器人) through /api/v1/robots/: administrators add, change and remove
them as on the admin's page; the webhook URL and the secret are never shown again; a URL
that leads to a refused address answers 400 with the reason; others are refused (403)."""

from __future__ import annotations

import json

from campusdesk.notify.models import Delivery, RobotChannel
from tests.helpers import api_client_for, web_client_for
from tests.tickets.conftest import new_ticket

URL = "/api/v1/robots/"
KEY = "b1f0c2d4-team-key-93af"
HOOK = f"http://127.0.0.1:9/cgi-bin/webhook/send?key={KEY}"
SECRET = "SEC0123456789abcdef0123456789"


def add(client, **fields) -> dict:
    body = {"name": "运维群", "platform": "wecom", "webhook_url": HOOK, **fields}
    made = client.post(URL, body, format="json")
    assert made.status_code == 201, made.json()
    return made.json()


def test_an_administrator_adds_a_robot_that_hears_its_project(people, project, customer):
    admin = api_client_for(people["admin"])
    made = add(admin, platform="dingtalk", secret=SECRET, project=project.pk, kinds=["registered"])
    robot = RobotChannel.objects.get()
    assert (robot.webhook_url, robot.secret, robot.project, robot.kinds) == (
        HOOK,
        SECRET,
        project,
        ["registered"],
    )
    assert made == {
        "id": robot.pk,
        "name": "运维群",
        "platform": "dingtalk",
        "project": project.pk,
        "kinds": ["registered"],
        "internal": True,
        "is_active": True,
        "url_hint": "http://127.0.0.1/…93af",
        "has_secret": True,
        "secret_hint": "…6789",
    }
    new_ticket(project, customer)  # the web's fan-out sends it to the robot
    assert Delivery.objects.filter(robot=robot, kind="registered").count() == 1


def test_the_secret_and_the_url_are_never_echoed(people, project):
    admin = api_client_for(people["admin"])
    made = add(admin, platform="feishu", secret=SECRET)
    answers = [
        json.dumps(made),
        admin.get(URL).content.decode(),
        admin.get(f"{URL}{made['id']}/").content.decode(),
        admin.patch(f"{URL}{made['id']}/", {"name": "值班群"}, format="json").content.decode(),
    ]
    for text in answers:
        assert SECRET not in text and KEY not in text and "webhook_url" not in text, text
    assert RobotChannel.objects.get().secret == SECRET  # left out: unchanged


def test_a_robot_added_in_the_admin_is_the_apis_and_back(people, project):
    client = web_client_for(people["admin"])
    added = client.post(
        "/admin/notify/robotchannel/add/",
        {
            "name": "客户群",
            "platform": "wecom",
            "webhook_url": HOOK,
            "project": project.pk,
            "kinds": "[]",
            "is_active": "on",
        },
    )
    assert added.status_code == 302
    robot = RobotChannel.objects.get()
    admin = api_client_for(people["admin"])
    [row] = admin.get(URL).json()["results"]
    assert (row["id"], row["name"], row["internal"], row["has_secret"]) == (
        robot.pk,
        "客户群",
        False,
        False,
    )
    changed = admin.patch(
        f"{URL}{robot.pk}/", {"internal": True, "kinds": ["urged", "closed"]}, format="json"
    )
    assert changed.status_code == 200, changed.json()
    page = client.get(f"/admin/notify/robotchannel/{robot.pk}/change/")
    form = page.context["adminform"].form
    assert form.initial["internal"] is True and form.initial["kinds"] == ["urged", "closed"]


def test_a_secret_is_replaced_or_removed(people):
    admin = api_client_for(people["admin"])
    made = add(admin, platform="dingtalk", secret=SECRET)
    url = f"{URL}{made['id']}/"
    assert admin.patch(url, {"secret": "SECnew0123456789"}, format="json").status_code == 200
    assert RobotChannel.objects.get().secret == "SECnew0123456789"
    removed = admin.patch(url, {"secret": ""}, format="json").json()
    assert (removed["has_secret"], removed["secret_hint"]) == (False, "")
    assert RobotChannel.objects.get().secret == ""


def test_an_administrator_removes_a_robot(people):
    admin = api_client_for(people["admin"])
    made = add(admin)
    assert admin.delete(f"{URL}{made['id']}/").status_code == 204
    assert not RobotChannel.objects.exists()
    assert admin.get(f"{URL}{made['id']}/").status_code == 404
    assert admin.delete(f"{URL}{made['id']}/").status_code == 404


def test_only_administrators_manage_robots(people, project):
    robot = RobotChannel.objects.create(name="运维群", platform="wecom", webhook_url=HOOK)
    body = {"name": "x", "platform": "wecom", "webhook_url": HOOK}
    for who in ("user", "user2", "engineer", "ops", "manager"):
        client = api_client_for(people[who], language="zh-hans")
        answers = [
            client.get(URL),
            client.post(URL, body, format="json"),
            client.get(f"{URL}{robot.pk}/"),
            client.patch(f"{URL}{robot.pk}/", {"name": "y"}, format="json"),
            client.delete(f"{URL}{robot.pk}/"),
        ]
        assert [a.status_code for a in answers] == [403] * 5, who
        assert answers[1].json() == {"detail": "只有系统管理员可以管理群机器人。"}
    assert list(RobotChannel.objects.values_list("name", flat=True)) == ["运维群"]


def test_bad_robots_are_refused_in_chinese_and_nothing_is_saved(settings, people, project):
    settings.OUTBOUND_ALLOW_NETWORKS = []
    admin = api_client_for(people["admin"], language="zh-hans")
    base = {"name": "运维群", "platform": "wecom", "webhook_url": "https://8.8.8.8/send?key=k"}
    cases = {
        "webhook_url": ({"webhook_url": "http://169.254.169.254/latest/"}, "链路本地"),
        "name": ({"name": "运维群\nBcc: x"}, "请写在一行内"),
        "kinds": ({"kinds": ["lottery"]}, "未知的消息类型：lottery"),
        "platform": ({"platform": "slack"}, "不是合法选项"),
        "project": ({"project": 999999}, "请选择项目。"),
    }
    for field, (change, text) in cases.items():
        answer = admin.post(URL, {**base, **change}, format="json")
        assert answer.status_code == 400, (field, answer.json())
        assert text in answer.json()[field][0], (field, answer.json())
    assert not RobotChannel.objects.exists()
    robot = RobotChannel.objects.create(name="运维群", platform="wecom", webhook_url=HOOK)
    answer = admin.patch(
        f"{URL}{robot.pk}/", {"name": "新", "webhook_url": "http://10.0.0.8/x"}, format="json"
    )
    assert answer.status_code == 400 and "内网地址" in answer.json()["webhook_url"][0]
    robot.refresh_from_db()
    assert (robot.name, robot.webhook_url) == ("运维群", HOOK)


def test_robots_listed_are_paged(people):
    for n in range(3):
        RobotChannel.objects.create(name=f"群{n}", platform="feishu", webhook_url=HOOK)
    listed = api_client_for(people["admin"]).get(URL).json()
    assert listed["count"] == 3 and [r["name"] for r in listed["results"]] == ["群0", "群1", "群2"]

"""Users through /api/v1/users/: administrators add them, change their role, organisation
and contact details, set a password (the password rules apply; never shown) and deactivate
them (no deletion); what the admin refuses the API refuses; everyone else gets 403."""

from __future__ import annotations

from rest_framework.test import APIClient

from campusdesk.accounts.models import Organisation, User
from campusdesk.accounts.roles import Role
from tests.helpers import api_client_for, web_client_for

URL = "/api/v1/users/"
PASSWORD = "Kashi-Univ-2026"


def login(username: str, password: str) -> int:
    answer = APIClient().post(
        "/api/v1/auth/token/", {"username": username, "password": password}, format="json"
    )
    return answer.status_code


def test_an_administrator_adds_a_customer_who_can_log_in(people, customer):
    admin = api_client_for(people["admin"])
    body = {
        "username": "zhangsan",
        "password": PASSWORD,
        "display_name": "张三",
        "email": "zhangsan@xjnu.example",
        "phone": "0991-4332001",
        "role": "customer",
        "organisation": customer.organisation_id,
    }
    made = admin.post(URL, body, format="json")
    assert made.status_code == 201, made.json()
    answer = made.json()
    assert "password" not in answer and PASSWORD not in made.content.decode()
    assert (answer["username"], answer["role"], answer["organisation"], answer["is_active"]) == (
        "zhangsan",
        "customer",
        customer.organisation_id,
        True,
    )
    user = User.objects.get(username="zhangsan")
    assert user.check_password(PASSWORD) and not user.is_staff
    assert login("zhangsan", PASSWORD) == 200
    # the admin's user page shows what the API set
    page = web_client_for(people["admin"]).get(f"/admin/accounts/user/{user.pk}/change/")
    form = page.context["adminform"].form
    assert (form.initial["display_name"], form.initial["organisation"]) == (
        "张三",
        customer.organisation_id,
    )
    assert admin.get(f"{URL}{user.pk}/").json() == answer


def test_an_administrator_changes_a_user_as_the_admin_would(people, customer):
    admin = api_client_for(people["admin"])
    vendor = Organisation.objects.get(kind="vendor")
    changed = admin.patch(
        f"{URL}{customer.pk}/",
        {"display_name": "李老师", "phone": "13800000000", "email": "li@xjnu.example"},
        format="json",
    )
    assert changed.status_code == 200, changed.json()
    me = api_client_for(customer).get("/api/v1/me/").json()
    assert (me["display_name"], me["phone"], me["email"]) == (
        "李老师",
        "13800000000",
        "li@xjnu.example",
    )
    promoted = admin.patch(
        f"{URL}{customer.pk}/", {"role": "admin", "organisation": vendor.pk}, format="json"
    )
    assert promoted.status_code == 200, promoted.json()
    customer.refresh_from_db()
    assert customer.is_staff and customer.is_superuser  # as user_create makes an administrator
    demoted = admin.patch(f"{URL}{customer.pk}/", {"role": "agent"}, format="json")
    assert demoted.status_code == 200
    customer.refresh_from_db()
    assert not customer.is_staff and not customer.is_superuser


def test_deactivating_and_a_new_password_revoke_the_users_tokens(people, customer):
    admin = api_client_for(people["admin"])
    theirs = api_client_for(customer)
    assert theirs.get("/api/v1/me/").status_code == 200
    reset = admin.patch(f"{URL}{customer.pk}/", {"password": PASSWORD}, format="json")
    assert reset.status_code == 200 and PASSWORD not in reset.content.decode()
    assert theirs.get("/api/v1/me/").status_code == 401
    assert login(customer.username, PASSWORD) == 200

    theirs = api_client_for(customer)
    off = admin.patch(f"{URL}{customer.pk}/", {"is_active": False}, format="json")
    assert off.status_code == 200 and off.json()["is_active"] is False
    assert theirs.get("/api/v1/me/").status_code == 401
    assert login(customer.username, PASSWORD) == 400
    assert admin.delete(f"{URL}{customer.pk}/").status_code == 405  # deactivated, not deleted
    assert User.objects.filter(pk=customer.pk).exists()


def test_what_the_admin_refuses_the_api_refuses_in_chinese(people, customer):
    admin = api_client_for(people["admin"], language="zh-hans")
    vendor = Organisation.objects.get(kind="vendor")
    base = {"username": "lisi", "role": "customer", "organisation": customer.organisation_id}
    cases = [
        ({"password": "abc1"}, "password", "密码太短"),
        ({"username": "user"}, "username", "已存在"),
        ({"username": "li si!"}, "username", "用户名"),
        ({"organisation": vendor.pk}, "organisation", "学校用户必须属于一个客户单位。"),
        ({"role": "engineer"}, "organisation", "服务商人员必须属于服务商的组织。"),
        ({"role": "boss"}, "role", "不是合法选项"),
        ({"email": "not-an-address"}, "email", "邮件"),
        ({"display_name": "李\n四"}, "display_name", "请写在一行内"),
    ]
    for change, field, text in cases:
        answer = admin.post(URL, {**base, **change}, format="json")
        assert answer.status_code == 400, (change, answer.json())
        assert text in answer.json()[field][0], answer.json()
    assert not User.objects.filter(username__in=["lisi", "li si!"]).exists()

    weak = admin.patch(f"{URL}{customer.pk}/", {"password": "abc1"}, format="json")
    assert weak.status_code == 400 and "密码太短" in weak.json()["password"][0]
    assert login(customer.username, "abc1") == 400


def test_an_administrator_does_not_lock_themselves_out(people):
    me = people["admin"]
    admin = api_client_for(me, language="zh-hans")
    for change, field in (({"is_active": False}, "is_active"), ({"role": "ops"}, "role")):
        answer = admin.patch(f"{URL}{me.pk}/", change, format="json")
        assert answer.status_code == 400, answer.json()
        assert answer.json()[field] == ["不能停用自己的账号，也不能取消自己的系统管理员角色。"]
    me.refresh_from_db()
    assert me.is_active and me.role == Role.ADMIN


def test_users_are_listed_and_found_by_administrators(people, customer):
    admin = api_client_for(people["admin"])
    everyone = admin.get(URL).json()
    assert everyone["count"] == User.objects.count()
    theirs = admin.get(URL, {"organisation": customer.organisation_id}).json()["results"]
    assert {u["username"] for u in theirs} == {"user"}
    engineers = admin.get(URL, {"role": "engineer"}).json()["results"]
    assert {u["username"] for u in engineers} == {"engineer", "engineer2"}
    assert [u["username"] for u in admin.get(URL, {"search": "expert3"}).json()["results"]] == [
        "expert3"
    ]


def test_only_administrators_manage_users(people, customer):
    body = {"username": "x1", "role": "customer", "organisation": customer.organisation_id}
    for who in ("user", "user2", "engineer", "ops", "hq", "manager", "supervisor"):
        client = api_client_for(people[who], language="zh-hans")
        answers = [
            client.get(URL),
            client.get(f"{URL}{customer.pk}/"),
            client.post(URL, body, format="json"),
            client.patch(f"{URL}{customer.pk}/", {"display_name": "x"}, format="json"),
        ]
        assert [a.status_code for a in answers] == [403] * 4, who
        assert answers[2].json() == {"detail": "只有系统管理员可以管理用户。"}
    assert not User.objects.filter(username="x1").exists()
    customer.refresh_from_db()
    assert customer.display_name != "x"

"""消息设置 through the API: /api/v1/me/notification-settings/ and /api/v1/me/quiet-hours/
read and write what the settings page shows and saves; bad input answers 400 in the
caller's language and changes nothing."""

from __future__ import annotations

from datetime import time

from campusdesk.notify.models import MANDATORY, Kind, Preference, QuietHours
from tests.helpers import api_client_for, web_client_for

URL = "/api/v1/me/notification-settings/"
QUIET = "/api/v1/me/quiet-hours/"


def page_rows(user) -> dict[str, tuple[bool, bool]]:
    """What the settings page shows: each type's two boxes, ticked or not."""
    response = web_client_for(user).get("/me/messages/")
    assert response.status_code == 200
    return {
        row["kind"]: (row["channels"]["inbox"], row["channels"]["email"])
        for row in response.context["rows"]
    }


def test_the_matrix_is_every_type_with_its_channels(customer, people):
    rows = api_client_for(customer).get(URL).json()
    assert [row["kind"] for row in rows] == list(Kind.values)
    first = rows[0]
    assert first == {
        "kind": "registered",
        "label": "新问题登记",
        "mandatory": False,
        "channels": {"inbox": False, "email": False},  # a customer's default (issue 22)
    }
    staff = api_client_for(people["engineer"]).get(URL).json()[0]
    assert staff["channels"] == {"inbox": True, "email": True}
    assert {row["kind"] for row in rows if row["mandatory"]} == set(MANDATORY)


def test_a_setting_changed_by_the_api_is_what_the_page_shows(customer, people):
    client = api_client_for(customer)
    changed = client.patch(URL, [{"kind": "accepted", "channels": {"email": False}}], format="json")
    assert changed.status_code == 200, changed.json()
    accepted = next(row for row in changed.json() if row["kind"] == "accepted")
    assert accepted["channels"] == {"inbox": True, "email": False}
    assert page_rows(customer)["accepted"] == (True, False)
    assert page_rows(customer)["closed"] == (True, True)  # the rest stay
    assert not Preference.objects.filter(user=people["engineer"]).exists()  # only the caller's


def test_a_setting_saved_on_the_page_is_what_the_api_reads(customer):
    form = {f"{kind}-{channel}": "on" for kind in Kind.values for channel in ("inbox", "email")}
    del form["closed-email"], form["record-inbox"]
    saved = web_client_for(customer).post("/me/messages/", form)
    assert saved.status_code == 302
    rows = {row["kind"]: row["channels"] for row in api_client_for(customer).get(URL).json()}
    assert rows["closed"] == {"inbox": True, "email": False}
    assert rows["record"] == {"inbox": False, "email": True}


def test_put_takes_the_whole_matrix_as_read(customer):
    client = api_client_for(customer)
    rows = client.get(URL).json()
    for row in rows:
        row["channels"]["email"] = row["kind"] == "closed"
    saved = client.put(URL, rows, format="json")
    assert saved.status_code == 200, saved.json()
    shown = page_rows(customer)
    assert shown["closed"] == (True, True)
    assert {kind for kind, (_inbox, email) in shown.items() if email} == {"closed"}


def refused(client, method: str, body: object) -> dict:
    answer = getattr(client, method)(URL, body, format="json")
    assert answer.status_code == 400, answer.json()
    assert not Preference.objects.exists()
    return answer.json()


def test_bad_settings_are_refused_in_chinese_and_nothing_is_saved(customer):
    client = api_client_for(customer, language="zh-hans")
    unknown = refused(
        client,
        "patch",
        [
            {"kind": "closed", "channels": {"email": False}},
            {"kind": "lottery", "channels": {"inbox": False}},
        ],
    )
    assert unknown["kind"][0].startswith("未知的消息类型：lottery。请从以下选择：registered")
    channel = refused(client, "patch", [{"kind": "closed", "channels": {"sms": True}}])
    assert channel["detail"] == "未知的接收渠道：sms。请从以下选择：inbox, email。"
    mandatory = refused(client, "patch", [{"kind": "sla_breached", "channels": {"inbox": False}}])
    assert mandatory["channels"] == ["“已超时”总会发送到站内消息，不能关闭。"]
    twice = [{"kind": "closed", "channels": {}}, {"kind": "closed", "channels": {}}]
    assert refused(client, "patch", twice)["kind"] == ["“问题已关闭”重复给出。"]
    missing = refused(client, "put", [{"kind": "closed", "channels": {"inbox": 1, "email": 0}}])
    assert missing["detail"].startswith("请给出每种消息类型；缺少：registered")
    rows = client.get(URL).json()
    rows[0]["channels"] = {"inbox": False}
    assert "请给出“新问题登记”的每个接收渠道" in refused(client, "put", rows)["detail"]
    assert refused(client, "put", {"kind": "closed"})  # not a list


def test_messages_follow_accept_language(customer):
    client = api_client_for(customer, language="en")
    answer = client.patch(URL, [{"kind": "lottery", "channels": {}}], format="json")
    assert answer.json()["detail"].startswith("Unknown message type: lottery.")


def test_quiet_hours_are_the_pages(customer):
    client = api_client_for(customer)
    assert client.get(QUIET).json() == {
        "enabled": False,
        "digest": False,
        "start": "22:00",
        "end": "08:00",
    }
    body = {"enabled": True, "digest": True, "start": "21:30", "end": "07:15"}
    saved = client.put(QUIET, body, format="json")
    assert saved.status_code == 200 and saved.json() == body
    page = web_client_for(customer).get("/me/messages/").context["quiet"]
    assert (page.enabled, page.digest, page.start, page.end) == (
        True,
        True,
        time(21, 30),
        time(7, 15),
    )
    web_client_for(customer).post("/me/messages/", {"start": "23:00", "end": "06:00"})
    assert client.get(QUIET).json() == {
        "enabled": False,
        "digest": False,
        "start": "23:00",
        "end": "06:00",
    }


def test_bad_quiet_hours_are_refused(customer):
    client = api_client_for(customer, language="zh-hans")
    answer = client.put(
        QUIET, {"enabled": True, "digest": False, "start": "晚上", "end": "08:00"}, format="json"
    )
    assert answer.status_code == 400 and "时间格式错误" in answer.json()["start"][0]
    assert not QuietHours.objects.exists()


def test_anonymous_callers_are_refused(db):
    from rest_framework.test import APIClient

    assert APIClient().get(URL).status_code == 401
    assert APIClient().put(QUIET, {}, format="json").status_code == 401

"""The WeCom, DingTalk and Feishu robot transports against a real HTTP server on loopback.

``robot`` is a ``ThreadingHTTPServer`` on 127.0.0.1 standing in for a platform's webhook:
it records every request (path, query, headers, raw body) and answers with the status and
JSON it is told to. Signatures are recomputed here from the recorded timestamp and a known
secret, independently of the code under test.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote_plus, urlsplit

import pytest
import time_machine
from django.utils import translation
from django.utils.translation import gettext

from campusdesk.notify.channels import robot as robots
from campusdesk.notify.channels.dingtalk.transport import DingTalkRobot
from campusdesk.notify.channels.feishu.transport import FeishuRobot
from campusdesk.notify.channels.wecom.transport import WeComRobot
from campusdesk.notify.transports import REGISTRY, Message, TransportError

HOST = "127.0.0.1"
SECRET = "SECb5d3c9e0f1a2密钥"  # non-ASCII on purpose: both platforms sign UTF-8 bytes
FROZEN = datetime(2026, 3, 2, 9, 30, 15, 250_000, tzinfo=UTC)
FROZEN_MS = 1772443815250

MESSAGE = Message(
    key="delivery-41",
    subject="工单 #12 已升级：教务系统无法登录",
    text="处理人：王工程师\n请在 30 分钟内响应。",
    url="https://desk.example.edu/tickets/12/",
)

OK = {
    "wecom": {"errcode": 0, "errmsg": "ok"},
    "dingtalk": {"errcode": 0, "errmsg": "ok"},
    "feishu": {"code": 0, "msg": "success", "data": {}},
}
REFUSED = {  # a permanent platform error, answered with HTTP 200
    "wecom": {"errcode": 93000, "errmsg": "invalid webhook url"},
    "dingtalk": {"errcode": 310000, "errmsg": "sign not match"},
    "feishu": {"code": 19021, "msg": "sign match fail or timestamp is not within one hour"},
}
RATE_LIMITED = {
    "wecom": {"errcode": 45009, "errmsg": "api freq out of limit"},
    "dingtalk": {"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"},
    "feishu": {"code": 11232, "msg": "frequency limited"},
}
KINDS = ["wecom", "dingtalk", "feishu"]
PATHS = {  # the platforms' URL shapes, on loopback
    "wecom": "/cgi-bin/webhook/send?key=693a91f6-7xxx",
    "dingtalk": "/robot/send?access_token=abc123",
    "feishu": "/open-apis/bot/v2/hook/0d5f1e2a-xxxx",
}


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    raw: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.raw.decode("utf-8"))

    @property
    def params(self) -> dict[str, list[str]]:
        return parse_qs(self.query, keep_blank_values=True)


@dataclass
class Robot:
    """What the stand-in endpoint received and how it answers next."""

    port: int = 0
    requests: list[Recorded] = field(default_factory=list)
    status: int = 200
    reply: bytes = b"{}"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0

    def answer(self, status: int, reply: object, **headers: str) -> None:
        self.status = status
        self.reply = reply if isinstance(reply, bytes) else json.dumps(reply).encode()
        self.headers = headers

    def url(self, path: str) -> str:
        return f"http://{HOST}:{self.port}{path}"

    @property
    def last(self) -> Recorded:
        assert len(self.requests) == 1, self.requests
        return self.requests[0]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    robot: Robot

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that timed out and left is expected in the timeout test


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        self._record(self.rfile.read(int(self.headers.get("Content-Length") or 0)))

    def do_GET(self) -> None:
        self._record(b"")

    def _record(self, raw: bytes) -> None:
        robot = self.server.robot
        parts = urlsplit(self.path)
        headers = {name.lower(): value for name, value in self.headers.items()}
        robot.requests.append(Recorded(self.command, parts.path, parts.query, headers, raw))
        if robot.delay:
            time.sleep(robot.delay)
        self.send_response(robot.status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        for name, value in robot.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(robot.reply)))
        self.end_headers()
        self.wfile.write(robot.reply)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def robot(monkeypatch: pytest.MonkeyPatch) -> Iterator[Robot]:
    """A robot endpoint on 127.0.0.1 and a free port; no proxy is ever used."""
    for name in ("no_proxy", "NO_PROXY"):
        monkeypatch.setenv(name, "*")
    server = _Server((HOST, 0), _Handler)
    server.robot = Robot(port=server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield server.robot
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def send(kind: str, address: str, secret: str = "", message: Message = MESSAGE) -> None:
    REGISTRY[kind].send(message, address, secret)


def failure(kind: str, address: str, secret: str = "") -> TransportError:
    with pytest.raises(TransportError) as caught:
        send(kind, address, secret)
    return caught.value


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def dingtalk_sign(timestamp: str, secret: str) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()


def feishu_sign(timestamp: str, secret: str) -> str:
    mac = hmac.new(f"{timestamp}\n{secret}".encode(), b"", hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()


# --- registration and the request itself ---------------------------------------------


def test_the_three_robots_are_registered_by_kind() -> None:
    for kind in KINDS:
        assert REGISTRY[kind].kind == kind
    assert isinstance(REGISTRY["wecom"], WeComRobot)
    assert isinstance(REGISTRY["dingtalk"], DingTalkRobot)
    assert isinstance(REGISTRY["feishu"], FeishuRobot)


@pytest.mark.parametrize("kind", KINDS)
def test_posts_utf8_json_with_chinese_intact(robot: Robot, kind: str) -> None:
    robot.answer(200, OK[kind])
    send(kind, robot.url(PATHS[kind]))
    request = robot.last
    assert request.method == "POST"
    assert request.headers["content-type"] == "application/json; charset=utf-8"
    assert int(request.headers["content-length"]) == len(request.raw)
    # Not \\u-escaped: the characters themselves, as UTF-8 bytes.
    assert "教务系统无法登录".encode() in request.raw
    assert b"\\u" not in request.raw
    assert MESSAGE.subject in json.dumps(request.json, ensure_ascii=False)


def test_wecom_markdown_message(robot: Robot) -> None:
    robot.answer(200, OK["wecom"])
    send("wecom", robot.url(PATHS["wecom"]))
    request = robot.last
    assert request.path == "/cgi-bin/webhook/send"
    assert request.query == "key=693a91f6-7xxx"
    assert request.json == {
        "msgtype": "markdown",
        "markdown": {
            "content": (
                "**工单 #12 已升级：教务系统无法登录**\n\n"
                "处理人：王工程师\n请在 30 分钟内响应。\n\n"
                f"[{gettext('View details')}](https://desk.example.edu/tickets/12/)"
            )
        },
    }


def test_wecom_has_no_signature_even_with_a_secret(robot: Robot) -> None:
    robot.answer(200, OK["wecom"])
    send("wecom", robot.url(PATHS["wecom"]), secret=SECRET)
    assert robot.last.query == "key=693a91f6-7xxx"
    assert set(robot.last.json) == {"msgtype", "markdown"}


def test_wecom_uses_the_markdown_and_stays_within_4096_bytes(robot: Robot) -> None:
    robot.answer(200, OK["wecom"])
    long = Message(key="k", subject="长消息", text="plain", markdown="> 引用\n" + "字" * 3000)
    send("wecom", robot.url(PATHS["wecom"]), message=long)
    content = robot.last.json["markdown"]["content"]
    assert len(content.encode()) <= 4096
    assert content.startswith("**长消息**\n\n> 引用\n字字")
    assert "plain" not in content
    assert content.endswith("…")  # no url: nothing after the clipped body


def test_dingtalk_markdown_message_unsigned(robot: Robot) -> None:
    robot.answer(200, OK["dingtalk"])
    send("dingtalk", robot.url(PATHS["dingtalk"]))
    request = robot.last
    assert request.path == "/robot/send"
    assert request.query == "access_token=abc123"  # no timestamp, no sign
    assert request.json == {
        "msgtype": "markdown",
        "markdown": {
            "title": "工单 #12 已升级：教务系统无法登录",
            "text": (
                "### 工单 #12 已升级：教务系统无法登录\n\n"
                "处理人：王工程师  \n请在 30 分钟内响应。\n\n"
                f"[{gettext('View details')}](https://desk.example.edu/tickets/12/)"
            ),
        },
    }


def test_dingtalk_signature(robot: Robot) -> None:
    robot.answer(200, OK["dingtalk"])
    with time_machine.travel(FROZEN, tick=False):
        send("dingtalk", robot.url(PATHS["dingtalk"]), secret=SECRET)
    request = robot.last
    params = request.params
    assert set(params) == {"access_token", "timestamp", "sign"}
    assert params["access_token"] == ["abc123"]
    [timestamp] = params["timestamp"]
    assert timestamp == str(FROZEN_MS)  # milliseconds
    [sign] = params["sign"]
    assert sign == dingtalk_sign(timestamp, SECRET)
    # The base64 travels URL-encoded exactly once ("+", "/" and "=" escaped).
    assert f"sign={quote_plus(sign)}" in request.query
    assert set(request.json) == {"msgtype", "markdown"}  # nothing signed in the body


def test_dingtalk_signature_uses_the_current_time(robot: Robot) -> None:
    robot.answer(200, OK["dingtalk"])
    before = int(time.time() * 1000)
    send("dingtalk", robot.url(PATHS["dingtalk"]), secret=SECRET)
    after = int(time.time() * 1000)
    [timestamp] = robot.last.params["timestamp"]
    assert before <= int(timestamp) <= after
    assert robot.last.params["sign"] == [dingtalk_sign(timestamp, SECRET)]


def test_feishu_post_message_unsigned(robot: Robot) -> None:
    robot.answer(200, OK["feishu"])
    send("feishu", robot.url(PATHS["feishu"]))
    request = robot.last
    assert request.path == "/open-apis/bot/v2/hook/0d5f1e2a-xxxx"
    assert request.query == ""
    assert request.json == {  # no timestamp, no sign
        "msg_type": "post",
        "content": {
            "post": {
                "zh_cn": {
                    "title": "工单 #12 已升级：教务系统无法登录",
                    "content": [
                        [{"tag": "text", "text": "处理人：王工程师\n请在 30 分钟内响应。"}],
                        [
                            {
                                "tag": "a",
                                "text": gettext("View details"),
                                "href": "https://desk.example.edu/tickets/12/",
                            }
                        ],
                    ],
                }
            }
        },
    }


def test_feishu_signature(robot: Robot) -> None:
    robot.answer(200, OK["feishu"])
    with time_machine.travel(FROZEN, tick=False):
        send("feishu", robot.url(PATHS["feishu"]), secret=SECRET)
    body = robot.last.json
    assert body["timestamp"] == str(FROZEN_MS // 1000)  # seconds, as a string
    assert body["sign"] == feishu_sign(body["timestamp"], SECRET)
    assert body["msg_type"] == "post"
    assert robot.last.query == ""  # nothing signed in the URL


def test_link_label_is_chinese_in_chinese(robot: Robot) -> None:
    robot.answer(200, OK["wecom"])
    with translation.override("zh-hans"):
        send("wecom", robot.url(PATHS["wecom"]))
    content = robot.last.json["markdown"]["content"]
    assert content.endswith("\n\n[查看详情](https://desk.example.edu/tickets/12/)")


def test_without_url_there_is_no_link(robot: Robot) -> None:
    bare = Message(key="k", subject="主题", text="正文")
    for kind in KINDS:
        robot.answer(200, OK[kind])
        send(kind, robot.url(PATHS[kind]), message=bare)
    wecom, dingtalk, feishu = (r.json for r in robot.requests)
    assert wecom["markdown"]["content"] == "**主题**\n\n正文"
    assert dingtalk["markdown"]["text"] == "### 主题\n\n正文"
    assert feishu["content"]["post"]["zh_cn"]["content"] == [[{"tag": "text", "text": "正文"}]]


# --- outcomes ---------------------------------------------------------------------------


def test_feishu_older_status_code_reply_is_success(robot: Robot) -> None:
    robot.answer(200, {"Extra": None, "StatusCode": 0, "StatusMessage": "success"})
    send("feishu", robot.url(PATHS["feishu"]))


def test_feishu_older_status_code_error_is_permanent(robot: Robot) -> None:
    robot.answer(200, {"Extra": None, "StatusCode": 19001, "StatusMessage": "param invalid"})
    error = failure("feishu", robot.url(PATHS["feishu"]))
    assert error.permanent
    assert "19001" in str(error) and "param invalid" in str(error)


@pytest.mark.parametrize("kind", KINDS)
def test_platform_error_code_is_permanent_with_its_message(robot: Robot, kind: str) -> None:
    robot.answer(200, REFUSED[kind])
    error = failure(kind, robot.url(PATHS[kind]))
    assert error.permanent
    platform_message = next(v for v in REFUSED[kind].values() if isinstance(v, str))
    assert platform_message in str(error)
    assert kind in str(error)


@pytest.mark.parametrize("kind", KINDS)
def test_rate_limit_code_is_temporary(robot: Robot, kind: str) -> None:
    robot.answer(200, RATE_LIMITED[kind])
    error = failure(kind, robot.url(PATHS[kind]))
    assert not error.permanent
    assert next(v for v in RATE_LIMITED[kind].values() if isinstance(v, str)) in str(error)


def test_feishu_too_many_requests_with_http_400_is_temporary(robot: Robot) -> None:
    # What Feishu answers when a bot sends too fast: HTTP 400 and code 9499.
    robot.answer(400, {"code": 9499, "msg": "too many request", "data": {}})
    error = failure("feishu", robot.url(PATHS["feishu"]))
    assert not error.permanent
    assert "too many request" in str(error)


@pytest.mark.parametrize("kind", ["wecom", "dingtalk"])
def test_system_busy_is_temporary(robot: Robot, kind: str) -> None:
    robot.answer(200, {"errcode": -1, "errmsg": "system busy"})
    assert not failure(kind, robot.url(PATHS[kind])).permanent


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_error_is_temporary(robot: Robot, kind: str, status: int) -> None:
    robot.answer(status, b"<html>oops</html>")
    error = failure(kind, robot.url(PATHS[kind]))
    assert not error.permanent
    assert f"HTTP {status}" in str(error)


@pytest.mark.parametrize("kind", KINDS)
def test_http_429_is_temporary(robot: Robot, kind: str) -> None:
    robot.answer(429, b"Too Many Requests", **{"Retry-After": "60"})
    error = failure(kind, robot.url(PATHS[kind]))
    assert not error.permanent
    assert "HTTP 429" in str(error)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("status", [400, 403, 404])
def test_other_client_errors_are_permanent(robot: Robot, kind: str, status: int) -> None:
    robot.answer(status, b"bad request")
    error = failure(kind, robot.url(PATHS[kind]))
    assert error.permanent
    assert f"HTTP {status}" in str(error)


@pytest.mark.parametrize("kind", KINDS)
def test_http_400_with_platform_error_is_permanent_with_its_message(
    robot: Robot, kind: str
) -> None:
    robot.answer(400, REFUSED[kind])
    error = failure(kind, robot.url(PATHS[kind]))
    assert error.permanent
    assert next(v for v in REFUSED[kind].values() if isinstance(v, str)) in str(error)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("reply", [b"<html>portal</html>", b"[]", b"{}", b'{"errcode": "0"}'])
def test_success_status_without_a_robot_reply_is_permanent(
    robot: Robot, kind: str, reply: bytes
) -> None:
    robot.answer(200, reply)
    assert failure(kind, robot.url(PATHS[kind])).permanent


@pytest.mark.parametrize("kind", KINDS)
def test_redirect_is_not_followed(robot: Robot, kind: str) -> None:
    robot.answer(302, b"", Location=robot.url("/elsewhere"))
    error = failure(kind, robot.url(PATHS[kind]))
    assert error.permanent
    assert [r.method for r in robot.requests] == ["POST"]  # no GET to /elsewhere


@pytest.mark.parametrize("kind", KINDS)
def test_connection_refused_is_temporary(kind: str) -> None:
    error = failure(kind, f"http://{HOST}:{closed_port()}{PATHS[kind]}", secret=SECRET)
    assert not error.permanent
    assert "no answer" in str(error)


@pytest.mark.parametrize("kind", KINDS)
def test_timeout_is_temporary(robot: Robot, kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(robots, "TIMEOUT_SECONDS", 0.2)
    robot.delay = 1.0
    robot.answer(200, OK[kind])
    error = failure(kind, robot.url(PATHS[kind]))
    assert not error.permanent
    assert "no answer" in str(error)


def test_timeout_is_ten_seconds() -> None:
    assert robots.TIMEOUT_SECONDS == 10.0


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "address",
    [
        "ftp://127.0.0.1/robot",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "127.0.0.1:8080/robot/send",
        "http:///no-host",
        "",
    ],
)
def test_non_http_address_is_permanent(robot: Robot, kind: str, address: str) -> None:
    error = failure(kind, address, secret=SECRET)
    assert error.permanent
    assert robot.requests == []


@pytest.mark.parametrize("kind", KINDS)
def test_errors_do_not_reveal_the_webhook_url(robot: Robot, kind: str) -> None:
    robot.answer(200, REFUSED[kind])
    assert "693a91f6" not in str(failure(kind, robot.url(PATHS["wecom"])))
    assert "abc123" not in str(failure(kind, robot.url(PATHS["dingtalk"])))


@pytest.mark.parametrize("kind", KINDS)
def test_a_refused_address_is_permanent_and_never_contacted(
    robot: Robot, kind: str, settings: Any
) -> None:
    settings.OUTBOUND_ALLOW_NETWORKS = []
    robot.answer(200, OK[kind])
    for host in (HOST, "localhost", "[::ffff:127.0.0.1]"):
        with translation.override("zh-hans"):
            error = failure(kind, f"http://{host}:{robot.port}{PATHS[kind]}", secret=SECRET)
        assert error.permanent and "回环地址" in str(error)
        assert "693a91f6" not in str(error) and "abc123" not in str(error)  # no credential
    assert robot.requests == []

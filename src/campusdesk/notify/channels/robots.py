"""Group robots of WeCom (企业微信), DingTalk (钉钉) and Feishu (飞书): one transport each.

Each robot is a webhook URL (``address``) that takes one JSON message per POST, in the
platform's own format, and answers with a JSON result code where 0 means "delivered":

* WeCom group robot (群机器人配置说明, developer.work.weixin.qq.com/document/path/91770):
  ``{"msgtype": "markdown", "markdown": {"content": ...}}``, content at most 4096 bytes;
  no signature (the ``key`` in the URL is the credential); reply ``errcode``/``errmsg``.
* DingTalk custom robot (自定义机器人, open.dingtalk.com/document/robots/custom-robot-access
  and .../customize-robot-security-settings):
  ``{"msgtype": "markdown", "markdown": {"title": ..., "text": ...}}``; with 加签 the URL
  gets ``timestamp`` (ms) and ``sign`` = urlencode(base64(HMAC-SHA256(key=secret,
  msg="{timestamp}\\n{secret}"))); reply ``errcode``/``errmsg``.
* Feishu custom bot (自定义机器人使用指南,
  open.feishu.cn/document/client-docs/bot-v3/add-custom-bot): a rich-text ``post`` with
  a title and a link; with 签名校验 the body gets ``timestamp`` (seconds, a string) and
  ``sign`` = base64(HMAC-SHA256(key="{timestamp}\\n{secret}", msg=b"")); reply
  ``code``/``msg`` (older robots: ``StatusCode``/``StatusMessage``).

Failures say whether trying again could help (``TransportError.permanent``): no answer,
HTTP 429, 5xx and the platforms' "busy"/rate-limit codes are temporary; any other HTTP
error, a reply that is not the platform's JSON, and any other result code are permanent.
Error texts never contain the URL, which carries the robot's credential.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from django.utils.translation import gettext

from campusdesk.core import outbound
from campusdesk.notify.transports import Message, TransportError, register

TIMEOUT_SECONDS = 10.0
MAX_REPLY_BYTES = 64 * 1024  # a robot's reply is a small JSON object
WECOM_MAX_CONTENT_BYTES = 4096
CONTENT_TYPE = "application/json; charset=utf-8"


def now_ms() -> int:
    """The current time in milliseconds since the epoch, for the robots' signatures."""
    return int(time.time() * 1000)


@dataclass(frozen=True)
class _Reply:
    status: int
    reason: str
    body: bytes


def _check_url(address: str) -> None:
    parts = urlsplit(address)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TransportError("robot address is not an http(s) URL", permanent=True)


def _post(url: str, payload: dict[str, Any], kind: str) -> _Reply:
    """POST ``payload`` as UTF-8 JSON through the guarded client (core.outbound), which never
    follows a redirect (it would turn the POST into a GET); HTTP errors are returned."""
    _check_url(url)
    data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    try:
        answer = outbound.request("POST", url, body=data, headers={"Content-Type": CONTENT_TYPE},
                                  timeout=TIMEOUT_SECONDS, max_bytes=MAX_REPLY_BYTES)  # fmt: skip
    except outbound.OutboundRefused as error:  # names the host and address, not the URL
        raise TransportError(f"{kind}: {error}", permanent=True) from error
    except outbound.OutboundError as error:
        # Refused, reset, timed out, name not resolved: the robot may answer later.
        raise TransportError(f"{kind}: no answer: {error}", permanent=False) from error
    return _Reply(answer.status, answer.reason, answer.body)


def _json_object(body: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def _clip(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` UTF-8 bytes (on a character boundary), marked "…"."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    mark = "…"
    room = max(limit - len(mark.encode("utf-8")), 0)
    return data[:room].decode("utf-8", "ignore") + mark


def _link_label() -> str:
    return gettext("View details")


class RobotTransport(ABC):
    """Shared sending and judging; each platform says how to build and read messages."""

    kind: str = ""
    code_fields: tuple[str, ...] = ()  # where the reply carries its result code, in order
    message_fields: tuple[str, ...] = ()
    temporary_codes: frozenset[int] = frozenset()  # "busy" and rate limits: retry later

    def send(self, message: Message, address: str, secret: str = "") -> None:
        _check_url(address)
        url, payload = self.request(message, address, secret)
        self.judge(_post(url, payload, self.kind))

    @abstractmethod
    def request(self, message: Message, address: str, secret: str) -> tuple[str, dict[str, Any]]:
        """The URL to POST to and the JSON payload."""

    def judge(self, reply: _Reply) -> None:
        """Return if the platform took the message, else raise saying whether to retry."""
        data = _json_object(reply.body)
        code, text = self._result(data) if data is not None else (None, "")
        if code is not None and code in self.temporary_codes:
            raise TransportError(f"{self.kind}: busy ({code}): {text}", permanent=False)
        if reply.status == 429 or reply.status >= 500:
            raise TransportError(
                f"{self.kind}: HTTP {reply.status}: {text or reply.reason}", permanent=False
            )
        if not 200 <= reply.status < 300:
            raise TransportError(
                f"{self.kind}: HTTP {reply.status}: {text or reply.reason}", permanent=True
            )
        if code is None:
            raise TransportError(
                f"{self.kind}: not a robot's reply (HTTP {reply.status})", permanent=True
            )
        if code != 0:
            raise TransportError(f"{self.kind}: error {code}: {text}", permanent=True)

    def _result(self, data: dict[str, Any]) -> tuple[int | None, str]:
        code = next(
            (
                value
                for value in (data.get(name) for name in self.code_fields)
                if isinstance(value, int) and not isinstance(value, bool)
            ),
            None,
        )
        text = next(
            (v for v in (data.get(name) for name in self.message_fields) if isinstance(v, str)),
            "",
        )
        return code, text


class WeComRobot(RobotTransport):
    kind = "wecom"
    code_fields = ("errcode",)
    message_fields = ("errmsg",)
    # -1 系统繁忙 (global error codes), 45009 接口调用超过限制 (20 messages a minute a robot)
    temporary_codes = frozenset({-1, 45009})

    def request(self, message: Message, address: str, secret: str) -> tuple[str, dict[str, Any]]:
        # WeCom robots have no signature: the key in the URL is the credential.
        head = f"**{message.subject}**\n\n"
        tail = f"\n\n[{_link_label()}]({message.url})" if message.url else ""
        room = WECOM_MAX_CONTENT_BYTES - len(head.encode("utf-8")) - len(tail.encode("utf-8"))
        body = _clip(message.markdown or message.text, max(room, 0))
        content = _clip(head + body + tail, WECOM_MAX_CONTENT_BYTES)
        return address, {"msgtype": "markdown", "markdown": {"content": content}}


def dingtalk_signature(secret: str, timestamp_ms: int) -> str:
    """base64(HMAC-SHA256(key=secret, msg="{timestamp}\\n{secret}")); URL-encode it to use."""
    digest = hmac.new(
        secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256
    ).digest()
    return base64.b64encode(digest).decode("ascii")


class DingTalkRobot(RobotTransport):
    kind = "dingtalk"
    code_fields = ("errcode",)
    message_fields = ("errmsg",)
    # -1 系统繁忙, 130101 "send too fast, exceed 20 times per minute"
    temporary_codes = frozenset({-1, 130101})

    def request(self, message: Message, address: str, secret: str) -> tuple[str, dict[str, Any]]:
        body = message.markdown or message.text.replace("\n", "  \n")  # hard line breaks
        text = f"### {message.subject}\n\n{body}"
        if message.url:
            text += f"\n\n[{_link_label()}]({message.url})"
        payload = {"msgtype": "markdown", "markdown": {"title": message.subject, "text": text}}
        return (self._signed(address, secret) if secret else address), payload

    def _signed(self, address: str, secret: str) -> str:
        timestamp = now_ms()
        parts = urlsplit(address)
        # urlencode percent-encodes the base64 once, as the platform asks.
        extra = urlencode({"timestamp": timestamp, "sign": dingtalk_signature(secret, timestamp)})
        query = f"{parts.query}&{extra}" if parts.query else extra
        return urlunsplit(parts._replace(query=query))


def feishu_signature(secret: str, timestamp_s: int) -> str:
    """base64(HMAC-SHA256(key="{timestamp}\\n{secret}", msg=b"")): the key is the string."""
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


class FeishuRobot(RobotTransport):
    kind = "feishu"
    code_fields = ("code", "StatusCode")
    message_fields = ("msg", "StatusMessage")
    # 9499 "too many request" (sent with HTTP 400), 11232 "frequency limited"
    temporary_codes = frozenset({9499, 11232})

    def request(self, message: Message, address: str, secret: str) -> tuple[str, dict[str, Any]]:
        # A ``post``'s text elements are shown as typed, so the plain text, not markdown.
        paragraphs: list[list[dict[str, str]]] = [[{"tag": "text", "text": message.text}]]
        if message.url:
            paragraphs.append([{"tag": "a", "text": _link_label(), "href": message.url}])
        post = {"zh_cn": {"title": message.subject, "content": paragraphs}}
        payload: dict[str, Any] = {}
        if secret:
            timestamp = now_ms() // 1000
            payload = {"timestamp": str(timestamp), "sign": feishu_signature(secret, timestamp)}
        payload |= {"msg_type": "post", "content": {"post": post}}
        return address, payload


register(WeComRobot())
register(DingTalkRobot())
register(FeishuRobot())

"""Group robots of WeCom (企业微信), DingTalk (钉钉) and Feishu (飞书): what their transports share.

Each robot is a webhook URL (``address``) that takes one JSON message per POST, in the
platform's own format, and answers with a JSON result code where 0 means "delivered";
each platform's format and signature are in ``channels/<kind>/transport.py``.

Failures say whether trying again could help (``TransportError.permanent``): no answer,
HTTP 429, 5xx and the platforms' "busy"/rate-limit codes are temporary; any other HTTP
error, a reply that is not the platform's JSON, and any other result code are permanent.
Error texts never contain the URL, which carries the robot's credential.
"""

from __future__ import annotations

import json
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.template.loader import render_to_string
from django.utils.translation import gettext

from campusdesk.core import outbound
from campusdesk.notify.transports import Message, TransportError

TIMEOUT_SECONDS = 10.0
MAX_REPLY_BYTES = 64 * 1024  # a robot's reply is a small JSON object
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
    data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    try:
        answer = outbound.request(
            "POST",
            url,
            body=data,
            headers={"Content-Type": CONTENT_TYPE},
            timeout=TIMEOUT_SECONDS,
            max_bytes=MAX_REPLY_BYTES,
        )
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


def clip(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` UTF-8 bytes (on a character boundary), marked "…"."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    mark = "…"
    room = max(limit - len(mark.encode("utf-8")), 0)
    return data[:room].decode("utf-8", "ignore") + mark


def link_label() -> str:
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


def parts(*, title: str, body: str, url: str) -> dict[str, str]:
    """The ``subject`` and ``text`` of a robot message about ``url`` (all three platforms),
    from the templates ``notify/channels/robot/{subject.txt,text.txt}``."""
    context = {"title": title, "body": body, "url": url}
    return {
        "subject": render_to_string("notify/channels/robot/subject.txt", context),
        "text": render_to_string("notify/channels/robot/text.txt", context),
    }

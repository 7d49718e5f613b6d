"""DingTalk custom robot (钉钉自定义机器人, open.dingtalk.com/document/robots/custom-robot-access
and .../customize-robot-security-settings).

``{"msgtype": "markdown", "markdown": {"title": ..., "text": ...}}``; with 加签 the URL gets
``timestamp`` (ms) and ``sign`` = urlencode(base64(HMAC-SHA256(key=secret,
msg="{timestamp}\\n{secret}"))); reply ``errcode``/``errmsg``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from campusdesk.notify.channels import robot
from campusdesk.notify.channels.robot import RobotTransport, link_label
from campusdesk.notify.transports import Message, register


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
            text += f"\n\n[{link_label()}]({message.url})"
        payload = {"msgtype": "markdown", "markdown": {"title": message.subject, "text": text}}
        return (self._signed(address, secret) if secret else address), payload

    def _signed(self, address: str, secret: str) -> str:
        timestamp = robot.now_ms()
        parts = urlsplit(address)
        # urlencode percent-encodes the base64 once, as the platform asks.
        extra = urlencode({"timestamp": timestamp, "sign": dingtalk_signature(secret, timestamp)})
        query = f"{parts.query}&{extra}" if parts.query else extra
        return urlunsplit(parts._replace(query=query))


register(DingTalkRobot())

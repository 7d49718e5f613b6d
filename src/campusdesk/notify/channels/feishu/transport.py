"""Feishu custom bot (飞书自定义机器人, open.feishu.cn/document/client-docs/bot-v3/add-custom-bot).

A rich-text ``post`` with a title and a link; with 签名校验 the body gets ``timestamp``
(seconds, a string) and ``sign`` = base64(HMAC-SHA256(key="{timestamp}\\n{secret}",
msg=b"")); reply ``code``/``msg`` (older robots: ``StatusCode``/``StatusMessage``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

from campusdesk.notify.channels import robot
from campusdesk.notify.channels.robot import RobotTransport, link_label
from campusdesk.notify.transports import Message, register


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
            paragraphs.append([{"tag": "a", "text": link_label(), "href": message.url}])
        post = {"zh_cn": {"title": message.subject, "content": paragraphs}}
        payload: dict[str, Any] = {}
        if secret:
            timestamp = robot.now_ms() // 1000
            payload = {"timestamp": str(timestamp), "sign": feishu_signature(secret, timestamp)}
        payload |= {"msg_type": "post", "content": {"post": post}}
        return address, payload


register(FeishuRobot())

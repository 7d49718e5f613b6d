"""WeCom group robot (企业微信群机器人, developer.work.weixin.qq.com/document/path/91770).

``{"msgtype": "markdown", "markdown": {"content": ...}}``, content at most 4096 bytes; no
signature (the ``key`` in the URL is the credential); reply ``errcode``/``errmsg``.
"""

from __future__ import annotations

from typing import Any

from campusdesk.notify.channels.robot import RobotTransport, clip, link_label
from campusdesk.notify.transports import Message, register

WECOM_MAX_CONTENT_BYTES = 4096


class WeComRobot(RobotTransport):
    kind = "wecom"
    code_fields = ("errcode",)
    message_fields = ("errmsg",)
    # -1 系统繁忙 (global error codes), 45009 接口调用超过限制 (20 messages a minute a robot)
    temporary_codes = frozenset({-1, 45009})

    def request(self, message: Message, address: str, secret: str) -> tuple[str, dict[str, Any]]:
        # WeCom robots have no signature: the key in the URL is the credential.
        head = f"**{message.subject}**\n\n"
        tail = f"\n\n[{link_label()}]({message.url})" if message.url else ""
        room = WECOM_MAX_CONTENT_BYTES - len(head.encode("utf-8")) - len(tail.encode("utf-8"))
        body = clip(message.markdown or message.text, max(room, 0))
        content = clip(head + body + tail, WECOM_MAX_CONTENT_BYTES)
        return address, {"msgtype": "markdown", "markdown": {"content": content}}


register(WeComRobot())

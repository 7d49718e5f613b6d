"""The channels' texts come from templates (templates/notify/channels/<kind>/) and read
exactly as the f-strings they replaced did: escaped HTML, no added line breaks."""

from __future__ import annotations

from django.utils import translation

from campusdesk.notify.channels.email.message import parts, text
from campusdesk.notify.channels.robot import parts as robot_parts

TITLE = "[#2026-0007] 处理进度: <b>登录 & 认证</b>"
BODY = '李工: 受理了问题\n备注 <script>"x"</script>\n\n第二段 {{ not a tag }}\r\n'
URL = "http://127.0.0.1:8000/tickets/7/?a=1&b=2"


def test_email_parts_read_as_before() -> None:
    with translation.override("zh-hans"):
        found = parts(title=TITLE, body=BODY, url=URL)
    assert found == {
        "subject": TITLE,  # a header, not HTML: nothing escaped
        "text": BODY + "\n\n" + URL,
        "html": "<p>李工: 受理了问题<br>备注 &lt;script&gt;&quot;x&quot;&lt;/script&gt;</p>\n\n"
        "<p>第二段 {{ not a tag }}<br></p>"
        '<p><a href="http://127.0.0.1:8000/tickets/7/?a=1&amp;b=2">查看问题</a></p>',
    }


def test_email_link_words_follow_the_reader_language() -> None:
    with translation.override("en"):
        html = parts(title=TITLE, body="x", url=URL)["html"]
    assert html.endswith('">Open the problem</a></p>')


def test_plain_text_parts_end_without_a_line_break() -> None:
    assert text(body="正文", url=URL) == f"正文\n\n{URL}"
    assert robot_parts(title=TITLE, body="正文\n", url=URL) == {
        "subject": TITLE,
        "text": f"正文\n\n{URL}",
    }

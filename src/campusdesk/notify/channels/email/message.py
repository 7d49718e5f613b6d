"""The words of a notification e-mail: its subject, text part and HTML part.

They are the templates ``notify/channels/email/{subject.txt,text.txt,html.html}`` (under
src/campusdesk/templates/), rendered in the active language: the caller chooses the
reader's. The template files end without a line break, which would be part of the text.
"""

from __future__ import annotations

from django.template.loader import render_to_string

FOLDER = "notify/channels/email"


def text(*, body: str, url: str) -> str:
    """The text part: the message, a blank line, the link."""
    return render_to_string(f"{FOLDER}/text.txt", {"body": body, "url": url})


def parts(*, title: str, body: str, url: str) -> dict[str, str]:
    """The ``subject``, ``text`` and ``html`` of an e-mail about ``url``."""
    context = {"title": title, "body": body, "url": url}
    return {
        "subject": render_to_string(f"{FOLDER}/subject.txt", context),
        "text": text(body=body, url=url),
        "html": render_to_string(f"{FOLDER}/html.html", context),
    }

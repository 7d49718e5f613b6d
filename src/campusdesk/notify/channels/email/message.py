"""The words of a notification e-mail: its subject, text part and HTML part.

They are the templates ``notify/channels/email/{subject.txt,text.txt,html.html}`` (under
src/campusdesk/templates/), rendered in the active language: the caller chooses the
reader's. The template files end without a line break, which would be part of the text.

Every e-mail ends with ``footer`` (seed §5: the service hotline, the service e-mail address
and the engineer on duty of its contract), added by the outbox as it sends, so that a digest
carries it once and the engineer named is the one on duty when the e-mail leaves.
"""

from __future__ import annotations

from datetime import datetime

from django.template.loader import render_to_string

from campusdesk.catalog import contacts

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


def footer(*, project_id: int | None = None, now: datetime | None = None) -> dict[str, str]:
    """The foot of an e-mail, ``text`` and ``html``: the service hotline and e-mail address and,
    for an e-mail about one project, who answers it at ``now`` (one query); empty when there
    is nothing to say."""
    people = contacts.answering([project_id], now).get(project_id, []) if project_id else []
    context = {**contacts.service_centre(), "people": people}
    if not (context["hotline"] or context["email"] or people):
        return {"text": "", "html": ""}
    return {
        "text": render_to_string(f"{FOLDER}/footer.txt", context).rstrip(),
        "html": render_to_string(f"{FOLDER}/footer.html", context),
    }

"""Internal notes never reach customers (issue 23 §1), wherever a ticket's words go: its page
and timeline panel, the API's detail and timeline, the inbox and e-mail, a search of the
problem list, the incident report (Word and PDF), and a case drafted from the ticket; the
vendor's staff read the same note on the same page (the control that the note is there)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core import mail

from campusdesk.accounts.models import User
from campusdesk.kb import services as kb
from campusdesk.kb.models import Article
from campusdesk.notify.models import Notification
from campusdesk.tickets import services
from campusdesk.tickets.models import Ticket
from tests.helpers import api_client_for, web_client_for

pytestmark = [pytest.mark.security, pytest.mark.django_db]

SECRET = "内部备注-客户数据库口令在运维笔记第7页"
PUBLIC = "已定位到配置问题，正在修复"


def _text(response: Any) -> str:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return body.decode("utf-8", "replace")


def test_an_internal_note_reaches_no_customer_channel(
    accepted: Ticket, people: dict[str, User], tmp_path: Path, settings: Any
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    customer, engineer = people["user"], people["engineer"]
    mail.outbox.clear()
    services.ticket_add_record(ticket_id=accepted.pk, actor=engineer, body=SECRET, internal=True)
    services.ticket_add_record(ticket_id=accepted.pk, actor=engineer, body=PUBLIC)
    staff_page = _text(web_client_for(engineer).get(f"/tickets/{accepted.pk}/"))
    assert SECRET in staff_page and PUBLIC in staff_page  # the control: the note is there

    web, api = web_client_for(customer), api_client_for(customer)
    seen = {
        "page": _text(web.get(f"/tickets/{accepted.pk}/")),
        "api detail": _text(api.get(f"/api/v1/tickets/{accepted.pk}/")),
        "api timeline": _text(api.get(f"/api/v1/tickets/{accepted.pk}/timeline/")),
        "list search": _text(web.get("/tickets/", {"search": "运维笔记"})),
        "api search": _text(api.get("/api/v1/tickets/", {"search": "运维笔记"})),
        "inbox": _text(web.get("/inbox/")),
        "api notifications": _text(api.get("/api/v1/notifications/")),
        "e-mail": "\n".join(
            f"{m.subject}\n{m.body}" for m in mail.outbox if customer.email in m.to
        ),
        "notification rows": "\n".join(
            str(n.__dict__) for n in Notification.objects.filter(recipient=customer)
        ),
    }
    assert PUBLIC in seen["page"] and PUBLIC in seen["api timeline"]  # what they may read
    for where, text in seen.items():
        assert SECRET not in text, where
        if "search" in where:  # the query is echoed back; the problem must not be found
            assert accepted.number not in text, where
        else:
            assert "运维笔记" not in text, where
    # the search found nothing of theirs by the note's words
    assert api.get("/api/v1/tickets/", {"search": "运维笔记"}).json()["count"] == 0

    # a case drafted from the closed ticket takes its public records, never the note, and
    # is the vendor's draft until published: the customer cannot read it
    services.ticket_request_close(ticket_id=accepted.pk, actor=engineer, solution="已修复配置")
    services.ticket_close(ticket_id=accepted.pk, actor=customer, rating=5, workload_hours=1)
    article = kb.article_from_ticket(ticket_id=accepted.pk, actor=people["expert2"])
    assert article.status == Article.Status.DRAFT
    drafted = " ".join([article.title, article.symptoms, article.cause, article.solution])
    assert PUBLIC in drafted and SECRET not in drafted
    assert web.get(f"/kb/{article.pk}/").status_code == 404
    assert api.get(f"/api/v1/kb/articles/{article.pk}/").status_code == 404
    assert SECRET not in _text(web.get("/kb/", {"q": "运维笔记"}))

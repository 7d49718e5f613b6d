"""``campusdesk mailgate`` as an MTA runs it: a real process, the message on stdin."""

from __future__ import annotations

import subprocess

import pytest

from campusdesk.intake.models import InboundMessage, Mailbox
from campusdesk.tickets.models import Ticket
from tests.helpers import PYTHON, subprocess_env
from tests.intake import mails

pytestmark = pytest.mark.django_db(transaction=True)


def mailgate(tmp_path, raw: bytes, **env: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [PYTHON, "-m", "campusdesk", "mailgate"],
        input=raw,
        capture_output=True,
        timeout=60,
        env=subprocess_env(tmp_path, **env),
    )


def test_mailgate_registers_the_problem_and_exits_0(tmp_path, project, customer):
    Mailbox.objects.create(address=mails.GMS, project=project)
    done = mailgate(tmp_path, mails.gb2312())
    assert done.returncode == 0, done.stderr.decode()
    ticket = Ticket.objects.get(title="学位申请模块异常")
    assert ticket.reporter == customer
    assert ticket.number in done.stdout.decode()
    again = mailgate(tmp_path, mails.gb2312())  # a new message: another problem
    assert again.returncode == 0


def test_mailgate_retry_of_the_same_message_is_harmless(tmp_path, project):
    Mailbox.objects.create(address=mails.GMS, project=project)
    raw = mails.plain(message_id="<same-1@mail.xjnu.example>")
    assert mailgate(tmp_path, raw).returncode == 0
    assert mailgate(tmp_path, raw).returncode == 0
    assert Ticket.objects.count() == 1
    assert InboundMessage.objects.count() == 1


def test_mailgate_tells_the_mta_to_retry_when_the_database_is_down(tmp_path, project):
    down = mailgate(tmp_path, mails.plain(), DATABASE_URL="postgres://postgres@127.0.0.1:1/none")
    assert down.returncode == 75, down.stderr.decode()
    assert "temporary failure" in down.stderr.decode()
    assert Ticket.objects.count() == 0


def test_mailgate_refuses_empty_and_oversized_input(tmp_path, project):
    assert mailgate(tmp_path, b"").returncode == 65
    big = mails.plain(body="x" * 3_000_000)
    refused = mailgate(tmp_path, big, MAIL_MAX_MB="1")
    assert refused.returncode == 65
    assert InboundMessage.objects.count() == 0

"""A mailbox's IMAP password at rest: encrypted with a key from SECRET_KEY, write-only in
the admin, and a clear error (not a crash) when SECRET_KEY changed under it."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.db import connection

from campusdesk.core import crypto
from campusdesk.intake import imap, tasks
from campusdesk.intake.models import InboundMessage, Mailbox
from tests.helpers import web_client_for
from tests.intake import mails

pytestmark = pytest.mark.security

MIGRATION = importlib.import_module(
    "campusdesk.intake.migrations.0003_quarantine_and_encrypted_imap_password"
)


def stored_column(box: Mailbox) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT imap_password FROM intake_mailbox WHERE id = %s", [box.pk])
        return str(cursor.fetchone()[0])


def admin_form(**fields: object) -> dict[str, object]:
    return {
        "address": "xg@desk.example",
        "trusted_domains": "",
        "imap_host": "127.0.0.1",
        "imap_port": 993,
        "imap_user": "xg",
        "imap_password": "",
        "imap_folder": "INBOX",
        "is_active": "on",
        **fields,
    }


def test_the_admin_stores_the_password_encrypted_and_never_shows_it(people):
    client = web_client_for(people["admin"])
    added = client.post("/admin/intake/mailbox/add/", admin_form(imap_password="pw-明文-123"))
    assert added.status_code == 302, added.content.decode()[:2000]
    box = Mailbox.objects.get(address="xg@desk.example")
    column = stored_column(box)
    assert "pw-明文-123" not in column and column.startswith(crypto.PREFIX)
    assert box.imap_secret() == "pw-明文-123"

    page = client.get(f"/admin/intake/mailbox/{box.pk}/change/").content.decode()
    assert "pw-明文-123" not in page and column not in page
    assert "已设置（加密保存）" in page
    again = Mailbox()
    again.set_imap_password("pw-明文-123")
    assert again.imap_password != column  # a fresh nonce each time: equal passwords don't show


def test_the_migration_encrypts_passwords_stored_plain_and_back(db):
    box = Mailbox.objects.create(address="old@desk.example", imap_host="imap.example")
    Mailbox.objects.filter(pk=box.pk).update(imap_password="plain-old")  # as 0002 stored it
    MIGRATION.encrypt_passwords(apps, None)
    box.refresh_from_db()
    assert stored_column(box).startswith(crypto.PREFIX) and "plain-old" not in stored_column(box)
    assert box.imap_secret() == "plain-old"
    MIGRATION.encrypt_passwords(apps, None)  # run twice: not encrypted twice
    box.refresh_from_db()
    assert box.imap_secret() == "plain-old"
    MIGRATION.decrypt_passwords(apps, None)
    assert stored_column(box) == "plain-old"


def test_a_changed_secret_key_skips_the_mailbox_with_a_clear_error(people, settings, caplog):
    box = Mailbox(address="xg@desk.example", imap_host="127.0.0.1", imap_user="xg")
    box.set_imap_password("s3cret")
    box.save()
    settings.IMAP_HOST = ""
    old = settings.SECRET_KEY
    settings.SECRET_KEY = "another-secret-key-" + "x" * 40

    assert imap.accounts() == []
    assert tasks._poll_mailboxes() == 0  # no crash, nothing polled
    assert "已保存的密码无法解密" in caplog.text and "xg@desk.example" in caplog.text
    page = web_client_for(people["admin"]).get(f"/admin/intake/mailbox/{box.pk}/change/")
    said = "已保存的密码无法解密：保存后 SECRET_KEY 已更改。请重新输入密码。"
    assert said in page.content.decode()

    settings.SECRET_KEY_FALLBACKS = [old]  # rotated the Django way: still readable
    assert [a.password for a in imap.accounts()] == ["s3cret"]


def test_a_mailbox_saved_through_the_admin_logs_in_to_dovecot(
    imap_server, people, project, settings
):
    settings.IMAP_HOST = ""
    account = imap_server.account()
    form = admin_form(
        address=mails.GMS,
        project=project.pk,
        imap_host=account.host,
        imap_port=account.port,
        imap_user=account.user,
        imap_password=account.password,
    )
    added = web_client_for(people["admin"]).post("/admin/intake/mailbox/add/", form)
    assert added.status_code == 302
    assert account.password not in stored_column(Mailbox.objects.get(address=mails.GMS))
    account.deliver(mails.plain())
    assert tasks._poll_mailboxes() == 1
    assert InboundMessage.objects.get().outcome == InboundMessage.Outcome.TICKET


@pytest.mark.parametrize("stored", ["plain-by-hand", "fernet:not-a-token"])
def test_a_password_that_cannot_be_read_raises_the_clear_error(db, stored):
    box = Mailbox(address="x@desk.example", imap_password=stored)
    with pytest.raises(crypto.SecretUnreadable):
        box.imap_secret()

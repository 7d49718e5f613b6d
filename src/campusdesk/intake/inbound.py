"""E-mail in (seed §5, R-IN-3): every received message becomes a problem, a comment, a
review item, or is ignored — and is kept whole either way.

``mail_receive`` is the one unit that the MTA pipe (``campusdesk mailgate``) and the
IMAP poller both call:

1. A message already received (same ``Message-ID``) is not processed again: the MTA may
   retry, two pollers may race; the unique key decides.
2. Auto-replies, bounces, list mail and our own notifications are ignored (RFC 3834
   ``Auto-Submitted``, ``Precedence``, delivery reports, our Message-ID domain): an
   out-of-office answer must never open a problem or start a mail loop.
3. A reply — ``In-Reply-To``/``References`` naming one of our ticket threads, or
   ``[#2026-00012]`` in the subject — becomes a comment on that problem (quoted text
   trimmed) and never a new problem.
4. A message from a known, trusted sender opens a problem in the project of the address
   it was sent to, or in the sender's only project.
5. Everything else — unknown senders, senders outside the trusted domains or failing
   SPF/DKIM/DMARC at our server, replies that may not be added — waits in the review
   queue, where an agent registers it for a customer, adds it to a problem, or discards
   it. Nothing reaches a customer's problem unreviewed.
6. A message that cannot be read (beyond the bounds of ``mail.check_bounds``) or whose
   processing fails on its own content is quarantined, kept whole with the reason: the
   MTA and the IMAP poller see it handled, never retry it forever. Only temporary
   conditions (the database or the disk) raise, so that they try again.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime
from email.utils import parseaddr

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.utils.translation import gettext as _

from campusdesk.accounts.models import User
from campusdesk.accounts.roles import Role
from campusdesk.catalog import scoping
from campusdesk.core import clock
from campusdesk.core.errors import DomainError, NotFound, PermissionDenied, TransitionError
from campusdesk.core.text import one_line
from campusdesk.intake import mail as mailparse
from campusdesk.intake.models import InboundMessage, Mailbox
from campusdesk.notify.channels.email.ids import mail_domain, thread_of
from campusdesk.tickets import services as tickets
from campusdesk.tickets.models import Channel, Ticket

log = logging.getLogger(__name__)
Outcome = InboundMessage.Outcome
#: Failures that are not the message's fault: the MTA or the poller tries again later.
TEMPORARY = (OperationalError, InterfaceError, OSError)


def _our_ids() -> re.Pattern[str]:
    """Our notifications' Message-IDs: a delivery key (32 hex digits) at our domain."""
    return re.compile(rf"^<[0-9a-f]{{32}}@{re.escape(mail_domain())}>$")


# --- where a message goes -----------------------------------------------------------
def _is_ours(mail: mailparse.Mail) -> bool:
    """Sent by us: our sender address, or one of our Message-IDs (a notification that a
    mailing list or a forwarding rule sent back without its Auto-Submitted header)."""
    own = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].lower()
    return mail.sender == own or bool(_our_ids().match(mail.key.lower()))


def mailbox_for(recipients: list[str]) -> Mailbox | None:
    """The mailbox of the first of our addresses the message was sent to, else the default."""
    boxes = {b.address.lower(): b for b in Mailbox.objects.filter(is_active=True)}
    for address in recipients:
        if address in boxes:
            return boxes[address]
    return next((b for b in boxes.values() if b.project_id is None), None)


def _sender(mail: mailparse.Mail) -> User | None:
    found = User.objects.filter(email__iexact=mail.sender, is_active=True)
    users = list(found.select_related("organisation")[:2])
    return users[0] if len(users) == 1 else None


def _trusted(mail: mailparse.Mail, user: User, mailbox: Mailbox | None) -> bool:
    """The trust rule: our server found no forgery, and the sender's domain is on the list
    of the mailbox, else of the sender's organisation, else of ``MAIL_TRUSTED_DOMAINS``."""
    if mail.authentication_failed:
        return False
    domains = mailbox.domains() if mailbox else []
    if not domains and user.organisation is not None:
        domains = [d.strip().lower() for d in user.organisation.email_domains.split(",")]
        domains = [d for d in domains if d]
    if not domains:
        domains = [d.lower() for d in settings.MAIL_TRUSTED_DOMAINS]
    if not domains:
        return True
    return any(mail.domain == d or mail.domain.endswith(f".{d}") for d in domains)


def _replied_ticket(mail: mailparse.Mail) -> Ticket | None:
    thread = thread_of(mail.references) if mail.references else None
    if thread and thread.startswith("ticket-") and thread[7:].isdigit():
        ticket = Ticket.objects.filter(pk=int(thread[7:])).first()
        if ticket:
            return ticket
    number = mail.ticket_number
    return Ticket.objects.filter(number=number).first() if number else None


# --- the unit -------------------------------------------------------------------------
def mail_receive(
    *, raw: bytes, mailbox: Mailbox | None = None, now: datetime | None = None
) -> InboundMessage:
    """Receive one message (idempotent by Message-ID, else by digest). Raises only on
    temporary failures; a message that cannot be read or processed is quarantined."""
    now = now or clock.now()
    try:
        mail = mailparse.parse(raw, authserv_id=settings.MAIL_AUTHSERV_ID)
    except Exception as exc:  # parsing touches no database: the content is the cause
        return _quarantine(
            raw, key=mailparse.digest_key(raw), mailbox=mailbox, now=now, reason=_why(exc)
        )
    existing = InboundMessage.objects.filter(key=mail.key).first()
    if existing:
        return existing
    mailbox = mailbox or mailbox_for(mail.recipients)
    record = InboundMessage(key=mail.key, mailbox=mailbox, outcome=Outcome.REVIEW, received_at=now)
    _fill(record, mail)
    record.raw.save("message.eml", ContentFile(raw), save=False)
    try:
        with transaction.atomic():
            record.save()
            _dispatch(record, mail, now)
    except IntegrityError:  # another worker took the same message first
        record.raw.delete(save=False)
        found = InboundMessage.objects.filter(key=mail.key).first()
        if found is None:
            raise
        return found
    except TEMPORARY:
        record.raw.delete(save=False)
        raise
    except Exception as exc:  # a limit or a bug met by this message's content
        return _quarantine(
            raw, key=mail.key, mailbox=mailbox, now=now, reason=_why(exc), stored=record.raw.name
        )
    return record


def _fill(record: InboundMessage, mail: mailparse.Mail) -> None:
    record.sender, record.sender_name = mail.sender[:254], mail.sender_name
    record.recipients, record.subject = mail.recipients, mail.subject
    record.body, record.html = mail.text, mail.html
    record.attachment_names = [p.name for p in mail.attachments]
    record.user = _sender(mail)


def _why(exc: Exception) -> str:
    if isinstance(exc, mailparse.Unreadable):
        return str(exc)
    log.warning("e-mail quarantined", exc_info=exc)
    return mailparse.clean(
        _("Could not be processed: %(error)s") % {"error": f"{type(exc).__name__}: {exc}"}
    )[:300]


def _quarantine(
    raw: bytes, *, key: str, mailbox: Mailbox | None, now: datetime, reason: str, stored: str = ""
) -> InboundMessage:
    """Keep a message that cannot be processed, whole, with the reason (``stored``: the
    name its original was already saved under)."""
    existing = InboundMessage.objects.filter(key=key).first()
    if existing:  # received before, or committed before a later step failed
        return existing
    sender, name, subject = mailparse.glimpse(raw)
    record = InboundMessage(
        key=key,
        mailbox=mailbox,
        sender=sender,
        sender_name=name,
        subject=subject,
        outcome=Outcome.QUARANTINED,
        reason=reason[:300],
        received_at=now,
    )
    if stored:
        record.raw.name = stored
    else:
        record.raw.save("message.eml", ContentFile(raw), save=False)
    try:
        with transaction.atomic():
            record.save()
    except IntegrityError:
        record.raw.delete(save=False)
        found = InboundMessage.objects.filter(key=key).first()
        if found is None:
            raise
        return found
    except Exception:
        record.raw.delete(save=False)
        raise
    log.info("e-mail %s quarantined: %s", key, reason)
    return record


def _dispatch(record: InboundMessage, mail: mailparse.Mail, now: datetime) -> None:
    if mail.automatic or _is_ours(mail):
        _finish(record, Outcome.IGNORED, mail.automatic or "our own message")
        return
    user = record.user
    target = _replied_ticket(mail)
    if user is None:
        _finish(record, Outcome.REVIEW, _("Unknown sender."), ticket=target)
        return
    if not _trusted(mail, user, record.mailbox or _project_mailbox(target)):
        _finish(record, Outcome.REVIEW, _("The sender failed the trust rule."), ticket=target)
        return
    try:
        with transaction.atomic():
            if target is not None:
                _comment(record, mail, user, target, now)
            else:
                _register(record, mail, user, now)
    except DomainError as exc:
        _finish(record, Outcome.REVIEW, str(exc), ticket=target)


def _project_mailbox(ticket: Ticket | None) -> Mailbox | None:
    if ticket is None:
        return None
    return Mailbox.objects.filter(project_id=ticket.project_id, is_active=True).first()


def _finish(
    record: InboundMessage, outcome: str, reason: str = "", *, ticket: Ticket | None = None
) -> None:
    record.outcome = outcome
    record.reason = reason[:300]
    record.ticket = ticket
    record.save(update_fields=["outcome", "reason", "ticket"])


def _comment(
    record: InboundMessage, mail: mailparse.Mail, user: User, ticket: Ticket, now: datetime
) -> None:
    body = mailparse.trim_quote(mail.text) or mail.subject or _("(empty message)")
    tickets.ticket_add_record(
        ticket_id=ticket.pk, actor=user, body=body, channel=Channel.EMAIL, now=now
    )
    _finish(record, Outcome.COMMENT, _attach(ticket, user, mail.attachments, now), ticket=ticket)


def _project_of(record: InboundMessage, user: User) -> int:
    projects = scoping.visible_projects(user).filter(is_active=True)
    if record.mailbox and record.mailbox.project_id:
        if not projects.filter(pk=record.mailbox.project_id).exists():
            raise PermissionDenied(_("The sender is not a user of this mailbox's project."))
        return record.mailbox.project_id
    ids = list(projects.values_list("pk", flat=True)[:2])
    if len(ids) != 1:
        raise TransitionError(_("The sender has several projects; an agent chooses one."))
    return ids[0]


def _register(record: InboundMessage, mail: mailparse.Mail, user: User, now: datetime) -> None:
    if user.role != Role.CUSTOMER:
        raise PermissionDenied(_("Staff register problems for a customer: review it."))
    project_id = _project_of(record, user)
    ticket, note = _ticket_from(mail, actor=user, project_id=project_id, reporter_id=None, now=now)
    _finish(record, Outcome.TICKET, note, ticket=ticket)


def _ticket_from(
    mail: mailparse.Mail,
    *,
    actor: User,
    project_id: int | None,
    reporter_id: int | None,
    now: datetime,
) -> tuple[Ticket, str]:
    """A problem registered from ``mail`` (sender's own or by an agent for ``reporter_id``),
    with its attachments; the note naming those refused."""
    ticket = tickets.ticket_register(
        actor=actor,
        project_id=project_id,
        product_id=None,
        title=_title(mail),
        description=_description(mail),
        urgency=settings.MAIL_URGENCY,
        service_type=settings.MAIL_SERVICE_TYPE,
        channel=Channel.EMAIL,
        reporter_id=reporter_id,
        now=now,
    )
    return ticket, _attach(ticket, actor, mail.attachments, now)


def _title(mail: mailparse.Mail) -> str:
    return (one_line(mail.subject) or _("(no subject)"))[:200]  # a title is one line


def _description(mail: mailparse.Mail) -> str:
    return (mail.text or mail.subject or _("(empty message)"))[:20000]


def _attach(ticket: Ticket, actor: User, parts: list[mailparse.Part], now: datetime) -> str:
    """Attach the files the allow-list accepts; a note naming those it refused (or "")."""
    skipped: list[str] = []
    for part in parts:
        upload = SimpleUploadedFile(part.name, part.content, part.content_type)
        try:
            with transaction.atomic():
                tickets.attachment_add(
                    ticket_id=ticket.pk, actor=actor, upload=upload, channel=Channel.EMAIL, now=now
                )
        except DomainError:
            skipped.append(part.name)
    if not skipped:
        return ""
    return _("Attachments not accepted (kept in the original message): %(names)s") % {
        "names": ", ".join(skipped)
    }


# --- the review queue -------------------------------------------------------------------
def may_review(user: User) -> bool:
    return user.is_vendor_staff and user.role in {Role.AGENT, Role.OPS, Role.ADMIN}


def _lock_for_review(
    message_id: int, actor: User, outcomes: tuple[str, ...] = (Outcome.REVIEW,)
) -> InboundMessage:
    if not may_review(actor):
        raise PermissionDenied(_("Only the service desk reviews received e-mail."))
    record = InboundMessage.objects.select_for_update().filter(pk=message_id).first()
    if record is None:
        raise NotFound(_("No such e-mail."))
    if record.outcome not in outcomes:
        raise TransitionError(_("This e-mail has already been dealt with."))
    return record


def _reparse(record: InboundMessage) -> mailparse.Mail:
    try:
        with record.raw.open("rb") as handle:
            raw = handle.read()
    except (FileNotFoundError, ValueError) as exc:
        # The stored original is gone (restored without media, removed by hand): nothing to
        # process again, and no point retrying later either.
        raise TransitionError(
            _("The original message is no longer stored, so it cannot be processed again.")
        ) from exc
    return mailparse.parse(raw, authserv_id=settings.MAIL_AUTHSERV_ID)


def _reviewed(
    record: InboundMessage, actor: User, outcome: str, now: datetime, **kw: object
) -> None:
    record.outcome = outcome
    record.reviewed_by = actor
    record.reviewed_at = now
    for name, value in kw.items():
        setattr(record, name, value)
    record.save()


@transaction.atomic
def mail_register(
    *,
    message_id: int,
    actor: User,
    reporter_id: int | None,
    project_id: int | None,
    now: datetime | None = None,
) -> Ticket:
    """An agent registers a reviewed e-mail as a problem of a customer user."""
    now = now or clock.now()
    record = _lock_for_review(message_id, actor)
    mail = _reparse(record)
    ticket, note = _ticket_from(
        mail, actor=actor, project_id=project_id, reporter_id=reporter_id, now=now
    )
    _reviewed(record, actor, Outcome.TICKET, now, ticket=ticket, reason=note)
    return ticket


@transaction.atomic
def mail_append(
    *, message_id: int, actor: User, ticket_number: str, now: datetime | None = None
) -> Ticket:
    """An agent adds a reviewed e-mail to a problem, as a record naming its sender."""
    now = now or clock.now()
    record = _lock_for_review(message_id, actor)
    ticket = Ticket.objects.filter(number=(ticket_number or "").strip()).first()
    if ticket is None:
        raise NotFound(_("No problem has this number."))
    mail = _reparse(record)
    header = _("E-mail from %(sender)s: %(subject)s") % {
        "sender": record.sender,
        "subject": record.subject,
    }
    tickets.ticket_add_record(
        ticket_id=ticket.pk,
        actor=actor,
        body=f"{header}\n\n{mailparse.trim_quote(mail.text)}",
        channel=Channel.EMAIL,
        now=now,
    )
    note = _attach(ticket, actor, mail.attachments, now)
    _reviewed(record, actor, Outcome.COMMENT, now, ticket=ticket, reason=note)
    return ticket


@transaction.atomic
def mail_discard(
    *, message_id: int, actor: User, reason: str, now: datetime | None = None
) -> InboundMessage:
    """An agent discards a reviewed or quarantined e-mail (spam, forged, not for us); it
    stays on record."""
    now = now or clock.now()
    record = _lock_for_review(message_id, actor, (Outcome.REVIEW, Outcome.QUARANTINED))
    reason = tickets.clean_text(reason, "reason", limit=300)
    _reviewed(record, actor, Outcome.DISCARDED, now, reason=reason)
    return record


@transaction.atomic
def mail_retry(*, message_id: int, actor: User, now: datetime | None = None) -> InboundMessage:
    """An agent processes a quarantined e-mail again (after an upgrade, say): it goes where
    a newly received one would; one that still fails stays quarantined with the new reason."""
    now = now or clock.now()
    record = _lock_for_review(message_id, actor, (Outcome.QUARANTINED,))
    try:
        with transaction.atomic():
            mail = _reparse(record)
            _fill(record, mail)
            record.save()
            _dispatch(record, mail, now)
    except TEMPORARY:
        raise
    except Exception as exc:
        record.refresh_from_db()
        record.reason = _why(exc)
    _reviewed(record, actor, record.outcome, now)
    return record

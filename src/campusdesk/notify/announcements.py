"""Announcements: product alerts, notices, bulletins, documents and white papers (seed §5).

Each reaches the customer users of the organisations that have a project for one of
its products (or only the organisations named), through the same inbox and outbox as
every other message, and stays in their document library.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from campusdesk.accounts.models import Organisation, User
from campusdesk.accounts.roles import Role
from campusdesk.catalog.models import Product, Project
from campusdesk.core import bulk, clock
from campusdesk.core.errors import PermissionDenied, ValidationError
from campusdesk.notify.channels.email.message import text as email_text
from campusdesk.notify.inbox import channels_for
from campusdesk.notify.models import Announcement, Delivery, Kind, Notification, Preference
from campusdesk.notify.outbox import new_delivery, queue_deliveries
from campusdesk.tickets.attachments import validate_upload

PUBLISHERS = frozenset({Role.EXPERT2, Role.EXPERT3, Role.OPS, Role.MANAGER, Role.HQ, Role.ADMIN})


def audience(announcement: Announcement) -> QuerySet[Organisation]:
    products = announcement.products.all()
    orgs = Organisation.objects.filter(
        id__in=Project.objects.filter(product__in=products, is_active=True).values("organisation")
    )
    named = announcement.organisations.all()
    return orgs.filter(id__in=named.values("id")) if named.exists() else orgs


def visible(user: User) -> QuerySet[Announcement]:
    """A customer sees what was sent to their organisation; vendor staff see everything."""
    if user.is_vendor_staff:
        return Announcement.objects.all()
    if user.organisation_id is None:
        return Announcement.objects.none()
    products = Project.objects.filter(organisation_id=user.organisation_id).values("product")
    mine = Q(products__in=products) & (
        Q(organisations__isnull=True) | Q(organisations=user.organisation_id)
    )
    return Announcement.objects.filter(mine).distinct()


@transaction.atomic
def announcement_publish(
    *,
    actor: User,
    category: str,
    title: str,
    body: str,
    products: Iterable[Product],
    organisations: Iterable[Organisation] = (),
    attachment: UploadedFile | None = None,
    now: datetime | None = None,
) -> Announcement:
    """Publish, and notify every customer user it concerns (inbox and e-mail)."""
    now = now or clock.now()
    if actor.role not in PUBLISHERS:
        raise PermissionDenied(
            _("Only the vendor's experts, operations and HQ publish announcements.")
        )
    products = list(products)
    if not products:
        raise ValidationError(fields={"products": [_("Choose at least one product.")]})
    if category not in Announcement.Category.values:
        raise ValidationError(fields={"category": [_("Choose one of the offered values.")]})
    if not title.strip() or not body.strip():
        raise ValidationError(fields={"title": [_("This field is required.")]})
    announcement = Announcement.objects.create(
        category=category,
        title=title.strip()[:200],
        body=body.strip(),
        published_by=actor,
        published_at=now,
    )
    announcement.products.set(products)
    announcement.organisations.set(list(organisations))
    if attachment is not None:
        name, _type = validate_upload(attachment)
        announcement.attachment.save(name, attachment, save=False)
        announcement.attachment_name = name
        announcement.save(update_fields=["attachment", "attachment_name"])
    _notify(announcement, now)
    return announcement


def _notify(announcement: Announcement, now: datetime) -> None:
    """Inbox rows and e-mails for every reader, as each chose: one query for each kind."""
    readers = list(
        User.objects.filter(
            role=Role.CUSTOMER, is_active=True, organisation__in=audience(announcement)
        )
    )
    prefs = {
        (p.user_id, p.kind): p
        for p in Preference.objects.filter(kind=Kind.ANNOUNCEMENT, user__in=readers)
    }
    path = f"/announcements/{announcement.pk}/"
    url = f"{settings.SITE_URL}{path}"
    title = f"[{announcement.get_category_display()}] {announcement.title}"
    payload = {"subject": title, "text": email_text(body=announcement.body, url=url), "url": url}
    notes: list[Notification] = []
    mails: list[Delivery] = []
    for reader in readers:
        channels = channels_for(reader, Kind.ANNOUNCEMENT, prefs, critical=False)
        if "inbox" in channels:
            notes.append(
                bulk.new(
                    Notification,
                    recipient_id=reader.pk,
                    kind=Kind.ANNOUNCEMENT,
                    title=title,
                    body=announcement.body,
                    url=path,
                    created_at=now,
                )
            )
        if "email" in channels and reader.email:
            address = reader.email
            mails.append(
                new_delivery("email", address, Kind.ANNOUNCEMENT, payload, now, recipient=reader)
            )
    bulk.insert(notes)
    queue_deliveries(mails, now)

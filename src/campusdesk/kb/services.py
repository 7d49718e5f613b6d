"""Writes of the case library: drafts, reviews, publication, versions, retrospectives."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils.translation import gettext as _

from campusdesk.accounts.models import User
from campusdesk.accounts.roles import Role
from campusdesk.catalog import scoping
from campusdesk.catalog.models import Product, ProductExpert
from campusdesk.core import clock
from campusdesk.core.errors import NotFound, PermissionDenied, TransitionError, ValidationError
from campusdesk.kb import search
from campusdesk.kb.models import Article, ArticleVersion, Retrospective, SuggestionOpen
from campusdesk.tickets.attachments import validate_upload
from campusdesk.tickets.models import Ticket, TicketEvent

EDITABLE = (
    "title",
    "symptoms",
    "cause",
    "solution",
    "tags",
    "visibility",
    "versions_from",
    "versions_to",
)


def is_expert_of(user: User, product_id: int) -> bool:
    """The product's experts maintain its cases (seed §7.2.3); HQ and administrators too."""
    if user.role in (Role.HQ, Role.ADMIN) or user.is_superuser:
        return True
    return ProductExpert.objects.filter(user=user, product_id=product_id).exists()


def _clean(fields: dict[str, Any]) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    for name in EDITABLE:
        if name not in fields:
            continue
        value = fields[name]
        if name == "tags":
            value = sorted({str(t).strip()[:30] for t in (value or []) if str(t).strip()})[:20]
        elif name == "visibility":
            if value not in Article.Visibility.values:
                raise ValidationError(fields={name: [_("Choose one of the offered values.")]})
        else:
            value = str(value or "").strip()
        cleaned[name] = value
    for required in ("title", "symptoms", "solution"):
        if required in cleaned and not cleaned[required]:
            raise ValidationError(fields={required: [_("This field is required.")]})
    return cleaned


def _snapshot(article: Article, actor: User, now: datetime, note: str = "") -> None:
    ArticleVersion.objects.create(
        article=article,
        number=article.version,
        title=article.title,
        symptoms=article.symptoms,
        cause=article.cause,
        solution=article.solution,
        tags=article.tags,
        edited_by=actor,
        edited_at=now,
        note=note[:200],
    )


@transaction.atomic
def article_create(
    *,
    actor: User,
    product_id: int | None,
    fields: dict[str, Any],
    source_ticket: Ticket | None = None,
    now: datetime | None = None,
) -> Article:
    """A draft case; any vendor staff may write one, the product's experts publish it."""
    now = now or clock.now()
    if not actor.is_vendor_staff:
        raise PermissionDenied(_("Cases are written by the vendor's staff."))
    product = scoping.visible_products(actor).filter(pk=product_id).first() if product_id else None
    if product is None:
        raise ValidationError(fields={"product": [_("Choose one of your products.")]})
    data = _clean({"title": "", "symptoms": "", "solution": "", **fields})
    article = Article.objects.create(
        product=product,
        author=actor,
        source_ticket=source_ticket,
        created_at=now,
        updated_at=now,
        **data,
    )
    _snapshot(article, actor, now, _("created"))
    search.index_article(article)
    return article


def _article_for(article_id: int, actor: User) -> Article:
    article: Article | None = (
        visible_articles(actor).select_for_update().filter(pk=article_id).first()
    )
    if article is None:
        raise NotFound()
    return article


def may_edit(user: User, article: Article) -> bool:
    """The author or an expert of the case's product edits it (customers never)."""
    if not user.is_vendor_staff:
        return False
    return user.pk == article.author_id or is_expert_of(user, article.product_id)


def edit_needs_review(user: User, article: Article) -> bool:
    """An edit of a published case by someone who is not an expert of its product goes back
    to review: the product's experts approve what customers read (seed §7.2.3)."""
    return article.status == Article.Status.PUBLISHED and not is_expert_of(user, article.product_id)


@transaction.atomic
def article_update(
    *,
    article_id: int,
    actor: User,
    fields: dict[str, Any],
    product_id: int | None = None,
    upload: UploadedFile | None = None,
    note: str = "",
    now: datetime | None = None,
) -> Article:
    """Edit a case: a new version, the old one kept; an edit that changes nothing keeps none.

    The author or an expert of the product edits. A published case edited by someone who is
    not an expert of its product (of both products, when it moves) goes back to review: its
    status becomes ``review`` and customers no longer see it until an expert publishes it
    again. An expert's edit stays published."""
    now = now or clock.now()
    article = _article_for(article_id, actor)
    if not may_edit(actor, article):
        raise PermissionDenied(_("The author or the product's experts edit a case."))
    review = edit_needs_review(actor, article)
    changed = {k: v for k, v in _clean(fields).items() if getattr(article, k) != v}
    if product_id is not None and product_id != article.product_id:
        article.product = _product_of(actor, product_id)
        review = review or edit_needs_review(actor, article)
    elif not changed and upload is None:
        return article
    for name, value in changed.items():
        setattr(article, name, value)
    if upload is not None:
        _store(article, upload)
    if review:
        article.status = Article.Status.REVIEW
    article.version += 1
    article.updated_at = now
    article.save()
    _snapshot(article, actor, now, note or (_("edited, to be reviewed") if review else ""))
    search.index_article(article)
    return article


def _product_of(actor: User, product_id: int) -> Product:
    product = scoping.visible_products(actor).filter(pk=product_id).first()
    if product is None:
        raise ValidationError(fields={"product": [_("Choose one of your products.")]})
    return product


def _store(article: Article, upload: UploadedFile) -> None:
    """The case's one file (a screenshot, a script, a document): a new one replaces it."""
    name, _type = validate_upload(upload)
    if article.attachment:
        article.attachment.delete(save=False)
    article.attachment.save(name, upload, save=False)
    article.attachment_name = name


@transaction.atomic
def article_attach(*, article_id: int, actor: User, upload: UploadedFile) -> Article:
    """Attach a screenshot, a script or a document to a case (one file; a new one replaces it)."""
    article = _article_for(article_id, actor)
    if not may_edit(actor, article):
        raise PermissionDenied(_("The author or the product's experts edit a case."))
    _store(article, upload)
    article.save(update_fields=["attachment", "attachment_name"])
    return article


@transaction.atomic
def article_set_status(
    *, article_id: int, actor: User, status: str, now: datetime | None = None
) -> Article:
    """draft → review (the author) → published (an expert of the product); or archived."""
    now = now or clock.now()
    article = _article_for(article_id, actor)
    allowed: dict[str, tuple[str, ...]] = {
        Article.Status.REVIEW: (Article.Status.DRAFT,),
        Article.Status.PUBLISHED: (Article.Status.DRAFT, Article.Status.REVIEW),
        Article.Status.ARCHIVED: (
            Article.Status.PUBLISHED,
            Article.Status.DRAFT,
            Article.Status.REVIEW,
        ),
        Article.Status.DRAFT: (Article.Status.REVIEW, Article.Status.ARCHIVED),
    }
    if status not in allowed or article.status not in allowed[status]:
        raise TransitionError(_("This case cannot move to that status now."))
    expert_needed = status in (Article.Status.PUBLISHED, Article.Status.ARCHIVED)
    if expert_needed and not is_expert_of(actor, article.product_id):
        raise PermissionDenied(_("Only the product's experts publish or archive its cases."))
    if (
        not expert_needed
        and actor.pk != article.author_id
        and not is_expert_of(actor, article.product_id)
    ):
        raise PermissionDenied()
    article.status = status
    article.updated_at = now
    if status == Article.Status.PUBLISHED:
        article.published_at, article.reviewer = now, actor
    article.save()
    return article


def visible_articles(user: User) -> QuerySet[Article]:
    """Customers: published public cases of their products; vendor staff: every case."""
    articles = Article.objects.all()
    if user.is_vendor_staff:
        return articles
    return articles.filter(
        status=Article.Status.PUBLISHED,
        visibility=Article.Visibility.PUBLIC,
        product__in=scoping.visible_products(user),
    )


@transaction.atomic
def article_from_ticket(*, ticket_id: int, actor: User, now: datetime | None = None) -> Article:
    """A closed problem becomes a draft case: its description, investigation and solution."""
    ticket = scoping.scope(Ticket.objects.all(), actor, "project").filter(pk=ticket_id).first()
    if ticket is None:
        raise NotFound()
    if ticket.status != "closed":
        raise TransitionError(_("Only closed problems become cases."))
    records = ticket.events.filter(action="record", data__kind="investigation", internal=False)
    investigation = "\n\n".join(str(e.data.get("body", "")) for e in records.order_by("at"))
    fields = {
        "title": ticket.title,
        "symptoms": "\n\n".join(p for p in (ticket.description, ticket.environment) if p),
        "cause": investigation,
        "solution": ticket.solution or _("(to be written)"),
        "tags": _retro_tags(ticket),
        "visibility": Article.Visibility.PUBLIC,
    }
    return article_create(
        actor=actor, product_id=ticket.product_id, fields=fields, source_ticket=ticket, now=now
    )


def _retro_tags(ticket: Ticket) -> list[str]:
    retro = Retrospective.objects.filter(ticket=ticket).first()
    return list(retro.tags) if retro else []


# --- retrospectives ------------------------------------------------------------------------------
def retrospective_due(severity: str, rating: int | None) -> tuple[bool, str]:
    """Whether a closed problem's retrospective is due (SIS1, low ratings), and why; the
    others are offered. Shared with the bench's data generator, which writes them in bulk."""
    if severity in settings.RETRO_SEVERITIES:
        return True, severity
    if rating is not None and rating <= settings.RETRO_MAX_RATING:
        return True, f"rating {rating}"
    return False, ""


def on_ticket_events(events: list[TicketEvent]) -> None:
    """kb's subscriber to ticket events (in their transaction): registration and closure."""
    for event in events:
        if event.action == "register":
            on_ticket_registered(event.ticket, event.at)
        elif event.action == "close":
            on_ticket_closed(event.ticket, event.at)


def on_ticket_closed(ticket: Ticket, now: datetime) -> Retrospective:
    """After closure: a retrospective is due for SIS1 and for low ratings, offered otherwise."""
    due, reason = retrospective_due(ticket.severity, ticket.rating)
    retro, _created = Retrospective.objects.get_or_create(
        ticket=ticket,
        defaults={
            "status": Retrospective.Status.DUE if due else Retrospective.Status.OFFERED,
            "reason": reason,
            "created_at": now,
        },
    )
    return retro


def visible_retrospectives(user: User) -> QuerySet[Retrospective]:
    """The retrospectives of the problems ``user`` sees."""
    return scoping.scope(Retrospective.objects.all(), user, "ticket__project")


@transaction.atomic
def retrospective_record(
    *,
    ticket_id: int,
    actor: User,
    findings: str,
    root_cause: str,
    tags: Iterable[str],
    case_needed: bool,
    now: datetime | None = None,
) -> Retrospective:
    """An expert records the retrospective: findings, root cause, tags, and whether a case."""
    now = now or clock.now()
    retro = (
        Retrospective.objects.select_for_update()
        .select_related("ticket")
        .filter(ticket_id=ticket_id)
        .first()
    )
    visible = scoping.scope(Ticket.objects.filter(pk=ticket_id), actor, "project").exists()
    if retro is None or not visible:
        raise NotFound()
    if not is_expert_of(actor, retro.ticket.product_id):
        raise PermissionDenied(_("The product's experts hold the retrospective."))
    if root_cause not in Retrospective.RootCause.values:
        raise ValidationError(fields={"root_cause": [_("Choose one of the offered values.")]})
    if not findings.strip():
        raise ValidationError(fields={"findings": [_("This field is required.")]})
    retro.findings, retro.root_cause = findings.strip(), root_cause
    retro.tags = _clean({"tags": list(tags)})["tags"]
    retro.case_needed, retro.expert = case_needed, actor
    retro.status, retro.done_at = Retrospective.Status.DONE, now
    retro.save()
    return retro


# --- suggestions while registering ------------------------------------------------------------
def suggestion_opened(*, user: User, article: Article, now: datetime | None = None) -> None:
    SuggestionOpen.objects.create(article=article, user=user, opened_at=now or clock.now())
    Article.objects.filter(pk=article.pk).update(views=F("views") + 1)


def suggestion_solved(*, user: User, article: Article, now: datetime | None = None) -> None:
    """ "This solved my problem": a problem the library solved before it was registered."""
    now = now or clock.now()
    opened = SuggestionOpen.objects.filter(user=user, article=article).order_by("-opened_at")
    first = opened.first()
    if first is None:
        SuggestionOpen.objects.create(article=article, user=user, opened_at=now, solved=True)
    else:
        SuggestionOpen.objects.filter(pk=first.pk).update(solved=True)
    Article.objects.filter(pk=article.pk).update(solved_count=F("solved_count") + 1)


def on_ticket_registered(ticket: Ticket, now: datetime) -> None:
    """Cases the reporter opened in the last hour did not solve the problem after all."""
    SuggestionOpen.objects.filter(
        user_id=ticket.reporter_id, opened_at__gte=now - timedelta(hours=1), solved=False
    ).update(registered_anyway=True)

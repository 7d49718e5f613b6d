"""The duty roster's reads and writes: who is on duty now, the uncovered minutes of the coming
days, shifts and their hand-over notes, swaps, and the night-time alarm to the person on duty.

The 5×8 service centre answers in the business hours of the project's working calendar;
the 7×24 duty line answers the rest: nights, weekends and statutory holidays in full, but
not the hours of a 调休 make-up working Saturday, when the centre works. A roster covers a
project when every minute outside its business hours has a shift.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.urls import reverse
from django.utils import translation
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from campusdesk.accounts.models import User
from campusdesk.accounts.roles import Role
from campusdesk.catalog import scoping
from campusdesk.catalog.contacts import Contact
from campusdesk.catalog.models import Project
from campusdesk.core import clock
from campusdesk.core.errors import NotFound, PermissionDenied, ValidationError
from campusdesk.duty.models import Shift, Swap
from campusdesk.notify import inbox
from campusdesk.notify.models import Kind as MessageKind
from campusdesk.sla import calendars
from campusdesk.sla.deadlines import provisional_severity
from campusdesk.sla.worktime import WorkCalendar
from campusdesk.tickets.models import Channel
from campusdesk.tickets.workflow import Action

if TYPE_CHECKING:
    from campusdesk.tickets.models import TicketEvent

#: who plans the roster (besides a project's own service manager)
PLANNERS = frozenset({Role.OPS, Role.MANAGER, Role.SUPERVISOR, Role.ADMIN})
#: the longest shift one person may be given
MAX_SHIFT = timedelta(days=7)
#: how far ahead the roster check looks
CHECK_DAYS = 30

Span = tuple[datetime, datetime]


# --- reading ---------------------------------------------------------------------------------
def on_duty(project_id: int, at: datetime | None = None) -> Shift | None:
    """The shift on duty for the project at ``at``: one query (the latest started wins)."""
    at = at or clock.now()
    return (
        Shift.objects.filter(starts_at__lte=at, ends_at__gt=at)
        .filter(Q(projects=project_id) | Q(projects__isnull=True))
        .select_related("user")
        .order_by("-starts_at", "-pk")
        .first()
    )


def on_duty_each(project_ids: Sequence[int], at: datetime | None = None) -> dict[int, Shift]:
    """``on_duty`` for many projects in one query: the shift of each project someone is on
    duty for at ``at`` (the latest started wins, as there)."""
    at = at or clock.now()
    wanted = list(project_ids)
    if not wanted:
        return {}
    shifts = (
        Shift.objects.filter(starts_at__lte=at, ends_at__gt=at)
        .filter(Q(projects__in=wanted) | Q(projects__isnull=True))
        .annotate(for_project=F("projects"))  # the row of each project it covers
        .select_related("user")
        .order_by("-starts_at", "-pk")
    )
    found: dict[int, Shift] = {}
    for shift in shifts:
        covered = wanted if shift.for_project is None else [shift.for_project]
        for project_id in covered:
            found.setdefault(project_id, shift)
    return found


def answering_now(project_ids: Sequence[int], at: datetime) -> dict[int, list[Contact]]:
    """The engineer on duty for each project, and their number, as customers see it (the
    home page's contacts, the foot of e-mails: ``catalog.contacts``)."""
    return {
        project_id: [Contact(_("Engineer on duty"), str(shift.user), shift.user.phone)]
        for project_id, shift in on_duty_each(project_ids, at).items()
    }


def registration_note(user: User, _user: Any) -> dict[str, Any]:
    """Beside the registration form, for the vendor's staff taking a call: who is on duty now
    for each project they serve (and their number); nothing for customers."""
    if not user.is_vendor_staff:
        return {"on_duty": []}
    now = clock.now()
    projects = scoping.visible_projects(user).filter(is_active=True).order_by("pk")[:20]
    found = [(project, on_duty(project.pk, now)) for project in projects]
    return {"on_duty": [(project, shift) for project, shift in found if shift is not None]}


def visible_shifts(user: User) -> QuerySet[Shift]:
    """Vendor staff see the roster of the projects they serve (and the all-project shifts)."""
    if not user.is_vendor_staff:
        return Shift.objects.none()
    projects = scoping.visible_projects(user)
    return Shift.objects.filter(Q(projects__in=projects) | Q(projects__isnull=True)).distinct()


def may_plan(user: User, project: Project | None = None) -> bool:
    if not user.is_authenticated or not user.is_active or not user.is_vendor_staff:
        return False
    if user.role in PLANNERS:
        return True
    return project is not None and project.service_manager_id == user.pk


def required(calendar: WorkCalendar, start: datetime, end: datetime) -> list[Span]:
    """The stretches of [start, end) outside the calendar's business hours, in order."""
    spans: list[Span] = []
    tz = calendar.tz
    day = start.astimezone(tz).date()
    while datetime.combine(day, time(), tzinfo=tz) < end:
        cursor = datetime.combine(day, time(), tzinfo=tz)
        for opens, closes in calendar.intervals(day):
            _add(spans, cursor, datetime.combine(day, opens, tzinfo=tz), start, end)
            cursor = datetime.combine(day, closes, tzinfo=tz)
        _add(
            spans, cursor, datetime.combine(day + timedelta(days=1), time(), tzinfo=tz), start, end
        )
        day += timedelta(days=1)
    return spans


def _add(spans: list[Span], a: datetime, b: datetime, low: datetime, high: datetime) -> None:
    a, b = max(a, low), min(b, high)
    if a >= b:
        return
    if spans and spans[-1][1] >= a:
        spans[-1] = (spans[-1][0], max(spans[-1][1], b))
    else:
        spans.append((a, b))


def _merged(spans: Iterable[Span]) -> list[Span]:
    merged: list[Span] = []
    for a, b in sorted(spans):
        if merged and merged[-1][1] >= a:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def gaps(project: Project, start: datetime, end: datetime) -> list[Span]:
    """Every uncovered stretch of [start, end) outside the project's business hours."""
    need = required(calendars.for_project(project), start, end)
    covered = _merged(
        Shift.objects.filter(starts_at__lt=end, ends_at__gt=start)
        .filter(Q(projects=project.pk) | Q(projects__isnull=True))
        .values_list("starts_at", "ends_at")
    )
    found: list[Span] = []
    for a, b in need:
        cursor = a
        for c, d in covered:
            if d <= cursor or c >= b:
                continue
            if c > cursor:
                found.append((cursor, c))
            cursor = max(cursor, d)
        if cursor < b:
            found.append((cursor, b))
    return found


def roster_check(project: Project, now: datetime | None = None) -> list[Span]:
    """The uncovered stretches of the next 30 days (the goal is none)."""
    now = now or clock.now()
    return gaps(project, now, now + timedelta(days=CHECK_DAYS))


def warn_gaps(*, now: datetime | None = None) -> int:
    """Tell each project's service manager of its roster's gaps (the daily check); how many
    projects have any."""
    now = now or clock.now()
    warned = 0
    for project in Project.objects.filter(service_manager__isnull=False).select_related(
        "service_manager"
    ):
        found = roster_check(project, now)
        if not found:
            continue
        warned += 1
        minutes = int(sum((b - a).total_seconds() for a, b in found) // 60)
        first = clock.local(found[0][0])
        manager = project.service_manager
        if manager is None:
            continue
        with translation.override(manager.preferred_language or settings.LANGUAGE_CODE):
            title = _(
                "Duty roster of %(project)s: %(minutes)d minutes uncovered in the next 30 days"
            ) % {"project": project, "minutes": minutes}
            body = _("The first uncovered stretch starts on %(at)s.") % {
                "at": f"{first:%Y-%m-%d %H:%M}"
            }
        inbox.tell(manager, MessageKind.DUTY, title, body, reverse("duty:roster"), now)
    return warned


# --- writing ---------------------------------------------------------------------------------
def _moment(value: Any, field: str) -> datetime:
    moment = value if isinstance(value, datetime) else parse_datetime(str(value or ""))
    if moment is None:
        raise ValidationError(fields={field: [_("Enter a date and time.")]})
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=clock.local(clock.now()).tzinfo)
    return moment


def _projects(actor: User, ids: Any) -> list[Project]:
    if ids in (None, ""):
        return []
    if not isinstance(ids, list | tuple):
        raise ValidationError(fields={"projects": [_("Enter the projects' ids.")]})
    wanted = {int(pk) for pk in ids if str(pk).isdigit()}
    found = list(scoping.visible_projects(actor).filter(pk__in=wanted))
    if len(found) != len(wanted) or len(wanted) != len(ids):
        raise ValidationError(fields={"projects": [_("Some of these projects do not exist.")]})
    return found


def _planner(actor: User, projects: list[Project]) -> None:
    if actor.role in PLANNERS and actor.is_vendor_staff:
        return
    if projects and all(may_plan(actor, project) for project in projects):
        return
    raise PermissionDenied(
        _("Operations specialists and the projects' service managers plan the duty roster.")
    )


def _person(value: Any) -> User:
    person = User.objects.filter(pk=value, is_active=True).first() if str(value).isdigit() else None
    if person is None or not person.is_vendor_staff:
        raise ValidationError(fields={"user": [_("Choose one of the vendor's staff.")]})
    return person


@transaction.atomic
def shift_create(*, actor: User, data: dict[str, Any], now: datetime | None = None) -> Shift:
    now = now or clock.now()
    projects = _projects(actor, data.get("projects"))
    _planner(actor, projects)
    starts_at, ends_at = (
        _moment(data.get("starts_at"), "starts_at"),
        _moment(data.get("ends_at"), "ends_at"),
    )
    if ends_at <= starts_at:
        raise ValidationError(fields={"ends_at": [_("A shift ends after it starts.")]})
    if ends_at - starts_at > MAX_SHIFT:
        raise ValidationError(fields={"ends_at": [_("A shift lasts at most seven days.")]})
    shift = Shift.objects.create(
        user=_person(data.get("user")),
        starts_at=starts_at,
        ends_at=ends_at,
        handover=str(data.get("handover") or "")[:5000],
        created_by=actor,
        created_at=now,
    )
    shift.projects.set(projects)
    return shift


@transaction.atomic
def shift_delete(*, actor: User, shift: Shift) -> None:
    _planner(actor, list(shift.projects.all()))
    shift.delete()


@transaction.atomic
def shift_handover(*, actor: User, shift: Shift, note: str) -> Shift:
    """The person on duty writes what the next one must know."""
    if actor.pk != shift.user_id and not may_plan(actor):
        raise PermissionDenied(_("The person on duty writes the hand-over notes."))
    shift.handover = (note or "").strip()[:5000]
    shift.save(update_fields=["handover"])
    return shift


@transaction.atomic
def swap_ask(
    *, actor: User, shift: Shift, to_user: int, reason: str = "", now: datetime | None = None
) -> Swap:
    """The person on duty asks a colleague to take the shift over."""
    now = now or clock.now()
    if actor.pk != shift.user_id:
        raise PermissionDenied(_("Only the person on duty hands a shift over."))
    other = _person(to_user)
    if other.pk == actor.pk:
        raise ValidationError(fields={"to_user": [_("Choose a colleague.")]})
    return Swap.objects.create(
        shift=shift, from_user=actor, to_user=other, reason=(reason or "")[:500], asked_at=now
    )


@transaction.atomic
def swap_answer(*, actor: User, swap: Swap, agree: bool, now: datetime | None = None) -> Swap:
    """The colleague agrees (the shift becomes theirs) or declines; both consents recorded."""
    now = now or clock.now()
    if actor.pk != swap.to_user_id:
        raise PermissionDenied(_("Only the colleague asked answers a swap."))
    if swap.status != Swap.Status.ASKED:
        raise ValidationError(_("This swap has been answered already."))
    if agree:
        moved = Shift.objects.filter(pk=swap.shift_id, user_id=swap.from_user_id).update(user=actor)
        if not moved:
            raise ValidationError(_("The shift has changed hands since; ask again."))
    swap.status = Swap.Status.AGREED if agree else Swap.Status.DECLINED
    swap.answered_at = now
    swap.save(update_fields=["status", "answered_at"])
    return swap


def shift_for(user: User, shift_id: int) -> Shift:
    shift = visible_shifts(user).select_related("user").filter(pk=shift_id).first()
    if shift is None:
        raise NotFound()
    return shift


def swap_for(user: User, swap_id: int) -> Swap:
    """A swap of a shift ``user`` sees (answering it is the colleague's: ``swap_answer``)."""
    swap = (
        Swap.objects.filter(pk=swap_id, shift__in=visible_shifts(user))
        .select_related("shift", "from_user")
        .first()
    )
    if swap is None:
        raise NotFound()
    return swap


def swaps_asked_of(user: User, now: datetime | None = None) -> QuerySet[Swap]:
    """The swaps ``user`` has yet to answer, of shifts not over, soonest shift first."""
    now = now or clock.now()
    return (
        Swap.objects.filter(to_user=user, status=Swap.Status.ASKED, shift__ends_at__gt=now)
        .select_related("shift", "from_user")
        .order_by("shift__starts_at", "pk")
    )


# --- the night-time alarm ----------------------------------------------------------------
def _alarming(event: TicketEvent) -> bool:
    ticket = event.ticket
    if event.action != Action.REGISTER:
        return False
    urgent = ticket.channel == Channel.ALERT or provisional_severity(ticket.urgency) == "SIS1"
    return urgent and not calendars.in_business_hours_of(ticket.project, event.at)


def on_ticket_events(events: list[TicketEvent]) -> None:
    """A SIS1 or probe incident registered outside the 5×8 hours reaches the person on duty
    first (subscribed ahead of notify): an urgent inbox message, an e-mail that ignores quiet
    hours, and the project's vendor group robots."""
    for event in events:
        if not _alarming(event):
            continue
        ticket = event.ticket
        shift = on_duty(ticket.project_id, event.at)
        if shift is None:
            continue
        person = shift.user
        with translation.override(person.preferred_language or settings.LANGUAGE_CODE):
            title = _("On duty: #%(number)s %(title)s") % {
                "number": ticket.number,
                "title": ticket.title,
            }
            body = _("Registered at %(at)s outside the service centre's hours.") % {
                "at": f"{clock.local(event.at):%H:%M}"
            }
        path = reverse("tickets:detail", args=[ticket.pk])
        inbox.tell(
            person,
            MessageKind.DUTY,
            title,
            body,
            path,
            event.at,
            urgent=True,
            project_id=ticket.project_id,
        )

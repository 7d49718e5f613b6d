"""Complaints (投诉, seed §7.3): operations set up a special resolution group (专项解决小组)
and watch the handling to the end; the filer confirms the resolution or reopens it.

Each step of a complaint is declared once in ``STEPS`` (the statuses it starts from, the
status it leads to, who may take it); the services check it, the page reads it for its
buttons. A status changes by compare-and-set on the status read, so of two clicks only one
wins. A complaint has a severity and a deadline in working time (``DEADLINES``) on its
customer's calendar; the worker's quarter-hourly ``sweep`` tells the supervisors of a
deadline missed, once per deadline.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campusdesk.accounts.models import User
from campusdesk.accounts.roles import Role
from campusdesk.catalog import scoping
from campusdesk.core import clock
from campusdesk.core.errors import NotFound, PermissionDenied, TransitionError, ValidationError
from campusdesk.notify import inbox as notify
from campusdesk.notify.models import Kind
from campusdesk.ops.models import Complaint, ComplaintMember, ComplaintNote
from campusdesk.sla import calendars
from campusdesk.sla.models import Calendar
from campusdesk.sla.worktime import WorkCalendar, add_working_time, default_calendar
from campusdesk.tickets.models import Ticket
from campusdesk.tickets.services import clean_text

S = Complaint.Status

#: who runs a complaint's track: operations, with the service managers and HQ watching
COMPLAINT_STAFF = frozenset({Role.OPS, Role.MANAGER, Role.SUPERVISOR, Role.HQ, Role.ADMIN})
#: who name the resolution group and set the severity (operations lead, seed §7.3)
OPERATIONS = frozenset({Role.OPS, Role.ADMIN})
#: the statuses in which the group works against the deadline
ACTIVE = (S.OPEN, S.HANDLING)
#: working time the group has to resolve a complaint, by severity: (working days, hours)
DEADLINES: dict[str, tuple[int, int]] = {
    Complaint.Severity.MAJOR: (0, 4),
    Complaint.Severity.SERIOUS: (1, 0),
    Complaint.Severity.NORMAL: (3, 0),
}
#: the largest resolution group
GROUP_LIMIT = 20


@dataclass(frozen=True)
class Step:
    """One step of a complaint: from which statuses, to which (None: unchanged), who may."""

    sources: tuple[str, ...]
    target: str | None
    may: Callable[[User, Complaint, bool], bool]
    refusal: object = None  # what a refused user reads (None: the default)


def _operations(user: User, complaint: Complaint, member: bool) -> bool:
    return user.role in OPERATIONS


def _group(user: User, complaint: Complaint, member: bool) -> bool:
    return user.role in OPERATIONS or member


def _filer(user: User, complaint: Complaint, member: bool) -> bool:
    return user.pk == complaint.filed_by_id


def _involved(user: User, complaint: Complaint, member: bool) -> bool:
    return (
        user.role in COMPLAINT_STAFF
        or member
        or (user.role == Role.CUSTOMER and user.organisation_id == complaint.organisation_id)
    )


FILER_ONLY = gettext_lazy("Only the customer who filed the complaint confirms or reopens it.")

# fmt: off
STEPS: dict[str, Step] = {
    "assign": Step(ACTIVE, S.HANDLING, _operations,
                   gettext_lazy("Operations specialists assign complaints.")),
    "group": Step(ACTIVE, S.HANDLING, _operations,
                  gettext_lazy("Operations specialists name the resolution group.")),
    "severity": Step(ACTIVE, None, _operations,
                     gettext_lazy("Operations specialists set a complaint's severity.")),
    "note": Step(tuple(S), None, _involved),
    "resolve": Step(ACTIVE, S.RESOLVED, _group,
                    gettext_lazy("The complaint's resolution group or operations resolve it.")),
    "confirm": Step((S.RESOLVED,), S.CLOSED, _filer, FILER_ONLY),
    "reopen": Step((S.RESOLVED,), S.HANDLING, _filer, FILER_ONLY),
}
# fmt: on


# --- reading --------------------------------------------------------------------------------
def visible_complaints(user: User) -> QuerySet[Complaint]:
    """Those of the organisations the user sees, and those of the groups they are in."""
    complaints = Complaint.objects.all()
    if scoping.sees_all_projects(user):
        return complaints
    rule = Q(organisation__in=scoping.visible_organisations(user))
    if user.is_authenticated and user.is_vendor_staff:
        groups = ComplaintMember.objects.filter(user=user.pk).values("complaint")
        rule |= Q(owner=user.pk) | Q(pk__in=groups)
    return complaints.filter(rule)


def is_member(user: User, complaint: Complaint) -> bool:
    """Whether ``user`` leads or belongs to the complaint's resolution group."""
    if user.pk == complaint.owner_id:
        return True
    return ComplaintMember.objects.filter(complaint=complaint, user=user.pk).exists()


def steps_for(user: User, complaint: Complaint) -> set[str]:
    """The steps ``user`` may take on ``complaint`` now (the page's buttons)."""
    member = is_member(user, complaint)
    return {
        name
        for name, step in STEPS.items()
        if complaint.status in step.sources and step.may(user, complaint, member)
    }


def is_overdue(complaint: Complaint, now: datetime | None = None) -> bool:
    """Past its deadline while the group still works on it."""
    due = complaint.due_at
    return complaint.status in ACTIVE and due is not None and due <= (now or clock.now())


def with_overdue(rows: QuerySet[Complaint], now: datetime | None = None) -> QuerySet[Complaint]:
    """``rows`` with ``overdue`` (``is_overdue`` in the query, for the lists)."""
    late = Q(status__in=ACTIVE, due_at__lte=now or clock.now())
    return rows.annotate(overdue=ExpressionWrapper(late, output_field=BooleanField()))


def group_of(complaint: Complaint) -> list[User]:
    """The group's members, its leader first."""
    rows = complaint.members.select_related("user").order_by("added_at", "id")
    people = [row.user for row in rows]
    return sorted(people, key=lambda person: person.pk != complaint.owner_id)


# --- the deadline ---------------------------------------------------------------------------
def calendar_of(complaint: Complaint) -> WorkCalendar:
    """The calendar of the complaint's problem's project, else the default one."""
    if complaint.ticket_id is not None:
        project = Ticket.objects.select_related("project").get(pk=complaint.ticket_id).project
        return calendars.for_project(project)
    default = Calendar.objects.filter(is_default=True).first()
    if default is None:
        return default_calendar(ZoneInfo(settings.TIME_ZONE))
    return default.work_calendar()


def due_after(complaint: Complaint, start: datetime) -> datetime:
    """When the group must have resolved it: its severity's working time after ``start``."""
    work = calendar_of(complaint)
    days, hours = DEADLINES[complaint.severity]
    return add_working_time(start, days * work.day_length() + timedelta(hours=hours), work)


# --- steps ----------------------------------------------------------------------------------
def _note(
    complaint: Complaint,
    action: ComplaintNote.Action,
    actor: User | None,
    body: str,
    now: datetime,
) -> None:
    ComplaintNote.objects.create(complaint=complaint, action=action, actor=actor, body=body, at=now)


def _begin(complaint_id: int, actor: User, name: str) -> Complaint:
    """The complaint, locked, once ``actor`` may take step ``name`` on it now."""
    complaint = visible_complaints(actor).select_for_update().filter(pk=complaint_id).first()
    if complaint is None:
        raise NotFound()
    step = STEPS[name]
    if not step.may(actor, complaint, is_member(actor, complaint)):
        raise PermissionDenied(step.refusal)
    if complaint.status not in step.sources:
        raise TransitionError(_refusal_of(complaint))
    return complaint


def _refusal_of(complaint: Complaint) -> str:
    if complaint.status == S.RESOLVED:
        return _("This complaint is resolved.")
    if complaint.status == S.CLOSED:
        return _("This complaint is closed.")
    return _("This complaint is not resolved yet.")


def _move(complaint: Complaint, name: str, **changes: object) -> None:
    """Save ``changes`` and the step's status if the status is still the one read."""
    target = STEPS[name].target
    if target is not None:
        changes["status"] = target
    won = Complaint.objects.filter(pk=complaint.pk, status=complaint.status).update(**changes)
    if won != 1:
        raise TransitionError(_("Someone else changed this complaint meanwhile; reload it."))
    for field, value in changes.items():
        setattr(complaint, field, value)


def _tell(
    people: Iterable[User],
    complaint: Complaint,
    title: Callable[[], str],
    body: str,
    now: datetime,
    *,
    urgent: bool = False,
) -> int:
    """One message to each person, its title in their language."""
    path = reverse("ops:complaint", args=[complaint.pk])
    told = 0
    for person in people:
        if not person.is_active:
            continue
        with translation.override(person.preferred_language or settings.LANGUAGE_CODE):
            text = title()
        notify.tell(person, Kind.COMPLAINT, text, body, path, now, urgent=urgent)
        told += 1
    return told


def _in_site_language(text: Callable[[], str]) -> str:
    """A step's own words on the track, in the site's language (Chinese first)."""
    with translation.override(settings.LANGUAGE_CODE):
        return text()


@transaction.atomic
def complaint_file(
    *,
    actor: User,
    subject: str,
    body: str,
    ticket_id: int | None = None,
    severity: str = Complaint.Severity.NORMAL,
    now: datetime | None = None,
) -> Complaint:
    """A customer complains (投诉) about a problem or the service in general."""
    now = now or clock.now()
    if actor.role != Role.CUSTOMER or actor.organisation is None:
        raise PermissionDenied(_("Complaints are filed by customer users."))
    ticket = None
    if ticket_id is not None:
        ticket = scoping.scope(Ticket.objects.all(), actor, "project").filter(pk=ticket_id).first()
        if ticket is None:
            raise ValidationError(fields={"ticket": [_("Choose one of your problems.")]})
    complaint = Complaint(
        number=f"TS{now:%Y%m%d%H%M%S%f}"[:20],
        organisation=actor.organisation,
        ticket=ticket,
        subject=clean_text(subject, "subject", limit=200),
        body=clean_text(body, "body", limit=20000),
        severity=_severity(severity),
        filed_by=actor,
        created_at=now,
        clock_from=now,
    )
    complaint.due_at = due_after(complaint, now)
    complaint.save()
    complaint.number = f"TS{clock.local(now).year}-{complaint.pk:05d}"
    complaint.save(update_fields=["number"])
    _note(complaint, ComplaintNote.Action.FILED, actor, complaint.body, now)
    notify.on_complaint(complaint, now)
    return complaint


def _severity(value: str) -> str:
    if value not in Complaint.Severity.values:
        choices = "、".join(str(label) for label in Complaint.Severity.labels)
        message = _("Choose the severity: %(choices)s.") % {"choices": choices}
        raise ValidationError(fields={"severity": [message]})
    return value


@transaction.atomic
def complaint_assign(
    *, complaint_id: int, actor: User, owner_id: int | None, now: datetime | None = None
) -> Complaint:
    """Operations give the complaint an owner, who leads its resolution group."""
    now = now or clock.now()
    complaint = _begin(complaint_id, actor, "assign")
    owner = User.objects.filter(pk=owner_id, is_active=True).first() if owner_id else None
    if owner is None or not owner.is_vendor_staff:
        raise ValidationError(fields={"owner": [_("Choose a member of the vendor's staff.")]})
    _move(complaint, "assign", owner=owner)
    if ComplaintMember.objects.get_or_create(
        complaint=complaint, user=owner, defaults={"added_at": now}
    )[1]:
        _tell_group_joined([owner], complaint, now)
    _note(complaint, ComplaintNote.Action.ASSIGNED, actor, str(owner), now)
    return complaint


@transaction.atomic
def complaint_group_set(
    *,
    complaint_id: int,
    actor: User,
    leader_id: int | None,
    member_ids: Iterable[int],
    now: datetime | None = None,
) -> Complaint:
    """Operations name the special resolution group (专项解决小组): its leader (the owner)
    and members, all of the vendor's staff. Whoever joins is told; whoever is left out
    leaves the group (and sees the complaint only as their projects allow)."""
    now = now or clock.now()
    complaint = _begin(complaint_id, actor, "group")
    leader, members = _group_people(leader_id, member_ids)
    wanted = {leader.pk: leader} | {person.pk: person for person in members}
    current = set(complaint.members.values_list("user_id", flat=True))
    joined = [person for pk, person in wanted.items() if pk not in current]
    ComplaintMember.objects.filter(complaint=complaint).exclude(user__in=list(wanted)).delete()
    ComplaintMember.objects.bulk_create(
        [ComplaintMember(complaint=complaint, user=person, added_at=now) for person in joined]
    )
    new_leader = complaint.owner_id != leader.pk
    _move(complaint, "group", owner=leader)
    body = _in_site_language(
        lambda: (
            _("Leader: %(leader)s; members: %(members)s")
            % {
                "leader": leader,
                "members": "、".join(str(p) for p in members if p.pk != leader.pk) or "—",
            }
        )
    )
    _note(complaint, ComplaintNote.Action.GROUP, actor, body, now)
    if new_leader and leader not in joined:
        joined.append(leader)
    _tell_group_joined(joined, complaint, now)
    return complaint


def _group_people(leader_id: int | None, member_ids: Iterable[int]) -> tuple[User, list[User]]:
    """The leader and the members named, checked: known, active, of the vendor's staff."""
    ids = list(dict.fromkeys(member_ids))
    if len(ids) > GROUP_LIMIT:
        message = _("A resolution group has at most %(limit)d members.") % {"limit": GROUP_LIMIT}
        raise ValidationError(fields={"members": [message]})
    found = {u.pk: u for u in User.objects.filter(pk__in=[*ids, leader_id or 0], is_active=True)}
    errors: dict[str, list[str]] = {}
    leader = found.get(leader_id or 0)
    if leader is None or not leader.is_vendor_staff:
        errors["leader"] = [_("Choose the group's leader among the vendor's staff.")]
    unknown = [str(pk) for pk in ids if pk not in found]
    outside = [str(found[pk]) for pk in ids if pk in found and not found[pk].is_vendor_staff]
    problems = []
    if unknown:
        problems.append(_("No active user has the id %(ids)s.") % {"ids": "、".join(unknown)})
    if outside:
        problems.append(
            _("%(names)s: only the vendor's staff join a resolution group.")
            % {"names": "、".join(outside)}
        )
    if problems:
        errors["members"] = problems
    if errors or leader is None:
        raise ValidationError(fields=errors)
    return leader, [found[pk] for pk in ids]


def _tell_group_joined(people: list[User], complaint: Complaint, now: datetime) -> None:
    _tell(
        people,
        complaint,
        lambda: (
            _("You are in the resolution group of complaint %(number)s: %(subject)s")
            % {"number": complaint.number, "subject": complaint.subject}
        ),
        complaint.body,
        now,
        urgent=True,
    )


@transaction.atomic
def complaint_severity_set(
    *, complaint_id: int, actor: User, severity: str, now: datetime | None = None
) -> Complaint:
    """Operations grade the complaint; its deadline is counted again from the same start."""
    now = now or clock.now()
    complaint = _begin(complaint_id, actor, "severity")
    before = complaint.get_severity_display()
    complaint.severity = _severity(severity)
    due = due_after(complaint, complaint.clock_from or complaint.created_at)
    changes: dict[str, object] = {"severity": complaint.severity, "due_at": due}
    if due != complaint.due_at:
        changes["escalated_at"] = None
    _move(complaint, "severity", **changes)
    body = _in_site_language(lambda: f"{before} → {complaint.get_severity_display()}")
    _note(complaint, ComplaintNote.Action.SEVERITY, actor, body, now)
    return complaint


@transaction.atomic
def complaint_add_note(
    *, complaint_id: int, actor: User, body: str, now: datetime | None = None
) -> Complaint:
    """A step on the complaint's track: by its group, operations, or the customer."""
    now = now or clock.now()
    complaint = _begin(complaint_id, actor, "note")
    _note(complaint, ComplaintNote.Action.NOTE, actor, clean_text(body, "body", limit=20000), now)
    return complaint


@transaction.atomic
def complaint_resolve(
    *, complaint_id: int, actor: User, resolution: str, now: datetime | None = None
) -> Complaint:
    """The group or operations resolve it with what was done; the filer is asked to confirm."""
    now = now or clock.now()
    complaint = _begin(complaint_id, actor, "resolve")
    text = clean_text(resolution, "resolution", limit=20000)
    _move(complaint, "resolve", resolution=text, resolved_at=now)
    _note(complaint, ComplaintNote.Action.RESOLVED, actor, text, now)
    _tell(
        [complaint.filed_by],
        complaint,
        lambda: (
            _("Complaint %(number)s is resolved: please confirm it or reopen it")
            % {"number": complaint.number}
        ),
        text,
        now,
    )
    return complaint


@transaction.atomic
def complaint_confirm(
    *,
    complaint_id: int,
    actor: User,
    rating: int | None = None,
    comment: str = "",
    now: datetime | None = None,
) -> Complaint:
    """The filer confirms the resolution (closed), with an optional rating and comment."""
    now = now or clock.now()
    complaint = _begin(complaint_id, actor, "confirm")
    if rating is not None and rating not in range(1, 6):
        raise ValidationError(fields={"rating": [_("Give a rating from 1 to 5 stars.")]})
    comment = clean_text(comment, "comment", required=False, limit=2000)
    _move(complaint, "confirm", closed_at=now, rating=rating)
    body = " ".join(part for part in ("★" * (rating or 0), comment) if part)
    _note(complaint, ComplaintNote.Action.CONFIRMED, actor, body, now)
    _tell(
        group_of(complaint),
        complaint,
        lambda: (
            _("Complaint %(number)s: the customer confirmed the resolution")
            % {"number": complaint.number}
        ),
        body,
        now,
    )
    return complaint


@transaction.atomic
def complaint_reopen(
    *, complaint_id: int, actor: User, reason: str, now: datetime | None = None
) -> Complaint:
    """The filer says the complaint is not resolved: the group handles it again, against a
    new deadline counted from now."""
    now = now or clock.now()
    complaint = _begin(complaint_id, actor, "reopen")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(fields={"reason": [_("Say why the complaint is not resolved.")]})
    reason = clean_text(reason, "reason", limit=5000)
    due = due_after(complaint, now)
    _move(
        complaint,
        "reopen",
        resolution="",
        resolved_at=None,
        clock_from=now,
        due_at=due,
        escalated_at=None,
    )
    _note(complaint, ComplaintNote.Action.REOPENED, actor, reason, now)
    _tell(
        group_of(complaint),
        complaint,
        lambda: (
            _("Complaint %(number)s was reopened by the customer") % {"number": complaint.number}
        ),
        reason,
        now,
        urgent=True,
    )
    return complaint


# --- the deadline's sweep -------------------------------------------------------------------
def sweep(*, now: datetime | None = None, limit: int = 500) -> int:
    """Escalate the complaints past their deadline not escalated yet; returns how many."""
    now = now or clock.now()
    missed = (
        Complaint.objects.filter(status__in=ACTIVE, due_at__lte=now, escalated_at__isnull=True)
        .select_related("organisation")
        .order_by("due_at", "pk")[:limit]
    )
    return sum(complaint_escalate(complaint, now) for complaint in missed)


@transaction.atomic
def complaint_escalate(complaint: Complaint, now: datetime) -> bool:
    """Tell the supervisors of the complaint's region that its deadline was missed, on its
    track too: once per deadline, whichever worker claims it first (compare-and-set on the
    deadline and on not escalated yet)."""
    claimed = Complaint.objects.filter(
        pk=complaint.pk, status__in=ACTIVE, due_at=complaint.due_at, escalated_at__isnull=True
    ).update(escalated_at=now)
    if claimed != 1:
        return False
    people = supervisors_of(complaint)
    due = clock.local(complaint.due_at or now)
    body = _in_site_language(
        lambda: (
            _("Due %(due)s; told: %(people)s")
            % {"due": f"{due:%Y-%m-%d %H:%M}", "people": "、".join(map(str, people)) or "—"}
        )
    )
    _note(complaint, ComplaintNote.Action.ESCALATED, None, body, now)
    _tell(
        people,
        complaint,
        lambda: (
            _("Complaint %(number)s missed its deadline: %(subject)s")
            % {"number": complaint.number, "subject": complaint.subject}
        ),
        body,
        now,
        urgent=True,
    )
    return True


def supervisors_of(complaint: Complaint) -> list[User]:
    """The regional service supervisors (区域服务主管) of the customer's region; operations
    when the region has none, so that a missed deadline always reaches someone."""
    active = User.objects.filter(is_active=True).order_by("pk")
    region = complaint.organisation.region_id
    found = list(active.filter(role=Role.SUPERVISOR, region_id=region)) if region else []
    return found or list(active.filter(role=Role.OPS))

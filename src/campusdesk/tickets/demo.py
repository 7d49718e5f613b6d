"""A month of demo problems in every status, told through the real services (seed §7).

Each story of ``demo_stories`` is registered, then handled step by step with each step's
own instant, so the timelines, SLA events, notifications and KPIs are those the desk would
have recorded. The problems are registered in the order they happened (their numbers
follow the calendar); the moments are on the Chinese working calendar, counted back from
the demo's today, so that the month reads the same whichever day the demo is loaded.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile

from campusdesk.accounts.models import User
from campusdesk.accounts.roles import Role
from campusdesk.catalog.models import Project
from campusdesk.core import clock
from campusdesk.core.batch import shared_lookups
from campusdesk.core.workdays import statutory
from campusdesk.tickets import services
from campusdesk.tickets.demo_stories import COLLEAGUES, LINE1, REPORTER, STORIES, Step, Story
from campusdesk.tickets.models import Ticket

DAY = timedelta(days=1)
ENVIRONMENTS = {
    "xjnu": "CentOS 7.9 · Tomcat 9 · Oracle 19c",
    "univ2": "麒麟 V10 · TongWeb 7 · 达梦 DM8",
}


def is_working_day(day: date) -> bool:
    """A working day of the Chinese calendar (statutory holidays and 调休); Monday to Friday
    in a year the ``chinese_calendar`` package does not know."""
    found = statutory(day)
    return day.weekday() < 5 if found is None else found


class Calendar:
    """The demo's days: the working days before today, the most recent first."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        local = clock.local(now)
        self.tz = local.tzinfo
        self.working: list[date] = []
        day = local.date()
        while len(self.working) < 60:
            day -= DAY
            if is_working_day(day):
                self.working.append(day)

    def at(self, day: date, hhmm: str) -> datetime:
        hours, minutes = (int(part) for part in hhmm.split(":"))
        return datetime.combine(day, time(hours, minutes), tzinfo=self.tz)

    def moments(self, story: Story) -> list[datetime]:
        """The instant the story's problem was registered, then the instant of each step."""
        start = story.start
        if start.ago is not None:
            registered = self.now - start.ago
            first_after = -1  # unused: today's stories count back from now
        else:
            first_after = start.days - 2  # the working day after the registration day
            day = self.working[start.days - 1]
            if start.rest:  # the weekend or holiday just before that working day
                day -= DAY
                while is_working_day(day):
                    day -= DAY
                first_after = max(i for i, d in enumerate(self.working) if d > day)
            registered = self.at(day, start.clock)
        found = [registered]
        for step in story.steps:
            if isinstance(step.when, timedelta):
                moment = self.now - step.when
            else:
                after, hhmm = step.when
                index = first_after - after + 1
                if after and not 0 <= index < len(self.working):
                    raise ValueError(f"demo story {story.title!r}: step {step.action} is not past")
                day = registered.date() if after == 0 else self.working[index]
                moment = self.at(day, hhmm)
            if moment < found[-1] or moment >= self.now:
                raise ValueError(f"demo story {story.title!r}: step {step.action} at {moment}")
            found.append(moment)
        return found


def _colleagues(projects: dict[str, Project]) -> dict[str, User]:
    """The reporters besides the demo logins: colleagues who cannot log in."""
    found = {}
    for username, (project, name) in COLLEAGUES.items():
        organisation = projects[project].organisation
        person, created = User.objects.get_or_create(
            username=username,
            defaults={
                "role": Role.CUSTOMER,
                "organisation": organisation,
                "display_name": name,
                "email": f"{username}@{organisation.email_domains.split(',')[0].strip()}",
            },
        )
        if created:
            person.set_unusable_password()
            person.save(update_fields=["password"])
        found[username] = person
    return found


def load(people: dict[str, User], projects: dict[str, Project]) -> None:
    if Ticket.objects.filter(project__in=projects.values()).exists():
        return  # loaded before: demo data is idempotent
    now = clock.now()
    calendar = Calendar(now)
    everyone = {**people, **_colleagues(projects)}
    planned = sorted(
        ((calendar.moments(story), story) for story in STORIES), key=lambda item: item[0][0]
    )
    with shared_lookups():  # the rules, tiers and robots are read once for the whole month
        registered = [
            (_register(story, projects[story.project], everyone, moments[0]), story, moments)
            for moments, story in planned
        ]
        line1 = {key: p.line1_team.order_by("pk").first() for key, p in projects.items()}
        for ticket, story, moments in registered:
            roles = {LINE1: line1[story.project], REPORTER: everyone[story.reporter]}
            for step, moment in zip(story.steps, moments[1:], strict=True):
                who = roles.get(step.who) or everyone[step.who]
                ACTIONS[step.action](ticket, step, who, moment)


def _register(story: Story, project: Project, people: dict[str, User], at: datetime) -> Ticket:
    return services.ticket_register(
        actor=people[story.registered_by or story.reporter],
        project_id=project.pk,
        product_id=project.product_id,
        title=story.title,
        description=story.description,
        environment=ENVIRONMENTS[story.project],
        urgency=story.urgency,
        service_type=story.service_type,
        channel=story.channel,
        reporter_id=people[story.reporter].pk,
        call_notes="来电登记。" if story.channel == "phone" else "",
        now=at,
    )


Action = Callable[[Ticket, Step, User, datetime], object]


def _accept(ticket: Ticket, step: Step, who: User, at: datetime) -> object:
    return services.ticket_accept(
        ticket_id=ticket.pk,
        actor=who,
        severity=step.severity or None,
        committed_resolution_at=at + timedelta(hours=step.hours),
        now=at,
    )


def _recommit(ticket: Ticket, step: Step, who: User, at: datetime) -> object:
    return services.ticket_change_commitment(
        ticket_id=ticket.pk,
        actor=who,
        committed_resolution_at=at + timedelta(hours=step.hours),
        reason=step.text,
        now=at,
    )


def _close(ticket: Ticket, step: Step, who: User, at: datetime) -> object:
    return services.ticket_close(
        ticket_id=ticket.pk,
        actor=who,
        rating=step.rating,
        workload_hours=step.workload,
        comment=step.text,
        now=at,
    )


def _attach(ticket: Ticket, step: Step, who: User, at: datetime) -> object:
    upload = SimpleUploadedFile(step.fields["name"], step.text.encode())
    return services.attachment_add(ticket_id=ticket.pk, actor=who, upload=upload, now=at)


def _out_of_scope(ticket: Ticket, step: Step, who: User, at: datetime) -> object:
    return services.ticket_mark_out_of_scope(
        ticket_id=ticket.pk,
        actor=who,
        change_type=step.text,
        workload_hours=step.workload,
        now=at,
    )


ACTIONS: dict[str, Action] = {
    "accept": _accept,
    "change_commitment": _recommit,
    "close": _close,
    "attach": _attach,
    "out_of_scope": _out_of_scope,
    "record": lambda t, s, who, at: services.ticket_add_record(
        ticket_id=t.pk, actor=who, body=s.text, internal=s.internal, now=at
    ),
    "ask_info": lambda t, s, who, at: services.ticket_ask_info(
        ticket_id=t.pk, actor=who, question=s.text, now=at
    ),
    "answer_info": lambda t, s, who, at: services.ticket_answer_info(
        ticket_id=t.pk, actor=who, answer=s.text, now=at
    ),
    "escalate": lambda t, s, who, at: services.ticket_escalate(
        ticket_id=t.pk, actor=who, reason=s.text, now=at
    ),
    "request_close": lambda t, s, who, at: services.ticket_request_close(
        ticket_id=t.pk, actor=who, solution=s.text, now=at
    ),
    "reject_close": lambda t, s, who, at: services.ticket_reject_close(
        ticket_id=t.pk, actor=who, reason=s.text, now=at
    ),
    "urge": lambda t, s, who, at: services.ticket_urge(
        ticket_id=t.pk, actor=who, message=s.text, now=at
    ),
    "withdraw": lambda t, s, who, at: services.ticket_withdraw(
        ticket_id=t.pk, actor=who, reason=s.text, now=at
    ),
    "incident_report": lambda t, s, who, at: services.incident_report_save(
        ticket_id=t.pk, actor=who, fields=s.fields, now=at
    ),
}

"""Satisfaction surveys' reads that need care, and every write: who may see and run them, a
survey and its questions, opening (the customers are told, once) and closing, a customer's
answers, and the scheduler that opens and closes surveys on their dates.

A survey's dates are local dates (the deployment's time zone): it takes answers from the
start of ``opens_on`` to the end of ``closes_on`` while it is open.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from campusdesk.accounts.models import User
from campusdesk.accounts.roles import Role
from campusdesk.catalog import scoping
from campusdesk.catalog.models import Project
from campusdesk.core import clock
from campusdesk.core.errors import NotFound, PermissionDenied, TransitionError, ValidationError
from campusdesk.core.text import has_control
from campusdesk.notify import inbox
from campusdesk.notify.models import Kind as MessageKind
from campusdesk.surveys.models import Answer, Question, QuestionKind, Response, Status, Survey

log = logging.getLogger(__name__)

#: vendor roles that read the surveys and results of the projects they see
READERS = frozenset({Role.OPS, Role.MANAGER, Role.SUPERVISOR, Role.HQ, Role.ADMIN})
#: vendor roles that run the surveys of every project (besides each project's service manager)
RUNNERS = frozenset({Role.OPS, Role.ADMIN})
MAX_QUESTIONS = 30
MAX_OPTIONS = 12
OPTION_LIMIT = 100
QUESTION_LIMIT = 300
#: the longest free-text answer
TEXT_LIMIT = 2000

#: the default questions (the seed's words; a survey's questions are its own data, edited
#: while it is a draft): five ratings and a free text
DEFAULT_QUESTIONS: tuple[tuple[str, QuestionKind, bool], ...] = (
    ("服务态度", QuestionKind.RATING, True),
    ("响应及时性", QuestionKind.RATING, True),
    ("问题解决质量", QuestionKind.RATING, True),
    ("沟通与反馈", QuestionKind.RATING, True),
    ("总体满意度", QuestionKind.RATING, True),
    ("意见和建议", QuestionKind.TEXT, False),
)


def today(now: datetime | None = None) -> date:
    return clock.local(now or clock.now()).date()


# --- who may ---------------------------------------------------------------------------------
def may_read(user: User) -> bool:
    """Vendor staff who read surveys and their results (of the projects they see)."""
    return bool(
        user.is_authenticated
        and user.is_active
        and user.is_vendor_staff
        and (user.role in READERS or user.is_superuser)
    )


def may_run(user: User, project: Project) -> bool:
    """Drafts, opens and closes the project's surveys: its service manager, operations,
    administrators."""
    if not (user.is_authenticated and user.is_active and user.is_vendor_staff):
        return False
    return user.role in RUNNERS or user.is_superuser or project.service_manager_id == user.pk


def runnable_projects(user: User) -> QuerySet[Project]:
    """The active projects whose surveys ``user`` runs."""
    if not (user.is_authenticated and user.is_active and user.is_vendor_staff):
        return Project.objects.none()
    projects = Project.objects.filter(is_active=True)
    if user.role in RUNNERS or user.is_superuser:
        return projects
    return projects.filter(service_manager=user)


def visible_surveys(user: User) -> QuerySet[Survey]:
    """Customers see their organisation's surveys once opened; vendor readers those of the
    projects they see; nobody else any."""
    if not user.is_authenticated or not user.is_active:
        return Survey.objects.none()
    if user.role == Role.CUSTOMER:
        if user.organisation_id is None:
            return Survey.objects.none()
        mine = Survey.objects.filter(project__organisation_id=user.organisation_id)
        return mine.exclude(status=Status.DRAFT)
    if may_read(user):
        return scoping.scope(Survey.objects.all(), user, "project")
    return Survey.objects.none()


def survey_for(user: User, survey_id: int) -> Survey:
    """A survey ``user`` sees (another organisation's is not found)."""
    found = (
        visible_surveys(user)
        .select_related("project__organisation", "project__service_manager", "created_by")
        .filter(pk=survey_id)
        .first()
    )
    if found is None:
        raise NotFound()
    return found


def _runner(actor: User, project: Project) -> None:
    if not may_run(actor, project):
        raise PermissionDenied(
            _("The project's service manager, operations and administrators run its surveys.")
        )


def customers_of(survey: Survey) -> QuerySet[User]:
    """The customer users the survey is for: the active ones of the project's organisation."""
    return User.objects.filter(
        organisation_id=survey.project.organisation_id, role=Role.CUSTOMER, is_active=True
    )


def answered(survey: Survey, user: User) -> Response | None:
    return Response.objects.filter(survey=survey, respondent=user).first()


# --- a survey and its questions --------------------------------------------------------------
def _one_line(value: Any, field: str, limit: int) -> str:
    text = str(value or "").strip()
    if not text:
        raise ValidationError(fields={field: [_("This field is required.")]})
    if has_control(text):
        raise ValidationError(
            fields={
                field: [
                    _(
                        "Write this on one line, without line breaks, tabs or other control "
                        "characters."
                    )
                ]
            }
        )
    if len(text) > limit:
        raise ValidationError(
            fields={field: [_("At most %(limit)d characters.") % {"limit": limit}]}
        )
    return text


def _dates(opens_on: date, closes_on: date, now: datetime) -> None:
    if closes_on < opens_on:
        raise ValidationError(fields={"closes_on": [_("A survey closes after it opens.")]})
    if closes_on < today(now):
        raise ValidationError(fields={"closes_on": [_("This day has passed.")]})


@transaction.atomic
def survey_create(
    *,
    actor: User,
    project: Project,
    title: str,
    period_label: str,
    opens_on: date,
    closes_on: date,
    questions: Sequence[Mapping[str, Any]] | None = None,
    now: datetime | None = None,
) -> Survey:
    """A draft survey of the project, with the default questions unless ``questions`` are
    given."""
    now = now or clock.now()
    _runner(actor, project)
    _dates(opens_on, closes_on, now)
    survey = Survey.objects.create(
        project=project,
        title=_one_line(title, "title", 200),
        period_label=_one_line(period_label, "period_label", 100),
        opens_on=opens_on,
        closes_on=closes_on,
        created_by=actor,
        created_at=now,
    )
    rows = questions if questions is not None else default_questions()
    _write_questions(survey, rows)
    return survey


def default_questions() -> list[dict[str, Any]]:
    return [
        {"text": text, "kind": kind, "required": required}
        for text, kind, required in DEFAULT_QUESTIONS
    ]


@transaction.atomic
def survey_update(
    *,
    actor: User,
    survey: Survey,
    title: str,
    period_label: str,
    opens_on: date,
    closes_on: date,
    now: datetime | None = None,
) -> Survey:
    """Title, period and dates, while the survey is a draft."""
    now = now or clock.now()
    _runner(actor, survey.project)
    _draft(survey)
    _dates(opens_on, closes_on, now)
    survey.title = _one_line(title, "title", 200)
    survey.period_label = _one_line(period_label, "period_label", 100)
    survey.opens_on, survey.closes_on = opens_on, closes_on
    survey.save(update_fields=["title", "period_label", "opens_on", "closes_on"])
    return survey


def _draft(survey: Survey) -> None:
    if survey.status != Status.DRAFT:
        raise TransitionError(_("Only a draft survey is edited: this one has been opened."))


@transaction.atomic
def questions_set(
    *, actor: User, survey: Survey, questions: Sequence[Mapping[str, Any]]
) -> list[Question]:
    """Replace the draft survey's questions by ``questions`` (in order): each a ``text``, a
    ``kind``, ``options`` for a choice and ``required``."""
    _runner(actor, survey.project)
    # the row is locked: two editors do not interleave their sets, nor an edit an opening
    locked = Survey.objects.select_for_update().get(pk=survey.pk)
    _draft(locked)
    survey.questions.all().delete()
    return _write_questions(survey, questions)


def _write_questions(survey: Survey, rows: Sequence[Mapping[str, Any]]) -> list[Question]:
    if not rows:
        raise ValidationError(fields={"questions": [_("A survey asks at least one question.")]})
    if len(rows) > MAX_QUESTIONS:
        message = _("A survey asks at most %(count)d questions.") % {"count": MAX_QUESTIONS}
        raise ValidationError(fields={"questions": [message]})
    questions = [_question(survey, n, row) for n, row in enumerate(rows, start=1)]
    return Question.objects.bulk_create(questions)


def _question(survey: Survey, position: int, row: Mapping[str, Any]) -> Question:
    field = f"question_{position}"
    kind = str(row.get("kind") or "")
    if kind not in QuestionKind.values:
        raise ValidationError(fields={field: [_("Choose how the question is answered.")]})
    text = _one_line(row.get("text"), field, QUESTION_LIMIT)
    options = _options(row.get("options"), field) if kind == QuestionKind.CHOICE else []
    return Question(
        survey=survey,
        position=position,
        text=text,
        kind=kind,
        options=options,
        required=bool(row.get("required", True)),
    )


def _options(raw: Any, field: str) -> list[str]:
    if isinstance(raw, str):
        raw = raw.splitlines()
    if not isinstance(raw, list | tuple):
        raw = []
    options = [str(option).strip() for option in raw if str(option).strip()]
    if not 2 <= len(options) <= MAX_OPTIONS:
        message = _("A single-choice question has from 2 to %(count)d options.") % {
            "count": MAX_OPTIONS
        }
        raise ValidationError(fields={field: [message]})
    if len(set(options)) != len(options):
        raise ValidationError(fields={field: [_("Each option is different.")]})
    if any(len(option) > OPTION_LIMIT or has_control(option) for option in options):
        message = _("Each option is one line of at most %(limit)d characters.") % {
            "limit": OPTION_LIMIT
        }
        raise ValidationError(fields={field: [message]})
    return options


# --- opening and closing ---------------------------------------------------------------------
@transaction.atomic
def survey_open(*, actor: User, survey: Survey, now: datetime | None = None) -> Survey:
    """Open the draft survey now (its opening day becomes today if later) and tell the
    customers."""
    now = now or clock.now()
    _runner(actor, survey.project)
    if survey.status != Status.DRAFT:
        raise TransitionError(_("This survey has been opened already."))
    if survey.closes_on < today(now):
        raise TransitionError(_("This survey's closing day has passed: change its dates first."))
    if not survey.questions.exists():
        raise ValidationError(fields={"questions": [_("A survey asks at least one question.")]})
    if not _open(survey, now):
        raise TransitionError(_("This survey has been opened already."))
    survey.refresh_from_db()
    return survey


def _open(survey: Survey, now: datetime) -> bool:
    """Open the survey if it is still a draft (compare-and-set: of two workers or an editor
    and the scheduler, one opens it and tells the customers, the other does nothing); whether
    this call opened it."""
    if not Question.objects.filter(survey=survey).exists():
        return False
    people = list(customers_of(survey).order_by("pk"))
    opened = Survey.objects.filter(pk=survey.pk, status=Status.DRAFT).update(
        status=Status.OPEN,
        opened_at=now,
        opens_on=min(survey.opens_on, today(now)),
        invited=len(people),
    )
    if opened != 1:
        return False
    _tell_customers(survey, people, now)
    return True


def _tell_customers(survey: Survey, people: list[User], now: datetime) -> None:
    path = reverse("surveys:survey", args=[survey.pk])
    for person in people:
        with translation.override(person.preferred_language or settings.LANGUAGE_CODE):
            title = _("Satisfaction survey: %(title)s") % {"title": survey.title}
            body = _(
                "%(period)s: please tell us how our service was. The survey is open until "
                "%(day)s and takes a few minutes."
            ) % {"period": survey.period_label, "day": survey.closes_on.isoformat()}
        inbox.tell(person, MessageKind.SURVEY, title, body, path, now)


@transaction.atomic
def survey_close(*, actor: User, survey: Survey, now: datetime | None = None) -> Survey:
    """Close the open survey now: it takes no more answers."""
    now = now or clock.now()
    _runner(actor, survey.project)
    closed = Survey.objects.filter(pk=survey.pk, status=Status.OPEN).update(
        status=Status.CLOSED, closed_at=now
    )
    if closed != 1:
        raise TransitionError(_("Only an open survey is closed."))
    survey.refresh_from_db()
    return survey


def open_due(*, now: datetime | None = None, limit: int = 200) -> int:
    """Open the draft surveys whose opening day has come (and closing day not passed); how
    many this call opened."""
    now = now or clock.now()
    day = today(now)
    due = Survey.objects.filter(status=Status.DRAFT, opens_on__lte=day, closes_on__gte=day)
    opened = 0
    for survey in due.select_related("project").order_by("opens_on", "pk")[:limit]:
        with transaction.atomic():
            if _open(survey, now):
                opened += 1
            else:
                log.info("survey %s: not opened (no questions, or opened by another)", survey.pk)
    return opened


def close_due(*, now: datetime | None = None) -> int:
    """Close the open surveys whose closing day has passed; how many."""
    now = now or clock.now()
    return Survey.objects.filter(status=Status.OPEN, closes_on__lt=today(now)).update(
        status=Status.CLOSED, closed_at=now
    )


# --- answers ---------------------------------------------------------------------------------
def _respondent(actor: User, survey: Survey) -> None:
    if actor.role == Role.CUSTOMER:
        if actor.organisation_id != survey.project.organisation_id:
            raise NotFound()
        return
    raise PermissionDenied(_("The survey is answered by the customer's users."))


def _taking_answers(survey: Survey, now: datetime) -> None:
    if survey.status != Status.OPEN or not survey.opens_on <= today(now) <= survey.closes_on:
        raise TransitionError(_("This survey is not taking answers now."))


def field_name(question: Question) -> str:
    """The answer's field in forms and in error messages."""
    return f"q{question.pk}"


@transaction.atomic
def response_submit(
    *,
    actor: User,
    survey: Survey,
    answers: Mapping[int, Any],
    now: datetime | None = None,
) -> Response:
    """A customer's answers to the open survey, once: ``answers`` maps each question's id to
    a rating (1–5), an option or a text. All are checked before anything is kept."""
    now = now or clock.now()
    _respondent(actor, survey)
    _taking_answers(survey, now)
    questions = list(survey.questions.order_by("position"))
    unknown = set(answers) - {question.pk for question in questions}
    if unknown:
        raise ValidationError(
            fields={"answers": [_("Some answers are not to a question of this survey.")]}
        )
    if Response.objects.filter(survey=survey, respondent=actor).exists():
        raise TransitionError(_("You have answered this survey already. Thank you!"))
    rows, problems = _checked(questions, answers)
    if problems:
        raise ValidationError(_("Some answers need your attention."), fields=problems)
    try:
        with transaction.atomic():
            response = Response.objects.create(survey=survey, respondent=actor, submitted_at=now)
    except IntegrityError:  # the same person's second request, at the same moment
        raise TransitionError(_("You have answered this survey already. Thank you!")) from None
    for answer in rows:
        answer.response = response
    Answer.objects.bulk_create(rows)
    return response


def _checked(
    questions: list[Question], answers: Mapping[int, Any]
) -> tuple[list[Answer], dict[str, list[str]]]:
    rows: list[Answer] = []
    problems: dict[str, list[str]] = {}
    for question in questions:
        raw = answers.get(question.pk)
        try:
            answer = _answer(question, raw)
        except ValidationError as error:
            problems[field_name(question)] = [str(error)]
            continue
        if answer is not None:
            rows.append(answer)
    return rows, problems


def _blank(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def _answer(question: Question, raw: Any) -> Answer | None:
    """The answer to ``question`` (None: left blank and not required), or a ValidationError
    whose message says what is wrong."""
    if _blank(raw):
        if question.required:
            raise ValidationError(_("Please answer this question."))
        return None
    if question.kind == QuestionKind.RATING:
        return Answer(question=question, rating=_rating(raw))
    if question.kind == QuestionKind.CHOICE:
        choice = str(raw).strip()
        if choice not in question.options:
            raise ValidationError(_("Choose one of the options."))
        return Answer(question=question, choice=choice)
    text = str(raw).strip()
    if len(text) > TEXT_LIMIT:
        raise ValidationError(
            _("Please keep it to %(limit)d characters (this is %(length)d).")
            % {"limit": TEXT_LIMIT, "length": len(text)}
        )
    return Answer(question=question, text=text)


def _rating(raw: Any) -> int:
    if isinstance(raw, bool):
        raise ValidationError(_("Rate from 1 to 5."))
    try:
        rating = int(str(raw).strip())
    except ValueError:
        raise ValidationError(_("Rate from 1 to 5.")) from None
    if not 1 <= rating <= 5:
        raise ValidationError(_("Rate from 1 to 5."))
    return rating

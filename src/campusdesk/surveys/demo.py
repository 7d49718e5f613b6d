"""Demo satisfaction surveys of 新疆师范大学's contract: last semester's, closed, answered by the
demo customer ``user`` and three colleagues of the graduate school (accounts that cannot log
in); and this semester's, open since three days, that ``user`` has yet to answer. 昆仑大学's
survey of this semester is a draft. Running it again changes nothing."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from campusdesk.accounts.models import User
from campusdesk.accounts.roles import Role
from campusdesk.catalog.models import Project
from campusdesk.core import clock
from campusdesk.surveys import services
from campusdesk.surveys.models import QuestionKind, Survey

#: colleagues of ``user`` who answered: username -> display name
RESPONDENTS = {
    "xjnu_survey1": "研究生院 王老师",
    "xjnu_survey2": "研究生院 张老师",
    "xjnu_survey3": "学位办 赵老师",
}
#: each respondent's ratings of the five rating questions, and their comment
ANSWERS: list[tuple[tuple[int, ...], str]] = [
    ((5, 4, 5, 4, 5), "工程师响应很快，成绩录入问题当天解决。"),
    ((4, 3, 4, 4, 4), "希望学期初选课高峰期增加值守人员。"),
    ((5, 5, 4, 3, 4), ""),
    ((3, 3, 4, 4, 3), "域名变更后单点登录故障恢复较慢，建议提前演练。"),
]


def semesters(day: date) -> tuple[str, str]:
    """The label of the semester before the one ``day`` is in, and of that one."""
    if day.month >= 9 or day.month == 1:
        year = day.year if day.month >= 9 else day.year - 1
        return f"{year} 春季学期", f"{year} 秋季学期"
    return f"{day.year - 1} 秋季学期", f"{day.year} 春季学期"


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=clock.local(clock.now()).tzinfo)


def _respondents(organisation_id: int) -> list[User]:
    people = []
    for username, name in RESPONDENTS.items():
        person, created = User.objects.get_or_create(
            username=username,
            defaults={
                "role": Role.CUSTOMER,
                "organisation_id": organisation_id,
                "display_name": name,
                "email": f"{username}@xjnu.example",
            },
        )
        if created:
            person.set_unusable_password()
            person.save(update_fields=["password"])
        people.append(person)
    return people


def _answer(survey: Survey, person: User, ratings: tuple[int, ...], comment: str, day: int) -> None:
    """``person``'s answers, ``day`` days after the survey opened."""
    questions = list(survey.questions.order_by("position"))
    rated = [q for q in questions if q.kind == QuestionKind.RATING]
    answers: dict[int, object] = {q.pk: r for q, r in zip(rated, ratings, strict=False)}
    answers.update({q.pk: comment for q in questions if q.kind == QuestionKind.TEXT})
    submitted = _at(survey.opens_on + timedelta(days=day), 10)
    services.response_submit(actor=person, survey=survey, answers=answers, now=submitted)


def load(people: dict[str, User], projects: dict[str, Project]) -> None:
    project = projects.get("xjnu")
    if project is None or Survey.objects.filter(project=project).exists():
        return
    manager = people["manager"]
    colleagues = _respondents(project.organisation_id)
    today = clock.local(clock.now()).date()
    last, current = semesters(today)
    opens = today - timedelta(days=150)
    closed = services.survey_create(
        actor=manager,
        project=project,
        title=f"{last}运维服务满意度调查",
        period_label=last,
        opens_on=opens,
        closes_on=opens + timedelta(days=14),
        now=_at(opens - timedelta(days=7), 10),
    )
    services.survey_open(actor=manager, survey=closed, now=_at(opens, 9))
    respondents = [people["user"], *colleagues]
    for day, (person, (ratings, comment)) in enumerate(zip(respondents, ANSWERS, strict=True)):
        _answer(closed, person, ratings, comment, day)
    services.survey_close(actor=manager, survey=closed, now=_at(closed.closes_on, 18))
    opens = today - timedelta(days=3)
    current_survey = services.survey_create(
        actor=manager,
        project=project,
        title=f"{current}运维服务满意度调查",
        period_label=current,
        opens_on=opens,
        closes_on=today + timedelta(days=11),
        now=_at(opens - timedelta(days=2), 10),
    )
    services.survey_open(actor=manager, survey=current_survey, now=_at(opens, 9))
    _answer(current_survey, colleagues[0], (5, 5, 4, 4, 5), "本学期服务很及时。", 1)
    _draft(people["ops"], projects.get("univ2"), current, today)


def _draft(ops: User, project: Project | None, label: str, today: date) -> None:
    """昆仑大学's survey of this semester, drafted by operations: it opens in two weeks."""
    if project is None:
        return
    services.survey_create(
        actor=ops,
        project=project,
        title=f"{label}运维服务满意度调查",
        period_label=label,
        opens_on=today + timedelta(days=14),
        closes_on=today + timedelta(days=28),
    )

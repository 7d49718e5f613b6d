"""The figures of satisfaction surveys: one survey's results (the results page and the API),
and the surveys of some projects over a period (the service report). Each is a fixed number
of queries, whatever the number of responses."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Avg, Count, QuerySet

from campusdesk.catalog.models import Project
from campusdesk.surveys.models import Answer, Question, QuestionKind, Status, Survey
from campusdesk.surveys.services import customers_of

#: the most free-text answers a results page lists (the latest)
TEXTS_SHOWN = 500
RATINGS = (5, 4, 3, 2, 1)


@dataclass(frozen=True)
class Bar:
    label: str
    count: int
    percent: int


@dataclass
class QuestionResult:
    question: Question
    answers: int = 0
    average: float | None = None
    #: ratings 5 to 1, or a choice's options in order, with their counts
    distribution: list[Bar] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Results:
    survey: Survey
    responses: int
    invited: int
    #: responses ÷ customers invited, in percent (None: nobody was invited)
    rate: int | None
    #: the mean of every rating given, over all rating questions
    average: float | None
    questions: list[QuestionResult]


def _percent(part: int, whole: int) -> int | None:
    return round(100 * part / whole) if whole else None


def _mean(counts: dict[int, int]) -> float | None:
    total = sum(counts.values())
    return round(sum(r * n for r, n in counts.items()) / total, 2) if total else None


def results(survey: Survey) -> Results:
    """The survey's responses, response rate, and per question its answers: a rating's
    average and distribution, a choice's counts, a text's answers (latest first)."""
    questions = list(survey.questions.order_by("position"))
    rows = {question.pk: QuestionResult(question) for question in questions}
    ratings: dict[int, dict[int, int]] = defaultdict(dict)
    choices: dict[int, dict[str, int]] = defaultdict(dict)
    answers = Answer.objects.filter(question__survey=survey)
    counted = answers.values("question_id", "rating", "choice").annotate(n=Count("pk"))
    for row in counted.order_by():
        if row["rating"] is not None:
            ratings[row["question_id"]][row["rating"]] = row["n"]
        elif row["choice"]:
            choices[row["question_id"]][row["choice"]] = row["n"]
    texts = (
        answers.filter(question__kind=QuestionKind.TEXT)
        .exclude(text="")
        .order_by("-response__submitted_at", "-pk")
        .values_list("question_id", "text")[:TEXTS_SHOWN]
    )
    for question_id, text in texts:
        rows[question_id].texts.append(text)
    for question in questions:
        _fill(rows[question.pk], ratings.get(question.pk, {}), choices.get(question.pk, {}))
    every: dict[int, int] = defaultdict(int)
    for counts in ratings.values():
        for rating, n in counts.items():
            every[rating] += n
    responses = survey.responses.count()
    invited = customers_of(survey).count() if survey.status == Status.DRAFT else survey.invited
    return Results(
        survey=survey,
        responses=responses,
        invited=invited,
        rate=_percent(responses, invited),
        average=_mean(every),
        questions=list(rows.values()),
    )


def _fill(row: QuestionResult, ratings: dict[int, int], choices: dict[str, int]) -> None:
    kind = row.question.kind
    if kind == QuestionKind.RATING:
        row.answers = sum(ratings.values())
        row.average = _mean(ratings)
        row.distribution = [
            Bar(str(n), ratings.get(n, 0), _percent(ratings.get(n, 0), row.answers) or 0)
            for n in RATINGS
        ]
    elif kind == QuestionKind.CHOICE:
        row.answers = sum(choices.values())
        row.distribution = [
            Bar(option, choices.get(option, 0), _percent(choices.get(option, 0), row.answers) or 0)
            for option in row.question.options
        ]
    else:
        row.answers = len(row.texts)


def report_section(projects: QuerySet[Project], first: date, last: date) -> dict[str, Any]:
    """The surveys of ``projects`` open at some time from ``first`` to ``last`` (opened, not
    drafts), each with its responses, response rate and average rating, and the average of
    each of their rating questions: plain data for the service report."""
    surveys = list(
        Survey.objects.filter(project__in=projects, opens_on__lte=last, closes_on__gte=first)
        .exclude(status=Status.DRAFT)
        .select_related("project")
        .annotate(responded=Count("responses", distinct=True))
        .annotate(average=Avg("responses__answers__rating"))
        .order_by("opens_on", "pk")
    )
    questions = (
        Question.objects.filter(survey__in=[s.pk for s in surveys], kind=QuestionKind.RATING)
        .annotate(n=Count("answers__rating"), average=Avg("answers__rating"))
        .order_by("survey__opens_on", "survey_id", "position")
    )
    titles = {s.pk: s.title for s in surveys}
    return {
        "surveys": [
            {
                "id": s.pk,
                "title": s.title,
                "period_label": s.period_label,
                "project": s.project.name,
                "status": s.status,
                "opens_on": s.opens_on.isoformat(),
                "closes_on": s.closes_on.isoformat(),
                "responses": s.responded,
                "invited": s.invited,
                "response_rate": _percent(s.responded, s.invited),
                "average": _rounded(s.average),
            }
            for s in surveys
        ],
        "questions": [
            {
                "survey": titles[q.survey_id],
                "question": q.text,
                "answers": q.n,
                "average": _rounded(q.average),
            }
            for q in questions
        ],
    }


def _rounded(value: float | None) -> float | None:
    return round(float(value), 2) if value is not None else None

"""The service report's satisfaction surveys (满意度调查): each survey of the report's projects
open at some time in the period, with its responses, response rate and average rating, and
the average of each rating question. The figures are ``surveys.selectors``'; here they become
the section's tables (the page, the workbook, the PDF)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from campusdesk.catalog.models import Project
from campusdesk.reports.availability import Table
from campusdesk.reports.periods import Period
from campusdesk.surveys import selectors
from campusdesk.surveys.models import Status


def compute(projects: QuerySet[Project], period: Period) -> dict[str, Any]:
    return selectors.report_section(projects, period.first, period.last)


def _or_dash(value: Any, suffix: str = "") -> str:
    return "—" if value is None else f"{value}{suffix}"


def tables(data: dict[str, Any]) -> list[Table]:
    """The surveys, and their rating questions' averages."""
    surveys = [
        [
            s["title"],
            s["period_label"],
            f"{s['opens_on']} – {s['closes_on']}",
            str(Status(s["status"]).label),
            f"{s['responses']}/{s['invited']}",
            _or_dash(s["response_rate"], "%"),
            _or_dash(s["average"]),
        ]
        for s in data.get("surveys", [])
    ]
    questions = [
        [q["survey"], q["question"], q["answers"], _or_dash(q["average"])]
        for q in data.get("questions", [])
    ]
    return [
        Table(
            "satisfaction-surveys",
            _("Satisfaction surveys"),
            [
                _("Survey"),
                _("Period surveyed"),
                _("Dates"),
                _("Status"),
                _("Responses"),
                _("Response rate"),
                _("Average rating"),
            ],
            surveys,
            _("No satisfaction survey was open in this period."),
        ),
        Table(
            "satisfaction-questions",
            _("Survey questions: average rating"),
            [
                _("Survey"),
                pgettext("survey", "Question"),
                pgettext("survey", "Answers"),
                _("Average rating"),
            ],
            questions,
            _("No rating was given in this period's surveys."),
        ),
    ]

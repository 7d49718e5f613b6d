"""Improvement suggestions derived from a service report's figures (seed §7.3).

Each rule looks at the figures, and when they cross its threshold says what to do
and which figures support it. Thresholds are deliberately simple and visible here.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from campusdesk.kb.models import Retrospective

if TYPE_CHECKING:
    from campusdesk.reports.report import ServiceReport, Suggestion

Rule = Callable[["ServiceReport"], "list[Suggestion]"]


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "—"


def _hours(value: Decimal | None) -> str:
    from campusdesk.reports.report import hours_text

    return hours_text(value)


def _make(code: str, text: str, figures: list[tuple[str, str]]) -> Suggestion:
    from campusdesk.reports.report import Suggestion

    return Suggestion(code, text, figures)


def consultations(report: ServiceReport) -> list[Suggestion]:
    """Many consultations: users need training and self-service cases."""
    total = report.kpis.total - report.kpis.withdrawn
    count = next((x.count for x in report.totals["service_type"] if x.key == "consultation"), 0)
    if count < 5 or count < 0.3 * total:
        return []
    return [
        _make(
            "training",
            _(
                "Many requests are consultations: hold user training on the product and publish "
                "the common questions in the case library."
            ),
            [(_("Consultations"), str(count)), (_("Share of requests"), _pct(count, total))],
        )
    ]


def slow_resolution(report: ServiceReport) -> list[Suggestion]:
    """A severity whose resolutions miss the target too often."""
    found = []
    for row in report.severity_attainment:
        due = row["resolve_met"] + row["resolve_missed"]
        if not row["key"] or due < 3 or row["resolution"] is None or row["resolution"] >= 80:
            continue
        found.append(
            _make(
                f"resolution_{row['key']}",
                _(
                    "%(severity)s problems are often not resolved within the target: escalate to "
                    "the experts earlier, prepare emergency plans and check the staffing of line 1."
                )
                % {"severity": row["key"]},
                [
                    (_("Resolved within the target"), f"{row['resolution']}%"),
                    (_("Missed"), str(row["resolve_missed"])),
                    (_("Came due"), str(due)),
                ],
            )
        )
    return found


def acceptance(report: ServiceReport) -> list[Suggestion]:
    ratio = report.kpis.acceptance
    if ratio.total < 3 or ratio.percent is None or ratio.percent >= 90:
        return []
    return [
        _make(
            "acceptance",
            _(
                "Problems wait too long before they are accepted: review the duty roster and the "
                "notification settings of the project team."
            ),
            [(_("Accepted within 24 h"), f"{ratio.percent}%"), (_("Late"), str(ratio.bad))],
        )
    ]


def repeated_changes(report: ServiceReport) -> list[Suggestion]:
    """The same out-of-scope change again and again: agree how such changes are made."""
    return [
        _make(
            f"out_of_scope_{line.key}",
            _(
                "Repeated out-of-scope work (%(change)s): agree a change procedure with the "
                "customer, announce such changes in advance, or contract them as a service "
                "package."
            )
            % {"change": line.label},
            [(_("Tickets"), str(line.count)), (_("Hours"), _hours(line.hours))],
        )
        for line in report.out_of_scope
        if line.count >= 2
    ]


def rejections(report: ServiceReport) -> list[Suggestion]:
    k = report.kpis
    if k.closure_requested < 5 or (k.rejection_rate or 0) < 20:
        return []
    return [
        _make(
            "rejections",
            _(
                "Many solutions are rejected by the customer: verify the solution with the user "
                "before requesting closure."
            ),
            [
                (_("Rejection rate"), f"{k.rejection_rate}%"),
                (_("Rejected"), str(k.rejected_tickets)),
            ],
        )
    ]


def satisfaction(report: ServiceReport) -> list[Suggestion]:
    k = report.kpis
    low = k.ratings.get(1, 0) + k.ratings.get(2, 0)
    if k.rated < 3 or ((k.rating_average or 5) >= 4 and low < 2):
        return []
    return [
        _make(
            "satisfaction",
            _(
                "Satisfaction is low: the service manager should call the users who rated 1 or 2 "
                "and agree improvements."
            ),
            [(_("Average rating"), str(k.rating_average)), (_("Ratings of 1–2"), str(low))],
        )
    ]


ROOT_CAUSE_ADVICE = {
    Retrospective.RootCause.USAGE: "usage",
    Retrospective.RootCause.ENVIRONMENT: "environment",
    Retrospective.RootCause.PRODUCT_BUG: "product_bug",
    Retrospective.RootCause.CONFIGURATION: "configuration",
    Retrospective.RootCause.DATA: "data",
}


def _root_cause_text(cause: str) -> str:
    return {
        "usage": _("Many problems come from usage: train the users and write guides."),
        "environment": _(
            "Many problems come from the environment: keep the inventory of the "
            "system environments current and monitor servers and certificates."
        ),
        "product_bug": _(
            "Many problems are product defects: plan an upgrade to the version that fixes them."
        ),
        "configuration": _(
            "Many problems are configuration errors: review the configuration "
            "and record every change."
        ),
        "data": _("Many problems are data errors: add checks at data entry and import."),
    }.get(cause, "")


def root_causes(report: ServiceReport) -> list[Suggestion]:
    total = sum(line.count for line in report.root_causes)
    return [
        _make(
            f"cause_{line.key}",
            _root_cause_text(line.key),
            [
                (line.label, str(line.count)),
                (_("Share of retrospectives"), _pct(line.count, total)),
            ],
        )
        for line in report.root_causes
        if line.key in ROOT_CAUSE_ADVICE and total >= 3 and line.count >= 0.3 * total
    ]


def recurring(report: ServiceReport) -> list[Suggestion]:
    return [
        _make(
            "recurring",
            _(
                "“%(title)s” came back %(count)d times: write it up in the case library and "
                "look for the lasting fix."
            )
            % {"title": group.title, "count": group.count},
            [(_("Ticket numbers"), ", ".join(group.numbers[:5]))],
        )
        for group in report.groups[:3]
        if group.count >= 3
    ]


def urges(report: ServiceReport) -> list[Suggestion]:
    k = report.kpis
    if k.urged_tickets < 3:
        return []
    return [
        _make(
            "urges",
            _(
                "Customers often urge: tell them about progress before they ask, and keep the "
                "committed time realistic."
            ),
            [(_("Urged tickets"), str(k.urged_tickets)), (_("Urges"), str(k.urges))],
        )
    ]


RULES: tuple[Rule, ...] = (
    consultations,
    slow_resolution,
    acceptance,
    repeated_changes,
    rejections,
    satisfaction,
    root_causes,
    recurring,
    urges,
)


def derive(report: ServiceReport) -> list[Suggestion]:
    return [suggestion for rule in RULES for suggestion in rule(report)]

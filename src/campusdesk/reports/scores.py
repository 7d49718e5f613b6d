"""Performance scores (绩效评分, R-OPS-4): each person's and each line's KPI row of a period,
weighed by the period's scoring scheme and ranked.

The figures are the rows of the KPI page's per-person and per-team tables
(``selectors.handler_rows``), so every figure of a score is the KPI page's, filtered to that
person or line. Only the retrospectives done are read here: the retrospectives a person
recorded (``kb.Retrospective``, status done) in the period, of the problems the viewer sees;
a line's are those of its experts (line 2, line 3, the task force).

A score is the sum of its points (``points``):

* accepted within 24 h, resolved by the committed time (percent) and the average rating
  (1 star 0, 5 stars 100) earn their weight at 100; a figure with nothing to measure (no
  acceptance, nothing resolved against a commitment, nothing rated) leaves its weight to
  the others of the three, in proportion;
* the rejection (re-open) rate costs its weight at 100 %; each urge and each complaint
  costs its weight; each retrospective done earns its weight.

Rank 1 is the highest score; equal scores (to one decimal) share a rank (1, 1, 3).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from io import BytesIO
from typing import Any
from urllib.parse import urlencode

from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook  # type: ignore[import-untyped]
from openpyxl.styles import Font  # type: ignore[import-untyped]

from campusdesk.accounts.models import User
from campusdesk.accounts.roles import EXPERT_TIERS, Role
from campusdesk.kb.models import Retrospective
from campusdesk.reports import exports, kpi, selectors
from campusdesk.reports import report as reports
from campusdesk.reports.models import ScoringScheme
from campusdesk.reports.periods import Period
from campusdesk.tickets.models import Tier

#: the weights of a period without a scheme of its own (``ScoringScheme``'s defaults)
DEFAULT_WEIGHTS: dict[str, float] = {
    "acceptance": 30.0,
    "commitment": 40.0,
    "rating": 30.0,
    "rejection_rate": 20.0,
    "urges": 2.0,
    "complaints": 5.0,
    "retrospectives": 2.0,
}
#: the weights that earn points (the others cost points, but retrospectives)
QUALITY = ("acceptance", "commitment", "rating")
LABELS: dict[str, str | Promise] = {
    "acceptance": _("Accepted within 24 h"),
    "commitment": _("Resolved by the committed time"),
    "rating": _("Average rating"),
    "rejection_rate": _("Rejection (re-open) rate"),
    "urges": _("Urges"),
    "complaints": _("Complaints"),
    "retrospectives": _("Retrospectives done"),
}
#: the ticket figures whose problems each row lists (the drill-downs of the KPI page)
BEHIND = ("commit_missed", "rejected", "urged", "complained")


def weights_for(period: Period) -> dict[str, float]:
    """The weights of ``period``: its own scheme, else the scheme of every period (an empty
    period), else ``DEFAULT_WEIGHTS``."""
    schemes = {s.period: s for s in ScoringScheme.objects.filter(period__in=[period.key, ""])}
    scheme = schemes.get(period.key) or schemes.get("")
    if scheme is None:
        return dict(DEFAULT_WEIGHTS)
    return {name: float(getattr(scheme, name)) for name in DEFAULT_WEIGHTS}


def period_query(period: Period) -> dict[str, str]:
    """The query string that names ``period`` as it was named (so the same scheme applies)."""
    if ".." in period.key:
        return {"from": period.first.isoformat(), "to": period.last.isoformat()}
    return {"period": period.key}


def figures(k: kpi.Kpis, retrospectives: int) -> dict[str, float | None]:
    """The figures a score weighs, as the KPI page shows them (None: nothing to measure)."""
    return {
        "acceptance": k.acceptance.percent,
        "commitment": k.commitment.percent,
        "rating": k.rating_average,
        "rejection_rate": k.rejection_rate,
        "urges": float(k.urges),
        "complaints": float(k.complaints),
        "retrospectives": float(retrospectives),
    }


def points(figure: dict[str, float | None], weights: dict[str, float]) -> dict[str, float]:
    """What each figure adds to (or takes from) the score."""
    scaled = {
        "acceptance": figure["acceptance"],
        "commitment": figure["commitment"],
        "rating": None if figure["rating"] is None else (figure["rating"] - 1) * 25,
    }
    measured = [name for name in QUALITY if scaled[name] is not None]
    total, given = sum(weights[n] for n in QUALITY), sum(weights[n] for n in measured)
    share = total / given if given else 0.0
    result = {
        name: (scaled[name] or 0.0) * weights[name] / 100 * share if name in measured else 0.0
        for name in QUALITY
    }
    result["rejection_rate"] = -(figure["rejection_rate"] or 0.0) * weights["rejection_rate"] / 100
    for name in ("urges", "complaints"):
        result[name] = -(figure[name] or 0.0) * weights[name]
    result["retrospectives"] = (figure["retrospectives"] or 0.0) * weights["retrospectives"]
    return {name: value + 0.0 for name, value in result.items()}  # never -0.0


def score(point: dict[str, float]) -> float:
    return round(sum(point.values()), 1) + 0.0  # + 0.0: never -0.0


def rank(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``rows`` (each with a ``score`` and a ``name``) the best first, each with its
    ``rank``: 1 the best, equal scores one rank (1, 1, 3)."""
    ordered = sorted(rows, key=lambda row: (-row["score"], str(row["name"])))
    for place, row in enumerate(ordered, start=1):
        tied = place > 1 and ordered[place - 2]["score"] == row["score"]
        row["rank"] = ordered[place - 2]["rank"] if tied else place
    return ordered


@dataclass
class Scores:
    period: Period
    weights: dict[str, float]
    people: list[dict[str, Any]]
    teams: list[dict[str, Any]]


def _retrospectives(user: User, period: Period) -> dict[int, list[tuple[int, str]]]:
    """The (ticket id, number) of the retrospectives each expert recorded in ``period``, of
    the problems ``user`` sees."""
    done = Retrospective.objects.filter(
        status=Retrospective.Status.DONE,
        done_at__gte=period.start,
        done_at__lt=period.end,
        expert__isnull=False,
        ticket__in=kpi.scope(user, kpi.KpiFilters(period=period)).values("pk"),
    ).order_by("ticket__number")
    result: dict[int, list[tuple[int, str]]] = {}
    for expert, pk, number in done.values_list("expert_id", "ticket_id", "ticket__number"):
        result.setdefault(expert, []).append((pk, number))
    return result


def _team_retrospectives(
    by_person: dict[int, list[tuple[int, str]]],
) -> dict[int, list[tuple[int, str]]]:
    """A line's retrospectives: those of the experts of its role (line 2, 3, task force)."""
    roles = User.objects.filter(pk__in=list(by_person), role__in=list(EXPERT_TIERS))
    result: dict[int, list[tuple[int, str]]] = {}
    for pk, role in roles.values_list("pk", "role"):
        result.setdefault(EXPERT_TIERS[Role(role)], []).extend(by_person[pk])
    return {tier: sorted(found, key=lambda t: t[1]) for tier, found in result.items()}


def _rows(
    handled: list[dict[str, Any]],
    retros: dict[int, list[tuple[int, str]]],
    behind: dict[str, dict[Any, list[tuple[int, str]]]],
    weights: dict[str, float],
) -> list[dict[str, Any]]:
    rows = []
    for row in handled:
        done = retros.get(row["key"], [])
        figure = figures(row["k"], len(done))
        point = points(figure, weights)
        tickets = {metric: found.get(row["key"], []) for metric, found in behind.items()}
        rows.append(
            row
            | {
                "figures": figure,
                "points": point,
                "score": score(point),
                "retrospectives": done,
                "tickets": tickets,
            }
        )
    return rank(rows)


def _only_retrospectives(
    retros: dict[int, list[tuple[int, str]]],
    handled: list[dict[str, Any]],
    filters: kpi.KpiFilters,
    by: str,
) -> list[dict[str, Any]]:
    """Rows of the experts (lines) who recorded retrospectives but handled no problem in the
    period: the KPI page's figures of that person (line) are all nought."""
    seen = {row["key"] for row in handled}
    keys = sorted(key for key in retros if key not in seen)
    if by == "person":
        names = {u.pk: str(u) for u in User.objects.filter(pk__in=keys)} if keys else {}
    else:
        names = {int(k): str(v) for k, v in Tier.choices}

    def alone(key: int) -> kpi.KpiFilters:
        return replace(filters, person=key) if by == "person" else replace(filters, tier=key)

    return [
        {
            "key": key,
            "name": names[key],
            "k": kpi.zero(),
            "query": urlencode(alone(key).query()),
        }
        for key in keys
        if key in names
    ]


def build(user: User, period: Period, now: datetime, numbers: bool = True) -> Scores:
    """The scores of ``period`` of the people and lines whose problems ``user`` sees (the
    rows of the KPI page's tables, and whoever recorded a retrospective), with the numbers
    of the problems behind the penalties (``numbers``; the page links to the KPI page's
    lists instead); a fixed number of queries however many people."""
    filters = kpi.KpiFilters(period=period)
    weights = weights_for(period)
    found = kpi.scope(user, filters)
    people = _retrospectives(user, period)
    retros = {"person": people, "team": _team_retrospectives(people)}
    result = {}
    for by in ("person", "team"):
        handled = selectors.handler_rows(user, filters, by, now)
        handled += _only_retrospectives(retros[by], handled, filters, by)
        behind = {
            m: kpi.handler_tickets(found, filters, by, m, now) if numbers else {} for m in BEHIND
        }
        result[by] = _rows(handled, retros[by], behind, weights)
    return Scores(period, weights, result["person"], result["team"])


def as_dict(scores: Scores) -> dict[str, Any]:
    """The scores as JSON: each row the KPI API's row of that person (line) with its
    ``score``, ``rank``, ``points`` and the problems behind them."""

    def row(found: dict[str, Any], by: str) -> dict[str, Any]:
        return {
            by: found["key"],
            "name": found["name"],
            "score": found["score"],
            "rank": found["rank"],
            "points": {name: round(value, 2) + 0.0 for name, value in found["points"].items()},
            "retrospectives": len(found["retrospectives"]),
            "retrospective_tickets": [number for _pk, number in found["retrospectives"]],
            "tickets": {m: [n for _pk, n in found["tickets"][m]] for m in BEHIND},
            **reports.kpi_dict(found["k"]),
        }

    period = scores.period
    return {
        "period": {
            "key": period.key,
            "from": period.first.isoformat(),
            "to": period.last.isoformat(),
        },
        "weights": scores.weights,
        "rows": [row(found, "person") for found in scores.people],
        "teams": [row(found, "team") for found in scores.teams],
    }


# --- the workbook ---------------------------------------------------------------------------
def filename(data: dict[str, Any]) -> str:
    """``performance-scores-<period>.xlsx`` in ASCII."""
    return f"performance-scores-{re.sub(r'[^A-Za-z0-9-]+', '_', data['period']['key'])}.xlsx"


def _header(first: str | Promise) -> list[str]:
    columns: list[str] = [gettext("Rank"), str(first), gettext("Score")]
    for name in DEFAULT_WEIGHTS:
        label = str(LABELS[name])
        columns += [label, gettext("%(figure)s (points)") % {"figure": label}]
    columns += [
        gettext("Problems"),
        *[str(selectors.metric_label(m)) for m in BEHIND],
        gettext("Retrospectives done"),
    ]
    return columns


def _line(row: dict[str, Any]) -> list[Any]:
    values: dict[str, Any] = {
        "acceptance": row["acceptance_within_24h"]["percent"],
        "commitment": row["resolution_by_commitment"]["percent"],
        "rating": row["rating"]["average"],
        "rejection_rate": row["rejection_rate"],
        "urges": row["urges"],
        "complaints": row["complaints"],
        "retrospectives": row["retrospectives"],
    }
    line: list[Any] = [row["rank"], row["name"], row["score"]]
    for name in DEFAULT_WEIGHTS:
        line += [values[name], row["points"][name]]
    line += [row["total"], *[" ".join(row["tickets"][m]) for m in BEHIND]]
    return [*line, " ".join(row["retrospective_tickets"])]


def xlsx(data: dict[str, Any]) -> bytes:
    """The workbook: the people, the lines, and the weights, as the API answers them."""
    book = Workbook()
    book.remove(book.active)
    for title, first, rows in (
        (gettext("Per person"), gettext("Person"), data["rows"]),
        (gettext("Per team"), gettext("Team"), data["teams"]),
    ):
        _sheet(book, title, _header(first), [_line(row) for row in rows])
    weights = [[str(LABELS[name]), value] for name, value in data["weights"].items()]
    _sheet(book, gettext("Weights"), [gettext("Figure"), gettext("Weight")], weights)
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _sheet(book: Workbook, name: str, header: list[str], rows: list[list[Any]]) -> None:
    sheet = book.create_sheet(name[:31])
    sheet.append([exports.safe_cell(h) for h in header])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([exports.safe_cell(v) for v in row])
    sheet.column_dimensions["B"].width = 24


#: who reads the scores: those who answer for others' work (not the people scored)
SCORE_READERS = frozenset({Role.MANAGER, Role.SUPERVISOR, Role.HQ, Role.OPS, Role.ADMIN})


def may_read(user: User) -> bool:
    """Managers, supervisors, HQ, operations and administrators read the scores; the
    engineers and experts scored read their own figures on the KPI page."""
    return user.role in SCORE_READERS

"""Every KPI of the hand-built month against values worked out by hand (see conftest)."""

from __future__ import annotations

from datetime import timedelta

from campusdesk.reports import kpi, periods
from tests.reports.conftest import Month

H = timedelta(hours=1)
NOVEMBER = periods.parse("2026-11")


def _kpis(month: Month, **filters: object) -> kpi.Kpis:
    chosen = kpi.KpiFilters(period=NOVEMBER, **filters)  # type: ignore[arg-type]
    found = kpi.tickets(month.people["hq"], chosen)
    return kpi.compute(found, chosen, month.now)


def _drill(month: Month, metric: str, **filters: object) -> set[str]:
    chosen = kpi.KpiFilters(period=NOVEMBER, **filters)  # type: ignore[arg-type]
    found = kpi.drill(kpi.tickets(month.people["hq"], chosen), chosen, metric, month.now)
    names = {t.pk: name for name, t in month.tickets.items()}
    return {names[pk] for pk in found.values_list("pk", flat=True)}


def test_counts_and_attainment(month: Month) -> None:
    k = _kpis(month)
    assert (k.total, k.withdrawn, k.open, k.closed) == (6, 1, 3, 2)
    # acceptances: A 1 h, B 30 h, C line 1 1 h, C line 2 25 h after escalation, F 1 h;
    # D has waited 40 h: 3 on time of 6
    assert (k.acceptance.good, k.acceptance.total, k.acceptance.percent) == (3, 6, 50.0)
    # response (4 h): A, C, F met; B (30 h) and D (unanswered) missed
    assert (k.response.good, k.response.total) == (3, 5)
    # resolution (8 h + paused): A met; B (45 h), C and D overdue missed; F stands still
    assert (k.resolution.good, k.resolution.total, k.resolution.percent) == (1, 4, 25.0)
    # commitment: A 5 ≤ 6, B 45 ≤ 50 met; C past line 2's +40 h; D none; F not due
    assert (k.commitment.good, k.commitment.total, k.commitment.percent) == (2, 3, 66.7)


def test_changes_escalations_and_complaints(month: Month) -> None:
    k = _kpis(month)
    assert (k.commitment_changes, k.tickets_with_commitment_changes) == (1, 1)
    assert (k.escalations, k.escalated_tickets) == (1, 1)
    assert (k.urges, k.urged_tickets, k.complaints) == (1, 1, 1)
    assert (k.closure_requested, k.rejected_tickets, k.rejections) == (2, 1, 1)
    assert k.rejection_rate == 50.0
    assert (k.rated, k.rating_average) == (2, 3.5)
    assert k.ratings == {1: 0, 2: 1, 3: 0, 4: 0, 5: 1}


def test_median_and_p90(month: Month) -> None:
    k = _kpis(month)
    # first acceptance after registration: A 1, B 30, C 1, F 1 → ranks 2 and 4
    assert (k.accept_time.count, k.accept_time.median, k.accept_time.p90) == (4, H, 30 * H)
    assert (k.response_time.median, k.response_time.p90) == (H, 30 * H)
    # solutions standing: A 5 h, B 45 h (its first, rejected one does not count)
    assert (k.resolution_time.count, k.resolution_time.median) == (2, 5 * H)
    assert k.resolution_time.p90 == 45 * H


def test_person_counts_their_own_actions(month: Month) -> None:
    expert = month.people["expert2"].pk
    k = _kpis(month, person=expert)
    assert k.total == 1  # C only
    assert (k.acceptance.good, k.acceptance.total) == (0, 1)  # 25 h after it reached line 2
    assert k.escalations == 0  # the engineer escalated it, not the expert
    engineer = _kpis(month, person=month.people["engineer"].pk)
    assert engineer.total == 4  # A, B, C, F: D and E were never theirs
    assert (engineer.acceptance.good, engineer.acceptance.total) == (3, 4)
    assert engineer.escalations == 1


def test_tier_filter(month: Month) -> None:
    line2 = _kpis(month, tier=2)
    assert line2.total == 1
    assert (line2.acceptance.good, line2.acceptance.total, line2.escalations) == (0, 1, 0)
    line1 = _kpis(month, tier=1)
    assert line1.escalations == 1


def test_drill_downs_match_the_figures(month: Month) -> None:
    assert _drill(month, "accept_late") == {"B", "C", "D"}
    assert _drill(month, "accept_on_time") == {"A", "C", "F"}  # C: on time at line 1
    assert _drill(month, "respond_missed") == {"B", "D"}
    assert _drill(month, "resolve_met") == {"A"}
    assert _drill(month, "resolve_missed") == {"B", "C", "D"}
    assert _drill(month, "commit_missed") == {"C"}
    assert _drill(month, "commit_changed") == {"B"}
    assert _drill(month, "escalated") == {"C"}
    assert _drill(month, "rejected") == {"B"}
    assert _drill(month, "complained") == {"C"}
    assert _drill(month, "rating_2") == {"B"}
    assert _drill(month, "withdrawn") == {"E"}
    assert _drill(month, "accept_late", person=month.people["expert2"].pk) == {"C"}


def test_other_month_and_scope(month: Month) -> None:
    october = kpi.KpiFilters(period=periods.parse("2026-10"))
    assert kpi.compute(kpi.tickets(month.people["hq"], october), october, month.now).total == 0
    # the other university's customer sees none of these tickets
    chosen = kpi.KpiFilters(period=NOVEMBER)
    assert kpi.tickets(month.people["user2"], chosen).count() == 0


def test_rows_per_handler(month: Month) -> None:
    """The engineer escalated C to line 2: it stays among their problems (the row used to
    count only the problems they held at the end, 3)."""
    chosen = kpi.KpiFilters(period=NOVEMBER)
    scope = kpi.scope(month.people["hq"], chosen)
    rows = kpi.handler_rows(scope, chosen, "person", month.now)
    engineer = rows[month.people["engineer"].pk]
    assert engineer.total == 4  # A, B, C, F
    assert (engineer.resolution.good, engineer.resolution.bad) == (1, 2)  # A; B and C
    assert engineer.rating_average == 3.5
    assert rows[month.people["expert2"].pk].total == 1
    assert rows[month.people["engineer"].pk] == _kpis(month, person=month.people["engineer"].pk)

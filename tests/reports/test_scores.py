"""Performance scores (绩效评分, R-OPS-4): each score is the weighted sum of the KPI row of the
same person (line) and period, recomputed here from ``/api/v1/reports/kpi/?by=person``; ranks,
the scheme of a period, the workbook, who may read them."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from io import BytesIO
from typing import Any

import openpyxl
import pytest
import time_machine
from django.db import transaction
from hypothesis import HealthCheck, Phase, given, settings

from campusdesk.accounts.models import User
from campusdesk.kb import services as kb
from campusdesk.kb.models import Retrospective
from campusdesk.reports import scores
from campusdesk.reports.models import ScoringScheme
from campusdesk.site.navigation import items_for
from campusdesk.tickets.models import Ticket
from tests.helpers import api_client_for, web_client_for
from tests.reports.conftest import Month, at
from tests.reports.test_kpi_rows import Cast, Move, _play, cast, moves  # noqa: F401

NOVEMBER = {"period": "2026-11"}
KPI_KEYS = ("total", "acceptance_within_24h", "resolution_by_commitment", "rating", "urges")


def expected_score(row: dict[str, Any], retrospectives: int, w: dict[str, float]) -> float:
    """The score of a KPI API row, written out from the weights' definitions."""
    average = row["rating"]["average"]
    quality = {
        "acceptance": row["acceptance_within_24h"]["percent"],
        "commitment": row["resolution_by_commitment"]["percent"],
        "rating": None if average is None else (average - 1) * 25,
    }
    measured = {name: value for name, value in quality.items() if value is not None}
    given_weight = sum(w[name] for name in measured)
    earned = sum(value * w[name] / 100 for name, value in measured.items())
    if given_weight:
        earned *= (w["acceptance"] + w["commitment"] + w["rating"]) / given_weight
    return (
        earned
        - (row["rejection_rate"] or 0) * w["rejection_rate"] / 100
        - row["urges"] * w["urges"]
        - row["complaints"] * w["complaints"]
        + retrospectives * w["retrospectives"]
    )


def _get(user: User, url: str, now: datetime, **params: Any) -> Any:
    client = api_client_for(user, language="zh-hans")
    with time_machine.travel(now, tick=False):
        return client.get(url, {**NOVEMBER, **params})


def _json(user: User, url: str, now: datetime, **params: Any) -> dict[str, Any]:
    response = _get(user, url, now, **params)
    assert response.status_code == 200, response.content
    data: dict[str, Any] = response.json()
    return data


def assert_reconciles(hq: User, now: datetime) -> dict[str, Any]:
    """Every score row: the KPI row of that person (line), and the weighted sum of it."""
    data = _json(hq, "/api/v1/reports/scores/", now)
    weights = data["weights"]
    for by, key, rows in (("person", "person", data["rows"]), ("team", "team", data["teams"])):
        kpi = {r[key]: r for r in _json(hq, "/api/v1/reports/kpi/", now, by=by)["rows"]}
        handled = [row for row in rows if row[key] in kpi]
        assert len(handled) == len(kpi), by  # every KPI row is scored
        for row in rows:
            figures = kpi.get(row[key]) or _json(hq, "/api/v1/reports/kpi/", now, person=row[key])
            assert {k: row[k] for k in figures if k not in (by, "name")} == {
                k: v for k, v in figures.items() if k not in (by, "name")
            }
            assert row["score"] == pytest.approx(
                expected_score(figures, row["retrospectives"], weights), abs=0.05
            ), (by, row)
            assert row["score"] == pytest.approx(sum(row["points"].values()), abs=0.06)
        assert [r["rank"] for r in rows] == sorted(r["rank"] for r in rows)
        assert [r["score"] for r in rows] == sorted((r["score"] for r in rows), reverse=True)
    return data


# --- the hand-built month ---------------------------------------------------------------------
def _retrospective(ticket: Ticket, expert: User, hours: float) -> None:
    with time_machine.travel(at(hours), tick=False):
        kb.retrospective_record(
            ticket_id=ticket.pk,
            actor=expert,
            findings="补丁未打全",
            root_cause="product_bug",
            tags=["补丁"],
            case_needed=False,
            now=at(hours),
        )


def test_scores_reconcile_with_the_kpi_rows(month: Month) -> None:
    people = month.people
    _retrospective(month.tickets["B"], people["expert2"], 50)
    _retrospective(month.tickets["A"], people["expert3"], 51)  # handled nothing this month
    data = assert_reconciles(people["hq"], month.now)
    assert data["period"] == {"key": "2026-11", "from": "2026-11-01", "to": "2026-11-30"}
    assert data["weights"] == scores.DEFAULT_WEIGHTS
    rows = {row["person"]: row for row in data["rows"]}
    engineer = rows[people["engineer"].pk]
    # 75 % accepted, 66.7 % by the commitment, rating 3.5 (62.5), 50 % rejected, 1 urge,
    # 1 complaint: 22.5 + 26.68 + 18.75 - 10 - 2 - 5
    assert engineer["score"] == 50.9
    assert engineer["points"]["complaints"] == -5.0
    assert engineer["tickets"] == {
        "commit_missed": [month.tickets["C"].number],
        "rejected": [month.tickets["B"].number],
        "urged": [month.tickets["C"].number],
        "complained": [month.tickets["C"].number],
    }
    expert2 = rows[people["expert2"].pk]  # C: accepted late, missed, urged, complained about
    assert expert2["score"] == -5.0  # 0 - 2 - 5 + 2 for the retrospective of B
    assert expert2["retrospective_tickets"] == [month.tickets["B"].number]
    expert3 = rows[people["expert3"].pk]
    assert (expert3["total"], expert3["score"], expert3["rank"]) == (0, 2.0, 2)
    assert [r["person"] for r in data["rows"]] == [
        people[name].pk for name in ("engineer", "expert3", "expert2")
    ]
    teams = {row["team"]: row for row in data["teams"]}
    assert teams[2]["retrospectives"] == 1 and teams[3]["retrospectives"] == 1
    assert (teams[3]["total"], teams[3]["score"], teams[3]["name"]) == (0, 2.0, "三线：产品专家")


@pytest.mark.django_db(transaction=False)
@settings(
    max_examples=6,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(flow=moves)
def test_scores_reconcile_on_generated_flows(cast: Cast, flow: list[Move]) -> None:  # noqa: F811
    with transaction.atomic():
        now = _play(cast, flow)
        expert = User.objects.get(username="expert2")
        for retro in Retrospective.objects.filter(ticket__project__in=cast.projects)[:2]:
            done = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
            kb.retrospective_record(
                ticket_id=retro.ticket_id,
                actor=expert,
                findings="配置错误",
                root_cause="configuration",
                tags=[],
                case_needed=False,
                now=done,
            )
        assert_reconciles(cast.hq, max(now, datetime(2026, 12, 1, tzinfo=UTC)))
        transaction.set_rollback(True)


def test_ranks_order_and_share_ties() -> None:
    rows = [{"name": n, "score": s} for n, s in (("b", 70.0), ("d", 10.0), ("a", 70.0), ("c", 50))]
    ranked = scores.rank(rows)
    assert [(r["name"], r["rank"]) for r in ranked] == [("a", 1), ("b", 1), ("c", 3), ("d", 4)]


def test_a_period_has_its_own_scheme(month: Month) -> None:
    ScoringScheme.objects.create(period="", urges=Decimal("1"))
    ScoringScheme.objects.create(period="2026-11", urges=Decimal("10"), complaints=Decimal("0"))
    data = assert_reconciles(month.people["hq"], month.now)
    assert (data["weights"]["urges"], data["weights"]["complaints"]) == (10.0, 0.0)
    engineer = next(r for r in data["rows"] if r["person"] == month.people["engineer"].pk)
    assert engineer["score"] == 47.9  # 22.5 + 26.68 + 18.75 - 10 - 10
    other = _json(month.people["hq"], "/api/v1/reports/scores/", month.now, period="2026-Q4")
    assert other["weights"]["urges"] == 1.0  # the scheme of every other period


def test_workbook_has_the_same_rows(month: Month) -> None:
    hq = month.people["hq"]
    data = _json(hq, "/api/v1/reports/scores/", month.now)
    response = _get(hq, "/api/v1/reports/scores/", month.now, format="xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert 'filename="performance-scores-2026-11.xlsx"' in response["Content-Disposition"]
    book = openpyxl.load_workbook(BytesIO(response.content), read_only=True)
    assert book.sheetnames == ["按人员", "按团队", "权重"]
    for sheet, rows in ((book["按人员"], data["rows"]), (book["按团队"], data["teams"])):
        lines = list(sheet.iter_rows(values_only=True))
        assert lines[0][:3] == ("排名", "人员" if sheet.title == "按人员" else "团队", "得分")
        assert [line[:3] for line in lines[1:]] == [
            (r["rank"], r["name"], r["score"]) for r in rows
        ]
    weights = list(book["权重"].iter_rows(values_only=True))[1:]
    assert [value for _label, value in weights] == list(data["weights"].values())


def test_page_shows_the_scores_in_bounded_queries(
    month: Month, django_assert_max_num_queries: Any
) -> None:
    client = web_client_for(month.people["ops"])
    with time_machine.travel(month.now, tick=False), django_assert_max_num_queries(22):
        response = client.get("/reports/scores/", NOVEMBER)
    assert response.status_code == 200
    html = response.content.decode()
    engineer = month.people["engineer"].pk
    assert f'<tr data-key="{engineer}">' in html
    assert "<strong>50.9</strong>" in html
    assert "/api/v1/reports/scores/?period=2026-11&amp;format=xlsx" in html
    assert "下载 Excel" in html and "绩效评分" in html
    urged = f"?metric=urged&amp;from=2026-11-01&amp;to=2026-11-30&amp;person={engineer}"
    assert f'href="/reports/kpi/tickets/{urged}">1</a>' in html


def test_who_may_read_the_scores(month: Month) -> None:
    people = month.people
    for who, status in (("user", 403), ("user2", 403), ("engineer", 403), ("manager", 200)):
        client = web_client_for(people[who])
        with time_machine.travel(month.now, tick=False):
            assert client.get("/reports/scores/", NOVEMBER).status_code == status, who
            kpi = client.get("/reports/kpi/", NOVEMBER).status_code
        # customers see neither; an engineer reads the KPI page, not the others' scores
        assert kpi == (200 if who == "engineer" else status), who
        assert _get(people[who], "/api/v1/reports/scores/", month.now).status_code == status
    navigation = {who: [i.url_name for i in items_for(people[who])] for who in people}
    assert "reports:scores" in navigation["ops"] and "reports:scores" in navigation["hq"]
    assert "reports:scores" not in navigation["engineer"] + navigation["user"]


def test_a_wrong_period_is_refused_in_chinese(month: Month) -> None:
    response = _get(month.people["hq"], "/api/v1/reports/scores/", month.now, period="2026-13")
    assert response.status_code == 400
    assert "请给出月份" in response.content.decode()
    client = web_client_for(month.people["hq"])
    assert client.get("/reports/scores/", {"period": "2026-13"}).status_code == 404

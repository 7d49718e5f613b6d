"""SQL injection (issue 23 §1) kept out by construction, checked over the source: no query is
built by formatting except the few reviewed statements whose only interpolations are the
model's own table and column names quoted by the database backend (every value a
parameter), ruff's S608 finds any new one in ``make test`` and this test names where the
exceptions may be; no ``raw``/``extra``/``RawSQL``; and no ordering comes from a request —
every ``order_by`` takes literal field names, or one of the reviewed expressions below."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.security

SRC = Path(__file__).resolve().parents[2] / "src" / "campusdesk"
PYPROJECT = SRC.parents[1] / "pyproject.toml"

#: formatted SQL, reviewed: identifiers from ``_meta`` through ``quote_name``, values bound
FORMATTED_SQL = {
    "monitoring/scheduler.py": 1,  # probes' next runs moved in one UPDATE … FROM (VALUES …)
    "sla/services.py": 2,  # deadline firings in one INSERT … ON CONFLICT; next checks
    "tickets/services.py": 1,  # the year's ticket counter, incremented RETURNING
}
#: ``order_by`` with something other than literal names, reviewed: all from code
ORDER_EXPRESSIONS = {
    ("ops/selectors.py", "open_complaints"),  # the deadline, nulls last
    ("reports/report.py", "_totals"),  # a loop over four literal field names
    ("accounts/services.py", "api_token_create"),  # beyond the cap, the least recently used go
    ("sla/policies.py", "current_policy"),  # the contract's levels before the default
}


def _sources() -> list[Path]:
    return [p for p in SRC.rglob("*.py") if "migrations" not in p.parts]


def test_security_lints_are_on() -> None:
    select = re.search(r"^select = \[(.*)\]$", PYPROJECT.read_text(), re.M)
    assert select and '"S"' in select.group(1)  # flake8-bandit: S608 formatted SQL


def test_formatted_sql_only_where_reviewed() -> None:
    found: dict[str, int] = {}
    for path in _sources():
        count = path.read_text(encoding="utf-8").count("noqa: S608")
        if count:
            found[path.relative_to(SRC).as_posix()] = count
    assert found == FORMATTED_SQL


def test_no_raw_querysets_or_extra() -> None:
    for path in _sources():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute | ast.Name):
                name = node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id
                assert name not in {"raw", "extra", "RawSQL"}, f"{path}:{node.lineno}"


def test_orderings_are_literal_or_reviewed() -> None:
    unreviewed = []
    for path in _sources():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef):
                continue
            for node in ast.walk(function):
                if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                    continue
                if node.func.attr != "order_by":
                    continue
                literal = all(
                    isinstance(a, ast.Constant) and isinstance(a.value, str) for a in node.args
                )
                key = (path.relative_to(SRC).as_posix(), function.name)
                if not literal and key not in ORDER_EXPRESSIONS:
                    unreviewed.append(f"{key}: {ast.unparse(node)[:120]}")
    assert not unreviewed, "\n".join(unreviewed)

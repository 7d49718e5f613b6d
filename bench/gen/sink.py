"""Where generated rows go: COPY on PostgreSQL, ``bulk_create`` in batches elsewhere (SQLite).

Rows are dicts of column attnames; a column a row leaves out gets its field's default, so a
column added to a model later does not break the generator.

On PostgreSQL the whole load is one transaction: the secondary indexes and foreign keys of
the tables written are dropped first and built again at the end (one sort per index instead
of a million random inserts, one join per foreign key instead of a trigger per row); if
anything fails, the rollback puts everything back as it was.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.db import connection, models
from django.db.models import Model


class At(int):
    """An instant in epoch seconds (UTC) in a row: written as text without making a datetime."""

    def datetime(self) -> datetime:
        return datetime.fromtimestamp(self, UTC)


_DAYS: dict[int, str] = {}


def _at_text(moment: int) -> str:
    day, second = divmod(moment, 86400)
    prefix = _DAYS.get(day)
    if prefix is None:
        prefix = _DAYS[day] = datetime.fromtimestamp(day * 86400, UTC).strftime("%Y-%m-%d ")
    hour, rest = divmod(second, 3600)
    return f"{prefix}{hour:02d}:{rest // 60:02d}:{rest % 60:02d}+00"


class Sink:
    """Writes batches of rows of a model."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self._columns: dict[type[Model], tuple[list[str], list[Any], set[int]]] = {}

    def columns(self, model: type[Model]) -> tuple[list[str], list[Any], set[int]]:
        """The model's attnames, their defaults, and which of them are JSON."""
        if model not in self._columns:
            fields = model._meta.concrete_fields
            names = [f.attname for f in fields]
            defaults = [None if f.primary_key else f.get_default() for f in fields]
            json_at = {i for i, f in enumerate(fields) if isinstance(f, models.JSONField)}
            self._columns[model] = (names, defaults, json_at)
        return self._columns[model]

    def start(self, models_: Iterable[type[Model]]) -> None:
        """Called once before the first write, with every model that will be written."""

    def write(self, model: type[Model], rows: list[dict[str, Any]]) -> None:
        label = model._meta.label
        self.counts[label] = self.counts.get(label, 0) + len(rows)

    def finish(self) -> None:
        """Called once after the last write."""


class BulkCreateSink(Sink):
    def write(self, model: type[Model], rows: list[dict[str, Any]]) -> None:
        super().write(model, rows)
        objects = [
            model(**{k: v.datetime() if type(v) is At else v for k, v in row.items()})
            for row in rows
        ]
        model._default_manager.bulk_create(objects, batch_size=500)


class CopySink(Sink):
    """PostgreSQL: ``COPY … FROM STDIN`` through psycopg, indexes rebuilt at the end."""

    def __init__(self) -> None:
        super().__init__()
        self._dropped: list[str] = []  # statements that restore what was dropped

    def _cursor(self) -> Any:
        connection.ensure_connection()
        return connection.connection.cursor()

    def start(self, models_: Iterable[type[Model]]) -> None:
        with self._cursor() as cursor:
            # the reference data's deferred foreign-key checks must run before ALTER TABLE
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            for model in models_:
                table = model._meta.db_table
                cursor.execute(
                    "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                    "WHERE conrelid = %s::regclass AND contype = 'f'",
                    [table],
                )
                for name, definition in cursor.fetchall():
                    cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
                    self._dropped.append(
                        f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}'
                    )
                cursor.execute(
                    "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x "
                    "JOIN pg_class i ON i.oid = x.indexrelid WHERE x.indrelid = %s::regclass "
                    "AND NOT EXISTS "
                    "(SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)",
                    [table],
                )
                for name, definition in cursor.fetchall():
                    cursor.execute(f'DROP INDEX "{name}"')
                    self._dropped.insert(0, definition)  # indexes before the foreign keys

    def encode(self, model: type[Model], rows: list[dict[str, Any]]) -> tuple[str, bytes]:
        """The COPY statement and data of ``rows`` (text format); runs in the workers."""
        names, defaults, _json = self.columns(model)
        columns = _columns(model)
        pk = model._meta.pk
        skip = pk is not None and bool(rows) and pk.attname not in rows[0]
        if skip and names[0] != getattr(pk, "attname", None):
            raise ValueError("the primary key must be the first column")
        first = 1 if skip else 0  # without ids the database numbers the rows, in order
        pairs = list(zip(names, defaults, strict=True))[first:]
        listed = ", ".join(f'"{c}"' for c in columns[first:])
        lines = ["\t".join([_text(row.get(n, d)) for n, d in pairs]) for row in rows]
        lines.append("")
        statement = f'COPY "{model._meta.db_table}" ({listed}) FROM STDIN'
        return statement, "\n".join(lines).encode()

    def write(self, model: type[Model], rows: list[dict[str, Any]]) -> None:
        if rows:
            self.write_encoded(model, len(rows), *self.encode(model, rows))

    def write_encoded(self, model: type[Model], count: int, statement: str, data: bytes) -> None:
        self.counts[model._meta.label] = self.counts.get(model._meta.label, 0) + count
        with self._cursor() as cursor, cursor.copy(statement) as copy:
            copy.write(data)

    def finish(self) -> None:
        with self._cursor() as cursor:
            cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
            for statement in self._dropped:
                cursor.execute(statement)
            for label in self.counts:
                model = _model(label)
                cursor.execute(f'ANALYZE "{model._meta.db_table}"')
                if model._meta.pk is not None and isinstance(model._meta.pk, models.AutoField):
                    table, pk = model._meta.db_table, model._meta.pk.column
                    restart = (
                        f"SELECT setval(pg_get_serial_sequence('\"{table}\"', '{pk}'), "  # noqa: S608
                        f'COALESCE((SELECT MAX("{pk}") FROM "{table}"), 1))'
                    )
                    cursor.execute(restart)


_json = json.JSONEncoder(ensure_ascii=False).encode
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _text(value: Any) -> str:
    """One value in COPY's text format."""
    kind = type(value)
    if kind is At:
        return _at_text(value)
    if value is None:
        return "\\N"
    if kind is str:
        text: str = value
        if "\\" in text or "\n" in text or "\t" in text or "\r" in text:
            return text.translate(_ESCAPES)
        return text
    if kind is bool:
        return "t" if value else "f"
    if kind is int or kind is float:
        return str(value)
    if kind is datetime or kind is date:
        return str(value.isoformat())
    if kind is timedelta:
        return f"{value.total_seconds()} seconds"
    if kind is dict or kind is list:
        return _text(_json(value))
    return str(value)


def _columns(model: type[Model]) -> list[str]:
    return [f.column for f in model._meta.concrete_fields]


def _model(label: str) -> type[Model]:
    from django.apps import apps

    return apps.get_model(label)


def for_connection() -> Sink:
    return CopySink() if connection.vendor == "postgresql" else BulkCreateSink()

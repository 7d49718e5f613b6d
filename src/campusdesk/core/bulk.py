"""Writing many rows of one model at once: ``COPY`` on PostgreSQL, ``bulk_create`` elsewhere.

``bulk_create`` on PostgreSQL sends a batch as arrays to ``UNNEST``, and psycopg quotes every
element of them in Python: for the sweeper's ten thousand notifications and deliveries that
was most of a sweep. ``COPY … FROM STDIN`` streams the rows in its own format instead. The
primary keys are drawn from the table's sequence first, so the objects come back with their
pks set, as ``bulk_create`` leaves them (the deliveries link their inbox messages by pk).
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any, TypeVar

from django.db import connection, models

M = TypeVar("M", bound=models.Model)

#: Below this many rows ``bulk_create`` is as fast (and one query fewer).
COPY_FROM = 200


def insert(objs: list[M]) -> list[M]:
    """Insert ``objs`` (all of one model, not saved yet); they come back with their pks."""
    if not objs:
        return objs
    model = type(objs[0])
    if connection.vendor != "postgresql" or len(objs) < COPY_FROM:
        model._default_manager.bulk_create(objs)  # sets the pks (SQLite >= 3.35 too)
        return objs
    meta = model._meta
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in [meta.pk, *fields])
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, len(objs)],
        )
        ids = [row[0] for row in cursor.fetchall()]
        sql = f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN"
        with cursor.cursor.copy(sql) as copy:
            for obj, pk in zip(objs, ids, strict=True):
                obj.pk = pk
                copy.write_row([pk, *(_value(obj, field) for field in fields)])
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias
    return objs


def _value(obj: models.Model, field: models.Field[Any, Any]) -> Any:
    value = obj.__dict__[field.attname]
    if value is None and isinstance(field, models.ForeignKey) and field.is_cached(obj):
        related = getattr(obj, field.name)  # saved after it was assigned (as bulk_create does)
        value = related.pk if related is not None else None
        setattr(obj, field.attname, value)
    if isinstance(field, models.JSONField) and value is not None:
        # COPY's text format: the document as JSON text, as the field would encode it
        return json.dumps(value, cls=field.encoder)
    return value


def new(model: type[M], **values: Any) -> M:
    """An unsaved ``model(**values)``, built the way Django builds a row it read: positional
    values in field order, at a fraction of the cost of keyword arguments (the sweeper makes
    tens of thousands of inbox rows and deliveries). ``values`` are by attribute name
    (``recipient_id``, not ``recipient``); a field left out takes its default."""
    names, defaults = _layout(model)
    unknown = values.keys() - names
    if unknown:
        raise TypeError(f"{model.__name__} has no field {', '.join(sorted(unknown))}")
    return model(
        *[
            values[name] if name in values else (default() if callable(default) else default)
            for name, default in zip(names, defaults, strict=True)
        ]
    )


@cache
def _layout(model: type[models.Model]) -> tuple[tuple[str, ...], tuple[Any, ...]]:
    fields = model._meta.concrete_fields
    defaults = tuple(
        (field.default if field.has_default() else field.get_default()) for field in fields
    )
    return tuple(field.attname for field in fields), defaults

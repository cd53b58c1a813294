"""One-statement upserts of RingCentral records keyed by their RingCentral id.

`INSERT ... ON CONFLICT (rc_id) DO UPDATE ... WHERE ...` is atomic on PostgreSQL and SQLite
alike: no check-then-create, no lost update when a webhook and a sync race on the same record.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from django.db import connection, models
from django.utils import timezone

TEXT_FIELDS = (models.CharField, models.TextField)


def upsert_by_rc_id(
    model: type[models.Model],
    *,
    values: Mapping[str, Any],
    fill_only: Collection[str] = (),
    modified_field: str = "rc_last_modified",
) -> int | None:
    """Insert or update the row whose `rc_id` is `values["rc_id"]`; return its pk, or None when
    the record was stale and nothing was written.

    `values` maps column attnames to the values this record provides. Columns it does not name
    get their defaults on insert and are never touched on update. Staleness is judged by
    `modified_field` (RingCentral's lastModifiedTime):

    - the stored row is untimed, or the record is at least as new: provided values overwrite;
    - the record is untimed but the stored row is timed: provided values only fill empty columns;
    - the record is older than the stored row: nothing changes.

    Columns in `fill_only` only ever fill empty columns (e.g. a contact linked earlier stays).
    """
    meta = model._meta
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    now = timezone.now()
    columns: list[str] = []
    params: list[Any] = []
    updates: list[str] = []
    by_attname = {f.attname: f for f in meta.concrete_fields if not f.primary_key}
    unknown = set(values) - set(by_attname)
    if unknown:
        raise ValueError(f"{model.__name__} has no columns {sorted(unknown)}")

    modified = _quoted_column(by_attname[modified_field])
    fresh = f"({table}.{modified} IS NULL OR excluded.{modified} >= {table}.{modified})"
    for attname, field in by_attname.items():
        if attname in values:
            value = values[attname]
        elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            value = now
        else:
            value = field.get_default()
        columns.append(_quoted_column(field))
        params.append(field.get_db_prep_save(value, connection=connection))
        if attname == "rc_id" or attname not in values:
            continue
        column = _quoted_column(field)
        fill = f"COALESCE({_empty_as_null(field, f'{table}.{column}')}, excluded.{column})"
        if attname in fill_only:
            updates.append(f"{column} = {fill}")
        else:
            updates.append(f"{column} = CASE WHEN {fresh} THEN excluded.{column} ELSE {fill} END")
    if "updated_at" in by_attname:
        column = _quoted_column(by_attname["updated_at"])
        updates.append(f"{column} = excluded.{column}")

    placeholders = ", ".join(["%s"] * len(columns))
    # Identifiers come from model metadata, quoted; every value is a query parameter.
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders}) "  # noqa: S608
        f"ON CONFLICT ({_quoted_column(by_attname['rc_id'])}) DO UPDATE SET {', '.join(updates)} "
        f"WHERE {table}.{modified} IS NULL OR excluded.{modified} IS NULL "
        f"OR excluded.{modified} >= {table}.{modified} "
        f"RETURNING {_quoted_column(meta.pk)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return row[0] if row else None


def _quoted_column(field: models.Field[Any, Any]) -> str:
    if field.column is None:  # concrete fields always have one
        raise ValueError(f"{field} has no column")
    return connection.ops.quote_name(field.column)


def _empty_as_null(field: models.Field[Any, Any], column_sql: str) -> str:
    """SQL reading the stored value as NULL when it is empty, so a fill can replace it."""
    if isinstance(field, TEXT_FIELDS):
        return f"NULLIF({column_sql}, '')"
    if isinstance(field, models.JSONField):
        empty = "'[]'::jsonb" if connection.vendor == "postgresql" else "'[]'"
        return f"NULLIF({column_sql}, {empty})"
    return column_sql

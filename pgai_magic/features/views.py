"""Feature views: named, versioned read queries with an entity and a time column, kept in pgai.feature_views.

A feature view (Feast's word) says which rows of a query describe an entity (`entity`, e.g. customer_id) from a
point in time on (`time`, the event time); its other columns are the features. Redefining a view with a different
query or columns makes a new version; training sets and models record the versions they used.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd
import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from pgai_magic import catalog
from pgai_magic.db import read_only, server_message
from pgai_magic.errors import FeatureError
from pgai_magic.sqltext import check_read_query

__all__ = ["FeatureView", "ViewRequest", "define", "drop", "get", "list_views", "query_columns", "validate_name"]

MAX_NAME = 63
TIME_TYPES = ("date", "timestamp", "time", "integer", "bigint", "smallint", "numeric", "double", "real")


def validate_name(name: str, what: str = "feature view name") -> str:
    """A view name: a lowercase letter, then lowercase letters, digits or _ (it is written without quotes)."""
    ok = (
        isinstance(name, str) and 0 < len(name) <= MAX_NAME and name[0].isascii() and name[0].islower()
        and all(ch.isascii() and (ch.islower() or ch.isdigit() or ch == "_") for ch in name)
    )  # fmt: skip
    if not ok:
        raise FeatureError(f"{what} {name!r} must be lowercase letters, digits or _, starting with a letter")
    return name


@dataclass(frozen=True)
class ViewRequest:
    """`%pgai features define`: `name`, the `entity` and `time` columns, and the rows: `query` (one read query) or
    `table` (a table or view name); `created` breaks ties between rows of one entity and time (Feast's
    created_timestamp_column: the latest wins). FeatureError naming the bad option."""

    name: str
    entity: str
    time: str
    query: str | None = None
    table: str | None = None
    created: str | None = None
    description: str | None = None

    def __post_init__(self) -> None:
        validate_name(self.name)
        if (self.query is None) == (self.table is None):
            raise FeatureError('give the view\'s rows with --from "SELECT …" or --table T (one of them)')
        if not self.entity or not self.time:
            raise FeatureError("a feature view needs --entity COLUMN and --time COLUMN")


@dataclass(frozen=True)
class FeatureView:
    """One version of a feature view as pgai.feature_views records it."""

    name: str
    version: int
    entity: str
    time: str
    created: str | None
    query: str
    features: list[dict[str, str]]
    description: str | None
    sources: list[str]
    created_at: datetime
    created_by: str
    source_oids: tuple[int, ...] = ()  # the same relations as pg_class oids

    @property
    def feature_names(self) -> list[str]:
        return [f["name"] for f in self.features]

    @property
    def label(self) -> str:
        return f"{self.name} v{self.version}"

    def summary(self) -> str:
        return (f"feature view {self.label}: entity {self.entity}, time {self.time}, "
                f"features {', '.join(self.feature_names)}")  # fmt: skip

    def __repr__(self) -> str:
        return f"<FeatureView {self.summary()}>"


def query_columns(conn: psycopg.Connection, query: str, what: str, timeout_s: float = 30.0) -> list[tuple[str, str]]:
    """(name, type as format_type prints it) of each column `query` returns, from a READ ONLY LIMIT 0 run."""
    statement = sql.SQL("SELECT * FROM ({}) AS q LIMIT 0").format(sql.SQL(query))  # type: ignore[arg-type]
    try:
        with read_only(conn, timeout_s, what=what):
            described = conn.execute(statement).description or []
            types = [conn.execute("SELECT format_type(%s, NULL)", (d.type_code,)).fetchone() for d in described]
    except psycopg.Error as exc:
        raise FeatureError(f"{what} failed: {server_message(exc)}") from None
    return [(d.name, str(t[0]) if t else "text") for d, t in zip(described, types)]


def _rows_query(conn: psycopg.Connection, request: ViewRequest) -> str:
    if request.table is not None:
        found = catalog.resolve_relation(catalog.reader(conn), request.table)
        if found is None:
            names = catalog.table_names(catalog.reader(conn))
            hint = catalog.did_you_mean(request.table, names)
            raise FeatureError(f"no table or view {request.table!r}" + (f" — {hint}" if hint else ""))
        return f"SELECT * FROM {found.regclass}"
    return check_read_query(str(request.query), what="the feature view's query", error=FeatureError)


def _check_columns(request: ViewRequest, columns: list[tuple[str, str]]) -> list[dict[str, str]]:
    names = [n for n, _ in columns]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise FeatureError(f"the view's query returns the column(s) {repeated} more than once: give them aliases")
    for flag, column in (("--entity", request.entity), ("--time", request.time), ("--created", request.created)):
        if column is not None and column not in names:
            hint = catalog.did_you_mean(column, names)
            raise FeatureError(f"{flag} {column!r} is not a column of the view's query" +
                               (f" — {hint}" if hint else f"; it returns {names}"))  # fmt: skip
    types = dict(columns)
    for flag, column in (("--time", request.time), ("--created", request.created)):
        if column is not None and not types[column].startswith(TIME_TYPES):
            raise FeatureError(f"{flag} {column!r} is {types[column]}: it must be a date, a timestamp or a number")
    keys = {request.entity, request.time, request.created}
    features = [{"name": n, "type": t} for n, t in columns if n not in keys]
    if not features:
        raise FeatureError(f"the view's query returns no feature column besides {sorted(k for k in keys if k)}")
    return features


_COLUMNS = (
    "name, version, entity, time_column, created_column, query, features, description, "
    "ARRAY(SELECT s::text FROM unnest(sources) AS s), created_at, created_by, sources::oid[]::int8[]"
)


def define(conn: psycopg.Connection, request: ViewRequest, timeout_s: float = 30.0) -> tuple[FeatureView, bool]:
    """Record `request` as the next version of its view; (the view, whether a new version was made). A definition
    equal to the latest version's (the same query over the same relations, columns and keys) makes none.
    FeatureError for a bad query, a missing column, a bad name."""
    query = _rows_query(conn, request)
    columns = query_columns(conn, query, "the feature view's query", timeout_s)
    features = _check_columns(request, columns)
    sources = catalog.query_sources(catalog.reader(conn), query)
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"pgai.feature_view:{request.name}",))
        latest = _latest(conn, request.name)
        if latest is not None and (latest.query, latest.entity, latest.time, latest.created, latest.features) == (
            query,
            request.entity,
            request.time,
            request.created,
            features,
        ):
            return latest, False
        version = 1 if latest is None else latest.version + 1
        conn.execute(
            """INSERT INTO pgai.feature_views (name, version, entity, time_column, created_column, query, features,
                   description, sources) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s::oid[]::regclass[])""",
            (request.name, version, request.entity, request.time, request.created, query, Jsonb(features),
             request.description, sources),
        )  # fmt: skip
    return get(conn, request.name, version), True


def _view(row: Sequence[Any]) -> FeatureView:
    """A pgai.feature_views row (_COLUMNS) as a FeatureView."""
    oids = tuple(int(o) for o in row[-1] or ())
    name, version, entity, time_, created, query, features, description, sources, created_at, created_by = row[:-1]
    return FeatureView(name, version, entity, time_, created, query, features, description, sources, created_at,
                       created_by, oids)  # fmt: skip


def _latest(conn: psycopg.Connection, name: str) -> FeatureView | None:
    row = conn.execute(
        f"SELECT {_COLUMNS} FROM pgai.feature_views WHERE name = %s ORDER BY version DESC LIMIT 1", (name,)
    ).fetchone()
    return None if row is None else _view(row)


def get(conn: psycopg.Connection, name: str, version: int | None = None) -> FeatureView:
    """Version `version` of view `name` (None: the latest); FeatureError with "did you mean" when there is none."""
    if version is None:
        found = _latest(conn, name)
    else:
        row = conn.execute(
            f"SELECT {_COLUMNS} FROM pgai.feature_views WHERE name = %s AND version = %s", (name, int(version))
        ).fetchone()
        found = None if row is None else _view(row)
    if found is not None:
        return found
    known = [r[0] for r in conn.execute("SELECT DISTINCT name FROM pgai.feature_views ORDER BY 1")]
    if name in known:
        rows = conn.execute("SELECT version FROM pgai.feature_views WHERE name = %s ORDER BY 1", (name,))
        have = [r[0] for r in rows]
        raise FeatureError(f"feature view {name!r} has no version {version}: versions are {have}")
    hint = catalog.did_you_mean(name, known)
    listed = f"; defined views: {known}" if known else "; define one with %pgai features define"
    more = f" — {hint}" if hint else listed
    raise FeatureError(f"no feature view named {name!r}{more}")


def list_views(conn: psycopg.Connection) -> pd.DataFrame:
    """One row per view (its latest version): name, version, versions, entity, time, features, sources, created_at."""
    rows = conn.execute(
        """SELECT DISTINCT ON (name) name, version, count(*) OVER (PARTITION BY name), entity, time_column,
                  features, ARRAY(SELECT s::text FROM unnest(sources) AS s), created_at
           FROM pgai.feature_views ORDER BY name, version DESC"""
    ).fetchall()
    records: list[dict[str, Any]] = [
        {"name": r[0], "version": r[1], "versions": r[2], "entity": r[3], "time": r[4],
         "features": ", ".join(f["name"] for f in r[5]), "sources": ", ".join(r[6]), "created_at": r[7]}
        for r in rows
    ]  # fmt: skip
    columns = ["name", "version", "versions", "entity", "time", "features", "sources", "created_at"]
    return pd.DataFrame.from_records(records, columns=columns)


def drop(conn: psycopg.Connection, name: str) -> int:
    """Remove every version of view `name`; the number removed (FeatureError when there is none)."""
    get(conn, name)
    return conn.execute("DELETE FROM pgai.feature_views WHERE name = %s", (name,)).rowcount

"""Column roles of the relation under analysis: which columns are measures, the time, dimensions and ids.

Built on the catalog (pgai_magic.catalog resolves the relation and reads its columns and pg_stats); this module
adds what only insights needs: ANALYZE when statistics are missing, a --query materialised into a temporary
table, and the choice of roles from types, pg_stats n_distinct and names.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import partial

import psycopg
from psycopg import sql

from pgai_magic import catalog
from pgai_magic.catalog import Relation, did_you_mean
from pgai_magic.db import copy_into_temp, server_message
from pgai_magic.errors import ConfigError, InsightError, QueryCancelled
from pgai_magic.insights.model import ColumnInfo, Measure, Profile
from pgai_magic.insights.runner import Runner
from pgai_magic.insights.semantics import ID_NAME, MEASURE_ROLES, column_role
from pgai_magic.sqltext import check_read_query

__all__ = ["CUBE_MAX", "ID_NAME", "WIDE_MAX", "Relation", "choose_roles", "materialize", "read_columns", "resolve"]

CUBE_MAX = 50  # distinct values up to which a dimension joins the grouping-sets cube
WIDE_MAX = 100_000  # up to which a dimension is scanned for its top groups
MAX_CUBE_DIMS = 6
NUMERIC = {"smallint", "integer", "bigint", "real", "double precision", "numeric"}
TIME_TYPES = {"date", "timestamp without time zone", "timestamp with time zone"}
_PRIMARY = (
    "revenue",
    "sales",
    "amount",
    "total",
    "profit",
    "turnover",
    "spend",
    "value",
    "cost",
    "quantity",
    "qty",
    "units",
    "volume",
)
# the quantities an analyst looks at first by their average: outcomes before inputs
_PRIMARY_AVG = ("rating", "score", "satisfaction", "delay", "latency", "duration", "wait", "temp", "price", "life")
_TIME_NAME = re.compile(r"(date|time|_at$|_on$|ts$|day|month|created|updated|period)")

CATALOG_S = 5.0  # catalog reads are tiny and always run, whatever is left of the budget
ANALYZE_S = 1.0  # ANALYZE samples a bounded number of rows; everything else needs its statistics


def _read(runner: Runner) -> catalog.Read:
    """The catalog's reads through the runner: budgeted (at least CATALOG_S), counted and logged."""
    return partial(runner.rows, at_least_s=CATALOG_S)


def resolve(runner: Runner, table: str) -> Relation:
    """The relation named `table` (schema-qualified or on the search_path; as PostgreSQL reads the name, else as
    typed: catalog.resolve_relation), or a clear error: ConfigError when `table` is no table name and no relation
    has it as its exact name, InsightError when it does not exist or is not a table or view."""
    rel = catalog.resolve_relation(_read(runner), table)
    if rel is None:
        parts = catalog.parse_relation_name(table)
        advice = did_you_mean(parts[-1], catalog.table_names(_read(runner)))
        raise InsightError(f"table {table!r} does not exist" + (f"; {advice}" if advice else ""))
    if rel.relkind not in ("r", "m", "p", "v", "f"):
        raise InsightError(f"{table!r} is not a table or view")
    return rel


def materialize(runner: Runner, query: str) -> Relation:
    """Run a read query once into a temporary table, so every scan reads its result (and can sample it)."""
    text = check_read_query(query, what="--query", error=ConfigError)
    runner.statements += 1
    runner.queries.append(text)
    try:  # the query runs READ ONLY (a volatile function that writes fails), into a temporary table
        copy_into_temp(runner.conn, text, "pgai_insights_query", timeout_s=max(runner.remaining(), 0.01))
    except QueryCancelled:
        raise InsightError(
            f"the query did not finish within the {runner.budget_s:g} s budget: raise --budget or add a LIMIT"
        ) from None
    except psycopg.Error as exc:
        raise InsightError(f"the query failed: {server_message(exc)}") from None
    runner.execute("ANALYZE pg_temp.pgai_insights_query", at_least_s=ANALYZE_S)
    rel = catalog.find_relation(_read(runner), "pg_temp.pgai_insights_query", "the query")
    assert rel is not None
    return rel


def _kind(type_name: str, category: str) -> str:
    if type_name in NUMERIC or type_name.startswith("numeric("):
        return "numeric"
    if type_name in TIME_TYPES or type_name.startswith(("timestamp(", "timestamp with", "timestamp without")):
        return "time"
    if category == "B":
        return "bool"
    if category in ("S", "E"):
        return "text"
    return "other"


def read_columns(runner: Runner, rel: Relation, *, analyze: bool = True) -> tuple[list[ColumnInfo], Relation, bool]:
    """Columns with their pg_stats (ANALYZE first when the relation has none); True when it analysed."""
    read = _read(runner)
    columns = [
        ColumnInfo(a.name, a.type, _kind(a.type, a.category), unique=a.unique, not_null=a.not_null)
        for a in catalog.read_attributes(read, rel)
    ]
    stats = catalog.read_statistics(read, rel) if rel.relkind != "v" else None
    analysed = False
    if analyze and stats is not None and (not stats or rel.reltuples < 0) and rel.relkind in ("r", "m", "p"):
        runner.execute(sql.SQL("ANALYZE {}").format(rel.ident), at_least_s=ANALYZE_S)
        analysed = True
        stats = catalog.read_statistics(read, rel)
        refreshed = catalog.find_relation(read, catalog.quoted_name(rel.schema, rel.name), rel.label)
        rel = refreshed or rel
    by_name = {c.name: c for c in columns}
    for st in stats or []:
        col = by_name.get(st.name)
        if col is None:
            continue
        col.null_frac = st.null_frac
        col.n_distinct = -st.n_distinct * max(rel.reltuples, 0.0) if st.n_distinct < 0 else st.n_distinct
        col.mcv = list(st.mcv)
        col.mcf = list(st.mcf)
        col.hist = list(st.hist)
        if col.kind == "time":
            col.hist_text = list(st.time_hist)
            bounds = sorted([*st.time_hist, *col.mcv])
            col.span = (bounds[0], bounds[-1]) if bounds else None
        col.correlation = st.correlation
    return columns, rel, analysed


def _check(names: Sequence[str], columns: list[ColumnInfo], what: str) -> list[ColumnInfo]:
    by_name = {c.name: c for c in columns}
    found = []
    for name in names:
        if name not in by_name:
            advice = did_you_mean(name, by_name)
            raise ConfigError(f"{what} {name!r} is not a column" + (f"; {advice}" if advice else ""))
        found.append(by_name[name])
    return found


def _is_id_like(col: ColumnInfo, n_rows: float) -> bool:
    """An identifier: a code or key by its role, or a text column (almost) unique per row."""
    if col.role in ("code", "key") or (col.kind == "text" and ID_NAME.search(col.name)):
        return True
    unique = col.unique or (col.n_distinct is not None and n_rows > 50 and col.n_distinct >= 0.95 * n_rows)
    return unique and col.kind == "text"


def _primary(measures: list[Measure]) -> list[str]:
    """The measures analysed over time and by group: the first amount by name (revenue before cost), and the first
    averaged quantity by name (a rating or a delay before a price), else the first in column order."""

    def rank(m: Measure, words: tuple[str, ...]) -> int:
        return next((i for i, k in enumerate(words) if k in m.name.lower()), 99)

    additive = sorted((m for m in measures if m.agg == "sum"), key=lambda m: rank(m, _PRIMARY))
    averaged = sorted((m for m in measures if m.agg == "avg"), key=lambda m: rank(m, _PRIMARY_AVG))
    return [m.name for m in (additive[:1] + averaged[:1])]


def choose_roles(
    label: str,
    columns: list[ColumnInfo],
    n_rows: float,
    *,
    measures: Sequence[str] | None = None,
    time: str | None = None,
    dimensions: Sequence[str] | None = None,
) -> Profile:
    """Pick measures, the time column and dimensions from each column's role (semantics.column_role: name, type,
    range and cardinality), pg_stats n_distinct and names. Calendar parts, clock times, codes and keys are never
    measures; amounts are summed, other quantities averaged."""
    for col in columns:
        col.role = column_role(col, n_rows)
    profile = Profile(label=label, columns=columns, n_rows=n_rows)
    profile.id_like = [c.name for c in columns if c.kind in ("numeric", "text") and _is_id_like(c, n_rows)]
    profile.parts = {c.name: c.role for c in columns if c.role in ("calendar", "clock")}
    if measures:
        chosen = _check(measures, columns, "measure")
        for col in chosen:
            if col.kind != "numeric":
                raise ConfigError(f"measure {col.name!r} is {col.type}, not a number")
        numeric = chosen
    else:
        numeric = [c for c in columns if c.role in MEASURE_ROLES and (c.n_distinct is None or c.n_distinct > 2)]
    for col in numeric:
        center = col.quantile(0.5) or 0.0
        profile.measures.append(Measure(col.name, "sum" if col.role == "amount" else "avg", center))
    if measures:
        profile.primary = [m.name for m in profile.measures]
        profile.measure_given = True
    else:
        profile.primary = _primary(profile.measures)
    profile.time = _time(columns, time)
    if dimensions:
        for col in _check(dimensions, columns, "dimension"):
            nd = col.n_distinct or 0
            (profile.dims if nd <= CUBE_MAX else profile.wide_dims).append(col.name)
    else:
        _dimensions(profile, n_rows)
    taken = {m.name for m in profile.measures} | set(profile.id_like) | {profile.time}
    profile.numeric_others = [
        c.name
        for c in columns
        if c.kind == "numeric"
        and c.name not in taken
        and (c.n_distinct or 0) > 1
        and c.role != "clock"
        and not (profile.time and c.role == "calendar")  # with a time column, calendar parts are its breakdowns
    ]
    return profile


def _time(columns: list[ColumnInfo], time: str | None) -> str | None:
    if time:
        col = _check([time], columns, "time column")[0]
        if col.kind != "time":
            raise ConfigError(f"time column {time!r} is {col.type}, not a date or timestamp")
        return col.name
    times = [c for c in columns if c.kind == "time" and (c.n_distinct is None or c.n_distinct > 1)]
    times.sort(key=lambda c: (not _TIME_NAME.search(c.name.lower()), -(c.n_distinct or 0)))
    return times[0].name if times else None


def _dimensions(profile: Profile, n_rows: float) -> None:
    """Low-cardinality text, bool and code columns join the cube; wider ones get top-group scans."""
    measure_names = {m.name for m in profile.measures}
    for col in profile.columns:
        if col.kind not in ("text", "bool", "numeric") or col.name in measure_names or col.n_distinct is None:
            continue
        nd = col.n_distinct
        if nd < 2 or col.role in ("calendar", "clock", "key"):
            continue
        if col.kind == "numeric" and col.name not in profile.id_like and nd > 2:
            continue
        if nd <= CUBE_MAX:
            profile.dims.append(col.name)
        elif nd <= WIDE_MAX and nd <= 0.5 * n_rows:
            profile.wide_dims.append(col.name)
    if len(profile.dims) > MAX_CUBE_DIMS:
        profile.dims.sort(key=lambda name: profile.column(name).n_distinct or 0)
        profile.dims = profile.dims[:MAX_CUBE_DIMS]
    profile.wide_dims = profile.wide_dims[:3]

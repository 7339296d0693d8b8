"""Looking around: tables, columns and a per-column profile, read on the session's connection (so temporary
tables and the session's search_path count), profiles computed by aggregates inside PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
from psycopg import sql

from pgai_magic.errors import ConfigError, SQLError

__all__ = ["PROFILE_SAMPLE_ROWS", "RESOLVE", "columns_of", "float_expr", "profile_table", "regclass", "tables_of"]

Run = Callable[..., pd.DataFrame]  # session.sql: (query, **params) → DataFrame
PROFILE_SAMPLE_ROWS = 1_000_000  # past this many rows (planner estimate) a profile reads a sample, and says so

_TABLES = """
SELECT n.nspname AS schema, c.relname AS name,
       CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'partitioned table' WHEN 'v' THEN 'view'
            WHEN 'm' THEN 'materialized view' WHEN 'f' THEN 'foreign table' END AS kind,
       CASE WHEN c.reltuples < 0 THEN NULL ELSE c.reltuples::bigint END AS rows_estimate,
       pg_size_pretty(pg_total_relation_size(c.oid)) AS size,
       obj_description(c.oid, 'pg_class') AS comment
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition
  AND (CAST(:schema AS text) IS NULL AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pgai')
       AND n.nspname NOT LIKE 'pg_toast%' AND (n.nspname NOT LIKE 'pg_temp%' OR n.oid = pg_my_temp_schema())
       OR n.nspname = :schema)
ORDER BY n.nspname = ANY(current_schemas(false)) DESC, n.nspname, c.relname
"""

_COLUMNS = """
SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, NOT a.attnotnull AS nullable,
       pg_get_expr(d.adbin, d.adrelid) AS "default",
       (SELECT string_agg(CASE k.contype WHEN 'p' THEN 'PRIMARY KEY' WHEN 'u' THEN 'UNIQUE'
                          ELSE 'FOREIGN KEY → ' || k.confrelid::regclass::text END, ', ')
          FROM pg_constraint k WHERE k.conrelid = a.attrelid AND a.attnum = ANY(k.conkey)
           AND k.contype IN ('p', 'u', 'f')) AS key,
       col_description(a.attrelid, a.attnum) AS comment
FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE a.attrelid = CAST(:table AS regclass) AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum
"""


_OID_LIKE = ("oid", "xid", "xid8", "cid", "tid")


def float_expr(column: str, type_name: str) -> str | None:
    """SQL turning a numeric-category column into float8 for statistics (None: it has no meaningful number)."""
    if type_name.startswith("reg"):  # regclass, regtype…: names, not quantities
        return None
    if type_name == "money":
        return f"{column}::numeric::float8"
    if type_name in _OID_LIKE:
        return f"{column}::text::float8"
    return f"{column}::float8"


def tables_of(run: Run, schema: str | None = None) -> pd.DataFrame:
    """Tables, views and materialized views: schema, name, kind, rows estimate, size, comment (one row each)."""
    return run(_TABLES, schema=schema)


# the name as typed; else one quoted name (My Table); else schema.name with the name quoted (s1.My Table)
RESOLVE = (
    "SELECT coalesce(to_regclass({t}), to_regclass(quote_ident({t})), CASE WHEN strpos({t}, '.') > 0 THEN "
    "to_regclass(quote_ident(split_part({t}, '.', 1)) || '.' || quote_ident(substr({t}, strpos({t}, '.') + 1))) END)"
    "::text AS r"
)


def regclass(run: Run, table: str) -> str:
    """The table as the session resolves it, quoted as PostgreSQL prints it (a name typed without its quotes,
    such as My Table, is tried quoted too)."""
    found = run(RESOLVE.format(t=":t"), t=table)["r"][0]
    if found is None or pd.isna(found):
        raise ConfigError(f"no table {table!r} here: `%pgai tables` lists them (schema-qualify it if needed)")
    return str(found)


def columns_of(run: Run, table: str) -> pd.DataFrame:
    """Columns of a table: name, type, nullable, default, key (primary, unique, foreign), comment."""
    return run(_COLUMNS, table=regclass(run, table))


def profile_table(run: Run, table: str, *, sample_rows: int = PROFILE_SAMPLE_ROWS) -> tuple[pd.DataFrame, str | None]:
    """One row per column: type, count, nulls %, distinct, min, max, mean, std, p25/p50/p75, top values.

    Everything is computed by aggregates in PostgreSQL in two statements (one for the statistics, one for the top
    values); past `sample_rows` rows (planner estimate) a repeatable BERNOULLI sample of about that many rows is read
    and the returned note says so. Returns (profile, note or None).
    """
    rel = regclass(run, table)
    info = run(
        "SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, t.typcategory AS cat, "
        "c.reltuples::float8 AS est FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid "
        "JOIN pg_class c ON c.oid = a.attrelid "
        "WHERE a.attrelid = CAST(:t AS regclass) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
        t=rel,
    )
    if info.empty:
        raise ConfigError(f"{table} has no columns to profile")
    est = float(info["est"][0])
    source: sql.Composable = sql.SQL(rel)
    note = None
    if est > sample_rows:
        pct = max(sample_rows / est * 100, 0.01)
        source = sql.SQL("{} TABLESAMPLE BERNOULLI ({}) REPEATABLE (42)").format(sql.SQL(rel), sql.Literal(pct))
        note = f"profile of a {pct:.2g}% sample (about {sample_rows:,} of {est:,.0f} rows, planner estimate)"
    try:
        stats = run(_stats_query(info, source).as_string())
        tops_sql = _tops_query(info, source, stats.iloc[0])
        tops = run(tops_sql.as_string()) if tops_sql is not None else pd.DataFrame({"col": [], "v": [], "n": []})
    except SQLError as err:  # the generated SQL is pgai's, not the user's: say what failed, not the whole text
        raise ConfigError(f"could not profile {rel}: {err.message}") from None
    return _assemble(info, stats, tops), note


def _stats_query(info: pd.DataFrame, source: sql.Composable) -> sql.Composable:
    parts: list[sql.Composable] = [sql.SQL("count(*) AS n_rows")]
    for i, (name, cat, kind) in enumerate(zip(info["name"], info["cat"], info["type"])):
        col = sql.Identifier(name)
        text = sql.SQL("{}::text").format(col)
        parts.append(sql.SQL("count({}) AS c{}").format(col, sql.SQL(str(i))))
        distinct = col if cat in "NDSBTV" else text
        parts.append(sql.SQL("count(DISTINCT {}) AS d{}").format(distinct, sql.SQL(str(i))))
        if cat in "NDST":  # orderable: numeric, date/time, string, timespan
            parts.append(sql.SQL("min({})::text AS lo{i}, max({})::text AS hi{i}").format(col, col, i=sql.SQL(str(i))))
        expr = float_expr(col.as_string(), kind) if cat == "N" else None
        if expr is not None:
            f8 = sql.SQL(expr)
            parts.append(
                sql.SQL(
                    "avg({f}) AS mean{i}, stddev_samp({f}) AS std{i}, "
                    "percentile_cont(ARRAY[0.25, 0.5, 0.75]) WITHIN GROUP (ORDER BY {f}) AS q{i}"
                ).format(f=f8, i=sql.SQL(str(i)))
            )
    return sql.SQL("SELECT {} FROM {}").format(sql.SQL(", ").join(parts), source)


def _tops_query(info: pd.DataFrame, source: sql.Composable, stats: pd.Series) -> sql.Composable | None:
    """The three most frequent values of each column that repeats a value (distinct < count: the statistics say
    which), with their counts, in one statement; None when no column repeats one."""
    branches = []
    for i, (name, cat) in enumerate(zip(info["name"], info["cat"])):
        if int(stats[f"d{i}"]) >= int(stats[f"c{i}"]):
            continue  # every value once (or none): nothing to rank
        ident = sql.Identifier(name)
        key = ident if cat in "NDSBTV" else sql.SQL("{}::text").format(ident)  # json and the like: by their text
        branches.append(
            sql.SQL(
                "(SELECT {i} AS col, v::text AS v, n FROM (SELECT {k} AS v, count(*) AS n FROM src WHERE {c} IS NOT "
                "NULL GROUP BY 1 HAVING count(*) > 1 ORDER BY 2 DESC, 1 LIMIT 3) t)"
            ).format(i=sql.Literal(i), k=key, c=ident)
        )
    if not branches:
        return None
    return sql.SQL("WITH src AS (SELECT * FROM {}) {}").format(source, sql.SQL(" UNION ALL ").join(branches))


def _assemble(info: pd.DataFrame, stats: pd.DataFrame, tops: pd.DataFrame) -> pd.DataFrame:
    row = stats.iloc[0]
    total = int(row["n_rows"])
    out: list[dict[str, Any]] = []
    for i, (name, kind) in enumerate(zip(info["name"], info["type"])):
        count = int(row[f"c{i}"])
        top = tops[tops["col"] == i]
        quart = row.get(f"q{i}")
        quart = list(quart) if isinstance(quart, list) else [None, None, None]
        out.append(
            {
                "column": name,
                "type": kind,
                "count": count,
                "nulls %": round(100 * (total - count) / total, 2) if total else None,
                "distinct": int(row[f"d{i}"]),
                "min": row.get(f"lo{i}"),
                "max": row.get(f"hi{i}"),
                "mean": row.get(f"mean{i}"),
                "std": row.get(f"std{i}"),
                "p25": quart[0],
                "p50": quart[1],
                "p75": quart[2],
                "top values": ", ".join(f"{v} ({n:,})" for v, n in zip(top["v"], top["n"])),
            }
        )
    frame = pd.DataFrame(out)
    frame.attrs["rows"] = total
    return frame

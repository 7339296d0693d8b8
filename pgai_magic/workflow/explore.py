"""Looking around: tables, columns and a per-column profile, read on the session's connection (so temporary
tables and the session's search_path count), profiles computed by aggregates inside PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pandas as pd
import pyarrow as pa
from psycopg import sql

from pgai_magic import catalog
from pgai_magic.cell import convert
from pgai_magic.errors import ConfigError, SQLError

__all__ = [
    "PROFILE_SAMPLE_ROWS",
    "catalog_read",
    "columns_of",
    "float_expr",
    "profile_table",
    "regclass",
    "relation",
    "tables_of",
]

Run = Callable[..., pd.DataFrame]  # session.sql: (query, **params) → DataFrame
PROFILE_SAMPLE_ROWS = 1_000_000  # past this many rows (planner estimate) a profile reads a sample, and says so

# psycopg's placeholders in the catalog's SQL: %(name)s, %s, and %% for a literal percent sign
_PLACEHOLDER = re.compile(r"%\((\w+)\)s|%s|%%")


def catalog_read(run: Callable[..., pd.DataFrame], *, bind: bool = True) -> catalog.Read:
    """A catalog `Read` over a runner that returns DataFrames, so the catalog's SQL runs on the session's
    connection (its temporary tables and search_path count). The catalog's psycopg placeholders (%s, %(name)s)
    become `:name` parameters bound server-side when `bind` (session.sql), else SQL literals in the text (a
    fetch that takes the text alone, as plot's read-only one); rows come back as tuples, NULL as None."""

    def read(query: catalog.Query, params: Any = None) -> list[tuple[Any, ...]]:
        text = query if isinstance(query, str) else query.as_string()
        if params is None:
            return _rows(run(text))
        text, values = _placeholders(text, params, bind)
        return _rows(run(text, **values) if bind else run(text))

    return read


def _placeholders(text: str, params: Sequence[Any] | Mapping[str, Any], bind: bool) -> tuple[str, dict[str, Any]]:
    values: dict[str, Any] = {}
    named = params if isinstance(params, Mapping) else None
    positional = iter(params) if not isinstance(params, Mapping) else iter(())

    def one(match: re.Match[str]) -> str:
        if match.group(0) == "%%":
            return "%"
        if named is not None:
            name, value = match.group(1), named[match.group(1)]
        else:
            name, value = f"p{len(values)}", next(positional)
        if not bind:
            return sql.Literal(value).as_string()
        values[name] = value
        return f":{name}"

    return _PLACEHOLDER.sub(one, text), values


def _rows(frame: pd.DataFrame) -> list[tuple[Any, ...]]:
    plain = frame.astype(object).where(frame.notna(), None)
    return list(plain.itertuples(index=False, name=None))


def _frame(fields: list[tuple[str, pa.DataType]], rows: list[tuple[Any, ...]]) -> pd.DataFrame:
    """Rows as the session's runner returns a result (convert.to_pandas: nullable dtypes where NULLs occur)."""
    columns = {name: pa.array([r[i] for r in rows], type=kind) for i, (name, kind) in enumerate(fields)}
    return convert.to_pandas(pa.table(columns))


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


_TABLE_FIELDS: list[tuple[str, pa.DataType]] = [
    ("schema", pa.string()),
    ("name", pa.string()),
    ("kind", pa.string()),
    ("rows_estimate", pa.int64()),
    ("size", pa.string()),
    ("comment", pa.string()),
]
_COLUMN_FIELDS: list[tuple[str, pa.DataType]] = [
    ("name", pa.string()),
    ("type", pa.string()),
    ("nullable", pa.bool_()),
    ("default", pa.string()),
    ("key", pa.string()),
    ("comment", pa.string()),
]


def tables_of(run: Run, schema: str | None = None) -> pd.DataFrame:
    """Tables, views and materialized views: schema, name, kind, rows estimate, size, comment (one row each;
    catalog.list_relations)."""
    found = catalog.list_relations(catalog_read(run), schema)
    return _frame(_TABLE_FIELDS, [(r.schema, r.name, r.kind, r.rows_estimate, r.size, r.comment) for r in found])


def relation(read: catalog.Read, table: str) -> catalog.Relation:
    """The relation a typed name means (catalog.resolve_relation: as PostgreSQL reads it, else as typed without
    its quotes, such as My Table); ConfigError naming it when there is none."""
    found = catalog.resolve_relation(read, table)
    if found is None:
        raise ConfigError(f"no table {table!r} here: `%pgai tables` lists them (schema-qualify it if needed)")
    return found


def regclass(run: Run, table: str) -> str:
    """The table as the session resolves it, quoted as PostgreSQL prints it (a name typed without its quotes,
    such as My Table, is tried quoted too)."""
    return relation(catalog_read(run), table).regclass


def columns_of(run: Run, table: str) -> pd.DataFrame:
    """Columns of a table: name, type, nullable, default, key (primary, unique, foreign), comment
    (catalog.describe_columns)."""
    read = catalog_read(run)
    found = catalog.describe_columns(read, relation(read, table))
    return _frame(_COLUMN_FIELDS, [(c.name, c.type, c.nullable, c.default, c.key, c.comment) for c in found])


def profile_table(run: Run, table: str, *, sample_rows: int = PROFILE_SAMPLE_ROWS) -> tuple[pd.DataFrame, str | None]:
    """One row per column: type, count, nulls %, distinct, min, max, mean, std, p25/p50/p75, top values.

    Everything is computed by aggregates in PostgreSQL in two statements (one for the statistics, one for the top
    values); past `sample_rows` rows (planner estimate) a repeatable BERNOULLI sample of about that many rows is read
    and the returned note says so. Returns (profile, note or None).
    """
    read = catalog_read(run)
    found = relation(read, table)
    attributes = catalog.read_attributes(read, found)
    if not attributes:
        raise ConfigError(f"{table} has no columns to profile")
    info = pd.DataFrame(
        {
            "name": [a.name for a in attributes],
            "type": [a.type for a in attributes],
            "cat": [a.category for a in attributes],
        }
    )
    rel, est = found.regclass, found.reltuples
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

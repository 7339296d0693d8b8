"""Plots whose aggregation runs in PostgreSQL (as JupySQL's %sqlplot does): only the bins, quartiles or counts
travel, so a table of any size plots in the time of one aggregate query. Drawn with altair."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
from psycopg import sql

from pgai_magic.errors import ConfigError

__all__ = ["KINDS", "chart_frame", "plot_column", "result_chart"]

KINDS = ("histogram", "box", "bar", "pie", "line", "scatter")
Fetch = Callable[[str], pd.DataFrame]  # runs a read-only query (its text) and returns the rows
SCATTER_POINTS = 5000  # scatter reads a random sample of at most this many points
TOP = 30  # bar and pie show the most frequent categories


def _q(name: str) -> str:
    return sql.Identifier(name).as_string()


def _resolve(fetch: Fetch, table: str, column: str) -> tuple[str, str, str]:
    """(table as PostgreSQL quotes it, the column's exact name, its type category) — names typed without their
    quotes are found too; ConfigError naming what is missing."""
    t = sql.Literal(table).as_string()
    found = fetch(f"SELECT coalesce(to_regclass({t}), to_regclass(quote_ident({t})))::text AS r")["r"][0]
    if found is None or pd.isna(found):
        raise ConfigError(f"no table {table!r} here: `%pgai tables` lists them (schema-qualify it if needed)")
    c = sql.Literal(column).as_string()
    cols = fetch(
        f"SELECT a.attname AS name, t.typcategory AS cat FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid "
        f"WHERE a.attrelid = {sql.Literal(found).as_string()}::regclass AND a.attnum > 0 AND NOT a.attisdropped "
        f"AND a.attname IN ({c}, lower({c}))"
    )
    if cols.empty:
        raise ConfigError(f"{found} has no column {column!r}: `%pgai columns {found}` lists them")
    return str(found), str(cols["name"][0]), str(cols["cat"][0])


def _source(table: str, where: str | None) -> str:
    return table + (f" WHERE {where}" if where else "")


def plot_column(
    fetch: Fetch, kind: str, table: str, column: str, *, by: str | None = None, where: str | None = None, bins: int = 30
) -> Any:
    """An altair chart of `table.column`: histogram (bins), box (quartiles, 1.5 IQR whiskers), bar / pie (counts of
    the most frequent values), line (mean of the column along `by`), scatter (the column against `by`, sampled).

    `where` is a SQL condition, `by` a column (a group for histogram and box). Raises ConfigError for a bad kind.
    """
    if kind not in KINDS:
        raise ConfigError(f"unknown plot kind {kind!r}: use {', '.join(KINDS)}")
    if bins < 1 or bins > 1000:
        raise ConfigError(f"--bins must be between 1 and 1000, not {bins}")
    table, column, category = _resolve(fetch, table, column)
    if kind in ("histogram", "box") and category != "N":
        raise ConfigError(
            f"a {kind} plot needs a numeric column, and {column!r} is not one: try `plot bar` (counts per value)"
            + (", or `plot line … --by` it" if category == "D" else "")
        )
    col, src = _q(column), _source(table, where)
    group = _q(_resolve(fetch, table, by)[1]) if by else None
    if kind in ("line", "scatter") and group is None:
        raise ConfigError(f"a {kind} plot needs --by COLUMN (the x axis)")
    builders = {
        "histogram": _histogram,
        "box": _box,
        "bar": _counts,
        "pie": _counts,
        "line": _line,
        "scatter": _scatter,
    }
    data = builders[kind](fetch, col, src, group, bins)
    return chart_frame(data, kind, x=column, y=by)


def _histogram(fetch: Fetch, col: str, src: str, group: str | None, bins: int) -> pd.DataFrame:
    """Two scans PostgreSQL can run in parallel: the range, then the counts per bucket (bounds as literals)."""
    span = fetch(f"SELECT min({col})::float8 AS lo, max({col})::float8 AS hi FROM {src}")
    lo, hi = span["lo"][0], span["hi"][0]
    if pd.isna(lo):
        return pd.DataFrame({"bin_start": [], "bin_end": [], "grp": [], "count": []})
    lo, hi = float(lo), float(hi)
    top = hi if hi > lo else lo + 1.0
    where = "AND" if " WHERE " in src else "WHERE"
    g = f"{group}::text" if group else "NULL::text"
    counts = fetch(
        f"SELECT least(width_bucket({col}::float8, {lo!r}, {top!r}, {bins}), {bins}) AS bucket, {g} AS grp, "
        f"count(*) AS count FROM {src} {where} {col} IS NOT NULL GROUP BY 1, 2 ORDER BY 1, 2"
    )
    width = (top - lo) / bins
    counts["bin_start"] = lo + (counts["bucket"] - 1) * width
    counts["bin_end"] = lo + counts["bucket"] * width
    return counts[["bin_start", "bin_end", "grp", "count"]]


def _box(fetch: Fetch, col: str, src: str, group: str | None, bins: int) -> pd.DataFrame:
    g = f"{group}::text" if group else "'all'"
    query = (
        f"SELECT grp, q[1] AS q1, q[2] AS median, q[3] AS q3, lo, hi, n FROM (SELECT {g} AS grp, "
        f"percentile_cont(ARRAY[0.25, 0.5, 0.75]) WITHIN GROUP (ORDER BY {col}::float8) AS q, "
        f"min({col})::float8 AS lo, max({col})::float8 AS hi, count({col}) AS n FROM {src} GROUP BY 1) s ORDER BY 1"
    )
    frame = fetch(query)
    iqr = frame["q3"] - frame["q1"]
    frame["whisker_low"] = pd.concat([frame["lo"], frame["q1"] - 1.5 * iqr], axis=1).max(axis=1)
    frame["whisker_high"] = pd.concat([frame["hi"], frame["q3"] + 1.5 * iqr], axis=1).min(axis=1)
    return frame


def _counts(fetch: Fetch, col: str, src: str, group: str | None, bins: int) -> pd.DataFrame:
    return fetch(f"SELECT {col}::text AS value, count(*) AS count FROM {src} GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT {TOP}")


def _line(fetch: Fetch, col: str, src: str, group: str | None, bins: int) -> pd.DataFrame:
    return fetch(f"SELECT {group} AS x, avg({col}::float8) AS y, count(*) AS n FROM {src} GROUP BY 1 ORDER BY 1")


def _scatter(fetch: Fetch, col: str, src: str, group: str | None, bins: int) -> pd.DataFrame:
    return fetch(
        f"SELECT {group} AS x, {col} AS y FROM {src} {'AND' if ' WHERE ' in src else 'WHERE'} {col} IS NOT NULL "
        f"AND {group} IS NOT NULL ORDER BY random() LIMIT {SCATTER_POINTS}"
    )


def chart_frame(data: pd.DataFrame, kind: str, *, x: str, y: str | None = None) -> Any:
    """The altair chart for aggregated plot data (or, for `%%pgai --plot`, a result's own columns)."""
    import altair as alt

    base = alt.Chart(data)
    if kind == "histogram":
        color = alt.Color("grp:N", title=y) if data["grp"].notna().any() else alt.value("#4c78a8")
        return base.mark_bar().encode(
            x=alt.X("bin_start:Q", bin="binned", title=x), x2="bin_end:Q", y=alt.Y("count:Q", stack=True), color=color
        )
    if kind == "box":
        whisk = base.mark_rule().encode(
            x=alt.X("grp:N", title=y or ""), y=alt.Y("whisker_low:Q", title=x), y2="whisker_high:Q"
        )
        box = base.mark_bar(size=28).encode(x="grp:N", y="q1:Q", y2="q3:Q")
        mid = base.mark_tick(color="white", size=28).encode(x="grp:N", y="median:Q")
        return whisk + box + mid
    if kind == "bar":
        return base.mark_bar().encode(x=alt.X("value:N", sort="-y", title=x), y="count:Q")
    if kind == "pie":
        return base.mark_arc().encode(theta="count:Q", color=alt.Color("value:N", title=x))
    if kind == "line":
        return base.mark_line(point=True).encode(x=alt.X("x", title=y), y=alt.Y("y:Q", title=f"mean of {x}"))
    return base.mark_circle(opacity=0.5).encode(x=alt.X("x", title=y), y=alt.Y("y:Q", title=x))


def result_chart(frame: pd.DataFrame, kind: str, x: str, y: str | None) -> Any:
    """A chart of a cell's result (`%%pgai --plot KIND --x A [--y B]`): the rows are already aggregated or small."""
    import altair as alt

    if kind not in KINDS:
        raise ConfigError(f"unknown plot kind {kind!r}: use {', '.join(KINDS)}")
    for name in (x, y):
        if name is not None and name not in frame.columns:
            raise ConfigError(
                f"the result has no column {name!r}: its columns are {', '.join(map(str, frame.columns))}"
            )
    base = alt.Chart(frame)
    if kind == "histogram":
        return base.mark_bar().encode(x=alt.X(f"{x}:Q", bin=alt.Bin(maxbins=30)), y="count()")
    if y is None:
        raise ConfigError(f"a {kind} plot of a result needs --y COLUMN as well as --x")
    if kind == "box":
        return base.mark_boxplot().encode(x=f"{x}:N", y=f"{y}:Q")
    if kind == "bar":
        return base.mark_bar().encode(x=alt.X(f"{x}:N", sort="-y"), y=f"{y}:Q")
    if kind == "pie":
        return base.mark_arc().encode(theta=f"{y}:Q", color=f"{x}:N")
    if kind == "line":
        return base.mark_line(point=True).encode(x=x, y=f"{y}:Q")
    return base.mark_circle(opacity=0.5).encode(x=x, y=f"{y}:Q")

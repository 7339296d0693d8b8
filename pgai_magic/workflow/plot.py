"""Plots whose aggregation runs in PostgreSQL (as JupySQL's %sqlplot does): only the bins, quartiles or counts
travel, so a table of any size plots in the time of one aggregate query. Drawn with altair, shown as static images
(pgai_magic.display.Chart: SVG and PNG rendered offline, no script)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd
from psycopg import sql

from pgai_magic import catalog
from pgai_magic.display import Chart, counted
from pgai_magic.errors import ConfigError
from pgai_magic.sqltext import check_read_condition
from pgai_magic.workflow.explore import catalog_read, float_expr, relation

__all__ = ["KINDS", "chart_frame", "plot_column", "result_altair", "result_chart"]

KINDS = ("histogram", "box", "bar", "pie", "line", "scatter")
Fetch = Callable[[str], pd.DataFrame]  # runs a read-only query (its text) and returns the rows
SCATTER_POINTS = 5000  # scatter reads a random sample of at most this many points
TOP = 30  # bar and pie show the most frequent categories
MAX_POINTS = 5000  # a line chart draws at most this many x values
MAX_GROUPS = 100  # a box chart draws at most this many groups


def _q(name: str) -> str:
    return sql.Identifier(name).as_string()


@dataclass(frozen=True)
class _Col:
    """A resolved column: its quoted name, type category, and SQL for its value as a number (None: not numeric)."""

    sql: str
    category: str
    number: str | None

    @property
    def x(self) -> str:
        """The column as an x value altair can draw (an interval as seconds)."""
        return f"extract(epoch FROM {self.sql})" if self.category == "T" else self.sql


def _resolve(fetch: Fetch, table: str, column: str) -> tuple[str, _Col]:
    """The table as PostgreSQL quotes it and the column (names typed without their quotes are found too);
    ConfigError naming what is missing."""
    read = catalog_read(fetch, bind=False)
    rel = relation(read, table)
    found = rel.regclass
    attributes = catalog.read_attributes(read, rel)
    match = next((a for a in attributes if a.name == column), None)
    match = match or next((a for a in attributes if a.name == column.lower()), None)  # typed without its quotes
    if match is None:
        hint = catalog.did_you_mean(column, [a.name for a in attributes], n=3)
        raise ConfigError(
            f"{found} has no column {column!r}: " + (f"{hint}" if hint else f"`%pgai columns {found}` lists them")
        )
    name, cat, kind = _q(match.name), match.category, match.type
    number = float_expr(name, kind) if cat == "N" else None
    return found, _Col(name, cat, number)


def _source(table: str, where: str | None) -> str:
    return table + (f" WHERE ({where})" if where else "")


def plot_column(
    fetch: Fetch, kind: str, table: str, column: str, *, by: str | None = None, where: str | None = None, bins: int = 30
) -> Chart:
    """A chart of `table.column`: histogram (bins), box (quartiles, 1.5 IQR whiskers), bar / pie (counts of the most
    frequent values), line (mean of the column along `by`), scatter (the column against `by`, sampled).

    `where` is a SQL condition, `by` a column (a group for histogram and box). Returns a display.Chart (static images;
    `.chart` is the altair chart, `.data` the aggregated rows). Raises ConfigError for a bad kind, a column of the
    wrong kind, no rows or only NULLs to plot, or more points or groups than a chart can show.
    """
    if kind not in KINDS:
        raise ConfigError(f"unknown plot kind {kind!r}: use {', '.join(KINDS)}")
    if bins < 1 or bins > 1000:
        raise ConfigError(f"--bins must be between 1 and 1000, not {bins}")
    if where is not None:  # one boolean expression that only reads (a second statement or a write: ConfigError)
        where = check_read_condition(where, what="--where", error=ConfigError)
    table, col = _resolve(fetch, table, column)
    if kind in ("histogram", "box", "line", "scatter") and col.number is None:
        raise ConfigError(
            f"a {kind} plot needs a numeric column, and {column!r} is not one: try `plot bar` (counts per value)"
        )
    src = _source(table, where)
    group = _resolve(fetch, table, by)[1] if by else None
    if kind in ("line", "scatter") and group is None:
        raise ConfigError(f"a {kind} plot needs --by COLUMN (the x axis)")
    _check_values(fetch, src, col, table, column, where)
    builders = {
        "histogram": _histogram,
        "box": _box,
        "bar": _counts,
        "pie": _counts,
        "line": _line,
        "scatter": _scatter,
    }
    data = builders[kind](fetch, col, src, group, bins)
    limit = {"line": MAX_POINTS, "box": MAX_GROUPS}.get(kind)
    if limit is not None and len(data) > limit:
        raise ConfigError(
            f"{len(data):,} {'points' if kind == 'line' else 'groups'} is more than a {kind} chart shows ({limit:,}): "
            "group by a coarser column (a date, a category) or narrow the rows with --where"
        )
    if data.empty:  # scatter / line: no row has both values
        raise ConfigError(f"nothing to plot: no row of {table} has both {column!r} and {by!r} (all pairs hold a NULL)")
    what = f"{kind} of {table}.{column}" + (f" by {by}" if by else "") + (f" where {where}" if where else "")
    return Chart(chart_frame(data, kind, x=column, y=by), f"{what}: {counted(len(data), 'row')} drawn", data)


def _check_values(fetch: Fetch, src: str, col: _Col, table: str, column: str, where: str | None) -> None:
    """ConfigError when there is nothing to plot: no rows (after --where), or only NULLs in the column."""
    counts = fetch(f"SELECT count(*) AS n_rows, count({col.sql}) AS n_values FROM {src}")
    rows, values = int(counts["n_rows"][0]), int(counts["n_values"][0])
    matching = f" matching --where {where!r}" if where else ""
    if rows == 0:
        raise ConfigError(f"nothing to plot: {table} has no rows{matching}")
    if values == 0:
        raise ConfigError(f"nothing to plot: {column!r} of {table} is NULL in all {rows:,} rows{matching}")


def _histogram(fetch: Fetch, col: _Col, src: str, group: _Col | None, bins: int) -> pd.DataFrame:
    """Two scans PostgreSQL can run in parallel: the range, then the counts per bucket (bounds as literals)."""
    v = col.number
    span = fetch(f"SELECT min({v}) AS lo, max({v}) AS hi FROM {src}")
    lo, hi = span["lo"][0], span["hi"][0]
    if pd.isna(lo):
        return pd.DataFrame({"bin_start": [], "bin_end": [], "grp": [], "count": []})
    lo, hi = float(lo), float(hi)
    top = hi if hi > lo else lo + 1.0
    where = "AND" if " WHERE " in src else "WHERE"
    g = f"{group.sql}::text" if group else "NULL::text"
    counts = fetch(
        f"SELECT least(width_bucket({v}, {lo!r}, {top!r}, {bins}), {bins}) AS bucket, {g} AS grp, "
        f"count(*) AS count FROM {src} {where} {col.sql} IS NOT NULL GROUP BY 1, 2 ORDER BY 1, 2"
    )
    width = (top - lo) / bins
    counts["bin_start"] = lo + (counts["bucket"] - 1) * width
    counts["bin_end"] = lo + counts["bucket"] * width
    return counts[["bin_start", "bin_end", "grp", "count"]]


def _box(fetch: Fetch, col: _Col, src: str, group: _Col | None, bins: int) -> pd.DataFrame:
    g = f"{group.sql}::text" if group else "'all'"
    v = col.number
    query = (
        f"SELECT grp, q[1] AS q1, q[2] AS median, q[3] AS q3, lo, hi, n FROM (SELECT {g} AS grp, "
        f"percentile_cont(ARRAY[0.25, 0.5, 0.75]) WITHIN GROUP (ORDER BY {v}) AS q, "
        f"min({v}) AS lo, max({v}) AS hi, count({col.sql}) AS n FROM {src} GROUP BY 1) s ORDER BY 1"
    )
    frame = fetch(query)
    iqr = frame["q3"] - frame["q1"]
    frame["whisker_low"] = pd.concat([frame["lo"], frame["q1"] - 1.5 * iqr], axis=1).max(axis=1)
    frame["whisker_high"] = pd.concat([frame["hi"], frame["q3"] + 1.5 * iqr], axis=1).min(axis=1)
    return frame


def _counts(fetch: Fetch, col: _Col, src: str, group: _Col | None, bins: int) -> pd.DataFrame:
    return fetch(
        f"SELECT {col.sql}::text AS value, count(*) AS count FROM {src} GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT {TOP}"
    )


def _line(fetch: Fetch, col: _Col, src: str, group: _Col | None, bins: int) -> pd.DataFrame:
    assert group is not None
    return fetch(f"SELECT {group.x} AS x, avg({col.number}) AS y, count(*) AS n FROM {src} GROUP BY 1 ORDER BY 1")


def _scatter(fetch: Fetch, col: _Col, src: str, group: _Col | None, bins: int) -> pd.DataFrame:
    assert group is not None
    return fetch(
        f"SELECT {group.x} AS x, {col.number} AS y FROM {src} {'AND' if ' WHERE ' in src else 'WHERE'} "
        f"{col.sql} IS NOT NULL AND {group.sql} IS NOT NULL ORDER BY random() LIMIT {SCATTER_POINTS}"
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


def result_chart(frame: pd.DataFrame, kind: str, x: str, y: str | None) -> Chart:
    """A chart of a cell's result (`%%pgai --plot KIND --x A [--y B]`) as static images (display.Chart).

    Raises ConfigError for a bad kind or column, and when the result has no rows or only NULLs in the plotted
    columns."""
    chart = result_altair(frame, kind, x, y)
    if frame.empty:
        raise ConfigError("nothing to plot: the result has no rows")
    for name in (x, y):
        if name is not None and frame[name].isna().all():
            raise ConfigError(f"nothing to plot: column {name!r} of the result is NULL in all {len(frame):,} rows")
    what = f"{kind} of {x}" + (f" and {y}" if y else "")
    return Chart(chart, f"{what}: {counted(len(frame), 'row')} of the result", frame)


def result_altair(frame: pd.DataFrame, kind: str, x: str, y: str | None) -> Any:
    """The altair chart of a result's columns (the rows are already aggregated or small)."""
    import altair as alt

    if kind not in KINDS:
        raise ConfigError(f"unknown plot kind {kind!r}: use {', '.join(KINDS)}")
    for name in (x, y):
        if name is not None and name not in frame.columns:
            hint = catalog.did_you_mean(name, map(str, frame.columns), n=3)
            raise ConfigError(
                f"the result has no column {name!r}: "
                + (hint or f"its columns are {', '.join(map(str, frame.columns))}")
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

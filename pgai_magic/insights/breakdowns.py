"""Breakdown scan: the measures by calendar part (month of year, weekday, hour of day) over complete periods only,
and by bins of every other numeric column (drivers), in one pass of GROUPING SETS."""

from __future__ import annotations

import re

import pandas as pd
from psycopg import sql

from pgai_magic.insights.clock import calendar_expr
from pgai_magic.insights.model import COUNT, Breakdowns, ColumnInfo, Profile
from pgai_magic.insights.runner import Runner

__all__ = ["CALENDAR", "Breakdowns", "breakdowns_scan", "complete_range", "cuts", "plan"]

CALENDAR = {"month": "month", "dow": "isodow", "hour": "hour"}  # grain → EXTRACT field
MAX_DRIVERS = 12
QUANTILES = (0.2, 0.4, 0.6, 0.8)
# parts of a date or a clock time (hhmm): with a time column, the calendar breakdowns tell their story
DATE_PART = re.compile(r"(^|_)(year|quarter|month|week|day|dow|weekday|hour|minute|second|time)$", re.IGNORECASE)


def complete_range(tmin: object, tmax: object) -> tuple[pd.Timestamp, pd.Timestamp, str] | None:
    """The whole months (or, under two months, whole days) between the first and last time seen.

    A period missing less than two days (an hour for days) at either edge still counts as complete (hourly
    observations in UTC that end on the evening of December 30th in local time still cover December).
    """
    if tmin is None or tmax is None or str(tmin) in ("NaT", "nan") or str(tmax) in ("NaT", "nan"):
        return None
    first, last = pd.Timestamp(str(tmin)), pd.Timestamp(str(tmax))
    lo = (first - pd.Timedelta(days=2)).to_period("M").to_timestamp()
    if lo < first - pd.Timedelta(days=2):
        lo = lo + pd.offsets.MonthBegin(1)
    hi = (last + pd.Timedelta(days=2)).to_period("M").to_timestamp()
    if (hi.year - lo.year) * 12 + hi.month - lo.month >= 2:
        return lo, hi, "month"
    lo, hi = (first - pd.Timedelta(hours=1)).ceil("D"), (last + pd.Timedelta(hours=1)).floor("D")
    return (lo, hi, "day") if hi > lo else None


def cuts(col: ColumnInfo) -> list[float]:
    """Bin bounds (x ≤ c) of a numeric column from pg_stats: its values when few, else quintiles."""
    try:
        values = sorted(float(v) for v in col.mcv)
    except ValueError:
        return []
    if values and len(values) <= 12 and sum(col.mcf) >= 0.95 and not col.hist:
        return values[:-1]
    bounds = sorted({x for x in (col.quantile(q) for q in QUANTILES) if x is not None})
    if len(bounds) == 1 and col.mcv:  # one value holds most rows: below it, it, above it
        mode = float(col.mcv[0])
        bounds = [mode - 1e-9 * max(1.0, abs(mode)), mode]
    return bounds


def plan(profile: Profile, tmin: object, tmax: object) -> Breakdowns:
    """Which calendar grains (from the complete-period range) and which driver columns to scan."""
    out = Breakdowns()
    if profile.time and (profile.primary or not profile.measure_given):
        got = complete_range(tmin, tmax)
        if got is not None:
            out.lo, out.hi, out.unit = got
            days = (out.hi - out.lo).days
            months = (out.hi.year - out.lo.year) * 12 + out.hi.month - out.lo.month
            # no pattern finer than the time column's own grain: yearly dates have no month, monthly no weekday
            if out.unit == "month" and months >= 12 and profile.grain != "year":
                out.grains.append("month")
            if days >= 28 and profile.grain not in ("month", "year"):
                out.grains.append("dow")
            if profile.column(profile.time).type != "date" and profile.grain is None and days >= 2:
                out.grains.append("hour")
    if profile.primary:
        for name in profile.numeric_others:
            if len(out.cuts) >= MAX_DRIVERS:
                break
            if profile.time and (DATE_PART.search(name) or name in profile.parts):
                continue
            bounds = cuts(profile.column(name))
            if bounds:
                out.cuts[name] = bounds
    return out


def _bin(name: str, bounds: list[float]) -> sql.Composable:
    x = sql.SQL("{}::float8").format(sql.Identifier(name))
    whens = [sql.SQL("WHEN {} <= {} THEN {}").format(x, sql.Literal(c), sql.Literal(i)) for i, c in enumerate(bounds)]
    return sql.SQL("CASE WHEN {} IS NULL THEN NULL {} ELSE {} END").format(
        x, sql.SQL(" ").join(whens), sql.Literal(len(bounds))
    )


def breakdowns_scan(runner: Runner, profile: Profile, plan_: Breakdowns, source: sql.Composable) -> None:
    """Run the breakdown scan on `source` (the relation or its sample) and fill `plan_.groups`.

    Each grouping set holds count(*), and per primary measure its non-NULL count, the sum and the sum of
    squares of (value − centre); driver sets also hold the column's min and max in each bin.
    """
    keys: list[tuple[str, sql.Composable]] = []
    t = sql.SQL("{}::timestamp").format(sql.Identifier(profile.time)) if profile.time else None
    for grain in plan_.grains:
        keys.append((f"cal:{grain}", calendar_expr(profile, grain)))
    for name, bounds in plan_.cuts.items():
        keys.append((f"x:{name}", _bin(name, bounds)))
    if not keys:
        return
    inner: list[sql.Composable] = [
        sql.SQL("{} AS {}").format(e, sql.Identifier(f"k{i}")) for i, (_, e) in enumerate(keys)
    ]
    aggs: list[sql.Composable] = [sql.SQL("count(*)::float8")]
    names = [COUNT]
    for i, m in enumerate(profile.primary):
        center = profile.measure(m).center
        v = sql.Identifier(f"v{i}")
        inner.append(sql.SQL("{}::float8 - {} AS {}").format(sql.Identifier(m), sql.Literal(center), v))
        aggs += [
            sql.SQL("count({})::float8").format(v),
            sql.SQL("sum({})").format(v),
            sql.SQL("sum({v} * {v})").format(v=v),
        ]
        names += [f"nn:{m}", f"s1:{m}", f"q:{m}"]
    for j, name in enumerate(plan_.cuts):
        x = sql.Identifier(f"x{j}")
        inner.append(sql.SQL("{}::float8 AS {}").format(sql.Identifier(name), x))
        aggs += [sql.SQL("min({})").format(x), sql.SQL("max({})").format(x)]
        names += [f"lo:{name}", f"hi:{name}"]
    where: sql.Composable = sql.SQL("")
    if plan_.grains and t is not None and plan_.lo is not None and plan_.hi is not None:
        where = sql.SQL(" WHERE {t} >= {lo}::timestamp AND {t} < {hi}::timestamp").format(
            t=t, lo=sql.Literal(plan_.lo.isoformat()), hi=sql.Literal(plan_.hi.isoformat())
        )
    ks = [sql.Identifier(f"k{i}") for i in range(len(keys))]
    query = sql.SQL(
        "SELECT GROUPING({ks}) AS gid, {ks}, {aggs} FROM (SELECT {inner} FROM {src}{where} OFFSET 0) s "
        "GROUP BY GROUPING SETS ({sets})"
    ).format(
        ks=sql.SQL(", ").join(ks),
        aggs=sql.SQL(", ").join(aggs),
        inner=sql.SQL(", ").join(inner),
        src=source,
        where=where,
        sets=sql.SQL(", ").join(sql.SQL("({})").format(k) for k in ks),
    )
    frame = runner.fetch(query)
    plan_.query = runner.queries[-1]
    frame.columns = ["gid:", *(k for k, _ in keys), *names]
    width = len(keys)
    for i, (key, _) in enumerate(keys):
        mask = ((1 << width) - 1) ^ (1 << (width - 1 - i))
        rows = frame.loc[frame["gid:"] == mask].rename(columns={key: "phase"})
        rows = rows[rows["phase"].notna()]
        cols = ["phase", *names]
        part = rows[cols].copy()
        part["phase"] = part["phase"].astype(int)
        for m in profile.primary:  # centred sums back to raw sums
            part[f"s:{m}"] = part[f"s1:{m}"] + part[f"nn:{m}"] * profile.measure(m).center
        plan_.groups[key] = part.sort_values("phase").reset_index(drop=True)

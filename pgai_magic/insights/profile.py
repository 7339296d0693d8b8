"""In-database scans: one pass for wide statistics and the GROUPING SETS cube, top groups, duplicates."""

from __future__ import annotations

import itertools
import math
from typing import Any

import pandas as pd
from psycopg import sql

from pgai_magic.catalog import Relation
from pgai_magic.errors import InsightError
from pgai_magic.insights.identities import identity_aggs, near_identities, read_identities
from pgai_magic.insights.model import COUNT, ROWS, TIME, Profile
from pgai_magic.insights.runner import Runner
from pgai_magic.insights.series import MIN_CHANGE_R, is_time_series, shared_trends

__all__ = ["TOP_GROUPS", "choose_bucket", "cube_sets", "duplicates_scan", "profile_scan", "source", "top_groups_scan"]

TOP_GROUPS = 100  # groups fetched per ranking of a high-cardinality dimension
BASE_LIMIT = 200_000  # at most this many groups in the finest grouping (dimensions × time buckets)
# PostgreSQL's target lists hold at most 1664 entries (MaxTupleAttributeNumber): a wide table's pair sums that do
# not fit beside the cube's own aggregates go to extra one-row passes of at most this many aggregates each
MAX_TARGETS = 1500
NEAR_CHANGES_R = 0.8  # trending measures are one quantity only when their changes correlate this much
_UNITS = (("hour", 1 / 24), ("day", 1.0), ("week", 7.0), ("month", 30.44), ("quarter", 91.31), ("year", 365.25))


def choose_bucket(span_days: float, max_buckets: int = 60, grain: str | None = None) -> str:
    """The finest date_trunc unit giving at most `max_buckets` buckets over the time span, and no finer than the
    time column's own grain (yearly dates are never bucketed by quarter)."""
    finest = next((i for i, (unit, _) in enumerate(_UNITS) if unit == grain), 0)
    for unit, days in _UNITS[finest:]:
        if span_days / days <= max_buckets:
            return unit
    return "year"


def source(rel: Relation, fraction: float) -> sql.Composable:
    """The relation, or a repeatable sample of it: BERNOULLI (rows, unbiased even when rows are clustered
    by time) down to 1%, SYSTEM (whole pages, reads less) for smaller fractions of very large tables."""
    if fraction >= 1.0 or not rel.can_sample:
        return rel.ident
    method = sql.SQL("BERNOULLI" if fraction >= 0.01 else "SYSTEM")
    pct = sql.Literal(round(max(fraction * 100.0, 0.0001), 4))
    return sql.SQL("{} TABLESAMPLE {} ({}) REPEATABLE (7)").format(rel.ident, method, pct)


def _f8(name: str) -> sql.Composable:
    return sql.SQL("{}::float8").format(sql.Identifier(name))


def _fences(profile: Profile) -> dict[str, tuple[float, float]]:
    """3 × IQR outlier fences per measure, from pg_stats quartiles (known before any scan)."""
    fences = {}
    for m in profile.measures:
        col = profile.column(m.name)
        q1, q3 = col.quantile(0.25), col.quantile(0.75)
        if q1 is not None and q3 is not None and q3 > q1:
            fences[m.name] = (q1 - 3 * (q3 - q1), q3 + 3 * (q3 - q1))
    return fences


def cube_sets(dims: list[str], with_time: bool) -> list[tuple[str, ...]]:
    """The grouping sets: (), (d), (t), (d, t) and (d1, d2)."""
    sets: list[tuple[str, ...]] = [()]
    sets += [(d,) for d in dims]
    if with_time:
        sets.append((TIME,))
        sets += [(d, TIME) for d in dims]
    sets += list(itertools.combinations(dims, 2))
    return sets


Agg = tuple[sql.Composable, str, str]  # (aggregate expression, statistic name, how it rolls up: sum | min | max)


def profile_scan(
    runner: Runner, rel: Relation, profile: Profile, fraction: float = 1.0
) -> tuple[dict[str, Any], dict[tuple[str, ...], pd.DataFrame]]:
    """One pass over the table: every wide statistic and the GROUPING SETS cube, aggregated rows only.

    The finest grouping (dimensions × time bucket) is aggregated first, in one hash pass where each
    value is cast and centred once; its rows are then rolled up into the grouping sets. The grand
    total set carries the wide statistics: non-NULL counts, centred power sums (moments, skewness),
    min / max, outliers beyond the pg_stats fences, cross sums for every pair of measures (Pearson r,
    over pairwise complete rows) and the time span.
    """
    dims = list(profile.dims)
    with_time = bool(profile.time and profile.bucket)
    keys = [*dims, TIME] if with_time else dims
    gcols = [sql.Identifier(f"g{i}") for i in range(len(keys))]
    inner, others, v = _projection(profile, dims, gcols, with_time)
    fences = _fences(profile)
    pairs = list(itertools.combinations([m.name for m in profile.measures], 2))
    aggs, extra = _aggregates(profile, others, v, fences, pairs)
    room = MAX_TARGETS - len(inner) - 2 * len(keys) - len(aggs)
    aggs, extra = aggs + extra[: max(room, 0)], extra[max(room, 0) :]
    # OFFSET 0 keeps the inner select apart: each value is cast and centred once per row, not per aggregate
    src = sql.SQL("(SELECT {} FROM {} OFFSET 0) s").format(sql.SQL(", ").join(inner), source(rel, fraction))
    query, sets = _cube_query(aggs, keys, gcols, dims, with_time, src)
    frame = runner.fetch(query)
    frame.columns = ["gid:", *keys, *(name for _, name, _ in aggs)]
    out, total = _grouping_sets(profile, frame, keys, sets, others)
    total = _extra_totals(runner, total, extra, src)
    wide = _wide(profile, total, others, pairs, fences, fraction)
    # in a time series (a time value per row, or nearly), measures that only share a trend are not one quantity:
    # their changes must agree as well
    wide["changes"] = shared_trends(out, wide["corr"], MIN_CHANGE_R) if is_time_series(profile, wide["n"]) else {}
    wide["near"] = [(a, b, r) for a, b, r in wide["near"] if abs(wide["changes"].get((a, b), 1.0)) >= NEAR_CHANGES_R]
    return wide, out


def _projection(
    profile: Profile, dims: list[str], gcols: list[sql.Identifier], with_time: bool
) -> tuple[list[sql.Composable], list[str], dict[str, sql.Identifier]]:
    """The inner select: grouping keys g0.. (dimensions as text, the time bucket), the other columns k0.. and
    the measures v0.. cast to float8 and centred; with the other columns' names and each measure's alias."""
    inner: list[sql.Composable] = [
        sql.SQL("{}::text AS {}").format(sql.Identifier(d), g) for d, g in zip(dims, gcols, strict=False)
    ]
    if with_time and profile.time:
        inner.append(
            sql.SQL("date_trunc({}, {}::timestamp) AS {}").format(
                sql.Literal(profile.bucket), sql.Identifier(profile.time), gcols[-1]
            )
        )
    measure_names = {m.name for m in profile.measures}
    others = [c.name for c in profile.columns if c.name not in measure_names]
    for i, name in enumerate(others):
        inner.append(sql.SQL("{} AS {}").format(sql.Identifier(name), sql.Identifier(f"k{i}")))
    v: dict[str, sql.Identifier] = {}
    for i, m in enumerate(profile.measures):
        v[m.name] = sql.Identifier(f"v{i}")
        inner.append(sql.SQL("{}::float8 - {} AS {}").format(sql.Identifier(m.name), sql.Literal(m.center), v[m.name]))
    return inner, others, v


def _extra_totals(runner: Runner, total: pd.DataFrame, extra: list[Agg], src: sql.Composable) -> pd.DataFrame:
    """The grand total with the aggregates that did not fit in the cube's statement, each chunk of MAX_TARGETS
    computed over the same rows (the same repeatable sample) in a one-row pass."""
    if not extra or not len(total):
        return total
    got: dict[str, Any] = {}
    for start in range(0, len(extra), MAX_TARGETS):
        chunk = extra[start : start + MAX_TARGETS]
        items = (sql.SQL("{} AS {}").format(e, sql.Identifier(f"a{i}")) for i, (e, _, _) in enumerate(chunk))
        row = runner.fetch(sql.SQL("SELECT {} FROM {}").format(sql.SQL(", ").join(items), src))
        got.update({name: row.iloc[0, i] for i, (_, name, _) in enumerate(chunk)})
    return pd.concat([total.reset_index(drop=True), pd.DataFrame([got])], axis=1)


def _aggregates(
    profile: Profile,
    others: list[str],
    v: dict[str, sql.Identifier],
    fences: dict[str, tuple[float, float]],
    pairs: list[tuple[str, str]],
) -> tuple[list[Agg], list[Agg]]:
    """Every aggregate of the pass: counts, the measures' moments and outliers and the time span (the cube's own);
    and the pair sums and identities, which only the grand total needs."""
    # NOT NULL columns need no non-NULL count (it is n): every aggregate dropped is work saved on every row
    aggs: list[Agg] = [(sql.SQL("count(*)::float8"), COUNT, "sum")]
    for i, name in enumerate(others):
        if not profile.column(name).not_null:
            aggs.append((sql.SQL("count({})::float8").format(sql.Identifier(f"k{i}")), f"nonnull:{name}", "sum"))
    for m in profile.measures:
        aggs += _measure_aggs(profile, m.name, v[m.name], m.center, fences.get(m.name))
    if profile.time:
        t = sql.Identifier(f"k{others.index(profile.time)}")
        aggs += [
            (sql.SQL("min({})::timestamp").format(t), "t:min", "min"),
            (sql.SQL("max({})::timestamp").format(t), "t:max", "max"),
        ]
    extra: list[Agg] = []
    for a, b in pairs:
        extra += _pair_aggs(profile, a, b, v)
    extra += identity_aggs(profile, v)
    return aggs, extra


def _measure_aggs(
    profile: Profile, name: str, d: sql.Identifier, center: float, fence: tuple[float, float] | None
) -> list[Agg]:
    """A measure's non-NULL count, centred power sums, min / max, and rows beyond its outlier fences."""
    aggs: list[Agg] = []
    if not profile.column(name).not_null:
        aggs.append((sql.SQL("count({})::float8").format(d), f"nn:{name}", "sum"))
    aggs += [
        (sql.SQL("sum({})").format(d), f"s1:{name}", "sum"),
        (sql.SQL("sum({d} * {d})").format(d=d), f"q:{name}", "sum"),
        (sql.SQL("sum({d} * {d} * {d})").format(d=d), f"s3:{name}", "sum"),
        (sql.SQL("min({})").format(d), f"min:{name}", "min"),
        (sql.SQL("max({})").format(d), f"max:{name}", "max"),
    ]
    if fence is not None:
        lo, hi = fence
        cond = sql.SQL("{x} < {lo} OR {x} > {hi}").format(x=d, lo=sql.Literal(lo - center), hi=sql.Literal(hi - center))
        aggs += [
            (sql.SQL("count(*) FILTER (WHERE {})::float8").format(cond), f"out:{name}", "sum"),
            (sql.SQL("sum({}) FILTER (WHERE {})").format(d, cond), f"outsum:{name}", "sum"),
        ]
    return aggs


def _pair_aggs(profile: Profile, a: str, b: str, v: dict[str, sql.Identifier]) -> list[Agg]:
    """The cross sum of two measures, and the sums Pearson r needs over the rows where both are present."""
    va, vb = v[a], v[b]
    aggs: list[Agg] = [(sql.SQL("sum({} * {})").format(va, vb), f"sab:{a}|{b}", "sum")]
    # Pearson r over the rows where both are present; x + 0 * y is NULL where y is
    a_null, b_null = not profile.column(a).not_null, not profile.column(b).not_null
    if a_null and b_null:
        aggs += [
            (sql.SQL("count({} * {})::float8").format(va, vb), f"nab:{a}|{b}", "sum"),
            (sql.SQL("sum({} + 0 * {})").format(va, vb), f"sa:{a}|{b}", "sum"),
            (sql.SQL("sum({} + 0 * {})").format(vb, va), f"sb:{a}|{b}", "sum"),
            (sql.SQL("sum({a} * {a} + 0 * {b})").format(a=va, b=vb), f"saa:{a}|{b}", "sum"),
            (sql.SQL("sum({b} * {b} + 0 * {a})").format(a=va, b=vb), f"sbb:{a}|{b}", "sum"),
        ]
    elif a_null or b_null:  # only one side can be NULL: the other side's sums over its rows
        full_col, part_col = (b, a) if a_null else (a, b)
        vf, vp = v[full_col], v[part_col]
        aggs += [
            (sql.SQL("sum({} + 0 * {})").format(vf, vp), f"sf:{a}|{b}", "sum"),
            (sql.SQL("sum({f} * {f} + 0 * {p})").format(f=vf, p=vp), f"sff:{a}|{b}", "sum"),
        ]
    return aggs


def _cube_query(
    aggs: list[Agg],
    keys: list[str],
    gcols: list[sql.Identifier],
    dims: list[str],
    with_time: bool,
    src: sql.Composable,
) -> tuple[sql.Composable, list[tuple[str, ...]]]:
    """The statement: the finest grouping aggregated once, rolled up into the grouping sets (or, without
    keys, one row); and the grouping sets it returns."""
    aliases = [sql.Identifier(f"a{i}") for i in range(len(aggs))]
    base_list = sql.SQL(", ").join(sql.SQL("{} AS {}").format(e, a) for (e, _, _), a in zip(aggs, aliases, strict=True))
    if not keys:
        return sql.SQL("SELECT 0 AS gid, {} FROM {}").format(base_list, src), [()]
    sets = cube_sets(dims, with_time)
    g = sql.SQL(", ").join(gcols)
    rollup = sql.SQL(", ").join(
        sql.SQL("{}({})").format(sql.SQL(r), a) for (_, _, r), a in zip(aggs, aliases, strict=True)
    )
    grouping = sql.SQL(", ").join(
        sql.SQL("({})").format(sql.SQL(", ").join(gcols[keys.index(k)] for k in s)) for s in sets
    )
    query = sql.SQL(
        "SELECT GROUPING({g}) AS gid, {g}, {rollup} FROM (SELECT {g}, {base} FROM {src} GROUP BY {g}) b "
        "GROUP BY GROUPING SETS ({sets})"
    ).format(g=g, rollup=rollup, base=base_list, src=src, sets=grouping)
    return query, sets


def _grouping_sets(
    profile: Profile, frame: pd.DataFrame, keys: list[str], sets: list[tuple[str, ...]], others: list[str]
) -> tuple[dict[tuple[str, ...], pd.DataFrame], pd.DataFrame]:
    """The fetched rows split per grouping set (count and the measures' nn / s / q sums), and the grand total."""
    for name in others:
        if profile.column(name).not_null:
            frame[f"nonnull:{name}"] = frame[COUNT]
    for m in profile.measures:
        if profile.column(m.name).not_null:
            frame[f"nn:{m.name}"] = frame[COUNT]
    for m in profile.measures:  # centred sums back to raw sums
        frame[f"s:{m.name}"] = frame[f"s1:{m.name}"] + frame[f"nn:{m.name}"] * m.center
    width = len(keys)
    out: dict[tuple[str, ...], pd.DataFrame] = {}
    cube_cols = [COUNT, *(f"{k}:{m.name}" for m in profile.measures for k in ("nn", "s", "q"))]
    total = frame.iloc[0:0]
    for s in sets:
        mask = sum(1 << (width - 1 - i) for i, k in enumerate(keys) if k not in s)
        rows = frame.loc[frame["gid:"] == mask].reset_index(drop=True)
        if TIME in s:
            rows[TIME] = pd.to_datetime(rows[TIME])
        out[s] = rows[[*s, *cube_cols]]
        if s == ():
            total = rows
    return out, total


def _wide(
    profile: Profile,
    total: pd.DataFrame,
    others: list[str],
    pairs: list[tuple[str, str]],
    fences: dict[str, tuple[float, float]],
    fraction: float,
) -> dict[str, Any]:
    """The grand-total row as the wide statistics the rules read."""
    row = (
        {
            k: (None if v is None or (isinstance(v, float) and math.isnan(v)) else v)
            for k, v in total.iloc[0].to_dict().items()
        }
        if len(total)
        else {}
    )
    n = float(row.get(COUNT) or 0.0)
    wide: dict[str, Any] = {
        "n": n,
        "nonnull": {},
        "moments": {},
        "corr": {},
        "fences": fences,
        "fraction": fraction,
        "tmin": row.get("t:min"),
        "tmax": row.get("t:max"),
        "identities": read_identities(profile, row),
    }
    for name in others:
        wide["nonnull"][name] = float(row.get(f"nonnull:{name}") or 0.0)
    for m in profile.measures:
        nn = float(row.get(f"nn:{m.name}") or 0.0)
        wide["nonnull"][m.name] = nn
        mom: dict[str, Any] = {k: row.get(f"{k}:{m.name}") for k in ("s1", "s3", "min", "max", "out", "outsum")}
        mom["s2"] = row.get(f"q:{m.name}")
        for k in ("min", "max"):
            if mom[k] is not None:
                mom[k] += m.center
        mom["sum"] = None if mom["s1"] is None else mom["s1"] + nn * m.center
        if mom["outsum"] is not None:
            mom["outsum"] += (mom["out"] or 0.0) * m.center
        wide["moments"][m.name] = mom
    for a, b in pairs:
        key = f"{a}|{b}"
        if f"nab:{key}" in row:
            n_ab, sa, sb, saa, sbb = (row.get(f"{k}:{key}") for k in ("nab", "sa", "sb", "saa", "sbb"))
        elif f"sf:{key}" in row:  # one side nullable: its own sums are already over the pairwise rows
            a_part = not profile.column(a).not_null
            part = a if a_part else b
            n_ab, sp, spp = row.get(f"nn:{part}"), row.get(f"s1:{part}"), row.get(f"q:{part}")
            sf, sff = row.get(f"sf:{key}"), row.get(f"sff:{key}")
            sa, saa, sb, sbb = (sp, spp, sf, sff) if a_part else (sf, sff, sp, spp)
        else:
            n_ab, sa, sb = row.get(f"nn:{a}"), row.get(f"s1:{a}"), row.get(f"s1:{b}")
            saa, sbb = row.get(f"q:{a}"), row.get(f"q:{b}")
        sab = row.get(f"sab:{key}")
        r = None
        sums = (n_ab, sa, sb, saa, sbb, sab)
        if all(x is not None for x in sums) and float(n_ab or 0) > 2:
            n_, a_, b_, aa, bb, ab = (float(x) for x in sums)  # type: ignore[arg-type]
            var_a, var_b = n_ * aa - a_ * a_, n_ * bb - b_ * b_
            if var_a > 0 and var_b > 0:
                r = max(-1.0, min(1.0, (n_ * ab - a_ * b_) / math.sqrt(var_a * var_b)))
        wide["corr"][(a, b)] = {"corr": r, "pairs": n_ab}
    wide["near"] = near_identities(wide["corr"])
    return wide


def top_groups_scan(runner: Runner, rel: Relation, profile: Profile, dim: str, fraction: float = 1.0) -> pd.DataFrame:
    """The top groups of a high-cardinality dimension by rows and by each primary measure, with the group count
    and, for each cube dimension, the single value a group lies in (column "in:DIM"; NULL when it spans several):
    product 'P-0007' lies in category 'electronics'."""
    aggs: list[sql.Composable] = [sql.SQL("count(*)::float8 AS n")]
    parents = [d for d in profile.dims if d != dim]
    for j, d in enumerate(parents):
        x = sql.SQL("{}::text").format(sql.Identifier(d))
        aggs.append(
            sql.SQL("CASE WHEN min({x}) = max({x}) AND count({x}) = count(*) THEN min({x}) END AS {a}").format(
                x=x, a=sql.Identifier(f"p{j}")
            )
        )
    ranks: list[sql.Composable] = [sql.SQL("rank() OVER (ORDER BY n DESC) AS r0")]
    for i, m in enumerate(profile.primary):
        alias = sql.Identifier(f"s{i}")
        aggs.append(sql.SQL("sum({}) AS {}").format(_f8(m), alias))
        ranks.append(
            sql.SQL("rank() OVER (ORDER BY {} DESC NULLS LAST) AS {}").format(alias, sql.Identifier(f"r{i + 1}"))
        )
    query = sql.SQL(
        "SELECT * FROM (SELECT g.*, count(*) OVER () AS groups, {ranks} FROM "
        "(SELECT {d}::text AS g, {aggs} FROM {src} GROUP BY 1) g) x WHERE {cond}"
    ).format(
        ranks=sql.SQL(", ").join(ranks),
        d=sql.Identifier(dim),
        aggs=sql.SQL(", ").join(aggs),
        src=source(rel, fraction),
        cond=sql.SQL(" OR ").join(
            sql.SQL("{} <= {}").format(sql.Identifier(f"r{i}"), sql.Literal(TOP_GROUPS))
            for i in range(len(profile.primary) + 1)
        ),
    )
    frame = runner.fetch(query)
    names = {"g": dim, "n": ROWS, **{f"s{i}": m for i, m in enumerate(profile.primary)}}
    names.update({f"p{j}": f"in:{d}" for j, d in enumerate(parents)})
    return frame.rename(columns=names)[[*names.values(), "groups"]]


def duplicates_scan(runner: Runner, rel: Relation, columns: list[str], fraction: float = 1.0) -> int:
    """Rows that repeat an earlier row over `columns` (hashes of whole rows counted in the database)."""
    row = sql.SQL("ROW({})").format(sql.SQL(", ").join(sql.Identifier(c) for c in columns))
    query = sql.SQL("SELECT count(*) - count(DISTINCT {}) AS dup FROM {}")
    try:
        found = runner.fetch(query.format(sql.SQL("hash_record_extended({}, 0)").format(row), source(rel, fraction)))
    except InsightError:  # a column type without an extended hash function: hash the row's text instead
        found = runner.fetch(query.format(sql.SQL("hashtextextended({}::text, 0)").format(row), source(rel, fraction)))
    return int(found["dup"].iloc[0] or 0)

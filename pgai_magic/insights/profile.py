"""In-database scans: one wide aggregate pass, a GROUPING SETS cube, top groups and duplicates."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

import pandas as pd
from psycopg import sql

from pgai_magic.errors import InsightError
from pgai_magic.insights.catalog import Relation
from pgai_magic.insights.model import ROWS, TIME, Profile
from pgai_magic.insights.runner import Runner

__all__ = ["TOP_GROUPS", "choose_bucket", "cube_scan", "duplicates_scan", "top_groups_scan", "wide_scan"]

TOP_GROUPS = 100  # groups fetched per ranking of a high-cardinality dimension
BASE_LIMIT = 200_000  # pre-aggregate the cube's finest grouping when it has at most this many groups
_UNITS = (("hour", 1 / 24), ("day", 1.0), ("week", 7.0), ("month", 30.44), ("quarter", 91.31), ("year", 365.25))


def choose_bucket(span_days: float, max_buckets: int = 60) -> str:
    """The finest date_trunc unit giving at most `max_buckets` buckets over the time span."""
    for unit, days in _UNITS:
        if span_days / days <= max_buckets:
            return unit
    return "year"


def _source(rel: Relation, fraction: float) -> sql.Composable:
    """The relation, or a repeatable sample of it: BERNOULLI (rows, unbiased even when rows are clustered
    by time) down to 1%, SYSTEM (whole pages, reads less) for smaller fractions of very large tables."""
    if fraction >= 1.0 or not rel.can_sample:
        return rel.ident
    method = sql.SQL("BERNOULLI" if fraction >= 0.01 else "SYSTEM")
    pct = sql.Literal(round(max(fraction * 100.0, 0.0001), 4))
    return sql.SQL("{} TABLESAMPLE {} ({}) REPEATABLE (7)").format(rel.ident, method, pct)


def _f8(name: str) -> sql.Composable:
    return sql.SQL("{}::float8").format(sql.Identifier(name))


def _values(
    profile: Profile, extra: Sequence[sql.Composable]
) -> tuple[list[sql.Composable], dict[str, sql.Identifier]]:
    """The inner select list: each measure cast to float8 and centred once (v0, v1, ...), plus `extra`."""
    out = list(extra)
    names: dict[str, sql.Identifier] = {}
    for i, m in enumerate(profile.measures):
        alias = sql.Identifier(f"v{i}")
        out.append(sql.SQL("{}::float8 - {} AS {}").format(sql.Identifier(m.name), sql.Literal(float(m.center)), alias))
        names[m.name] = alias
    return out, names


def wide_scan(runner: Runner, rel: Relation, profile: Profile, fraction: float = 1.0) -> dict[str, Any]:
    """One pass over every column: counts, non-nulls, shifted moments, outlier counts, correlations, time span."""
    items: list[sql.Composable] = [sql.SQL("count(*)::float8")]
    keys: list[tuple[str, ...]] = [("n",)]

    def add(expr: sql.Composable, *key: str) -> None:
        items.append(expr)
        keys.append(key)

    measure_names = {m.name for m in profile.measures}
    passthrough = [
        sql.SQL("{} AS {}").format(sql.Identifier(c.name), sql.Identifier(f"k{i}"))
        for i, c in enumerate(profile.columns)
        if c.name not in measure_names
    ]
    inner, v = _values(profile, passthrough)
    for i, col in enumerate(profile.columns):
        ref = v.get(col.name) or sql.Identifier(f"k{i}")
        add(sql.SQL("count({})::float8").format(ref), "nonnull", col.name)
    fences: dict[str, tuple[float, float]] = {}
    for m in profile.measures:
        d = v[m.name]
        add(sql.SQL("min({})").format(d), "min", m.name)
        add(sql.SQL("max({})").format(d), "max", m.name)
        add(sql.SQL("sum({})").format(d), "s1", m.name)
        add(sql.SQL("sum({d} * {d})").format(d=d), "s2", m.name)
        add(sql.SQL("sum({d} * {d} * {d})").format(d=d), "s3", m.name)
        add(sql.SQL("count(*) FILTER (WHERE {} = {})::float8").format(d, sql.Literal(-m.center)), "zeros", m.name)
        col = profile.column(m.name)
        q1, q3 = col.quantile(0.25), col.quantile(0.75)
        if q1 is not None and q3 is not None and q3 > q1:
            lo, hi = q1 - 3 * (q3 - q1), q3 + 3 * (q3 - q1)
            fences[m.name] = (lo, hi)
            cond = sql.SQL("{x} < {lo} OR {x} > {hi}").format(
                x=d, lo=sql.Literal(lo - m.center), hi=sql.Literal(hi - m.center)
            )
            add(sql.SQL("count(*) FILTER (WHERE {})::float8").format(cond), "out", m.name)
            add(sql.SQL("sum({}) FILTER (WHERE {})").format(d, cond), "outsum", m.name)
    for a, b in itertools.combinations([m.name for m in profile.measures], 2):
        add(sql.SQL("corr({}, {})").format(v[a], v[b]), "corr", a, b)
        add(sql.SQL("regr_count({}, {})::float8").format(v[a], v[b]), "pairs", a, b)
    if profile.time:
        t = sql.Identifier(f"k{[c.name for c in profile.columns].index(profile.time)}")
        add(sql.SQL("min({})::timestamp").format(t), "tmin")
        add(sql.SQL("max({})::timestamp").format(t), "tmax")
    select = sql.SQL(", ").join(sql.SQL("{} AS {}").format(e, sql.Identifier(f"c{i}")) for i, e in enumerate(items))
    # OFFSET 0 keeps the subquery apart, so each value is cast and centred once per row, not once per aggregate
    query = sql.SQL("SELECT {} FROM (SELECT {} FROM {} OFFSET 0) s").format(
        select, sql.SQL(", ").join(inner), _source(rel, fraction)
    )
    row = runner.fetch(query).iloc[0].tolist()
    out: dict[str, Any] = {"n": 0.0, "nonnull": {}, "moments": {}, "corr": {}, "fences": fences, "fraction": fraction}
    for key, value in zip(keys, row):
        value = None if value is None or (isinstance(value, float) and math.isnan(value)) else value
        if key == ("n",):
            out["n"] = float(value or 0.0)
        elif key[0] == "nonnull":
            out["nonnull"][key[1]] = float(value or 0.0)
        elif key[0] in ("corr", "pairs"):
            out["corr"].setdefault((key[1], key[2]), {})[key[0]] = value
        elif key[0] in ("tmin", "tmax"):
            out[key[0]] = value
        else:
            out["moments"].setdefault(key[1], {})[key[0]] = value
    for m in profile.measures:  # back from centred to raw values
        mom = out["moments"].get(m.name, {})
        nn = out["nonnull"].get(m.name, 0.0)
        for k in ("min", "max"):
            if mom.get(k) is not None:
                mom[k] += m.center
        if mom.get("s1") is not None:
            mom["sum"] = mom["s1"] + nn * m.center
        if mom.get("outsum") is not None:
            mom["outsum"] += mom.get("out", 0.0) * m.center
    return out


def _cube_sets(dims: list[str], with_time: bool) -> list[tuple[str, ...]]:
    sets: list[tuple[str, ...]] = [()]
    sets += [(d,) for d in dims]
    if with_time:
        sets.append((TIME,))
        sets += [(d, TIME) for d in dims]
    sets += list(itertools.combinations(dims, 2))
    return sets


def cube_scan(
    runner: Runner, rel: Relation, profile: Profile, fraction: float = 1.0
) -> dict[tuple[str, ...], pd.DataFrame]:
    """GROUPING SETS over the dimensions and time buckets: (), (d), (t), (d, t), (d1, d2); aggregated rows only."""
    dims = list(profile.dims)
    with_time = bool(profile.time and profile.bucket)
    keys = [*dims, TIME] if with_time else dims
    gcols = [sql.Identifier(f"g{i}") for i in range(len(keys))]
    key_exprs: list[sql.Composable] = [sql.SQL("{}::text").format(sql.Identifier(d)) for d in dims]
    if with_time and profile.time:
        key_exprs.append(
            sql.SQL("date_trunc({}, {}::timestamp)").format(sql.Literal(profile.bucket), sql.Identifier(profile.time))
        )
    inner, v = _values(profile, [sql.SQL("{} AS {}").format(e, g) for e, g in zip(key_exprs, gcols)])
    aggs: list[sql.Composable] = [sql.SQL("count(*)::float8")]
    names = ["n"]
    for m in profile.measures:
        d = v[m.name]
        aggs += [
            sql.SQL("count({})::float8").format(d),
            sql.SQL("sum({})").format(d),
            sql.SQL("sum({d} * {d})").format(d=d),
        ]
        names += [f"nn:{m.name}", f"s:{m.name}", f"q:{m.name}"]
    aliases = [sql.Identifier(f"a{i}") for i in range(len(names))]
    sets = _cube_sets(dims, with_time)
    grouping = sql.SQL(", ").join(
        sql.SQL("({})").format(sql.SQL(", ").join(gcols[keys.index(k)] for k in s)) for s in sets
    )
    gid = sql.SQL("GROUPING({})").format(sql.SQL(", ").join(gcols))
    # OFFSET 0: each value is cast and centred once per row (see wide_scan)
    src = sql.SQL("(SELECT {} FROM {} OFFSET 0) s").format(sql.SQL(", ").join(inner), _source(rel, fraction))
    base_groups = math.prod(max(profile.column(d).n_distinct or 1, 1) for d in dims) * (60 if with_time else 1)
    if base_groups <= BASE_LIMIT:
        # aggregate the finest grouping first (one hash pass), then roll it up into the grouping sets
        base = sql.SQL("SELECT {g}, {aggs} FROM {src} GROUP BY {g}").format(
            g=sql.SQL(", ").join(gcols),
            aggs=sql.SQL(", ").join(sql.SQL("{} AS {}").format(e, a) for e, a in zip(aggs, aliases)),
            src=src,
        )
        outer = sql.SQL(", ").join(sql.SQL("sum({})").format(a) for a in aliases)
        query = sql.SQL("SELECT {gid} AS gid, {g}, {outer} FROM ({base}) b GROUP BY GROUPING SETS ({sets})").format(
            gid=gid, g=sql.SQL(", ").join(gcols), outer=outer, base=base, sets=grouping
        )
    else:
        query = sql.SQL("SELECT {gid} AS gid, {g}, {aggs} FROM {src} GROUP BY GROUPING SETS ({sets})").format(
            gid=gid, g=sql.SQL(", ").join(gcols), aggs=sql.SQL(", ").join(aggs), src=src, sets=grouping
        )
    frame = runner.fetch(query)
    frame.columns = ["gid", *keys, *names]
    out: dict[tuple[str, ...], pd.DataFrame] = {}
    width = len(keys)
    for s in sets:
        mask = sum(1 << (width - 1 - i) for i, k in enumerate(keys) if k not in s)
        part = frame.loc[frame["gid"] == mask, [*s, *names]].reset_index(drop=True)
        if TIME in s:
            part[TIME] = pd.to_datetime(part[TIME])
        for m in profile.measures:  # centred sums back to raw sums
            part[f"s:{m.name}"] = part[f"s:{m.name}"] + part[f"nn:{m.name}"] * m.center
        out[s] = part
    return out


def top_groups_scan(runner: Runner, rel: Relation, profile: Profile, dim: str, fraction: float = 1.0) -> pd.DataFrame:
    """The top groups of a high-cardinality dimension by rows and by each primary measure, with the group count."""
    aggs: list[sql.Composable] = [sql.SQL("count(*)::float8 AS n")]
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
        src=_source(rel, fraction),
        cond=sql.SQL(" OR ").join(
            sql.SQL("{} <= {}").format(sql.Identifier(f"r{i}"), sql.Literal(TOP_GROUPS))
            for i in range(len(profile.primary) + 1)
        ),
    )
    frame = runner.fetch(query)
    names = {"g": dim, "n": ROWS, **{f"s{i}": m for i, m in enumerate(profile.primary)}}
    return frame.rename(columns=names)[[*names.values(), "groups"]]


def duplicates_scan(runner: Runner, rel: Relation, columns: list[str], fraction: float = 1.0) -> int:
    """Rows that repeat an earlier row over `columns` (hashes of whole rows counted in the database)."""
    row = sql.SQL("ROW({})").format(sql.SQL(", ").join(sql.Identifier(c) for c in columns))
    query = sql.SQL("SELECT count(*) - count(DISTINCT {}) AS dup FROM {}")
    try:
        found = runner.fetch(query.format(sql.SQL("hash_record_extended({}, 0)").format(row), _source(rel, fraction)))
    except InsightError:  # a column type without an extended hash function: hash the row's text instead
        found = runner.fetch(query.format(sql.SQL("hashtextextended({}::text, 0)").format(row), _source(rel, fraction)))
    return int(found["dup"].iloc[0] or 0)

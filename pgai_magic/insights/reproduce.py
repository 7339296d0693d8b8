"""Every finding's checkable SQL (a plain read query that recomputes its number), the overview finding,
and the note on figures estimated from a sample."""

from __future__ import annotations

import psycopg
from psycopg import sql

from pgai_magic.insights.clock import calendar_expr
from pgai_magic.insights.identities import near, near_clusters
from pgai_magic.insights.model import ROWS, Frames, Insight
from pgai_magic.insights.rules.calendar import LABELS
from pgai_magic.insights.series import MIN_CHANGE_R
from pgai_magic.insights.words import num, pct

__all__ = ["annotate_samples", "overview", "source_sql", "sql_for"]

STAGE = {  # which scan each kind's numbers come from
    "category_outlier": "profile",
    "segment_deviation": "profile",
    "trend": "profile",
    "change_point": "profile",
    "spike": "profile",
    "seasonality": "profile",
    "skew": "profile",
    "outliers": "profile",
    "correlation": "profile",
    "missing": "profile",
    "top_contributor": "profile",
    "concentration": "profile",
    "calendar": "breakdowns",
    "driver": "breakdowns",
    "duplicates": "duplicates",
}
_FIELD = {"month": "month", "dow": "isodow", "hour": "hour"}


def source_sql(table: tuple[str, str] | None, query: str | None) -> sql.Composable:
    """The analysed data as a FROM item: the table, or the user's query as a subquery."""
    if table is not None:
        return sql.Identifier(*table)
    return sql.SQL("({}) AS q").format(sql.SQL((query or "").strip().rstrip(";")))


def _value(frames: Frames, measure: str | None) -> sql.Composable:
    if measure is None or measure == ROWS:
        return sql.SQL("count(*)")
    agg = frames.profile.measure(measure).agg if measure in {m.name for m in frames.profile.measures} else "avg"
    return sql.SQL("{}({})").format(sql.SQL(agg), sql.Identifier(measure))


def _where(filters: dict[str, str]) -> sql.Composable:
    if not filters:
        return sql.SQL("")
    parts = [
        sql.SQL("{} IS NULL").format(sql.Identifier(k))
        if v == "NULL"
        else sql.SQL("{}::text = {}").format(sql.Identifier(k), sql.Literal(v))
        for k, v in filters.items()
    ]
    return sql.SQL(" WHERE ") + sql.SQL(" AND ").join(parts)


def _compose(c: Insight, frames: Frames, src: sql.Composable) -> sql.Composable | None:
    prof, ident = frames.profile, sql.Identifier
    cols = [col for col in c.columns if col != c.measure]
    value = _value(frames, c.measure)
    if c.kind in ("trend", "change_point", "spike", "seasonality") and prof.time and prof.bucket:
        return sql.SQL(
            "SELECT date_trunc({u}, {t}::timestamp) AS period, {v} AS value FROM {s}{w} GROUP BY 1 ORDER BY 1"
        ).format(u=sql.Literal(prof.bucket), t=ident(prof.time), v=value, s=src, w=_where(c.filters))
    bd = frames.breakdowns
    if c.kind == "calendar" and prof.time and bd is not None and bd.lo is not None and bd.hi is not None:
        grain = str(c.evidence.get("grain"))
        return sql.SQL(
            "SELECT {f} AS part, {v} AS value, count(*) AS rows FROM {s} "
            "WHERE {t}::timestamp >= {lo} AND {t}::timestamp < {hi} GROUP BY 1 ORDER BY 1"
        ).format(
            f=calendar_expr(prof, grain if grain in _FIELD else "month"),
            t=ident(prof.time),
            v=value,
            s=src,
            lo=sql.Literal(bd.lo.isoformat()),
            hi=sql.Literal(bd.hi.isoformat()),
        )
    if c.kind == "driver" and frames.breakdowns is not None and cols and c.measure:
        x = cols[0]
        bounds = frames.breakdowns.cuts.get(x, [])
        return sql.SQL(
            "SELECT width_bucket({x}::float8, {b}::float8[]) AS bin, min({x}) AS lo, max({x}) AS hi, count(*) AS rows, "
            "avg({m}) AS mean FROM {s} WHERE {x} IS NOT NULL GROUP BY 1 ORDER BY 1"
        ).format(x=ident(x), b=sql.Literal([b + 1e-12 for b in bounds]), m=ident(c.measure), s=src)
    if c.kind in ("category_outlier", "top_contributor", "concentration") and cols:
        return sql.SQL(
            "SELECT {d} AS value, count(*) AS rows, {v} AS measure, {v} / sum({v}) OVER () AS share FROM {s} "
            "GROUP BY 1 ORDER BY 3 DESC"
        ).format(d=ident(cols[0]), v=value, s=src)
    if c.kind == "segment_deviation" and len(cols) >= 2:
        return sql.SQL("SELECT {a}, {b}, {v} AS value FROM {s} GROUP BY 1, 2 ORDER BY 1, 2").format(
            a=ident(cols[0]), b=ident(cols[1]), v=value, s=src
        )
    if c.kind == "correlation" and len(c.columns) >= 2:
        a, b = c.columns[:2]  # the pair measured; further columns are the pair's near-identical echoes
        return sql.SQL("SELECT corr({a}, {b}) AS r, count({a} + {b}) AS pairs FROM {s}").format(
            a=ident(a), b=ident(b), s=src
        )
    if c.kind == "missing" and c.columns:
        return sql.SQL("SELECT count(*) - count({c}) AS nulls, count(*) AS rows FROM {s}").format(
            c=ident(c.columns[0]), s=src
        )
    if c.kind in ("skew", "outliers") and c.columns:
        col = ident(c.columns[0])
        return sql.SQL(
            "SELECT avg({c}) AS mean, percentile_cont(ARRAY[0.25, 0.5, 0.75, 0.99]) WITHIN GROUP (ORDER BY {c}) "
            "AS quartiles_p99, min({c}), max({c}) FROM {s}"
        ).format(c=col, s=src)
    if c.columns:
        return sql.SQL("SELECT count(*) AS rows, count(DISTINCT {c}) AS distinct_values FROM {s}").format(
            c=ident(c.columns[0]), s=src
        )
    return None


def sql_for(c: Insight, frames: Frames, src: sql.Composable, conn: psycopg.Connection) -> str | None:
    """A read-only query that recomputes the finding's figures (exactly, on the whole data)."""
    composed = _compose(c, frames, src)
    return composed.as_string(conn) if composed is not None else None


def annotate_samples(chosen: list[Insight], frames: Frames) -> None:
    """Findings computed on a sample say so: 'about', the sample's size and share."""
    for c in chosen:
        fraction = frames.sampled.get(STAGE.get(c.kind, ""))
        if fraction and c.kind != "missing":  # the missing-values rule states its sample itself
            rows = frames.n_rows if STAGE.get(c.kind) == "profile" else frames.profile.n_rows * fraction
            c.summary = c.summary.rstrip(".") + (
                f" (about: estimated from a sample of {num(rows)} rows, {pct(fraction, 1)} of the table; "
                "the SQL gives the exact figure)."
            )


def _dependencies(frames: Frames) -> list[str]:
    """Columns tied by definition, said once: near-identical measures, the time column's parts and clock times,
    codes and keys (none of them is a measure), and the time in which calendar parts are read."""
    prof, wide = frames.profile, frames.wide or {}
    out = []
    for group in near_clusters(wide.get("near", [])):
        links = [r for a, b, r in wide["near"] if a in group]
        strength = f"r = {links[0]:.2f}" if len(links) == 1 else f"|r| ≥ {min(abs(r) for r in links):.2f}"
        named = f"{', '.join(group[:-1])} and {group[-1]}"
        out.append(f"{named} are nearly one quantity ({strength}): not reported as a finding")
    trend_only = [
        f"{a} ~ {b}"
        for (a, b), rc in wide.get("changes", {}).items()
        if (abs(rc) < MIN_CHANGE_R or rc * float(wide["corr"][(a, b)]["corr"] or 0.0) < 0) and not near(wide, a, b)
    ]
    if trend_only:
        named = ", ".join(trend_only[:3]) + (", ..." if len(trend_only) > 3 else "")
        plural = "s" if len(trend_only) > 1 else ""
        out.append(
            f"{len(trend_only)} pair{plural} of measures correlate only through their trends over time, not in "
            f"their changes ({named}): not reported as findings"
        )
    calendar = [c for c, role in prof.parts.items() if role == "calendar"]
    clock = [c for c, role in prof.parts.items() if role == "clock"]
    if calendar:
        of = f" of {prof.time}" if prof.time else ""
        out.append(f"calendar parts{of}: {', '.join(calendar)}")
    if clock:
        out.append(f"clock times (hhmm): {', '.join(clock)}")
    codes = [c for c in prof.id_like if prof.column(c).kind == "numeric"]
    if codes:
        out.append(f"codes and keys: {', '.join(codes)}")
    if prof.time and "with time zone" in prof.column(prof.time).type:
        local = [f"hours from {prof.local['hour']}"] if "hour" in prof.local else []
        local += [f"dates from {prof.local['date'].replace(',', ', ')}"] if "date" in prof.local else []
        out.append(f"{prof.time} read in time zone {prof.zone}" + (f" ({'; '.join(local)})" if local else ""))
    return out


def overview(frames: Frames) -> Insight:
    """What the data is: rows, period, each primary measure's total or mean, the main dimensions."""
    prof, wide = frames.profile, frames.wide or {}
    rows = frames.n_rows / frames.sampled.get("profile", 1.0)
    parts = [
        f"{prof.label}: {'about ' if frames.sampled.get('profile') else ''}{num(rows)} row{'' if rows == 1 else 's'}"
    ]
    if prof.time and wide.get("tmin") is not None:
        parts.append(f"{prof.time} from {str(wide['tmin'])[:10]} to {str(wide['tmax'])[:10]}")
    for m in prof.primary:
        mom = wide.get("moments", {}).get(m) or {}
        nn = wide.get("nonnull", {}).get(m) or 0.0
        if mom.get("sum") is not None and nn:
            total = mom["sum"] / frames.sampled.get("profile", 1.0)
            figure = num(total) if prof.measure(m).agg == "sum" else f"mean {num(mom['sum'] / nn)}"
            parts.append(f"{m} {'total ' if prof.measure(m).agg == 'sum' else ''}{figure}")
    for m, ident in wide.get("identities", {}).items():  # what follows from these is not reported as news
        parts.append(f"{m} = {ident['a']} {ident['op']} {ident['b']} (in {pct(ident['share'], 1)} of rows)")
    parts += _dependencies(frames)
    dims = prof.dims + prof.wide_dims
    if dims:
        sizes = [f"{d} ({num(prof.column(d).n_distinct or 0)} values)" for d in dims[:5]]
        parts.append("main dimensions " + ", ".join(sizes))
    grains = [LABELS[g] for g in (frames.breakdowns.grains if frames.breakdowns else [])]
    if grains:
        parts.append("calendar patterns by " + ", ".join(grains))
    sample = (
        f" (scans sampled: {', '.join(f'{k} {pct(v, 1)}' for k, v in frames.sampled.items())})"
        if frames.sampled
        else ""
    )
    return Insight(
        "overview",
        prof.label,
        "; ".join(parts) + f"{sample}.",
        impact=0.0,
        columns=tuple(x for x in (prof.time, *prof.primary) if x),
        evidence={"effect": 0.0},
    )

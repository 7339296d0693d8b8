"""The insight engine: catalog, budgeted in-database scans (sampled when needed), rules, ranking."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import pandas as pd
import psycopg
from psycopg import sql

from pgai_magic.errors import ConfigError, QueryCancelled
from pgai_magic.insights import attribution, breakdowns, clock, profile, quantiles, reproduce, roles, scoring
from pgai_magic.insights.model import Frames, Insight, Profile
from pgai_magic.insights.request import InsightsRequest
from pgai_magic.insights.rules import run_rules
from pgai_magic.insights.runner import OutOfBudget, Runner

__all__ = ["COLUMNS", "InsightsRequest", "analyse", "find_insights"]

COLUMNS = [
    "kind",
    "subject",
    "score",
    "summary",
    "impact",
    "p_value",
    "q_value",
    "measure",
    "columns",
    "filters",
    "focus",
    "when",
    "direction",
    "evidence",
    "sql",
]
PROBE_MIN_ROWS = 200_000  # below this, scans run in full without a timing probe
PROBE_ROWS = 50_000  # large enough that the probe's fixed costs do not dominate its time per row
MIN_FRACTION = 0.002
WEIGHTS = {"profile": 1.0, "breakdowns": 0.6, "top": 0.15, "duplicates": 0.5}  # relative cost per row of each stage
DUPLICATE_ROWS = 100_000  # duplicates are counted on a sample of about this many rows (a lower bound)


@dataclass
class _Plan:
    """Per-row cost learnt from the scans so far (seconds per row per unit of stage weight)."""

    rows: float
    unit: float | None = None

    def fraction(self, weight: float, allowed: float) -> float:
        if self.unit is None or self.rows <= 0:
            return 1.0
        share = allowed / (self.unit * self.rows * weight)
        # close to the whole table: scan it all (the statement timeout still guards the budget)
        return 1.0 if share >= 0.7 else max(share, MIN_FRACTION)

    def learn(self, seconds: float, fraction: float, weight: float) -> None:
        if self.rows > 0 and fraction * self.rows * weight > 0:
            self.unit = seconds / (fraction * self.rows * weight)


def analyse(
    conn: psycopg.Connection, request: InsightsRequest | None = None, /, **options: Any
) -> tuple[list[Insight], Runner, Frames]:
    """Find, score and rank insights on `conn` within the request's budget; the chosen insights and the run's log.

    `request` is an InsightsRequest, or its fields are given as keywords (`analyse(conn, table="orders")`).
    """
    request = _request(request, options)
    # the rules and the ranking run after the last scan: about 3 s for a 1M-row table on a busy 2-core machine
    runner = Runner(conn, float(request.budget), reserve_s=min(3.0, 0.15 * float(request.budget)))
    conn.execute("SET work_mem = '64MB'")  # hash the cube and the duplicate count in memory
    from pgai_magic.display import progress

    bar = progress(total=2, desc="insights", disable=not request.progress)
    top = request.top
    try:
        frames = _scan(runner, bar, request)
        bar.set_postfix_str("ranking")
        candidates, tests = run_rules(frames)
        candidates = attribution.attribute(candidates, frames)
        # the overview ("what this table is") comes first and counts as one of the top K
        chosen = scoring.rank(candidates, tests, top - 1 if top > 1 else 1)
        reproduce.annotate_samples(chosen, frames)
        if top > 1:
            chosen.insert(0, reproduce.overview(frames))
        rel = frames.cache["relation"]
        src = reproduce.source_sql((rel.schema, rel.name) if request.table is not None else None, request.query)
        for c in chosen:
            c.sql = reproduce.sql_for(c, frames, src, conn)
        frames.cache["candidates"] = len(candidates)
        frames.cache["tests"] = tests
    finally:
        bar.close()
        try:
            conn.execute("RESET default_transaction_read_only")
            conn.execute("RESET statement_timeout")
            conn.execute("RESET work_mem")
            if request.query is not None:
                conn.execute("DROP TABLE IF EXISTS pg_temp.pgai_insights_query")
        except psycopg.Error:
            pass
    return chosen, runner, frames


def _request(request: InsightsRequest | None, options: dict[str, Any]) -> InsightsRequest:
    """The request given, or one made from keyword options (not both)."""
    if request is None:
        return InsightsRequest(**options)
    if options:
        raise ConfigError(f"give an InsightsRequest or keyword options, not both (got {sorted(options)})")
    return request


def _scan(runner: Runner, bar: Any, request: InsightsRequest) -> Frames:
    started, before = time.perf_counter(), runner.rows_fetched
    if request.table is not None:
        rel = roles.resolve(runner, request.table)
    else:
        rel = roles.materialize(runner, request.query or "")
    try:
        columns, rel, analysed = roles.read_columns(runner, rel)
    except OutOfBudget:
        columns, analysed = roles.read_columns(runner, rel, analyze=False)[0], False
    prof = roles.choose_roles(
        rel.label,
        columns,
        max(rel.reltuples, 0.0),
        measures=request.measures,
        time=request.time,
        dimensions=request.dims,
    )
    # every scan from here on is SQL the user did not write: it runs in read-only transactions
    runner.execute("SET default_transaction_read_only = on", at_least_s=roles.CATALOG_S)
    clock.plan_local(runner, rel, prof)
    runner.record("catalog", started, before, note="analysed" if analysed else "")
    started, before = time.perf_counter(), runner.rows_fetched
    try:
        if quantiles.exact_quantiles(runner, rel, prof):
            runner.record("quantiles", started, before)
    except OutOfBudget as exc:
        runner.record("quantiles", started, before, done=False, note=str(exc))
    _plan_cube(runner, rel, prof)
    bar.update(1)
    frames = Frames(prof)
    frames.cache["relation"] = rel
    plan = _Plan(max(rel.reltuples, 0.0))
    stages = _stages(prof)
    bar.total = 1 + len(stages)
    bar.refresh()
    # the cost per row grows with the aggregates and the groups, and the server may be shared: above
    # PROBE_MIN_ROWS a timing probe always runs first
    if request.sample is None and rel.can_sample and plan.rows > PROBE_MIN_ROWS:
        _probe(runner, rel, frames, plan)
    for i, (stage, weight) in enumerate(stages):
        share = runner.remaining() * weight / sum(w for _, w in stages[i:])
        fraction = request.sample if request.sample is not None else plan.fraction(weight, share)
        if stage == "duplicates" and plan.rows > 0:
            fraction = min(fraction, DUPLICATE_ROWS / plan.rows)
        fraction = min(fraction, 1.0) if rel.can_sample else 1.0
        started, before = time.perf_counter(), runner.rows_fetched
        try:
            _run_stage(runner, rel, frames, stage, fraction)
        except OutOfBudget as exc:
            runner.record(stage, started, before, fraction, done=False, note=str(exc))
            bar.update(1)
            continue
        entry = runner.record(stage, started, before, fraction)
        plan.learn(entry.seconds, fraction, weight)
        if fraction < 1.0:
            frames.sampled[stage] = fraction
        else:
            frames.sampled.pop(stage, None)
        bar.update(1)
    return frames


def _stages(prof: Profile) -> list[tuple[str, float]]:
    """The scans after the catalog, each with its relative cost per row."""
    stages: list[tuple[str, float]] = [("profile", WEIGHTS["profile"])]
    if prof.time or (prof.primary and prof.numeric_others):
        stages.append(("breakdowns", WEIGHTS["breakdowns"]))
    stages += [(f"top:{d}", WEIGHTS["top"]) for d in prof.wide_dims]
    if duplicate_columns(prof)[0]:
        stages.append(("duplicates", WEIGHTS["duplicates"]))
    return stages


def _probe(runner: Runner, rel: roles.Relation, frames: Frames, plan: _Plan) -> None:
    """Profile a small sample first: a provisional result, and its cost per row sizes every later stage."""
    started, before = time.perf_counter(), runner.rows_fetched
    fraction = min(1.0, PROBE_ROWS / plan.rows)
    try:
        frames.wide, frames.sets = profile.profile_scan(runner, rel, frames.profile, fraction)
        frames.sampled["profile"] = fraction
        entry = runner.record("probe", started, before, fraction)
        plan.learn(entry.seconds, fraction, WEIGHTS["profile"])
    except OutOfBudget as exc:
        runner.record("probe", started, before, fraction, done=False, note=str(exc))


def _plan_cube(runner: Runner, rel: roles.Relation, prof: Profile) -> None:
    """The time bucket (from the time column's span in pg_stats, else its min and max), and a cube small
    enough to aggregate in one pass: the highest-cardinality dimensions move to top-group scans."""
    if prof.time:
        col = prof.column(prof.time)
        first, last = col.span or (None, None)
        if first is None:  # no statistics (a view): one min/max pass
            started, before = time.perf_counter(), runner.rows_fetched
            query = sql.SQL("SELECT min({t})::timestamp AS lo, max({t})::timestamp AS hi FROM {r}")
            try:
                span = runner.fetch(query.format(t=sql.Identifier(prof.time), r=rel.ident))
                first, last = span["lo"].iloc[0], span["hi"].iloc[0]
                runner.record("time span", started, before)
            except OutOfBudget as exc:
                runner.record("time span", started, before, done=False, note=str(exc))
        if first is not None and last is not None and not pd.isna(first) and not pd.isna(last):
            days = (pd.Timestamp(last) - pd.Timestamp(first)).total_seconds() / 86400.0
            prof.bucket = profile.choose_bucket(days, grain=prof.grain)
    buckets = 60 if prof.bucket else 1

    def size() -> float:
        return math.prod(max(prof.column(d).n_distinct or 1.0, 1.0) for d in prof.dims) * buckets

    while prof.dims and size() > profile.BASE_LIMIT:
        widest = max(prof.dims, key=lambda d: prof.column(d).n_distinct or 0.0)
        prof.dims.remove(widest)
        prof.wide_dims.insert(0, widest)


def duplicate_columns(prof: Profile) -> tuple[list[str], list[str]]:
    """Columns compared for duplicate rows, and the surrogate keys left out (a row repeated under a new id
    is still a duplicate); with fewer than three columns left, every column counts."""
    comparable = [c for c in prof.columns if c.kind != "other"]
    keys = [c.name for c in comparable if c.name in prof.id_like and roles.ID_NAME.search(c.name)]
    rest = [c.name for c in comparable if c.name not in keys]
    if len(rest) < 3:
        return [c.name for c in comparable], []
    return rest, keys


def _run_stage(runner: Runner, rel: roles.Relation, frames: Frames, stage: str, fraction: float) -> None:
    prof = frames.profile
    if stage == "profile":
        frames.wide, frames.sets = profile.profile_scan(runner, rel, prof, fraction)
        if fraction >= 1.0:
            prof.n_rows = frames.wide["n"]
    elif stage == "breakdowns":
        wide = frames.wide or {}
        span = prof.column(prof.time).span if prof.time else None
        tmin = wide.get("tmin") or (span[0] if span else None)
        tmax = wide.get("tmax") or (span[1] if span else None)
        planned = breakdowns.plan(prof, tmin, tmax)
        breakdowns.breakdowns_scan(runner, prof, planned, profile.source(rel, fraction))
        frames.breakdowns = planned
    elif stage.startswith("top:"):
        dim = stage[4:]
        frames.top_groups[dim] = profile.top_groups_scan(runner, rel, prof, dim, fraction)
    elif stage == "duplicates":
        cols, ignored = duplicate_columns(prof)
        frames.duplicates = profile.duplicates_scan(runner, rel, cols, fraction)
        frames.cache["duplicates_ignore"] = ignored
        frames.cache["duplicates_fraction"] = fraction


def to_frame(chosen: list[Insight], runner: Runner, frames: Frames) -> pd.DataFrame:
    """The ranked insights as a DataFrame, with the run's log in `attrs`."""
    rows = [
        {
            "kind": c.kind,
            "subject": c.subject,
            "score": round(c.score, 4),
            "summary": c.summary,
            "impact": round(c.impact, 4),
            "p_value": c.p_value,
            "q_value": c.q_value,
            "measure": c.measure,
            "columns": c.columns,
            "filters": c.filters,
            "focus": c.focus,
            "when": c.when,
            "direction": c.direction,
            "evidence": c.evidence,
            "sql": c.sql,
        }
        for c in chosen
    ]
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame.attrs.update(
        {
            "source": frames.profile.label,
            "elapsed_s": round(runner.elapsed, 3),
            "rows_fetched": runner.rows_fetched,
            "statements": runner.statements,
            "rows_analysed": frames.n_rows,
            "sampled": dict(frames.sampled),
            "stages": [vars(s) for s in runner.log],
            "sql": list(runner.queries),
            "tests": frames.cache.get("tests", 0),
            "candidates": frames.cache.get("candidates", 0),
            "measures": [m.name for m in frames.profile.measures],
            "primary": list(frames.profile.primary),
            "time": frames.profile.time,
            "bucket": frames.profile.bucket,
            "dimensions": list(frames.profile.dims) + list(frames.profile.wide_dims),
        }
    )
    return frame


def find_insights(target: Any, request: InsightsRequest | None = None, /, **options: Any) -> pd.DataFrame:
    """Ranked insights on a table or query as a DataFrame (kind, subject, score, summary, …, sql).

    `request` is an InsightsRequest (table or query, measure, time, dimensions, top, budget, sample, progress),
    or its fields are given as keywords: `find_insights(conn, table="orders", top=10)`.
    The first row is the overview (kind "overview": rows, period, measure totals, main dimensions) and counts
    as one of the `top` rows; the others are ranked by score. Each row's `sql` is a read query that recomputes
    its figures on the whole data; figures estimated from a sample say "about" and give the sample's size.
    `target` is a pgai `Database` (a private connection is opened for the run, with the user's session's TimeZone)
    or a psycopg connection. Calendar findings on a timestamptz read it in that TimeZone, or in the table's own
    local hour / date columns when it has them, and say which.
    Raises ConfigError on bad options, InsightError when the table or query cannot be read, QueryCancelled on
    Ctrl-C. Source: in-database aggregate scans (pgai_magic.insights.profile, .breakdowns) and the rules.
    """
    request = _request(request, options)
    own = not isinstance(target, psycopg.Connection)
    conn: psycopg.Connection = target.connect(autocommit=True) if own else target
    if not conn.autocommit:
        raise ConfigError("the insight engine needs a connection in autocommit mode")
    try:
        if own:  # the scan reads timestamptz in the TimeZone the user's session has (a SET TimeZone included)
            zone = target.session.execute("SHOW TimeZone").fetchone()
            conn.execute("SELECT set_config('TimeZone', %s, false)", (zone[0],))
        chosen, runner, frames = analyse(conn, request)
    except KeyboardInterrupt:  # psycopg has already cancelled the running statement on the server
        raise QueryCancelled("insights cancelled (interrupted); the server query was cancelled") from None
    finally:
        if own:
            conn.close()
    return to_frame(chosen, runner, frames)

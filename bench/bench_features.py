"""Point-in-time training sets: `features training-set` in PostgreSQL against pandas' merge_asof on the same rows.

    python bench/bench_features.py [--labels 1000000] [--entities 100000] [--per-entity 10] [--runs 5]
                                   [--indexes none,plain,covering] [--lateral-runs 3] [--dsn DSN]

Three feature views of `--entities` × `--per-entity` rows each (random times over a year), and `--labels` label
rows (random customers and times), made in the schema `bench_features` of DSN (default: the embedded server).

The anchor is what a pandas user runs once the rows are in memory: sort each view by time and `pd.merge_asof(…,
direction="backward", by="customer_id")` three times (the fetch is not counted). Ours runs in the database, nothing
fetched: `training_set(…, into=TABLE)` (CREATE TABLE AS of the as-of join, as `%pgai features training-set --into`
runs it; the planner's choice of plan) and the same query counted (`SELECT count(*)` over it: the join alone).
Under each index setup (`none`: no index; `plain`: (customer_id, ts); `covering`: (customer_id, ts, the
features), the index `training-set` advises, then VACUUM) the methods alternate run by run; median and range of
`--runs` runs, and the load average.
The lateral plan at full size is timed separately (`--lateral-runs`). Results go to bench/results/features.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from pgai_magic.session import Session

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = "bench_features"
VIEWS = ("orders", "visits", "support")


def make_data(session: Session, labels: int, entities: int, per_entity: int) -> None:
    conn = session.db.control
    conn.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
    conn.execute(f"CREATE SCHEMA {SCHEMA}")
    conn.execute("SELECT setseed(0.27)")
    for view in VIEWS:
        conn.execute(
            f"""CREATE TABLE {SCHEMA}.{view} AS
                SELECT (random() * {entities})::bigint AS customer_id,
                       timestamptz '2024-01-01' + random() * interval '365 days' AS ts,
                       random() * 100 AS {view}_amount, (random() * 20)::int AS {view}_count
                FROM generate_series(1, {entities * per_entity})"""
        )
    conn.execute(
        f"""CREATE TABLE {SCHEMA}.labels AS
            SELECT g AS label_id, (random() * {entities})::bigint AS customer_id,
                   timestamptz '2024-02-01' + random() * interval '365 days' AS label_time, random() < 0.3 AS churned
            FROM generate_series(1, {labels}) g"""
    )
    conn.execute(f"VACUUM ANALYZE {SCHEMA}.labels")
    for view in VIEWS:
        conn.execute(f"VACUUM ANALYZE {SCHEMA}.{view}")
        session.define_features(f"bench_{view}", "customer_id", "ts", table=f"{SCHEMA}.{view}")


def set_indexes(session: Session, mode: str) -> None:
    conn = session.db.control
    for view in VIEWS:
        conn.execute(f"DROP INDEX IF EXISTS {SCHEMA}.{view}_asof")
        if mode == "plain":
            conn.execute(f"CREATE INDEX {view}_asof ON {SCHEMA}.{view} (customer_id, ts)")
        elif mode == "covering":  # the index `features training-set` advises: the sweep's whole order
            conn.execute(f"CREATE INDEX {view}_asof ON {SCHEMA}.{view} (customer_id, ts, {view}_amount, {view}_count)")
        conn.execute(f"VACUUM ANALYZE {SCHEMA}.{view}")


def fetch_frames(session: Session) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    labels = session.sql(f"SELECT label_id, customer_id, label_time, churned FROM {SCHEMA}.labels")
    views = {v: session.sql(f"SELECT customer_id, ts, {v}_amount, {v}_count FROM {SCHEMA}.{v}") for v in VIEWS}
    return labels, views


def merge_asof(labels: pd.DataFrame, views: dict[str, pd.DataFrame]) -> pd.DataFrame:
    out = labels.sort_values("label_time", kind="stable")
    for view in VIEWS:
        right = views[view].sort_values("ts", kind="stable")
        out = pd.merge_asof(out, right, left_on="label_time", right_on="ts", by="customer_id",
                            direction="backward").drop(columns="ts")  # fmt: skip
    return out


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def summary(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


LABELS_SQL = f"SELECT label_id, customer_id, label_time, churned FROM {SCHEMA}.labels"
FEATURES = ",".join(f"bench_{v}" for v in VIEWS)


def ours_into(session: Session, strategy: str = "auto") -> tuple[float, str]:
    session.db.control.execute(f"DROP TABLE IF EXISTS {SCHEMA}.training")
    made = session.training_set(LABELS_SQL, FEATURES, into=f"{SCHEMA}.training", strategy=strategy)
    return made.seconds, made.strategy


def ours_count(session: Session, text: str, planner: dict[str, bool]) -> float:
    """The as-of join evaluated in full (every feature column counted, so no join is left out), nothing written;
    with the plan's planner switches, as `training_set` runs it."""
    from pgai_magic.features.asof import set_planner

    counts = ", ".join(f"count({v}_amount), count({v}_count)" for v in VIEWS)
    conn = session.db.control

    def run() -> None:
        with conn.transaction():
            set_planner(conn, planner)
            conn.execute(f"SELECT count(*), {counts} FROM ({text}) AS t").fetchone()

    return timed(run)


def run_setup(session: Session, mode: str, runs: int, frames: tuple[pd.DataFrame, dict]) -> dict[str, object]:
    set_indexes(session, mode)
    from pgai_magic.features import asof
    from pgai_magic.features.request import parse_refs

    plan = asof.plan(session.db.control, LABELS_SQL, parse_refs(FEATURES), None, None, 600)
    chosen = asof.choose(session.db.control, plan, "auto", 600)
    times: dict[str, list[float]] = {"merge_asof": [], "into": [], "count": []}
    used_plans = set()
    for i in range(runs):
        order = ["merge_asof", "into", "count"] if i % 2 == 0 else ["count", "into", "merge_asof"]
        for method in order:
            if method == "merge_asof":
                times[method].append(timed(lambda: merge_asof(*frames)))
            elif method == "into":
                seconds, used = ours_into(session)
                times[method].append(seconds)
                used_plans.add(used)
            else:
                times[method].append(ours_count(session, chosen.sql, chosen.planner))
        print(f"  {mode} run {i + 1}: " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in times.items()), flush=True)
    anchor = statistics.median(times["merge_asof"])
    result = {k: {**summary(v), "ratio": statistics.median(v) / anchor} for k, v in times.items()}
    return {"strategy": sorted(used_plans), "why": chosen.why, "planner": chosen.planner, **result}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=int, default=1_000_000)
    parser.add_argument("--entities", type=int, default=100_000)
    parser.add_argument("--per-entity", type=int, default=10)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--indexes", default="none,plain,covering")
    parser.add_argument("--lateral-runs", type=int, default=3)
    parser.add_argument("--dsn", default=os.environ.get("PGAI_DSN"))
    args = parser.parse_args()
    session = Session(args.dsn)
    session.db.read_timeout_s = 3600.0
    print(f"load average before: {os.getloadavg()}", flush=True)
    make_data(session, args.labels, args.entities, args.per_entity)
    frames = fetch_frames(session)
    sizes = {"labels": args.labels, "rows_per_view": args.entities * args.per_entity, "views": len(VIEWS)}
    results: dict[str, object] = {"sizes": sizes, "load_before": os.getloadavg()}
    for mode in args.indexes.split(","):
        results[mode] = run_setup(session, mode, args.runs, frames)
        print(mode, json.dumps(results[mode], default=str), flush=True)
    lateral = [ours_into(session, "lateral")[0] for _ in range(args.lateral_runs)]
    results["lateral_into_last_setup"] = summary(lateral) if lateral else None
    results["load_after"] = os.getloadavg()
    print(json.dumps(results, indent=1, default=str))
    out = ROOT / "bench" / "results" / "features.json"
    out.write_text(json.dumps(results, indent=1, default=str) + "\n", encoding="utf-8")
    session.db.control.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
    for view in VIEWS:
        session.features.drop(f"bench_{view}")


if __name__ == "__main__":
    main()

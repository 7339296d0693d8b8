"""`features training-set --into`: what running the as-of join READ ONLY costs (a temporary table, then the copy).

    python bench/bench_training_set_into.py [--labels 300000] [--entities 30000] [--per-entity 10] [--runs 5]

The data and views of bench_features.py, with the index `training-set` advises (covering). Ours: `training_set(…,
into=T)`, which fills an empty temporary table from the join in a READ ONLY transaction and copies it to T (so a
function the labels or a view's query calls cannot write), its planning (EXPLAIN of both plans) and record included.
Anchor, in the same run: `CREATE TABLE T AS` of the same query in one ordinary transaction (how it was written
before; a writing function would write there). The two run in turn, round by round (one untimed round first);
median and range of `--runs` runs, and the load average. Results go to bench/results/training_set_into.json.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from psycopg import sql

from bench.bench_features import SCHEMA, VIEWS, make_data, set_indexes
from bench.benchlib import Runs, command_line, interleave, write_json
from pgai_magic.features import TrainingSetRequest, asof
from pgai_magic.session import Session

ROOT = Path(__file__).resolve().parents[1]
LABELS = f"SELECT customer_id, label_time, churned FROM {SCHEMA}.labels"
FEATURES = ",".join(f"bench_{v}" for v in VIEWS)


def ours(session: Session) -> float:
    session.db.control.execute(f"DROP TABLE IF EXISTS {SCHEMA}.ts_into")
    started = time.perf_counter()
    session.training_set(LABELS, FEATURES, into=f"{SCHEMA}.ts_into")
    return time.perf_counter() - started


def direct(session: Session) -> float:
    conn = session.db.control
    request = TrainingSetRequest(LABELS, FEATURES)
    plan = asof.plan(conn, request.labels, request.refs, request.label_time, request.ttl, 600.0)
    chosen = asof.choose(conn, plan, "auto", 600.0)
    conn.execute(f"DROP TABLE IF EXISTS {SCHEMA}.ts_direct")
    started = time.perf_counter()
    with conn.transaction():
        asof.set_planner(conn, chosen.planner)
        conn.execute(sql.SQL("CREATE TABLE {}.ts_direct AS {}").format(sql.Identifier(SCHEMA), sql.SQL(chosen.sql)))  # type: ignore[arg-type]
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--labels", type=int, default=300_000)
    parser.add_argument("--entities", type=int, default=30_000)
    parser.add_argument("--per-entity", type=int, default=10)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--dsn", default=os.environ.get("PGAI_DSN"))
    args = parser.parse_args()
    with Session(args.dsn) as session:
        session.db.read_timeout_s = 600.0
        make_data(session, args.labels, args.entities, args.per_entity)
        set_indexes(session, "covering")
        runs = Runs(anchors={"read-only into": "direct CTAS", "direct CTAS": "direct CTAS"})
        interleave({"read-only into": lambda: ours(session), "direct CTAS": lambda: direct(session)}, args.runs, runs)
        session.db.control.execute(f"DROP SCHEMA {SCHEMA} CASCADE")
    print(runs.table("`training-set --into`"))
    print(runs.load_line())
    write_json("training_set_into", command_line(), vars(args), runs)


if __name__ == "__main__":
    main()

"""Benchmark: score 200k rows with a 50-tree depth-3 GradientBoosting model in PostgreSQL vs fetch + predict + COPY.

    python bench/bench_inference.py [--rows 200000] [--runs 5] [--dsn DSN] [--data-dir DIR]

`%pgai model score` (its engines against fetch → predict → write by hand) is measured by bench/bench_score.py.

In-database forms (each writes a `scores` table with CREATE TABLE AS, or INSERT ... SELECT):
  default     the deployed pgai.predict_proba_NAME (nested CASE, float8 midpoint thresholds), parallel query on
  serial      the same with max_parallel_workers_per_gather = 0
  insert      INSERT INTO scores SELECT ... (an INSERT never runs in parallel)
  float4      nested CASE comparing x::float4 with float4 thresholds (a cast per tree node)
  leaf-array  per tree: (ARRAY[leaf values])[nested CASE giving the leaf number]
The anchor (python): ADBC fetch → numpy → sklearn predict_proba → ADBC ingest (COPY BINARY) into a table.
Runs go round-robin over the paths. Prints a markdown table (median of the runs, ratio to the python path)
and the max |SQL - sklearn| score difference.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
from psycopg import sql

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib

from pgai_magic.inference.estimators import tree_sql
from pgai_magic.inference.sqlexpr import Col, expit_sql, f8, sum_sql
from pgai_magic.session import Session

FEATURES = [f"f{i}" for i in range(8)]
NAME = "bench_gb"


def make_table(conn: psycopg.Connection, rows: int) -> None:
    cols = ", ".join(f"{f} float8" for f in FEATURES)
    conn.execute(f"DROP TABLE IF EXISTS t; CREATE TABLE t (id bigint PRIMARY KEY, {cols})")
    rng = np.random.default_rng(42)
    X = rng.normal(size=(rows, len(FEATURES))) * [1, 2, 5, 10, 0.5, 1, 3, 100]
    with conn.cursor().copy(f"COPY t (id, {', '.join(FEATURES)}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(["int8"] + ["float8"] * len(FEATURES))
        for i, row in enumerate(X.tolist()):
            copy.write_row([i + 1, *row])
    conn.execute("VACUUM ANALYZE t")


def train(conn: psycopg.Connection) -> Any:
    from sklearn.ensemble import GradientBoostingClassifier

    rows = conn.execute(f"SELECT {', '.join(FEATURES)} FROM t ORDER BY id LIMIT 20000").fetchall()
    X = np.asarray(rows, dtype=float)
    z = X[:, 0] - 0.5 * X[:, 1] + 0.2 * X[:, 2] * (X[:, 3] > 0) + 0.01 * X[:, 7]
    y = (z + np.random.default_rng(0).normal(size=len(X)) > 0).astype(int)
    return GradientBoostingClassifier(n_estimators=50, max_depth=3, random_state=0).fit(X, y)


def alt_functions(conn: psycopg.Connection, est: Any) -> None:
    """The float4-cast and leaf-array forms of the same model, as bench.* functions."""
    conn.execute("DROP SCHEMA IF EXISTS bench CASCADE; CREATE SCHEMA bench")
    cols = [Col(f"${i + 1}", "num", i, frozenset([i])) for i in range(len(FEATURES))]
    init = float(est._raw_predict_init(np.zeros((1, len(FEATURES)), dtype=np.float32))[0, 0])
    lr = float(est.learning_rate)
    guard = " OR ".join(f"${i + 1} IS NULL" for i in range(len(FEATURES)))
    args = ", ".join(f"{f} float8" for f in FEATURES)

    def float4_tree(tree: Any) -> str:
        t = tree.tree_

        def node(i: int) -> str:
            if t.children_left[i] == -1:
                return f8(lr * float(t.value[i, 0, 0]))
            f = np.float32(t.threshold[i])
            if float(f) > t.threshold[i]:
                f = np.nextafter(f, np.float32(-np.inf))  # largest float32 <= threshold: exact
            left, right = node(int(t.children_left[i])), node(int(t.children_right[i]))
            return f"CASE WHEN ${int(t.feature[i]) + 1}::float4 <= float4 '{float(f)!r}' THEN {left} ELSE {right} END"

        return f"({node(0)})"

    def array_tree(tree: Any) -> str:
        t = tree.tree_
        leaves = [int(i) for i in np.flatnonzero(t.children_left == -1)]
        index = {node: k + 1 for k, node in enumerate(leaves)}
        values = ",".join(repr(lr * float(t.value[i, 0, 0])) for i in leaves)
        case = tree_sql(tree, cols, lambda i: str(index[i]), False)
        return f"('{{{values}}}'::float8[])[{case}]"

    for form, build in (("float4", float4_tree), ("leafarray", array_tree)):
        raw = sum_sql([f8(init)] + [build(row[0]) for row in est.estimators_])
        body = f"SELECT CASE WHEN {guard} THEN NULL ELSE {expit_sql(raw)} END"
        conn.execute(
            sql.SQL("CREATE FUNCTION bench.{}({}) RETURNS float8 LANGUAGE sql IMMUTABLE PARALLEL SAFE AS {}").format(
                sql.Identifier(f"proba_{form}"), sql.SQL(args), sql.Literal(body)
            )
        )


def timed(fn: Callable[[], None], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--dsn")
    parser.add_argument("--data-dir", default=str(Path.home() / ".cache" / "pgai-bench-inference"))
    args = parser.parse_args()

    session = Session(args.dsn, data_dir=None if args.dsn else args.data_dir)
    conn = session.db.control
    make_table(conn, args.rows)
    est = train(conn)
    session.deploy(est, NAME, features=FEATURES)
    alt_functions(conn, est)
    cols = ", ".join(FEATURES)

    def ctas(function: str, workers: int) -> Callable[[], None]:
        def run() -> None:
            conn.execute("DROP TABLE IF EXISTS scores")
            conn.execute(f"SET max_parallel_workers_per_gather = {workers}")
            conn.execute(f"CREATE TABLE scores AS SELECT id, {function}({cols}) AS score FROM t")
            conn.execute("RESET max_parallel_workers_per_gather")

        return run

    def insert() -> None:
        conn.execute("DROP TABLE IF EXISTS scores; CREATE TABLE scores (id bigint, score float8)")
        conn.execute(f"INSERT INTO scores SELECT id, pgai.predict_proba_{NAME}({cols}) FROM t")

    def python_path() -> None:
        import adbc_driver_postgresql.dbapi as adbc
        import pyarrow as pa

        with adbc.connect(session.dsn) as ac, ac.cursor() as cur:
            cur.execute(f"SELECT id, {cols} FROM t")
            table = cur.fetch_arrow_table()
            X = np.column_stack([table.column(f).to_numpy() for f in FEATURES])
            proba = est.predict_proba(X)[:, 1]
            cur.execute("DROP TABLE IF EXISTS scores_py")
            cur.adbc_ingest("scores_py", pa.table({"id": table.column("id"), "score": proba}), mode="create")
            ac.commit()

    workers = int(conn.execute("SHOW max_parallel_workers_per_gather").fetchone()[0])  # type: ignore[index]
    forms: dict[str, Callable[[], None]] = {
        "python: ADBC fetch + sklearn predict_proba + ADBC ingest (COPY)": python_path,
        f"in-db default: CREATE TABLE AS, pgai.predict_proba_{NAME}, parallel ({workers} workers/gather)": ctas(
            f"pgai.predict_proba_{NAME}", workers
        ),
        "in-db serial: the same, max_parallel_workers_per_gather = 0": ctas(f"pgai.predict_proba_{NAME}", 0),
        "in-db INSERT INTO scores SELECT (never parallel)": insert,
        "in-db float4 form: x::float4 <= float4 threshold, parallel": ctas("bench.proba_float4", workers),
        "in-db leaf-array form: (ARRAY[leaves])[CASE → leaf no], parallel": ctas("bench.proba_leafarray", workers),
    }
    python_label = next(iter(forms))
    runs = benchlib.Runs({label: python_label for label in forms})
    benchlib.interleave(forms, args.runs, runs)  # round-robin: load changes hit every path alike

    def compute(function: str) -> Callable[[], None]:
        def run() -> None:
            conn.execute("SET max_parallel_workers_per_gather = 0")
            conn.execute(f"SELECT sum({function}({cols})) FROM t")
            conn.execute("RESET max_parallel_workers_per_gather")

        return run

    kernels = {
        "compute only, serial: default form (float8 midpoint)": compute(f"pgai.predict_proba_{NAME}"),
        "compute only, serial: float4 form": compute("bench.proba_float4"),
        "compute only, serial: leaf-array form": compute("bench.proba_leafarray"),
    }
    compute_runs = benchlib.Runs({label: next(iter(kernels)) for label in kernels})
    benchlib.interleave(kernels, args.runs, compute_runs, warm=False)

    diffs = {}
    python_path()
    for label, function in (("default", f"pgai.predict_proba_{NAME}"), ("float4", "bench.proba_float4"),
                            ("leaf-array", "bench.proba_leafarray")):  # fmt: skip
        ctas(function, workers)()
        diffs[label] = conn.execute(
            "SELECT max(abs(a.score - b.score)), count(*) FROM scores a JOIN scores_py b USING (id)"
        ).fetchone()
    plan = conn.execute(
        f"EXPLAIN CREATE TABLE x AS SELECT id, pgai.predict_proba_{NAME}({cols}) FROM t"
    ).fetchall()  # fmt: skip

    print(f"rows: {args.rows:,}; model: GradientBoostingClassifier(n_estimators=50, max_depth=3), 8 float8 features")
    shape = " / ".join(r[0].strip() for r in plan[:3])
    print(f"server: PostgreSQL {session.state.server_version}; {args.runs} rounds; plan: {shape}; {benchlib.machine()}")
    print(runs.load_line())
    print(runs.table())
    print(compute_runs.load_line())
    print(compute_runs.table("compute only (anchor: the default form)"))
    print()
    for label, (diff, count) in diffs.items():
        print(f"exactness ({label}): max |SQL score - sklearn score| = {diff!r} over {count:,} rows")
    benchlib.write_json("inference", benchlib.command_line(), vars(args), runs, compute=compute_runs.rows(),
                        exactness={k: [float(v[0]), int(v[1])] for k, v in diffs.items()})  # fmt: skip
    session.close()


if __name__ == "__main__":
    main()

"""What the prediction log costs `model score`: the same scoring with the log (the default) and with --no-log.

    python bench/bench_prediction_log.py [--rows 300000] [--runs 5] [--engine sql] [--dsn DSN]

A table of `--rows` rows (id + 8 float8 features) and a 50-tree depth-3 GradientBoostingClassifier (as
bench_inference.py --score); `score_table` writes (id, prediction) into a new table with `log=True` and `log=False`,
alternating run by run. Prints median and range of each and the load average.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np
from sklearn.ensemble import GradientBoostingClassifier

from pgai_magic.session import Session

SCHEMA = "bench_prediction_log"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--engine", default="sql", choices=["sql", "python"])
    parser.add_argument("--dsn", default=os.environ.get("PGAI_DSN"))
    args = parser.parse_args()
    session = Session(args.dsn)
    conn = session.db.control
    conn.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
    conn.execute(f"CREATE SCHEMA {SCHEMA}")
    columns = ", ".join(f"random() AS f{i}" for i in range(8))
    conn.execute(f"CREATE TABLE {SCHEMA}.t AS SELECT g AS id, {columns} FROM generate_series(1, {args.rows}) g")
    conn.execute(f"ALTER TABLE {SCHEMA}.t ADD PRIMARY KEY (id)")
    conn.execute(f"VACUUM ANALYZE {SCHEMA}.t")
    rng = np.random.default_rng(0)
    X = rng.random((3000, 8))
    model = GradientBoostingClassifier(n_estimators=50, max_depth=3, random_state=0).fit(X, X[:, 0] + X[:, 1] > 1)
    session.deploy(model, "bench_log", [f"f{i}" for i in range(8)])
    print(f"load average before: {os.getloadavg()}", flush=True)
    times: dict[bool, list[float]] = {True: [], False: []}
    for i in range(args.runs):
        for log in (True, False) if i % 2 == 0 else (False, True):
            conn.execute(f"DROP TABLE IF EXISTS {SCHEMA}.scored")
            start = time.perf_counter()  # the whole call: scoring, then the log (ScoreResult.seconds is the scoring)
            result = session.models.score("bench_log", f"{SCHEMA}.t", f"{SCHEMA}.scored", engine=args.engine, log=log)
            times[log].append(time.perf_counter() - start)
            print(f"  run {i + 1} log={log}: {times[log][-1]:.2f} s ({result.logged:,} logged)", flush=True)
        conn.execute("DELETE FROM pgai.prediction_log WHERE name = 'bench_log'")
    for log, values in times.items():
        print(f"log={log}: median {statistics.median(values):.2f} s [{min(values):.2f}, {max(values):.2f}]")
    print(f"load average after: {os.getloadavg()}")
    session.models.drop("bench_log")
    conn.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")


if __name__ == "__main__":
    main()

"""Benchmark: looking at a large table from a notebook — `%pgai profile` on 1M rows and `%pgai plot histogram` on
10M rows, both aggregated in PostgreSQL — against the usual notebook path: fetch the rows into pandas, then
`DataFrame.describe()` / `numpy.histogram`.

Run by hand: `python bench/bench_workflow.py [--reps 3]`. One embedded server; round-robin over the methods.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    from pgai_magic.cell import convert
    from pgai_magic.server import ensure_embedded
    from pgai_magic.session import Session
    from pgai_magic.sqltext import Statement
    from pgai_magic.workflow.explore import profile_table
    from pgai_magic.workflow.plot import plot_column

    server = ensure_embedded(Path(tempfile.mkdtemp(prefix="pgai-bench-")) / "pg", cleanup="delete")
    session = Session(server.dsn)
    session.sql(
        "CREATE TABLE wide AS SELECT g AS id, random() * 1000 AS amount, (g % 1000)::int AS customer, "
        "'item-' || (g % 5000) AS item, timestamptz '2024-01-01' + g * interval '1 second' AS created_at, "
        "g % 3 = 0 AS flag FROM generate_series(1, 1000000) g; "
        "CREATE TABLE tall AS SELECT random() * 100 AS x FROM generate_series(1, 10000000); ANALYZE wide, tall"
    )

    def fetch(q: str):  # type: ignore[no-untyped-def]
        return convert.to_pandas(session.db.run_readonly(Statement(q), timeout_s=600).table)

    methods = {
        "profile (pgai, 1M)": lambda: profile_table(session.sql, "wide"),
        "fetch + describe (pandas, 1M)": lambda: session.sql("SELECT * FROM wide").describe(include="all"),
        "histogram (pgai, 10M)": lambda: plot_column(fetch, "histogram", "tall", "x", bins=30),
        "fetch + np.histogram (10M)": lambda: np.histogram(session.sql("SELECT x FROM tall")["x"], bins=30),
    }
    times: dict[str, list[float]] = {m: [] for m in methods}
    for rep in range(args.reps):
        for name, fn in methods.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
            print(f"rep {rep + 1} {name:32s} {times[name][-1]:.3f} s", flush=True)
    print(f"\nmachine: {platform.machine()}, {os.cpu_count()} cores, reps={args.reps}")
    print("| method | median s | min s | max s |")
    print("|---|---|---|---|")
    for name, values in times.items():
        print(f"| {name} | {statistics.median(values):.3f} | {min(values):.3f} | {max(values):.3f} |")
    session.close()
    server.handle.cleanup()  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()

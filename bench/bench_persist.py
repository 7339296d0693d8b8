"""Benchmark: a 1M-row × 6-column pandas DataFrame into a new table: `%pgai persist` vs `DataFrame.to_sql`
(SQLAlchemy + psycopg2, method="multi") vs JupySQL's `%sql --persist`.

Run by hand: `python bench/bench_persist.py [--rows 1000000] [--reps 3]`. One embedded server; each method writes
a fresh table per repetition (round-robin over the methods); the table is dropped between runs.
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
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def frame(rows: int) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    g = np.arange(1, rows + 1)
    return pd.DataFrame(
        {
            "id": g,
            "amount": rng.random(rows) * 1000,
            "customer": (g % 1000).astype(np.int32),
            "label": [f"item-{i % 5000}" for i in g],
            "created_at": pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(g, unit="s"),
            "flag": g % 3 == 0,
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    from IPython.testing.globalipapp import start_ipython
    from sqlalchemy import create_engine, text

    from pgai_magic.server import ensure_embedded
    from pgai_magic.session import Session

    server = ensure_embedded(Path(tempfile.mkdtemp(prefix="pgai-bench-")) / "pg", cleanup="delete")
    df = frame(args.rows)
    session = Session(server.dsn)
    engine = create_engine(server.dsn.replace("postgresql://", "postgresql+psycopg2://", 1))
    ip = start_ipython()
    ip.run_line_magic("load_ext", "sql")
    ip.run_line_magic("sql", server.dsn.replace("postgresql://", "postgresql+psycopg2://", 1))
    ip.user_ns["bench_df"] = df

    def drop() -> None:
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS bench_df"))

    methods = {
        "pgai": lambda: session.persist(df, "bench_df"),
        "to_sql_multi": lambda: df.to_sql("bench_df", engine, index=False, method="multi", chunksize=10_000),
        "jupysql": lambda: ip.run_line_magic("sql", "--persist bench_df"),
    }
    times: dict[str, list[float]] = {m: [] for m in methods}
    for rep in range(args.reps):
        for name, fn in methods.items():
            drop()
            start = time.perf_counter()
            fn()
            elapsed = time.perf_counter() - start
            with engine.connect() as conn:
                n = conn.execute(text("SELECT count(*) FROM bench_df")).scalar()
            assert n == args.rows, (name, n)
            times[name].append(elapsed)
            print(f"rep {rep + 1} {name:13s} {elapsed:.3f} s", flush=True)
    med = {m: statistics.median(v) for m, v in times.items()}
    print(f"\nmachine: {platform.machine()}, {os.cpu_count()} cores, rows={args.rows:,}, reps={args.reps}")
    print("| method | median s | min s | max s | vs pgai |")
    print("|---|---|---|---|---|")
    for m in methods:
        print(f"| {m} | {med[m]:.3f} | {min(times[m]):.3f} | {max(times[m]):.3f} | {med[m] / med['pgai']:.1f}x |")
    session.close()
    server.handle.cleanup()  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()

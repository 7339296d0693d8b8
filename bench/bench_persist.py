"""Benchmark: a pandas DataFrame (1M rows × 6 columns by default) into a new table: `%pgai persist` (the anchor) vs
`DataFrame.to_sql` (SQLAlchemy + psycopg2, method="multi", chunks of 10,000) vs JupySQL's `%sql --persist`.

    python bench/bench_persist.py [--rows 1000000] [--runs 5] [--methods pgai,to_sql_multi,jupysql]

One embedded server; each method writes a fresh table per round (dropped before its turn, outside the timing;
the row count checked after it), round-robin over the methods after one untimed round (`--no-warm` skips it: at
1M rows to_sql takes minutes). Results: a table on stdout and bench/results/persist[_ROWS].json (bench/report.py).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import benchlib


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
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--methods", default="pgai,to_sql_multi,jupysql")
    parser.add_argument("--no-warm", action="store_true", help="no untimed first round")
    args = parser.parse_args()
    from IPython.testing.globalipapp import start_ipython
    from sqlalchemy import create_engine, text

    from pgai_magic.server import ensure_embedded
    from pgai_magic.session import Session

    server = ensure_embedded(Path(tempfile.mkdtemp(prefix="pgai-bench-")) / "pg", cleanup="delete")
    df = frame(args.rows)
    session = Session(server.dsn)
    sa_url = server.dsn.replace("postgresql://", "postgresql+psycopg2://", 1)
    engine = create_engine(sa_url)
    ip = start_ipython()
    ip.run_line_magic("load_ext", "sql")
    ip.run_line_magic("sql", sa_url)
    ip.user_ns["bench_df"] = df

    def timed(fn: Callable[[], Any]) -> Callable[[], dict[str, float]]:
        def run() -> dict[str, float]:
            with engine.begin() as conn:
                conn.execute(text("DROP TABLE IF EXISTS bench_df"))
            start = time.perf_counter()
            fn()
            elapsed = time.perf_counter() - start
            with engine.connect() as conn:
                n = conn.execute(text("SELECT count(*) FROM bench_df")).scalar()
            assert n == args.rows, n
            return {"seconds": elapsed}

        return run

    every = {
        "%pgai persist": lambda: session.persist(df, "bench_df"),
        "DataFrame.to_sql (method='multi', chunks of 10,000)": lambda: df.to_sql(
            "bench_df", engine, index=False, method="multi", chunksize=10_000
        ),
        "JupySQL %sql --persist": lambda: ip.run_line_magic("sql", "--persist bench_df"),
    }
    keys = dict(zip(["pgai", "to_sql_multi", "jupysql"], every, strict=True))
    chosen = [keys[m] for m in args.methods.split(",")]
    paths = {name: timed(every[name]) for name in chosen}
    runs = benchlib.Runs(dict.fromkeys(paths, chosen[0]))
    benchlib.interleave(paths, args.runs, runs, warm=not args.no_warm)
    print(f"\n{args.rows:,} rows; {benchlib.machine()}")
    print(runs.load_line())
    print(runs.table())
    name = "persist" if args.rows == 1_000_000 else f"persist_{args.rows}"
    print(f"results: {benchlib.write_json(name, benchlib.command_line(), vars(args), runs)}")
    session.close()
    server.handle.cleanup()  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()

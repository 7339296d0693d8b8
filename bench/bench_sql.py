"""Benchmark: 1M rows x 6 columns into pandas: %%pgai, JupySQL, pandas.read_sql over SQLAlchemy, raw ADBC.

Run by hand: `python bench/bench_sql.py [--rows 1000000] [--reps 5]`. Each measurement runs in a fresh
subprocess, round-robin over the methods so background load hits all of them alike. Each subprocess first
runs the same query with LIMIT 10 (a notebook connection that has already run a cell), then times the
full fetch into a pandas DataFrame; peak memory is the peak RSS growth over the process's baseline.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
METHODS = ["pgai", "jupysql", "read_sql", "adbc"]
QUERY = "SELECT * FROM bench_rows"


def _rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _peak_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(method: str, dsn: str) -> None:
    """Run one timed fetch in this (fresh) process and print a JSON line."""
    import pandas as pd

    sa_url = dsn.replace("postgresql://", "postgresql+psycopg2://", 1)
    if method == "pgai":
        from IPython.testing.globalipapp import start_ipython

        os.environ["PGAI_DSN"] = dsn
        ip = start_ipython()
        ip.run_line_magic("load_ext", "pgai_magic")
        run = lambda: ip.run_cell_magic("pgai", "", QUERY)  # noqa: E731
    elif method == "jupysql":
        from IPython.testing.globalipapp import start_ipython

        ip = start_ipython()
        ip.run_line_magic("load_ext", "sql")
        ip.run_line_magic("config", "SqlMagic.displaylimit = 10")
        ip.run_line_magic("sql", sa_url)
        run = lambda: ip.run_line_magic("sql", QUERY).DataFrame()  # noqa: E731
    elif method == "read_sql":
        import sqlalchemy

        engine = sqlalchemy.create_engine(sa_url)
        conn = engine.connect()
        run = lambda: pd.read_sql(QUERY, conn)  # noqa: E731
    elif method == "adbc":
        import adbc_driver_postgresql.dbapi as adbc

        aconn = adbc.connect(dsn, autocommit=True)
        cur = aconn.cursor()

        def run() -> pd.DataFrame:
            cur.execute(QUERY)
            return cur.fetch_arrow_table().to_pandas()
    else:
        raise SystemExit(f"unknown method {method}")
    # one small query first, as in a notebook where the connection has already run a cell
    warm = QUERY
    if method == "pgai":
        ip.run_cell_magic("pgai", "", warm + " LIMIT 10")
    elif method == "jupysql":
        ip.run_line_magic("sql", warm + " LIMIT 10").DataFrame()
    elif method == "read_sql":
        pd.read_sql(warm + " LIMIT 10", conn)
    else:
        cur.execute(warm + " LIMIT 10")
        cur.fetch_arrow_table().to_pandas()
    base = _rss_mb()
    start = time.perf_counter()
    df = run()
    elapsed = time.perf_counter() - start
    assert len(df) > 0 and df.shape[1] == 6, df.shape
    print(
        json.dumps(
            {
                "method": method,
                "seconds": elapsed,
                "rows": len(df),
                "peak_growth_mb": _peak_mb() - base,
                "dtypes": [str(t) for t in df.dtypes],
            }
        )
    )


def latency(dsn: str, n: int = 300) -> dict[str, float]:
    """Median milliseconds for a 1-row SELECT: the %%pgai magic, the Session API, raw psycopg, raw ADBC."""
    import adbc_driver_postgresql.dbapi as adbc
    import psycopg
    from IPython.testing.globalipapp import start_ipython

    os.environ["PGAI_DSN"] = dsn
    ip = start_ipython()
    ip.run_line_magic("load_ext", "pgai_magic")
    session = ip.user_ns["_pgai_magics"]._get_session()
    pconn = psycopg.connect(dsn, autocommit=True)
    aconn = adbc.connect(dsn, autocommit=True)
    cur = aconn.cursor()

    def adbc_one() -> None:
        cur.execute("SELECT 1 AS a")
        cur.fetch_arrow_table().to_pandas()

    paths = {
        "magic": lambda: ip.run_cell_magic("pgai", "", "SELECT 1 AS a"),
        "session": lambda: session.execute("SELECT 1 AS a"),
        "psycopg": lambda: pconn.execute("SELECT 1 AS a").fetchall(),
        "adbc": adbc_one,
    }
    out = {}
    for name, fn in paths.items():
        fn()
        samples = []
        for _ in range(n):
            start = time.perf_counter()
            fn()
            samples.append((time.perf_counter() - start) * 1000)
        out[name] = statistics.median(samples)
    cur.close()
    aconn.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--child")
    parser.add_argument("--dsn")
    args = parser.parse_args()
    if args.child == "latency":
        print(json.dumps(latency(args.dsn)))
        return
    if args.child:
        child(args.child, args.dsn)
        return
    sys.path.insert(0, str(ROOT))
    from pgai_magic.server import ensure_embedded

    server = ensure_embedded(Path(tempfile.mkdtemp(prefix="pgai-bench-")) / "pg", cleanup="delete")
    import psycopg

    with psycopg.connect(server.dsn, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_rows")
        conn.execute(
            """CREATE TABLE bench_rows AS
               SELECT g AS id, random() * 1000 AS amount, (g %% 1000)::int AS customer,
                      'item-' || (g %% 5000) || '-' || md5(g::text) AS label,
                      timestamptz '2024-01-01' + g * interval '1 second' AS created_at,
                      g %% 3 = 0 AS flag
               FROM generate_series(1, %s) g""",
            (args.rows,),
        )
        conn.execute("VACUUM ANALYZE bench_rows")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    times: dict[str, list[float]] = {m: [] for m in METHODS}
    peaks: dict[str, list[float]] = {m: [] for m in METHODS}
    dtypes: dict[str, list[str]] = {}
    for rep in range(args.reps):
        for method in METHODS:
            out = subprocess.run(
                [sys.executable, __file__, "--child", method, "--dsn", server.dsn],
                capture_output=True,
                text=True,
                env=env,
                check=False,
            )
            line = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
            if out.returncode != 0 or not line:
                raise SystemExit(f"{method} failed:\n{out.stdout}\n{out.stderr}")
            result = json.loads(line[-1])
            times[method].append(result["seconds"])
            peaks[method].append(result["peak_growth_mb"])
            dtypes[method] = result["dtypes"]
            print(
                f"rep {rep + 1} {method:9s} {result['seconds']:.3f} s  peak +{result['peak_growth_mb']:.0f} MiB",
                flush=True,
            )
    med = {m: statistics.median(v) for m, v in times.items()}
    print(
        f"\nmachine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"rows={args.rows:,}, reps={args.reps}"
    )
    print("| method | median s | min s | max s | peak RSS growth MiB (median) | vs %%pgai |")
    print("|---|---|---|---|---|---|")
    for m in METHODS:
        print(
            f"| {m} | {med[m]:.3f} | {min(times[m]):.3f} | {max(times[m]):.3f} | {statistics.median(peaks[m]):.0f} | "
            f"{med[m] / med['pgai']:.2f}x |"
        )
    print(
        f"\n%%pgai vs JupySQL: {med['jupysql'] / med['pgai']:.1f}x faster; "
        f"%%pgai / raw ADBC: {med['pgai'] / med['adbc']:.2f}x"
    )
    print("pgai dtypes:", dtypes["pgai"])
    out = subprocess.run(
        [sys.executable, __file__, "--child", "latency", "--dsn", server.dsn],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    lat = json.loads([ln for ln in out.stdout.splitlines() if ln.startswith("{")][-1])
    print("1-row SELECT, median ms: " + ", ".join(f"{k} {v:.3f}" for k, v in lat.items()))
    print(f"routing + conversion over raw psycopg (Session API): {lat['session'] - lat['psycopg']:.3f} ms")
    server.handle.cleanup()  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()

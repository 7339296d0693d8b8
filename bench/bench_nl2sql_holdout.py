"""Held-out NL→SQL check: execution accuracy of `session.ask` on three synthetic schemas nobody tuned for.

The schemas (bench/nl2sql_holdout/holdout_schemas.py: a library with no foreign keys, a sports league with
only players→teams declared, a shop with Chinese comments and values) and the 80 questions
(bench/nl2sql_holdout/questions.yaml, 29 of them Chinese) were written without reading the translator's
source, lexicon or the issue-13 question set. A fresh embedded PostgreSQL (temp dir, deleted afterwards)
gets the schemas; every question is asked as bench/bench_nl2sql_eval.py asks it, reusing its functions:
`session.ask(q, schema=S, remember=False, use_memory=False)`, no LLM, `today` fixed to the set's today
(2024-06-30) through the asker's `_today`, and current_date / now() in the predicted SQL pinned to that day
(`pin_today`). Results are compared by bench/nl2sql_eval/compare.py (via `ask_one`).

Outcomes: right, wrong (result differs, or the SQL failed when run), refused (`ask` raised). Printed overall,
per schema, per language and per category tag, followed by every wrong answer with its SQL and the refusal
reasons counted. JSON: bench/results/nl2sql_holdout.json.

    python bench/bench_nl2sql_holdout.py [--schemas library,shop] [--ids L01,S05] [--json PATH]
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import os
import platform
import re
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE / "nl2sql_holdout"))

import bench_nl2sql_eval as ev  # noqa: E402  (ask_one, pin_today, summarise, markdown, git_head)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", default=str(HERE / "nl2sql_holdout" / "questions.yaml"))
    parser.add_argument("--json", default=str(HERE / "results" / "nl2sql_holdout.json"))
    parser.add_argument("--schemas", help="comma-separated subset of schemas to ask about")
    parser.add_argument("--ids", help="comma-separated subset of question ids")
    return parser.parse_args()


def refusal_kind(error: str) -> str:
    """The reason part of a refusal, with the question and its specific words and numbers masked."""
    reason = error.split("; rephrase", 1)[0]
    if "not confident enough" in reason:
        return "not confident enough: words it did not understand"
    reason = re.sub(r"'[^']*'", "'…'", reason)
    return re.sub(r"\d+(\.\d+)?", "N", reason)


def unknown_words(error: str) -> list[str]:
    """The words a low-confidence refusal says it did not understand."""
    tail = error.split("did not understand", 1)[1].split("; rephrase", 1)[0] if "did not understand" in error else ""
    return re.findall(r"'([^']*)'", tail)


def report_details(rows: list[dict[str, Any]]) -> None:
    print("\n### Wrong answers")
    for r in rows:
        if r["outcome"] == "wrong":
            detail = r.get("crash") or r.get("sql_run") or r.get("sql")
            print(f"\n{r['id']} [{r['schema']}/{r['lang']}] conf={r.get('confidence')} {r['q']}")
            print(f"  rows={r.get('rows')} gold_rows={r.get('gold_rows')}  SQL: {detail}")
            if r.get("error"):
                print(f"  error: {r['error']}")
    print("\n### Refused")
    for r in rows:
        if r["outcome"] == "refused":
            print(f"{r['id']} [{r['schema']}/{r['lang']}] {r['q']}\n  {r.get('error')}")
    kinds = collections.Counter(refusal_kind(r.get("error") or "") for r in rows if r["outcome"] == "refused")
    print("\n### Refusal reasons (masked, counted)")
    for kind, n in kinds.most_common():
        print(f"{n:3d}  {kind}")
    words = collections.Counter(
        w for r in rows if r["outcome"] == "refused" for w in unknown_words(r.get("error") or "")
    )
    print("\nwords not understood (count): " + ", ".join(f"{w} ({n})" for w, n in words.most_common()))


def main() -> None:
    args = parse_args()
    os.environ["HF_HUB_OFFLINE"] = "1"
    for var in ("PGAI_DSN", "DATABASE_URL", "PGAI_LLM_BASE_URL", "PGAI_LLM_PATH", "PGAI_LLM_MODEL"):
        os.environ.pop(var, None)
    from holdout_schemas import load_all

    import pgai_magic

    today, questions = ev.select_questions(args)
    rows, counts, load_s, first_ask_s = ev.run_questions(questions, today, load_all, "pgai-bench-nl2sql-holdout-")
    summary = ev.summarise(rows, first_ask_s)
    meta = {
        "when": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "pgai_magic_file": pgai_magic.__file__,
        "commit": ev.git_head(str(HERE.parent)),
        "today": today.isoformat(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "tables": counts,
        "load_s": round(load_s, 1),
    }
    out = Path(args.json)
    ev.write_results(out, meta, summary, rows)
    print(f"## NL→SQL held-out check: pgai_magic @ {meta['commit']}, today {today}")
    print(f"machine: {meta['machine']}; {len(rows)} questions; schemas loaded in {meta['load_s']} s; JSON: {out}")
    print(ev.markdown(summary))
    report_details(rows)


if __name__ == "__main__":
    main()

"""The learned translator alone on held-out train databases: execution accuracy and where the gold's shape ranks.

    python bench/spider/eval_learned.py [--model PATH] [--limit 600] [--data-dir /tmp/pgai-spider/pg] [--json OUT]

Every held-out question (bench/spider/data.is_holdout; Spider train, PostgreSQL port, CC BY-SA 4.0, Yu et al.
EMNLP 2018) is answered by `LearnedTranslator.best` (no threshold, no rule translator), executed and compared with
the gold by spider_dev/score.py. Printed: right / all per hardness, and for questions whose gold SQL is in the
sketch class, whether the gold skeleton is among the candidates and at which rank (the error analysis of the
learned translator). Tune on this set only; Spider dev is measured by bench/bench_spider.py.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from spider import data  # noqa: E402
from spider.train_learned import _correct, catalogs, scorer  # noqa: E402


def gold_skeleton(q: dict[str, Any], cat: Any) -> tuple[str, set[str]] | None:
    """The gold's skeleton and its columns ('schema.table.column'), or None outside the sketch class."""
    from pgai_magic.nl2sql.learned.sketch import Unsupported, parse_sketch

    names = {t.name: [c.name for c in t.columns] for t in cat.tables.values()}
    try:
        sk = parse_sketch(q["gold_sql_postgres"], names)
    except Unsupported:
        return None
    cols = {f"{q['pg_schema']}.{c}" for c in sk.columns()}
    return sk.skeleton(), cols


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="a learned model file (default: the shipped one)")
    parser.add_argument("--limit", type=int, default=0, help="a fixed random sample of this many questions")
    parser.add_argument("--data-dir", default="/tmp/pgai-spider/pg")
    parser.add_argument("--json", default=None, help="write per-question outcomes here")
    parser.add_argument("--checked", type=int, default=None, help="candidates run per question (translate.py)")
    parser.add_argument("--agree", type=float, default=None, help="weight of execution agreement (translate.py)")
    parser.add_argument("--no-hollow", action="store_true", help="no NULL / zero result check (translate.py)")
    args = parser.parse_args()
    import psycopg

    from pgai_magic.nl2sql.learned.model import DATA_FILE, LearnedModel
    from pgai_magic.nl2sql.learned.translate import LearnedTranslator
    from pgai_magic.server import ensure_embedded

    model = LearnedModel.read(args.model or DATA_FILE)
    if args.checked is not None:
        LearnedTranslator.checked = args.checked
    if args.no_hollow:
        LearnedTranslator.hollow_checks = False
    if args.agree is not None:
        LearnedTranslator.agree_weight = args.agree
    model.index  # noqa: B018 - built before timing
    qs = [q for q in data.questions("train") if q.get("matches_sqlite") is not False and data.is_holdout(q["db"])]
    if args.limit and args.limit < len(qs):
        qs = sorted(random.Random(0).sample(qs, args.limit), key=lambda q: q["id"])
    score = scorer()
    server = ensure_embedded(Path(args.data_dir), cleanup="stop")
    rows: list[dict[str, Any]] = []
    with psycopg.connect(server.dsn, autocommit=True) as conn:
        data.load(conn, "train", {q["db"] for q in qs})
        cats = catalogs(conn, {q["db"] for q in qs})
        for q in qs:
            start = time.perf_counter()
            answer = LearnedTranslator(cats[q["db"]], conn, model).best(q["question"])
            took = time.perf_counter() - start
            ok = _correct(conn, score, q, answer.sql if answer else None)
            gold = gold_skeleton(q, cats[q["db"]])
            rank = shape_rank = -1
            if gold is not None and answer is not None:
                for k, c in enumerate(answer.candidates):
                    if c.skeleton == gold[0]:
                        shape_rank = k if shape_rank < 0 else shape_rank
                        if set(c.sketch.columns()) == gold[1]:
                            rank = k
                            break
            row = {"id": q["id"], "hardness": q.get("hardness", "?"), "ok": ok, "in_class": gold is not None}
            row |= {"shape_rank": shape_rank, "rank": rank, "ms": round(took * 1000, 1)}
            rows.append(row | {"sql": answer.sql if answer else None, "conf": answer.confidence if answer else None})
    report(rows)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1), encoding="utf-8")


def report(rows: list[dict[str, Any]]) -> None:
    by: Counter[str] = Counter()
    right: Counter[str] = Counter()
    for r in rows:
        for h in (r["hardness"], "all"):
            by[h] += 1
            right[h] += r["ok"]
    for h in ("easy", "medium", "hard", "extra", "all"):
        if by[h]:
            print(f"{h:7s} {right[h]:5d} / {by[h]:5d}  {100 * right[h] / by[h]:5.1f}%")
    inc = [r for r in rows if r["in_class"]]
    shape, cols, first = (sum(r["shape_rank"] >= 0 for r in inc), sum(r["rank"] >= 0 for r in inc), 0)
    first = sum(r["rank"] == 0 for r in inc)
    print(f"in class {len(inc)}: gold shape among candidates {shape}, with gold columns {cols}, ranked first {first}")
    ms = [r["ms"] for r in rows]
    print(f"latency median {statistics.median(ms):.0f} ms, p90 {sorted(ms)[int(0.9 * len(ms))]:.0f} ms")


if __name__ == "__main__":
    main()

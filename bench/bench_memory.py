"""Question memory: how often a taught answer is reused for paraphrases, and falsely for near misses.

A fresh embedded PostgreSQL gets the tutorial sales data. For each group of bench/memory_pairs.yaml the
question memory holds only the taught pair (`session.teach`); every paraphrase and near miss is then
translated (`session.translate`, nothing remembered) and, when the answer came from the memory, its SQL is
run and compared with the reference (pgai_magic.nl2sql.evaluate.results_match):

- reuse rate: paraphrases answered from memory with the taught result, over all paraphrases;
- false-reuse rate: near misses answered from memory with a result other than their own reference (a near
  miss without a reference SQL has none: any reuse is false), over all near misses;
- adapted: near misses answered from memory with their own reference result (a literal correctly adapted).

The nearest memo's similarity (cosine of the masked templates) is listed per question with --verbose.

    python bench/bench_memory.py [--threshold 0.92] [--verbose] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
for var in ("PGAI_DSN", "DATABASE_URL", "PGAI_LLM_BASE_URL", "PGAI_LLM_PATH"):
    os.environ.pop(var, None)

from pgai_magic.datasets import sales  # noqa: E402
from pgai_magic.errors import PgaiError  # noqa: E402
from pgai_magic.nl2sql.evaluate import gold_is_ordered, results_match  # noqa: E402
from pgai_magic.nl2sql.memory import template_of  # noqa: E402
from pgai_magic.nl2sql.reuse import ReusePolicy  # noqa: E402
from pgai_magic.server import ensure_embedded  # noqa: E402
from pgai_magic.session import Session  # noqa: E402

HERE = Path(__file__).resolve().parent
SCHEMA = "memo_bench"


def _rows(conn: Any, sql: str) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in conn.execute(sql).fetchall()]


def _nearest(session: Session, question: str) -> float:
    """The similarity of the nearest remembered question (the masked templates' cosine)."""
    asker = session.questions
    translator = asker.translator(asker.catalog(SCHEMA))
    template, _ = template_of(translator.analyze(question))
    vector = asker.embedder.embed_batch([template])[0]
    found = asker.memory.nearest(vector, scope=SCHEMA, embedder=asker.embedder.name, k=1)
    return found[0].similarity if found else 0.0


def _ask(session: Session, question: str, reference: str | None) -> tuple[str, float]:
    """('reused-right' | 'reused-wrong' | 'not-reused', nearest similarity)."""
    conn = session.db.control
    similarity = _nearest(session, question)
    try:
        answer = session.questions.translate(question, schema=SCHEMA, remember=False)
    except PgaiError:
        return "not-reused", similarity
    if answer.source != "memory":
        return "not-reused", similarity
    if reference is None:
        return "reused-wrong", similarity
    ordered = gold_is_ordered(reference)
    right = results_match(_rows(conn, reference), _rows(conn, answer.sql), ordered=ordered)
    return ("reused-right" if right else "reused-wrong"), similarity


def run(session: Session, groups: list[dict[str, Any]], verbose: bool) -> dict[str, Any]:
    conn = session.db.control
    para: list[tuple[str, str, float]] = []
    near: list[tuple[str, str, float]] = []
    for group in groups:
        conn.execute("DELETE FROM pgai.questions WHERE scope = %s", (SCHEMA,))
        taught = group["sql"].format(s=SCHEMA)
        session.questions.teach(group["taught"], taught, schema=SCHEMA)
        for q in group["paraphrases"]:
            outcome, sim = _ask(session, q, taught)
            para.append((q, outcome, sim))
        for item in group["near_misses"]:
            ref = item.get("sql")
            outcome, sim = _ask(session, item["q"], ref.format(s=SCHEMA) if ref else None)
            near.append((item["q"], outcome, sim))
        if verbose:
            print(f"taught: {group['taught']}")
            for q, outcome, sim in para[-len(group["paraphrases"]) :]:
                print(f"   para {sim:.3f} {outcome:13s} {q}")
            for q, outcome, sim in near[-len(group["near_misses"]) :]:
                print(f"   near {sim:.3f} {outcome:13s} {q}")
    reused = sum(o == "reused-right" for _, o, _ in para)
    false = sum(o == "reused-wrong" for _, o, _ in near)
    adapted = sum(o == "reused-right" for _, o, _ in near)
    return {
        "paraphrases": len(para),
        "near_misses": len(near),
        "reuse_rate": reused / len(para),
        "paraphrases_reused_wrong": sum(o == "reused-wrong" for _, o, _ in para),
        "false_reuse_rate": false / len(near),
        "near_misses_adapted": adapted,
        "median_similarity_paraphrase": statistics.median(s for _, _, s in para),
        "median_similarity_near_miss": statistics.median(s for _, _, s in near),
        "false_reuses": [q for q, o, _ in near if o == "reused-wrong"],
        "paraphrases_missed": [q for q, o, _ in para if o != "reused-right"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threshold", type=float, help="same-meaning similarity (ReusePolicy.threshold)")
    parser.add_argument("--floor", type=float, help="same-reading similarity floor (ReusePolicy.floor)")
    parser.add_argument("--no-reading", action="store_true", help="the same-meaning rule only (ReusePolicy.read)")
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    groups = yaml.safe_load((HERE / "memory_pairs.yaml").read_text())["groups"]
    data_dir = Path(tempfile.mkdtemp(prefix="pgai-bench-memory-")) / "pg"
    server = ensure_embedded(data_dir, cleanup="delete")
    session = Session(data_dir=data_dir)
    try:
        session.db.control.execute(f"CREATE SCHEMA {SCHEMA}")
        sales.load(session, schema=SCHEMA, seed=0, scale=0.3)
        asker = session.questions
        default = asker.reuse
        asker.reuse = ReusePolicy(
            args.threshold if args.threshold is not None else default.threshold,
            args.floor if args.floor is not None else default.floor,
            read=not args.no_reading,
        )
        result = {"threshold": asker.reuse.threshold, "floor": asker.reuse.floor, "read": asker.reuse.read}
        result |= run(session, groups, args.verbose)
    finally:
        session.close()
        server.handle.cleanup()  # type: ignore[attr-defined]
    result["machine"] = f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs"
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()

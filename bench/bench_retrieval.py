"""Benchmark: retrieval quality of `similar` (recall@1, recall@5, MRR@10) for whole-row vs chunked vs hybrid search.

Two public corpora read from CPython itself (bench/retrieval_corpus.py): the Python Language Reference sections
(`reference`, 79 long texts) and the first paragraphs of standard-library docstrings (`docstrings`, ~2,300 short
texts). The questions and their relevant rows are in bench/retrieval_questions.yaml, written before any tuning.
Modes, each on its own copy of the table embedded with the packaged MiniLM:
- `whole`: one vector per row (the model reads the first 256 tokens of it, the rest is cut);
- `chunked N`: texts longer than N tokens split into chunks, a row scored by its best chunk (`--chunk-tokens`);
- `hybrid N`: the same chunks, `similar --hybrid` (vector ranks fused with full-text ranks).
For the reference questions it also reports `answer@5`: the share of questions where a relevant row in the top 5
is shown with a chunk that contains the question's answer phrase (the chunk shown is the one that matched).
Run by hand: python bench/bench_retrieval.py [--chunk-tokens 254 128 96 64] [--out bench/results/retrieval.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

QUESTIONS = Path(__file__).parent / "retrieval_questions.yaml"


class WholeRow:
    """MiniLM without token counting: each row is embedded as one text (the model cuts it at its window)."""

    def __init__(self, embedder: Any) -> None:
        self.inner = embedder
        self.name = "minilm-whole-row"
        self.dim = embedder.dim
        self.device = embedder.device

    def embed_batch(self, texts: Sequence[str]) -> Any:
        return self.inner.embed_batch(texts)


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def score(session: Any, column: str, questions: list[dict[str, Any]], *, hybrid: bool) -> dict[str, float]:
    """recall@1, recall@5, MRR@10 (and answer@5 when the questions have answers) of `similar` on `column`."""
    hit1 = hit5 = shown = 0
    reciprocal = 0.0
    seconds = []
    for item in questions:
        relevant = set(item["relevant"])
        start = time.perf_counter()
        found = session.similar(column, item["q"], k=10, hybrid=hybrid)
        seconds.append(time.perf_counter() - start)
        keys = list(found["name"])
        ranks = [i for i, key in enumerate(keys) if key in relevant]
        hit1 += bool(ranks) and ranks[0] == 0
        hit5 += bool(ranks) and ranks[0] < 5
        reciprocal += 1 / (ranks[0] + 1) if ranks else 0.0
        if "answer" in item and "chunk" in found.columns:  # whole rows: the vector saw only the first window
            answer = _norm(item["answer"])
            for i in ranks:
                text = found["chunk"].iloc[i]
                text = found["body"].iloc[i] if not isinstance(text, str) else text  # None: fits in one chunk
                if i < 5 and answer in _norm(text):
                    shown += 1
                    break
    n = len(questions)
    out = {"recall_at_1": hit1 / n, "recall_at_5": hit5 / n, "mrr_at_10": reciprocal / n}
    if any("answer" in item for item in questions) and "chunk" in found.columns:
        out["answer_at_5"] = shown / n
    out = {k: round(v, 3) for k, v in out.items()}
    out["median_ms"] = round(1000 * sorted(seconds)[len(seconds) // 2], 1)
    return out


def load(conn: Any, table: str, rows: dict[str, str]) -> None:
    conn.execute(f"DROP TABLE IF EXISTS {table}")
    conn.execute(f"CREATE TABLE {table} (name text PRIMARY KEY, body text NOT NULL)")
    with conn.cursor() as cur, cur.copy(f"COPY {table} (name, body) FROM STDIN") as copy:
        for name, body in rows.items():
            copy.write_row((name, body))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunk-tokens", type=int, nargs="*", default=[None], help="chunk sizes (default: ours)")
    parser.add_argument("--corpus", nargs="*", default=["reference", "docstrings"])
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "retrieval.json"))
    args = parser.parse_args()

    import yaml

    from bench.retrieval_corpus import docstrings, reference
    from pgai_magic.embed.sentence import load_embedder
    from pgai_magic.server import ensure_embedded
    from pgai_magic.session import Session

    questions = yaml.safe_load(QUESTIONS.read_text())
    corpora = {"reference": reference, "docstrings": docstrings}
    server = ensure_embedded(Path(tempfile.mkdtemp(prefix="pgai-bench-")) / "pg", cleanup="delete")
    session = Session(server.dsn)
    embedder = load_embedder()
    session.set_embedder(embedder)
    conn = session.db.control
    report: dict[str, Any] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cpus, python {platform.python_version()}",
        "load_average": os.getloadavg(),
        "questions": {name: len(questions[name]) for name in args.corpus},
        "results": {},
    }
    for corpus in args.corpus:
        rows = corpora[corpus]()
        report.setdefault("rows", {})[corpus] = len(rows)
        modes: list[tuple[str, Any, int | None, bool]] = [("whole", WholeRow(embedder), None, False)]
        for size in args.chunk_tokens:
            label = f"{size}" if size else "default"
            modes += [(f"chunked {label}", embedder, size, False), (f"hybrid {label}", embedder, size, True)]
        for mode, model, size, hybrid in modes:
            table = corpus + "_" + re.sub(r"\W+", "_", mode.replace("hybrid", "chunked"))
            if not hybrid:
                load(conn, table, rows)
                started = time.perf_counter()
                result = session.embed(f"{table}.body", model, chunk_tokens=size, progress=False)
                print(f"{corpus} {mode}: embedded in {time.perf_counter() - started:.0f} s; {result.chunked_rows} "
                      f"rows chunked", flush=True)  # fmt: skip
            figures = score(session, f"{table}.body", questions[corpus], hybrid=hybrid)
            report["results"][f"{corpus} / {mode}"] = figures
            print(f"{corpus} / {mode}: {json.dumps(figures)}", flush=True)
    report["load_average_after"] = os.getloadavg()
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
    session.close()
    server.handle.cleanup()  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()

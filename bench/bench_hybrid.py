"""Benchmark: hybrid search (`similar --hybrid`) vs vector search on exact-code queries and paraphrase queries.

Two sets on one embedded column each: 150 error messages (6 problems, each under 25 codes: only the code tells
them apart) queried by code ("what does error E1234 mean", "E1234 declined"), and the FAQ questions queried
by their 88 paraphrases. Reports hit@1 and MRR@10 of both searches (the anchor, vector search, measured in
the same run) and the median time per query.
Run by hand: python bench/bench_hybrid.py [--codes 25]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

PROBLEMS = (
    "the payment was declined by the bank",
    "the card has expired",
    "the delivery address could not be verified",
    "the coupon code is no longer valid",
    "the item is out of stock",
    "the session timed out during checkout",
)


def score(session, column: str, queries: list[tuple[str, object]], key: str, hybrid: bool) -> dict[str, float]:  # type: ignore[no-untyped-def]
    hits, reciprocal, seconds = 0, 0.0, []
    for text, expected in queries:
        start = time.perf_counter()
        found = list(session.similar(column, text, k=10, hybrid=hybrid)[key])
        seconds.append(time.perf_counter() - start)
        hits += found[0] == expected
        reciprocal += 1 / (found.index(expected) + 1) if expected in found else 0.0
    return {
        "hit_at_1": round(hits / len(queries), 3),
        "mrr_at_10": round(reciprocal / len(queries), 3),
        "median_ms": round(1000 * statistics.median(seconds), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--codes", type=int, default=25, help="codes per problem")
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "hybrid.json"))
    args = parser.parse_args()

    from pgai_magic.datasets import faq
    from pgai_magic.server import ensure_embedded
    from pgai_magic.session import Session

    server = ensure_embedded(Path(tempfile.mkdtemp(prefix="pgai-bench-")) / "pg", cleanup="delete")
    session = Session(server.dsn)
    rng = random.Random(1)
    codes = [f"E{c}" for c in rng.sample(range(1000, 10000), args.codes * len(PROBLEMS))]
    session.sql("CREATE TABLE errors (id int PRIMARY KEY, code text, message text)")
    for i, code in enumerate(codes):
        message = f"Error {code}: {PROBLEMS[i % len(PROBLEMS)]}. Try again later or contact support."
        session.sql("INSERT INTO errors VALUES (:i, :code, :message)", i=i, code=code, message=message)
    session.embed("errors.message", progress=False)
    faq.load(session, "faq")
    session.embed("faq.question", progress=False)

    code_queries: list[tuple[str, object]] = []
    for i, code in enumerate(codes):
        code_queries.append((f"what does error {code} mean" if i % 2 else f"{code} {PROBLEMS[(i + 1) % 6]}", code))
    para_queries: list[tuple[str, object]] = [(text, original) for text, original in faq.paraphrases()]
    report: dict[str, object] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cpus, python {platform.python_version()}",
        "rows": {"errors": len(codes), "faq": len(faq.ENTRIES)},
        "queries": {"codes": len(code_queries), "paraphrases": len(para_queries)},
    }
    for name, column, queries, key in (
        ("codes", "errors.message", code_queries, "code"),
        ("paraphrases", "faq.question", para_queries, "id"),
    ):
        report[name] = {
            "vector": score(session, column, queries, key, hybrid=False),
            "hybrid": score(session, column, queries, key, hybrid=True),
        }
        print(name, json.dumps(report[name]), flush=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    session.close()
    server.handle.cleanup()  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()

"""Benchmark: recall@10 of HNSW search vs exact search on 100k MiniLM-like vectors, `similar` latency, index build.

The 100k vectors are made from real MiniLM embeddings of a few thousand generated support tickets: each
row mixes two of them (weights 0.55-1.0 and the rest) plus a little noise, renormalised. Queries are
MiniLM embeddings of other generated tickets. Exact top-10 comes from numpy. Run by hand:
python bench/bench_recall.py [--rows 100000] [--base 4000] [--queries 200]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--base", type=int, default=4000, help="real texts embedded with MiniLM")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--ef-search", type=int, nargs="*", default=[40, 100, 150, 200])
    parser.add_argument("--where", default="id % 10 = 0", help="a filter for the filtered-search figures")
    parser.add_argument("--dsn", help="PostgreSQL with pgvector (default: a throw-away embedded server)")
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "recall.json"))
    args = parser.parse_args()

    import numpy as np
    import torch

    from pgai_magic.datasets import tickets
    from pgai_magic.embed.sentence import load_embedder
    from pgai_magic.session import Session
    from pgai_magic.vectors.sync import create_index, install
    from pgai_magic.vectors.target import resolve_source

    dsn = args.dsn
    server = None
    if dsn is None:
        from pgai_magic.server import ensure_embedded

        server = ensure_embedded(Path(tempfile.mkdtemp(prefix="pgai-bench-")) / "pg", cleanup="delete")
        dsn = server.dsn
    session = Session(dsn)
    embedder = load_embedder()
    session.set_embedder(embedder)
    conn = session.db.control

    started = time.perf_counter()
    base_texts = tickets.texts(args.base, seed=1)
    base = embedder.embed_batch(base_texts)
    print(f"embedded {len(base):,} base texts in {time.perf_counter() - started:.0f} s", flush=True)
    rng = np.random.default_rng(0)
    a = rng.integers(0, len(base), args.rows)
    b = rng.integers(0, len(base), args.rows)
    w = rng.uniform(0.55, 1.0, args.rows)[:, None].astype(np.float32)
    vectors = w * base[a] + (1 - w) * base[b] + rng.normal(0, 0.01, (args.rows, base.shape[1])).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)

    conn.execute("DROP TABLE IF EXISTS bench_docs")
    conn.execute("CREATE TABLE bench_docs (id integer PRIMARY KEY, body text NOT NULL)")
    with conn.cursor() as cur:
        with cur.copy("COPY bench_docs (id, body) FROM STDIN") as copy:
            for i in range(args.rows):
                copy.write_row((i, base_texts[a[i]]))
        target, _ = install(conn, resolve_source(conn, "bench_docs.body"), embedder.name, embedder.dim)
        with cur.copy(f'COPY pgai."{target.store}" (id, body_embedding) FROM STDIN (FORMAT BINARY)') as copy:
            copy.set_types(["int4", "vector"])
            for i in range(args.rows):
                copy.write_row((i, vectors[i]))
    conn.execute(f'VACUUM ANALYZE pgai."{target.store}"')
    conn.execute("VACUUM ANALYZE bench_docs")
    start = time.perf_counter()
    create_index(conn, target, rows=args.rows)
    build_s = time.perf_counter() - start
    print(f"HNSW index on {args.rows:,} rows built in {build_s:.1f} s", flush=True)

    query_texts = tickets.texts(args.queries, seed=99)
    queries = embedder.embed_batch(query_texts)
    exact = np.argsort(-(queries @ vectors.T), axis=1)[:, :10]
    session.similar("bench_docs.body", query_texts[0], k=10)  # warm-up
    results: dict[str, dict[str, float]] = {}
    for ef in args.ef_search:
        session.vectors.ef_search = ef
        recalls, latencies, fallbacks = [], [], 0
        for text, truth in zip(query_texts, exact):
            start = time.perf_counter()
            hits = session.similar("bench_docs.body", text, k=10)
            latencies.append(time.perf_counter() - start)
            recalls.append(len(set(hits["id"]) & set(truth.tolist())) / 10)
            fallbacks += hits.attrs.get("search") != "hnsw"  # exact (small or selective) or hnsw, then exact
        results[f"ef_search={ef}"] = {
            "recall_at_10": round(float(np.mean(recalls)), 4),
            "p50_ms": round(statistics.median(latencies) * 1000, 1),
            "p95_ms": round(float(np.percentile(latencies, 95)) * 1000, 1),
            "exact_fallbacks": fallbacks,
        }
        print(f"ef_search={ef}: {results[f'ef_search={ef}']}", flush=True)
    # a filter keeping 1 row in 10 (by default): iterative index scans read past ef_search candidates
    session.vectors.ef_search = 200
    ids = np.array([r[0] for r in conn.execute(f"SELECT id FROM bench_docs WHERE {args.where} ORDER BY id")])
    exact_filtered = ids[np.argsort(-(queries @ vectors[ids].T), axis=1)[:, :10]]
    recalls, latencies, fallbacks = [], [], 0
    for text, truth in zip(query_texts, exact_filtered):
        start = time.perf_counter()
        hits = session.similar("bench_docs.body", text, k=10, where=args.where)
        latencies.append(time.perf_counter() - start)
        recalls.append(len(set(hits["id"]) & set(truth.tolist())) / 10)
        fallbacks += hits.attrs.get("search") != "hnsw"  # exact (small or selective) or hnsw, then exact
    results[f"ef_search=200, where {args.where}"] = {
        "recall_at_10": round(float(np.mean(recalls)), 4),
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "p95_ms": round(float(np.percentile(latencies, 95)) * 1000, 1),
        "exact_fallbacks": fallbacks,
    }
    print(f"where {args.where}: {results[f'ef_search=200, where {args.where}']}", flush=True)
    # the query embedding alone, for reference
    start = time.perf_counter()
    for text in query_texts[:100]:
        embedder.embed_batch([text])
    embed_ms = (time.perf_counter() - start) / 100 * 1000

    report = {
        "rows": args.rows,
        "base_texts": args.base,
        "queries": args.queries,
        "machine": f"{platform.machine()}, {os.cpu_count()} cpus, torch threads {torch.get_num_threads()}",
        "index_build_s": round(build_s, 1),
        "query_embedding_ms": round(embed_ms, 1),
        "search": results,
        "total_s": round(time.perf_counter() - started, 0),
    }
    print(json.dumps(report, indent=2))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
    session.close()
    if server is not None:
        server.handle.cleanup()  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()

"""Benchmark: exact vs HNSW search latency by table size (where exact search stops paying), and an outlier test.

Random unit vectors (384 dims, normal then normalised: the latency of a search does not depend on what the
vectors mean) at each size; per size, `search` runs the same queries exact and through the HNSW index,
interleaved, and reports the median and range of the per-query latency and the recall@10 of HNSW against exact.
The outlier test builds a 3,000-row table of clustered vectors (40 clusters, the FAQ-like case) with the HNSW
index, then inserts 300 more rows and one outlier through the index, `--builds` times, and counts how often the
outlier is found first by HNSW and by exact search for a query next to it.
Run by hand: python bench/bench_exact.py [--sizes 1000 3000 10000 20000 50000 100000] [--queries 30] [--builds 20]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
DIM = 384


def _table(conn: Any, name: str, vectors: Any, *, index_first: int | None = None) -> Any:
    """A table `name` (id, body) whose vectors are `vectors`, with the HNSW index built after the first
    `index_first` rows (all when None) and the rest inserted through the index."""
    from pgai_magic.vectors.sync import create_index, install
    from pgai_magic.vectors.target import resolve_source

    conn.execute(f"DROP TABLE IF EXISTS {name}")
    conn.execute(f"CREATE TABLE {name} (id integer PRIMARY KEY, body text NOT NULL)")
    with conn.cursor() as cur, cur.copy(f"COPY {name} (id, body) FROM STDIN") as copy:
        for i in range(len(vectors)):
            copy.write_row((i, "x"))
    target, _ = install(conn, resolve_source(conn, f"{name}.body"), "random", DIM)
    first = len(vectors) if index_first is None else index_first
    for rows, build in ((range(first), True), (range(first, len(vectors)), False)):
        with conn.cursor() as cur:
            with cur.copy(f'COPY pgai."{target.store}" (id, body_embedding) FROM STDIN (FORMAT BINARY)') as copy:
                copy.set_types(["int4", "vector"])
                for i in rows:
                    copy.write_row((i, vectors[i]))
        if build:
            create_index(conn, target, rows=first)
    conn.execute(f'ANALYZE pgai."{target.store}"')
    conn.execute(f"ANALYZE {name}")
    return target


def latency(conn: Any, sizes: list[int], queries: int, rng: Any) -> dict[str, Any]:
    import numpy as np

    from pgai_magic.vectors.search import search

    out: dict[str, Any] = {}
    for size in sizes:
        vectors = rng.normal(size=(size, DIM)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        target = _table(conn, f"bench_exact_{size}", vectors)
        qs = rng.normal(size=(queries, DIM)).astype(np.float32)
        qs /= np.linalg.norm(qs, axis=1, keepdims=True)
        times: dict[str, list[float]] = {"exact": [], "hnsw": []}
        recall = []
        for i, q in enumerate(qs):
            found = {}
            for how in ("exact", "hnsw") if i % 2 else ("hnsw", "exact"):
                start = time.perf_counter()
                frame = search(conn, target, q, k=10, exact_below=10**12 if how == "exact" else 0)
                times[how].append(1000 * (time.perf_counter() - start))
                assert frame.attrs["search"] == how, frame.attrs
                found[how] = set(frame["id"])
            recall.append(len(found["exact"] & found["hnsw"]) / 10)
        out[str(size)] = {
            how: {"p50_ms": round(statistics.median(t), 1), "min_ms": round(min(t), 1), "max_ms": round(max(t), 1)}
            for how, t in times.items()
        } | {"hnsw_recall_at_10": round(float(np.mean(recall)), 3)}
        print(size, json.dumps(out[str(size)]), flush=True)
        conn.execute(f"DROP TABLE bench_exact_{size}")
    return out


def outlier(conn: Any, builds: int, rng: Any) -> dict[str, Any]:
    """How often the outlier is found first, by HNSW and by exact search, over `builds` fresh builds."""
    import numpy as np

    from pgai_magic.vectors.search import search

    found = {"exact": 0, "hnsw": 0}
    for _ in range(builds):
        centres = rng.normal(size=(40, DIM)).astype(np.float32)
        rows = centres[rng.integers(0, 40, 3300)] + rng.normal(0, 0.35, (3300, DIM)).astype(np.float32)
        out = rng.normal(size=DIM).astype(np.float32)
        rows[3150] = out  # an outlier among the rows inserted after the index was built
        rows /= np.linalg.norm(rows, axis=1, keepdims=True)
        target = _table(conn, "bench_outlier", rows, index_first=3000)
        query = out / np.linalg.norm(out) + rng.normal(0, 0.02, DIM).astype(np.float32)
        query /= np.linalg.norm(query)
        for how in found:
            frame = search(conn, target, query, k=5, exact_below=10**12 if how == "exact" else 0)
            found[how] += int(frame.iloc[0]["id"]) == 3150
    conn.execute("DROP TABLE bench_outlier")
    return {"builds": builds, "found_first": found}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[1000, 3000, 10000, 20000, 50000, 100000])
    parser.add_argument("--queries", type=int, default=30)
    parser.add_argument("--builds", type=int, default=20)
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "exact.json"))
    args = parser.parse_args()

    import numpy as np

    from pgai_magic.server import ensure_embedded
    from pgai_magic.session import Session

    server = ensure_embedded(Path(tempfile.mkdtemp(prefix="pgai-bench-")) / "pg", cleanup="delete")
    session = Session(server.dsn)  # installs the pgai schema
    conn = session.db.control
    rng = np.random.default_rng(0)
    report: dict[str, Any] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cpus, python {platform.python_version()}",
        "load_average": os.getloadavg(),
        "vectors": "random normal, normalised, 384 dims",
        "latency_k10": latency(conn, args.sizes, args.queries, rng),
    }
    if args.builds:
        report["outlier"] = outlier(conn, args.builds, rng)
        print("outlier", json.dumps(report["outlier"]), flush=True)
    report["load_average_after"] = os.getloadavg()
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
    session.close()
    server.handle.cleanup()  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()

"""Benchmark: `%pgai embed` (session.embed) of N rows vs raw SentenceTransformer.encode of the same texts.

Both run in the same process with the same model and torch threads, alternating which goes first.
`embed` includes everything: triggers and queue, claiming, encoding, COPY BINARY writes and the HNSW
index build. Besides wall time it records CPU seconds (this process, plus the embedded PostgreSQL's
processes for `embed`), which a busy shared machine disturbs much less than wall time.
Runs alternate (raw first, then ours first), 5 by default; the figures are medians over runs.
Run by hand: python bench/bench_embed.py [--rows 20000] [--runs 5] [--threads N]
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


def server_cpu(data_dir: Path | None) -> float:
    """CPU seconds used so far by the PostgreSQL server of `data_dir` (live processes and reaped ones)."""
    if data_dir is None:
        return 0.0
    import psutil

    pid = int((data_dir / "postmaster.pid").read_text().split()[0])
    postmaster = psutil.Process(pid)
    times = postmaster.cpu_times()
    total = times.user + times.system + times.children_user + times.children_system
    for child in postmaster.children(recursive=True):
        try:
            t = child.cpu_times()
            total += t.user + t.system
        except psutil.NoSuchProcess:
            pass
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's choice)")
    parser.add_argument("--batch-size", type=int, help="rows per claimed batch (default: the package's)")
    parser.add_argument("--dsn", help="PostgreSQL with pgvector (default: a throw-away embedded server)")
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "embed.json"))
    args = parser.parse_args()

    import torch

    from pgai_magic.datasets import tickets
    from pgai_magic.embed.sentence import load_embedder
    from pgai_magic.session import Session

    if args.threads:
        torch.set_num_threads(args.threads)
    dsn = args.dsn
    server = None
    if dsn is None:
        from pgai_magic.server import ensure_embedded

        server = ensure_embedded(Path(tempfile.mkdtemp(prefix="pgai-bench-")) / "pg", cleanup="delete")
        dsn = server.dsn
    session = Session(dsn)
    embedder = load_embedder()
    session.set_embedder(embedder)
    texts = tickets.texts(args.rows)
    embedder.embed_batch(texts[:256])  # warm-up

    raw_s: list[float] = []
    ours_s: list[float] = []
    index_s: list[float] = []
    raw_cpu: list[float] = []
    ours_cpu: list[float] = []
    data_dir = server.data_dir if server is not None else None

    def raw() -> None:
        cpu, start = time.process_time(), time.perf_counter()
        out = embedder.model.encode(texts, batch_size=32, normalize_embeddings=True, convert_to_numpy=True)
        raw_s.append(time.perf_counter() - start)
        raw_cpu.append(time.process_time() - cpu)
        assert out.shape == (len(texts), embedder.dim)

    def ours() -> None:
        tickets.load(session, args.rows, table="bench_tickets")  # a new table: everything is embedded again
        session.vectors.stop_worker()
        cpu, pg, start = time.process_time(), server_cpu(data_dir), time.perf_counter()
        result = session.embed("bench_tickets.body", batch_size=args.batch_size, progress=False)
        ours_s.append(time.perf_counter() - start)
        ours_cpu.append(time.process_time() - cpu + server_cpu(data_dir) - pg)
        index_s.append(result.index_seconds)
        assert result.rows == len(texts)

    for run in range(args.runs):
        for step in (raw, ours) if run % 2 == 0 else (ours, raw):
            step()
        print(
            f"run {run + 1}: raw encode {raw_s[-1]:.1f} s ({raw_cpu[-1]:.0f} cpu-s), %pgai embed "
            f"{ours_s[-1]:.1f} s ({ours_cpu[-1]:.0f} cpu-s, index {index_s[-1]:.1f} s)",
            flush=True,
        )

    n = args.rows
    raw_rate = n / statistics.median(raw_s)
    ours_rate = n / statistics.median(ours_s)
    no_index = n / statistics.median(o - i for o, i in zip(ours_s, index_s))
    report = {
        "rows": n,
        "runs": args.runs,
        "torch_threads": torch.get_num_threads(),
        "device": embedder.device,
        "machine": f"{platform.machine()}, {os.cpu_count()} cpus, {platform.python_version()}",
        "raw_encode_rows_per_s": round(raw_rate, 1),
        "pgai_embed_rows_per_s": round(ours_rate, 1),
        "pgai_embed_without_index_rows_per_s": round(no_index, 1),
        "ratio": round(ours_rate / raw_rate, 3),
        "ratio_without_index": round(no_index / raw_rate, 3),
        "raw_cpu_seconds_median": round(statistics.median(raw_cpu), 1),
        "pgai_embed_cpu_seconds_median": round(statistics.median(ours_cpu), 1),
        "cpu_ratio": round(statistics.median(raw_cpu) / statistics.median(ours_cpu), 3) if data_dir else None,
        "per_run_ratio": [round(r / o, 3) for r, o in zip(raw_s, ours_s)],
        "median_per_run_ratio": round(statistics.median(r / o for r, o in zip(raw_s, ours_s)), 3),
        "raw_seconds": [round(x, 2) for x in raw_s],
        "embed_seconds": [round(x, 2) for x in ours_s],
        "index_seconds": [round(x, 2) for x in index_s],
    }
    print(json.dumps(report, indent=2))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
    session.close()
    if server is not None:
        server.handle.cleanup()  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()

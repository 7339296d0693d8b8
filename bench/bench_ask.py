"""Benchmark: `%pgai ask` latency in a fresh kernel — the first question, asked right after `%load_ext` while the
embedding model still loads in the background, and the questions after it.

    python bench/bench_ask.py [--runs 5] [--questions 8] [--pause 0]

A database gets the tutorial sales tables and the unrelated ones of `pgai_magic.datasets.clutter` (eight tables).
Each run is a fresh process: `%load_ext pgai_magic` (timed), then `%pgai ask Q` for the first --questions questions
of bench/nl2sql_questions.yaml (the first half at once, the second half once the model has loaded), each timed
with its display (IPython's formatters, text/html included: the answer
table and its chart as a notebook renders them). `--pause S` waits S seconds between `%load_ext` and the first
question (a user typing). The anchor, in the same process after the questions: each question's gold SQL run as a
`%%pgai` cell, displayed the same way. Per question it also records where the time went (catalog, translation,
the read-only run, the chart) and whether the model had finished loading.
Results: a table on stdout and bench/results/ask.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib

HERE = Path(__file__).resolve().parent


def _timed(owner: Any, name: str, spent: dict[str, float]) -> None:
    """Wrap owner.name so its seconds add up in spent[name] (phases of an ask)."""
    original = getattr(owner, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent[name] = spent.get(name, 0.0) + time.perf_counter() - start

    setattr(owner, name, wrapper)


def child(dsn: str, count: int, pause: float) -> None:
    """One fresh kernel: load the extension, ask, then run the gold SQL; prints a JSON line."""
    os.environ["PGAI_DSN"] = dsn
    from IPython.testing.globalipapp import start_ipython

    questions = yaml.safe_load((HERE / "nl2sql_questions.yaml").read_text())["questions"][:count]
    ip = start_ipython()
    ip.display_formatter.active_types = ip.display_formatter.format_types
    start = time.perf_counter()
    ip.run_line_magic("load_ext", "pgai_magic")
    load_s = time.perf_counter() - start
    session = ip.user_ns["_pgai_magics"]._get_session()
    from pgai_magic.catalog import CatalogCache
    from pgai_magic.workflow import autochart

    spent: dict[str, float] = {}
    from pgai_magic.embed.sentence import SentenceTransformerEmbedder

    _timed(CatalogCache, "get", spent)
    _timed(autochart, "answer_chart", spent)
    _timed(SentenceTransformerEmbedder, "embed_batch", spent)
    time.sleep(pause)

    def shown(run: Callable[[], Any]) -> float:
        begin = time.perf_counter()
        value = run()
        if value is not None:
            ip.display_formatter.format(value)
        return time.perf_counter() - begin

    asks = []
    half = max(1, len(questions) // 2)
    for i, q in enumerate(questions):
        if i == half:  # the second half once the model has loaded: memory lookups and embeddings now run
            while session.vectors.loading:
                time.sleep(0.05)
        spent.clear()
        loading = session.vectors.loading
        seconds = shown(lambda q=q: ip.run_line_magic("pgai", f"ask {q['question']}"))
        asks.append({"id": q["id"], "seconds": seconds, "model_loading": loading, **spent})
    model_s = session.vectors.load_seconds
    gold = [shown(lambda q=q: ip.run_cell_magic("pgai", "", q["gold"])) for q in questions]
    print(json.dumps({"load_ext_s": load_s, "asks": asks, "gold": gold, "model_load_s": model_s}))


def _database(dsn: str) -> str:
    """A database holding the sales and clutter tables (made once); its DSN."""
    import psycopg

    from pgai_magic.datasets import clutter, sales

    with psycopg.connect(dsn, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = 'bench_ask'").fetchone():
            conn.execute("CREATE DATABASE bench_ask")
            made = True
        else:
            made = False
    info = psycopg.conninfo.conninfo_to_dict(dsn)
    info["dbname"] = "bench_ask"
    target = psycopg.conninfo.make_conninfo(**info)  # type: ignore[arg-type]
    if made:
        with psycopg.connect(target, autocommit=True) as conn:
            sales.load(conn)
            clutter.load(conn)
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--questions", type=int, default=8)
    parser.add_argument("--pause", type=float, default=0.0)
    parser.add_argument("--dsn", help="an existing server (default: a fresh embedded one)")
    parser.add_argument("--child")
    args = parser.parse_args()
    if args.child:
        child(args.child, args.questions, args.pause)
        return
    server = None
    dsn = args.dsn
    if dsn is None:
        from pgai_magic.server import ensure_embedded

        server = ensure_embedded(Path(tempfile.mkdtemp(prefix="pgai-bench-")) / "pg", cleanup="delete")
        dsn = server.dsn
    target = _database(dsn)
    runs = benchlib.Runs({"first question": "first gold cell", "first gold cell": "first gold cell",
                          "slowest later question": "slowest later gold cell",
                          "slowest later gold cell": "slowest later gold cell"})  # fmt: skip
    details = []
    for i in range(args.runs):
        before = benchlib.load()
        out = benchlib.child(__file__, ["--child", target, "--questions", str(args.questions),
                                        "--pause", str(args.pause)], env={"HF_HUB_OFFLINE": "1"})  # fmt: skip
        asks, gold = out["asks"], out["gold"]
        later = max(range(1, len(asks)), key=lambda k: asks[k]["seconds"])
        runs.add("first question", asks[0]["seconds"])
        runs.add("first gold cell", gold[0])
        runs.add("slowest later question", asks[later]["seconds"], id=asks[later]["id"])
        runs.add("slowest later gold cell", gold[later])
        runs.loads.append((before, benchlib.load()))
        details.append(out)
        print(f"run {i + 1}: load_ext {out['load_ext_s']:.2f} s, asks " + ", ".join(
            f"{a['seconds']:.2f}{'*' if a['model_loading'] else ''}" for a in asks
        ) + f" (* model still loading; it took {out['model_load_s'] or 0:.1f} s)", flush=True)  # fmt: skip
    print(f"\n{args.questions} questions per run, pause {args.pause} s; {benchlib.machine()}")
    print(runs.load_line())
    print(runs.table())
    phases = ["get", "answer_chart", "embed_batch"]
    for name in phases:
        firsts = [d["asks"][0].get(name, 0.0) for d in details]
        print(f"first question, {name}: median {statistics.median(firsts):.3f} s")
    print(f"load_ext: median {statistics.median(d['load_ext_s'] for d in details):.2f} s")
    path = benchlib.write_json("ask", benchlib.command_line(), vars(args), runs, runs_detail=details)
    print(f"results: {path}")
    if server is not None:
        server.handle.cleanup()  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()

"""Spider execution accuracy of `session.ask`: dev to measure, held-out train databases to tune.

An embedded PostgreSQL (pgai_magic.server.ensure_embedded; a temporary data directory, or `--data-dir` kept between
runs) gets the Spider schemas (../shared/benchmarks/spider_dev or spider_train, PostgreSQL port of Spider 1.0,
Yu et al. EMNLP 2018, CC BY-SA 4.0). Every question is asked as `%pgai ask --schema S --dry-run` asks it:
`session.ask(q, schema=S, dry_run=True, remember=False, use_memory=False)` (no LLM: the LLM variables are removed
from the environment; the question memory is off so that answers do not depend on question order). A refusal
(`ask` raises a pgai error) is `"sql": null`. The predictions are scored by the set's own scorer
(spider_dev/score.py, execution accuracy, ties handled) and summarised per hardness, with the reliability of the
confidence (bins vs accuracy) and the latency of `ask` (the first question apart: it loads the models).

    python bench/bench_spider.py --set dev [--label before] [--data-dir /tmp/pgai-spider] [--refuse-below]
    python bench/bench_spider.py --set holdout [--limit 400]      # held-out train databases: the tuning loop
    python bench/bench_spider.py --set train --dbs concert_singer,pets_1

Writes bench/results/spider_<set>_<label>.json (summary and per-question rows: id, SQL, confidence, outcome; not
the question text) and prints Markdown tables.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from spider import data, report  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=("dev", "train", "holdout"), default="dev")
    parser.add_argument("--label", default="run")
    parser.add_argument("--dbs", help="comma-separated database ids (default: all of the set)")
    parser.add_argument("--limit", type=int, help="a fixed random sample of this many questions")
    parser.add_argument("--data-dir", help="keep the PostgreSQL cluster here between runs (schemas load once)")
    parser.add_argument("--json", help="output file (default bench/results/spider_<set>_<label>.json)")
    parser.add_argument(
        "--refuse-below", action="store_true", help="refuse every answer below the calibrated threshold"
    )
    return parser.parse_args()


def select(args: argparse.Namespace) -> list[dict[str, Any]]:
    qs = data.questions("dev" if args.set == "dev" else "train")
    if args.set == "holdout":
        qs = [q for q in qs if data.is_holdout(q["db"])]
    if args.dbs:
        qs = [q for q in qs if q["db"] in args.dbs.split(",")]
    if args.limit and args.limit < len(qs):
        qs = sorted(random.Random(0).sample(qs, args.limit), key=lambda q: q["id"])
    return qs


def ask_all(session: Any, qs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    from pgai_magic.errors import PgaiError

    rows = []
    for q in qs:
        got: list[Any] = []
        start = time.perf_counter()
        try:
            sql = session.ask(
                q["question"], schema=q["pg_schema"], dry_run=True, remember=False, use_memory=False,
                on_answer=got.append,
            )  # fmt: skip
            error = None
        except PgaiError as exc:
            sql, error = None, f"{type(exc).__name__}: {exc}"
        elapsed = time.perf_counter() - start
        answer = got[0] if got else None
        rows.append(
            {
                "id": q["id"],
                "db": q["db"],
                "hardness": q["hardness"],
                "sql": sql,
                "confidence": None if answer is None else answer.confidence,
                "source": None if answer is None else answer.source,
                "error": error,
                "ask_s": elapsed,
            }
        )
    return rows


def score(dsn: str, which: str, rows: list[dict[str, Any]], work: Path) -> list[dict[str, Any]]:
    """The set's scorer on the rows' SQL; each row gets its outcome (correct, wrong, error, refused)."""
    preds, details = work / "predictions.jsonl", work / "details.jsonl"
    preds.write_text("".join(json.dumps({"id": r["id"], "sql": r["sql"]}) + "\n" for r in rows), encoding="utf-8")
    qfile = work / "questions.jsonl"
    wanted = {r["id"] for r in rows}
    source = (data.DEV if which == "dev" else data.TRAIN) / "questions.jsonl"
    qfile.write_text(
        "".join(line + "\n" for line in source.read_text().splitlines() if line and json.loads(line)["id"] in wanted)
    )
    scorer = data.DEV / "score.py"
    cmd = [sys.executable, str(scorer), str(preds), "--dsn", dsn, "--questions", str(qfile), "--details", str(details)]
    subprocess.run([*cmd, "--json"], check=True, capture_output=True)
    outcome = {d["id"]: d for d in map(json.loads, details.read_text().splitlines())}
    for r in rows:
        r["outcome"] = outcome[r["id"]]["outcome"]
        r["score_error"] = outcome[r["id"]]["error"]
    return rows


def main() -> None:
    args = parse_args()
    os.environ["HF_HUB_OFFLINE"] = "1"
    for var in ("PGAI_DSN", "DATABASE_URL", "PGAI_LLM_BASE_URL", "PGAI_LLM_PATH", "PGAI_LLM_MODEL"):
        os.environ.pop(var, None)
    import psycopg

    import pgai_magic
    from pgai_magic.server import ensure_embedded
    from pgai_magic.session import Session

    qs = select(args)
    which = "dev" if args.set == "dev" else "train"
    keep = args.data_dir is not None
    data_dir = Path(args.data_dir) if keep else Path(tempfile.mkdtemp(prefix="pgai-spider-")) / "pg"
    server = ensure_embedded(data_dir, cleanup="stop" if keep else "delete")
    session = Session(data_dir=data_dir)
    if args.refuse_below:
        session.questions.trust_rules = False
    try:
        with psycopg.connect(session.dsn, autocommit=True) as conn:
            t0 = time.perf_counter()
            loaded = data.load(conn, which, {q["db"] for q in qs})
            load_s = time.perf_counter() - t0
        rows = ask_all(session, qs)
        with tempfile.TemporaryDirectory() as work:
            rows = score(session.dsn, which, rows, Path(work))
    finally:
        session.close()
        if not keep:
            server.handle.cleanup()  # type: ignore[attr-defined]
    s = report.summary(rows)
    meta = {
        "set": args.set,
        "label": args.label,
        "when": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "pgai_magic_file": pgai_magic.__file__,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}",
        "questions": len(rows),
        "refuse_below": args.refuse_below,
        "schemas_loaded_now": len(loaded),
        "load_s": round(load_s, 1),
    }
    out = Path(args.json) if args.json else HERE / "results" / f"spider_{args.set}_{args.label}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"meta": meta, "summary": s, "questions": rows}, indent=1, default=str))
    print(f"## Spider {args.set} ({args.label}): {len(rows)} questions; {meta['machine']}; JSON: {out}\n")
    print(report.markdown(s))


if __name__ == "__main__":
    main()

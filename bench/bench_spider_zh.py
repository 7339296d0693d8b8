"""Chinese questions over English schemas: Spider train questions written in Chinese, scored by execution.

bench/spider_zh/questions.jsonl holds questions of Spider *train* (never dev) over about 20 of its databases,
each with its English question (`question_en`), a Chinese question as an analyst would type it (`question`)
and the gold SQL (fields as ../shared/benchmarks/spider_train/questions.jsonl, so the shared scorer reads it).
A fresh embedded PostgreSQL (temp data dir, deleted afterwards; `--data-dir` keeps one between runs) gets the
databases' scripts from ../shared/benchmarks/spider_train/databases; every question is asked in Chinese and in
English as `%pgai ask --dry-run --schema DB` asks it (`session.questions.translate`: translator, guard, EXPLAIN;
no LLM, question memory off; the embedding model loaded first), the SQL of each language written as predictions,
and both scored with
../shared/benchmarks/spider_dev/score.py --questions (execution accuracy, wrong of answered, refused).

Parity (the Chinese component's own figure): how often the Chinese form gets the same result as the English
form -- both refused, or both answered with the same rows (the English answer's rows taken as the gold in
score.py's comparison).

    python bench/bench_spider_zh.py [--ids train_1116,...] [--dbs climbing,...] [--show] [--json PATH]
        [--data-dir DIR] [--langs zh,en] [--refuse-below]

--refuse-below measures the strict policy (`Asker.trust_rules = False`: an answer below the calibrated threshold is
refused); by default the rule translator's answer below it is given, as `%pgai ask` does.
"""

from __future__ import annotations

import argparse
import collections
import importlib.util
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BENCHMARKS = Path(
    os.environ.get("PGAI_BENCHMARKS")
    or next((p / "shared" / "benchmarks" for p in ROOT.parents if (p / "shared" / "benchmarks").is_dir()), ROOT.parent)
)  # ../shared/benchmarks beside the checkout (or further up)
QUESTIONS = HERE / "spider_zh" / "questions.jsonl"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", default=str(QUESTIONS))
    parser.add_argument("--benchmarks", default=str(BENCHMARKS), help="the folder holding spider_train/spider_dev")
    parser.add_argument("--ids", help="comma-separated subset of question ids")
    parser.add_argument("--dbs", help="comma-separated subset of databases")
    parser.add_argument("--langs", default="zh,en", help="which forms to ask (zh, en)")
    parser.add_argument("--data-dir", help="keep the embedded server's data here between runs (schemas reloaded)")
    parser.add_argument("--show", action="store_true", help="print every question that is not right")
    parser.add_argument(
        "--refuse-below", action="store_true",
        help="refuse every answer below the calibrated threshold (default: the rule answer is given, with a note)",
    )  # fmt: skip
    parser.add_argument("--json", default=str(HERE / "results" / "spider_zh.json"))
    return parser.parse_args()


def load_scorer(benchmarks: Path) -> Any:
    """score.py of spider_dev as a module (its row comparison decides parity)."""
    spec = importlib.util.spec_from_file_location("spider_score", benchmarks / "spider_dev" / "score.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_databases(conn: Any, benchmarks: Path, dbs: list[str]) -> None:
    for db in dbs:
        conn.execute((benchmarks / "spider_train" / "databases" / f"{db}.sql").read_text())
    conn.execute("ANALYZE")


def ask_all(session: Any, questions: list[dict[str, Any]], lang: str) -> list[dict[str, Any]]:
    """(id, sql or None, seconds, refusal) for each question in `lang` ('zh': `question`, 'en': `question_en`)."""
    from pgai_magic.errors import PgaiError

    out = []
    for q in questions:
        text = q["question"] if lang == "zh" else q["question_en"]
        start = time.perf_counter()
        try:
            answer = session.questions.translate(
                text, schema=q["pg_schema"], generator="translator", remember=False, use_memory=False
            )
            sql, why = answer.sql, None
        except PgaiError as exc:
            sql, why = None, f"{type(exc).__name__}: {exc}"
        entry = {"id": q["id"], "sql": sql, "s": time.perf_counter() - start, "refusal": why}
        if lang == "zh":  # the English the translators read (not timed): the learned one's, in English word order
            from pgai_magic.nl2sql.zh import to_english

            asker = session.questions
            try:
                reading = asker.translator(asker.catalog(q["pg_schema"])).read(text)
                entry["english"] = to_english(text, reading.reader.zh)
            except PgaiError:
                entry["english"] = None
        out.append(entry)
    return out


def score(benchmarks: Path, dsn: str, questions_path: str, predictions: list[dict[str, Any]]) -> dict[str, Any]:
    """score.py's summary and per-question outcomes for `predictions`."""
    with tempfile.TemporaryDirectory() as tmp:
        preds, details = Path(tmp) / "p.jsonl", Path(tmp) / "d.jsonl"
        preds.write_text("".join(json.dumps({"id": p["id"], "sql": p["sql"]}) + "\n" for p in predictions))
        scorer = benchmarks / "spider_dev" / "score.py"
        run = subprocess.run(
            [sys.executable, str(scorer), "--dsn", dsn, "--questions", questions_path, "--json",
             "--details", str(details), str(preds)],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        outcomes = {d["id"]: d for d in map(json.loads, details.read_text().splitlines())}
    return {"summary": json.loads(run.stdout), "outcomes": outcomes}


def parity(conn: Any, scorer: Any, questions: list[dict[str, Any]], zh: dict[str, Any], en: dict[str, Any]) -> dict:
    """How often the Chinese answer means what the English one means (both refused, or the same rows)."""
    same, kinds = 0, collections.Counter()
    for q in questions:
        a, b = zh[q["id"]]["sql"], en[q["id"]]["sql"]
        if a is None or b is None:
            kind = "both refused" if a is None and b is None else ("zh refused" if a is None else "en refused")
        else:
            kind = "same rows" if _same_rows(conn, scorer, q, a, b) else "different rows"
        kinds[kind] += 1
        same += kind in ("both refused", "same rows")
    return {"n": len(questions), "same": same, "pct": round(100 * same / len(questions), 1), "kinds": dict(kinds)}


def _same_rows(conn: Any, scorer: Any, q: dict[str, Any], a: str, b: str) -> bool:
    rows = []
    for sql in (a, b):
        try:
            with conn.transaction(force_rollback=True):
                conn.execute(f"SET LOCAL search_path TO {q['pg_schema']}")
                rows.append(conn.execute(sql).fetchall())
        except Exception:
            rows.append(None)
    if rows[0] is None or rows[1] is None:
        return rows[0] is None and rows[1] is None
    return bool(scorer.correct(rows[0], rows[1], {**q, "tie_ambiguous": False}))


def figures(summary: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, s in sorted(summary.items()):
        if key == "ALL" or key.startswith("hardness:"):
            out[key] = {k: s[k] for k in ("n", "correct", "wrong", "error", "refused", "execution_accuracy_pct",
                                          "wrong_among_answered_pct", "refusal_pct")}  # fmt: skip
    return out


def main() -> None:
    args = parse_args()
    benchmarks = Path(args.benchmarks)
    questions = [json.loads(line) for line in Path(args.questions).read_text().splitlines() if line.strip()]
    if args.ids:
        questions = [q for q in questions if q["id"] in set(args.ids.split(","))]
    if args.dbs:
        questions = [q for q in questions if q["db"] in set(args.dbs.split(","))]
    if not questions:
        raise SystemExit("no question selected")
    langs = args.langs.split(",")
    sys.path.insert(0, str(ROOT))
    import psycopg

    from pgai_magic.server import ensure_embedded
    from pgai_magic.session import Session

    keep = args.data_dir is not None
    data_dir = Path(args.data_dir) if keep else Path(tempfile.mkdtemp(prefix="pgai_spider_zh_")) / "pg"
    server = ensure_embedded(data_dir, cleanup=None if keep else "delete")
    session = Session(data_dir=data_dir)
    if args.refuse_below:
        session.questions.trust_rules = False
    subset = Path(tempfile.mkstemp(suffix=".jsonl")[1])
    subset.write_text("".join(json.dumps(q, ensure_ascii=False) + "\n" for q in questions))
    try:
        with psycopg.connect(session.dsn, autocommit=True) as conn:
            load_databases(conn, benchmarks, sorted({q["db"] for q in questions}))
            session.questions.catalogs = type(session.questions.catalogs)()  # the schemas were just (re)created
            session.questions.embedder.embed_batch(["warm up"])  # loaded before the first question: same links
            asked = {lang: ask_all(session, questions, lang) for lang in langs}
            scored = {lang: score(benchmarks, session.dsn, str(subset), asked[lang]) for lang in langs}
            scorer = load_scorer(benchmarks)
            by_id = {lang: {p["id"]: p for p in asked[lang]} for lang in langs}
            par = parity(conn, scorer, questions, by_id["zh"], by_id["en"]) if {"zh", "en"} <= set(langs) else None
            if par is not None:  # of the questions the English form gets right, how many the Chinese gets right
                right = {lang: {i for i, d in scored[lang]["outcomes"].items() if d["outcome"] == "correct"}
                         for lang in ("zh", "en")}  # fmt: skip
                par.update(en_right=len(right["en"]), both_right=len(right["en"] & right["zh"]))
    finally:
        session.close()
        subset.unlink()
        if not keep:
            server.handle.cleanup()  # type: ignore[attr-defined]
            shutil.rmtree(data_dir.parent, ignore_errors=True)
    report(args, questions, langs, asked, scored, par)


def report(args: argparse.Namespace, questions: list, langs: list, asked: dict, scored: dict, par: Any) -> None:
    """Print the figures (and with --show every question not right) and write the JSON results."""
    for lang in langs:
        f = figures(scored[lang]["summary"])
        print(f"\n[{lang}] n={f['ALL']['n']}")
        for key, s in f.items():
            print(
                f"  {key:18s} right {s['correct']:3d} ({s['execution_accuracy_pct']}%)  wrong "
                f"{s['wrong'] + s['error']:3d} ({s['wrong_among_answered_pct']}% of answered)  refused {s['refused']}"
            )
    if par is not None:
        print(f"\nparity zh~en: {par['same']}/{par['n']} ({par['pct']}%) {par['kinds']}")
        print(f"of the {par['en_right']} English questions answered right, {par['both_right']} are right in Chinese")
    if args.show:
        for q in questions:
            for lang in langs:
                outcome = scored[lang]["outcomes"][q["id"]]["outcome"]
                if outcome != "correct":
                    p = next(p for p in asked[lang] if p["id"] == q["id"])
                    text = q["question"] if lang == "zh" else q["question_en"]
                    print(f"\n{q['id']} [{lang}] {outcome}: {text}\n  gold: {q['gold_sql_postgres']}")
                    if lang == "zh":
                        en = scored["en"]["outcomes"][q["id"]]["outcome"] if "en" in scored else ""
                        print(f"  read: {p.get('english')}   (en: {q['question_en']}; {en})")
                    print(f"  got:  {' '.join((p['sql'] or p['refusal'] or '').split())[:400]}")
    results = {
        "machine": platform.platform(),
        "load": os.getloadavg(),
        "refuse_below": args.refuse_below,
        "n": len(questions),
        "figures": {lang: figures(scored[lang]["summary"]) for lang in langs},
        "parity": par,
        "per_question": [
            {"id": q["id"], **{lang: scored[lang]["outcomes"][q["id"]]["outcome"] for lang in langs}} for q in questions
        ],
    }
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()

"""Rebuild pgai_magic/nl2sql/data/spider_learned.json.gz from Spider train (PostgreSQL port, CC BY-SA 4.0).

    python bench/spider/train_learned.py [--data-dir /tmp/pgai-spider/pg] [--out PATH] [--no-calibrate]

1. fit: on the train databases outside the held-out part (bench/spider/data.is_holdout), the gold SQL of each
   question is read into a sketch (pgai_magic.nl2sql.learned.sketch); each column gets its features and labels
   (used in select / where / group / order), each table its features and label (in the gold FROM); one logistic
   regression per role and one for tables (scikit-learn); the masked questions and their sketch templates make the
   neighbour index.
2. calibrate: the learned translator answers every held-out question; each answer is executed and compared with
   the gold (the scorer of spider_dev/score.py); a logistic regression on the answer's features gives the
   confidence, and the threshold is the lowest at which at most 1 in 5 of the held-out answers are wrong.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import importlib.util
import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from spider import data  # noqa: E402

RANKER_SAMPLE = 4000
MAX_WRONG = 1 / 5  # the share of wrong answers the threshold allows on the held-out databases


def scorer() -> Any:
    spec = importlib.util.spec_from_file_location("spider_score", data.DEV / "score.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def catalogs(conn: Any, dbs: set[str]) -> dict[str, Any]:
    from pgai_magic.catalog import load_catalog

    out = {}
    for db in sorted(dbs):
        schema = db.lower()
        out[db] = load_catalog(conn, [schema])
    return out


def examples(qs: list[dict[str, Any]], cats: dict[str, Any], conn: Any) -> list[tuple[dict[str, Any], Any, Any]]:
    """(question, read question, gold sketch with 'schema.table.column' keys) for the questions in the class."""
    from pgai_magic.nl2sql.learned.features import find_values, read_question
    from pgai_magic.nl2sql.learned.probe import probe_values
    from pgai_magic.nl2sql.learned.sketch import Unsupported, parse_sketch

    out = []
    for q in qs:
        cat = cats[q["db"]]
        names = {t.name: [c.name for c in t.columns] for t in cat.tables.values()}
        try:
            sk = parse_sketch(q["gold_sql_postgres"], names)
        except Unsupported:
            continue
        schema = q["pg_schema"]
        tables = {t: f"{schema}.{t}" for t in cat_names(sk)}
        keyed = sk.rename({c: f"{schema}.{c}" for c in sk.columns()} | tables)
        rq = read_question(q["question"])
        rq.hits = [*find_values(rq, cat)]
        rq.hits += probe_values(rq, cat, conn)
        out.append((q, rq, keyed))
    return out


def cat_names(sk: Any) -> set[str]:
    return set(sk.tables) | (set(sk.other.tables) if sk.other else set())


def fit_linear(rows: list[dict[str, float]], ys: list[int], c: float = 0.5) -> dict[str, Any]:
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    vec = DictVectorizer()
    x = vec.fit_transform(rows)
    lr = LogisticRegression(C=c, max_iter=2000)
    lr.fit(x, ys)
    names = vec.get_feature_names_out()
    weights = {str(n): round(float(w), 4) for n, w in zip(names, lr.coef_[0]) if abs(w) >= 1e-3}
    return {"weights": weights, "bias": round(float(lr.intercept_[0]), 4)}


def fit(exs: list[tuple[dict[str, Any], Any, Any]], cats: dict[str, Any]) -> dict[str, Any]:
    from pgai_magic.nl2sql.learned.features import schema_features, schema_mask
    from pgai_magic.nl2sql.learned.fill import ROLES
    from pgai_magic.nl2sql.learned.model import grams
    from pgai_magic.nl2sql.learned.sketch import dump, roles

    col_rows: list[dict[str, float]] = []
    col_y: dict[str, list[int]] = {r: [] for r in ROLES}
    tab_rows: list[dict[str, float]] = []
    tab_y: list[int] = []
    docs: list[list[str]] = []
    labels: list[int] = []
    groups: list[int] = []
    db_ids = {db: i for i, db in enumerate(sorted(cats))}
    templates: dict[str, int] = {}
    dumped: list[dict[str, Any]] = []
    for q, rq, sk in exs:
        cat = cats[q["db"]]
        used = roles(sk)
        gold_tables = set(sk.tables) | {c.rpartition(".")[0] for c in sk.columns()}
        cfeats, tfeats = schema_features(rq, cat)
        for key, tf in tfeats.items():
            tab_rows.append(tf)
            tab_y.append(int(key in gold_tables))
        for key, cf in cfeats.items():
            col_rows.append(cf)
            got = used.get(key, set())
            for r in ROLES:
                col_y[r].append(int(r in got))
        template = sk.rename({c: f"c{i}" for i, c in enumerate(sk.columns())})
        key = template.skeleton()
        if key not in templates:
            templates[key] = len(dumped)
            dumped.append(dump(template))
        docs.append(schema_mask(rq, cat))
        labels.append(templates[key])
        groups.append(db_ids[q["db"]])
    print(f"fit: {len(exs)} questions, {len(col_rows)} column rows, {len(dumped)} templates", flush=True)
    role_models = {r: fit_linear(col_rows, col_y[r]) for r in ROLES}
    table_model = fit_linear(tab_rows, tab_y)
    df: Counter[str] = Counter(g for d in docs for g in set(grams(d)))
    vocab = sorted(g for g, n in df.items() if n >= 2)
    where = {g: i for i, g in enumerate(vocab)}
    import math

    idf = [round(math.log((1 + len(docs)) / (1 + df[g])) + 1, 4) for g in vocab]
    index = {
        "vocab": vocab,
        "idf": idf,
        "docs": [[where[g] for g in grams(d) if g in where] for d in docs],
        "labels": labels,
        "groups": groups,
        "templates": dumped,
    }
    out = {"roles": role_models, "table": table_model, "index": index}
    out["ranker"] = fit_ranker(out, exs, cats, db_ids)
    return out


def fit_ranker(
    model_data: dict[str, Any], exs: list[tuple[dict[str, Any], Any, Any]], cats: dict[str, Any], db_ids: Any
) -> dict[str, Any]:
    """The candidate ranker: candidates of (a sample of) the fitting questions, neighbours from other databases
    only; a candidate is right when its skeleton and columns are the gold's."""
    import random

    from pgai_magic.nl2sql.learned.fill import _cross, candidates, link
    from pgai_magic.nl2sql.learned.model import LearnedModel

    model = LearnedModel({**model_data, "version": "fit"})
    rows, ys = [], []
    sample = random.Random(0).sample(exs, min(RANKER_SAMPLE, len(exs)))
    for q, rq, gold in sample:
        gold_skel = gold.rename({c: f"c{i}" for i, c in enumerate(gold.columns())}).skeleton()
        linked = link(rq, cats[q["db"]], model)  # rq.hits already hold the probed values
        words = {t.lemma for t in rq.toks if t.kind == "word"} | set(linked.masked)
        for cand in candidates(linked, model, exclude=db_ids[q["db"]])[:80]:
            rows.append({**cand.features, **_cross(words, cand.skeleton)})
            same = cand.skeleton == gold_skel and set(cand.sketch.columns()) == set(gold.columns())
            gold_tables = set(gold.tables) | set(gold.other.tables if gold.other else ())
            ys.append(int(same and set(cand.tables) <= gold_tables))
    print(f"ranker: {len(sample)} questions, {len(rows)} candidates, {sum(ys)} right", flush=True)
    return fit_linear(rows, ys, c=0.5)


def _correct(conn: Any, score: Any, q: dict[str, Any], sql: str | None) -> bool:
    if sql is None:
        return False
    conn.execute(f"SET search_path TO {q['pg_schema']}")
    try:
        return bool(score.correct(conn.execute(sql).fetchall(), conn.execute(q["gold_sql_postgres"]).fetchall(), q))
    except Exception:
        return False


def calibrate(model_data: dict[str, Any], qs: list[dict[str, Any]], cats: dict[str, Any], conn: Any) -> None:
    """Answer the held-out questions with both translators, execute, fit the two confidence models and the
    threshold (in `model_data`)."""
    from pgai_magic.errors import PgaiError
    from pgai_magic.nl2sql.learned.generator import agreement, outside_sketches, rule_features
    from pgai_magic.nl2sql.learned.model import LearnedModel
    from pgai_magic.nl2sql.learned.translate import LearnedTranslator
    from pgai_magic.nl2sql.translator import Translator

    score = scorer()
    model = LearnedModel(model_data)
    rules = {db: Translator(cat, conn=conn) for db, cat in cats.items()}
    seen: list[Any] = []
    outside: list[bool] = []
    t0 = time.perf_counter()
    for q in qs:
        answer = LearnedTranslator(cats[q["db"]], conn, model).best(q["question"])
        try:
            t = rules[q["db"]].translate(q["question"])
            rule = (t.sql, t.confidence)
        except PgaiError:
            rule = None
        ok = _correct(conn, score, q, answer.sql if answer else None)
        rule_ok = _correct(conn, score, q, rule[0]) if rule else False
        agree = agreement(conn, rule[0], answer) if rule else 0
        if rule and outside_sketches(rule[0], cats[q["db"]]):
            outside.append(rule_ok)
            rule = None  # kept as the rule translator says (generator.py), not calibrated here
        seen.append((answer, ok, rule, rule_ok, agree))
    print(f"calibrate: {len(qs)} held-out questions, learned right {sum(s[1] for s in seen)}, "
          f"rules right {sum(s[3] for s in seen)} ({time.perf_counter() - t0:.0f} s)", flush=True)  # fmt: skip
    print(f"rule answers outside the sketch class: {len(outside)}, {sum(outside)} right", flush=True)
    model_data["confidence"] = fit_linear([a.features for a, *_ in seen if a], [o for a, o, *_ in seen if a], c=0.3)
    model = LearnedModel(model_data)
    assert model.confidence is not None
    for a, *_ in seen:
        if a is not None:
            a.confidence = model.confidence.prob(a.features)
    judged = [(rule_features(r[1], a, g), ro) for a, _, r, ro, g in seen if r]
    model_data["rules_confidence"] = fit_linear([f for f, _ in judged], [y for _, y in judged], c=1.0)
    judge = LearnedModel(model_data).rules_confidence
    assert judge is not None
    best = []
    for a, ok, r, ro, g in seen:
        options = [(a.confidence, ok)] if a else []
        options += [(judge.prob(rule_features(r[1], a, g)), ro)] if r else []
        if options:
            best.append(max(options))
    best.sort(reverse=True)
    threshold, right = 1.0, 0
    for k, (p, y) in enumerate(best, 1):
        right += y
        if (k - right) / k <= MAX_WRONG:
            threshold = p
    model_data["threshold"] = round(threshold, 4)
    kept = [y for p, y in best if p >= threshold]
    print(f"threshold {threshold:.3f}: {len(kept)} answered, {sum(kept)} right of {len(qs)}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default="/tmp/pgai-spider/pg")
    parser.add_argument("--out", default=None)
    parser.add_argument("--no-calibrate", action="store_true")
    parser.add_argument("--calibrate-only", action="store_true", help="keep the fitted models of --out, calibrate")
    args = parser.parse_args()
    import psycopg

    from pgai_magic.nl2sql.learned.model import DATA_FILE
    from pgai_magic.server import ensure_embedded

    server = ensure_embedded(Path(args.data_dir), cleanup="stop")
    qs = [q for q in data.questions("train") if q.get("matches_sqlite") is not False]
    with psycopg.connect(server.dsn, autocommit=True) as conn:
        data.load(conn, "train", {q["db"] for q in qs})
        cats = catalogs(conn, {q["db"] for q in qs})
        learn = [q for q in qs if not data.is_holdout(q["db"])]
        t0 = time.perf_counter()
        out = Path(args.out) if args.out else DATA_FILE
        if args.calibrate_only:
            with gzip.open(out, "rt", encoding="utf-8") as f:
                model_data = json.load(f)
        else:
            model_data = {
                "version": f"spider-train-{dt.date.today().isoformat()}",
                "source": "Spider 1.0 train (Yu et al., EMNLP 2018), CC BY-SA 4.0; see NOTICE",
                **fit(examples(learn, cats, conn), cats),
            }
        print(f"fit in {time.perf_counter() - t0:.0f} s", flush=True)
        if not args.no_calibrate:
            calibrate(model_data, [q for q in qs if data.is_holdout(q["db"])], cats, conn)
    out.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(out, "wt", encoding="utf-8") as f:
        json.dump(model_data, f, separators=(",", ":"))
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()

"""Candidate pools for offline ranker experiments (bench/spider/rank_offline.py); measure on train only.

    python bench/spider/rank_collect.py [N_FIT] [MODEL]   # writes /tmp/pgai-rank/rows_<N_FIT>.pkl

The candidates (80 per question, ordered by the heuristic score as train_learned.fit_ranker orders them) of N_FIT
fitting questions (neighbours from other databases) and of the fixed 600-question held-out sample, with their
features, the shape-vote features (nl2sql/learned/rank.py) and whether each has the gold skeleton and columns.
Uses the data directory /tmp/pgai-rank/pg and the hits cache /tmp/pgai-rank/hits.json of train_learned.py.
Spider train, PostgreSQL port, CC BY-SA 4.0 (Yu et al., EMNLP 2018).
"""

import json
import pickle
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import gzip

import psycopg

from pgai_magic.nl2sql.learned.fill import candidates, link
from pgai_magic.nl2sql.learned.model import DATA_FILE, LearnedModel
from pgai_magic.nl2sql.learned.rank import shape_features, shape_vote
from pgai_magic.server import ensure_embedded
from spider import data
from spider.train_learned import RANKER_SAMPLE, catalogs, examples

N_FIT = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
src = sys.argv[2] if len(sys.argv) > 2 else str(DATA_FILE)
with gzip.open(src, "rt") as f:
    md = json.load(f)
md.pop("ranker", None)
model = LearnedModel(md)
server = ensure_embedded(Path("/tmp/pgai-rank/pg"), cleanup="stop")
qs = [q for q in data.questions("train") if q.get("matches_sqlite") is not False]
hold = [q for q in qs if data.is_holdout(q["db"])]
hold = sorted(random.Random(0).sample(hold, 600), key=lambda q: q["id"])
learn = [q for q in qs if not data.is_holdout(q["db"])]
cache_f = Path("/tmp/pgai-rank/hits.json")
cache = json.loads(cache_f.read_text()) if cache_f.exists() else {}
with psycopg.connect(server.dsn, autocommit=True) as conn:
    cats = catalogs(conn, {q["db"] for q in qs})
    t0 = time.time()
    ex_fit = examples(learn, cats, conn, cache)
    ex_hold = examples(hold, cats, conn, {})
    print("examples", len(ex_fit), len(ex_hold), time.time() - t0, flush=True)
db_ids = {db: i for i, db in enumerate(sorted(cats))}
sample = random.Random(0).sample(ex_fit, min(RANKER_SAMPLE, len(ex_fit)))[:N_FIT]
out = {}
for name, exs, excl in (("fit", sample, True), ("hold", ex_hold, False)):
    qrows = []
    t0 = time.time()
    for q, rq, gold in exs:
        gold_skel = gold.rename({c: f"c{i}" for i, c in enumerate(gold.columns())}).skeleton()
        linked = link(rq, cats[q["db"]], model)
        ex = db_ids[q["db"]] if excl else -1
        near = model.index.query(linked.masked, 30, ex)
        vote = shape_vote(model.skeletons, near)
        words = {t.lemma for t in rq.toks if t.kind == "word"} | set(linked.masked)
        bigrams = {f"{a} {b}" for a, b in zip(["<s>", *linked.masked], [*linked.masked, "</s>"])}
        cands = []
        for cand in candidates(linked, model, exclude=ex, rendered=80):
            same = cand.skeleton == gold_skel and set(cand.sketch.columns()) == set(gold.columns())
            y = int(same and set(cand.tables) <= gold.all_tables())
            cands.append((cand.features, shape_features(vote, cand.skeleton), cand.skeleton, y, cand.sql))
        qrows.append({"id": q["id"], "words": words, "bigrams": bigrams, "cands": cands})
    print(name, len(qrows), time.time() - t0, flush=True)
    out[name] = qrows
pickle.dump(out, open(f"/tmp/pgai-rank/rows_{N_FIT}.pkl", "wb"))

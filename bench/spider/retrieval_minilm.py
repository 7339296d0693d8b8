"""Neighbour retrieval of train questions for the shape vote: the shipped TF-IDF index against MiniLM (measure only).

    python bench/spider/retrieval_minilm.py pgai_magic/nl2sql/data/spider_learned.json.gz

On the fixed sample of 600 held-out train questions (those in the sketch class), how often the gold skeleton is
voted first and is among the 20 best-voted templates of the 30 nearest fitting questions: TF-IDF on the masked
question (shipped), all-MiniLM-L6-v2 (local, HF_HUB_OFFLINE=1) on the masked and on the raw question (the
masked-question similarity of DAIL-SQL, Gao et al. VLDB 2024), and the mean of TF-IDF and MiniLM similarities.
Spider train, PostgreSQL port, CC BY-SA 4.0 (Yu et al., EMNLP 2018).
"""

import random
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import psycopg

from pgai_magic.embed.sentence import load_embedder
from pgai_magic.nl2sql.learned.features import read_question, schema_mask
from pgai_magic.nl2sql.learned.model import LearnedModel
from pgai_magic.nl2sql.learned.sketch import Unsupported, parse_sketch
from pgai_magic.server import ensure_embedded
from spider import data
from spider.train_learned import catalogs

model = LearnedModel.read(sys.argv[1])
server = ensure_embedded(Path("/tmp/pgai-rank/pg"), cleanup="stop")
qs = [q for q in data.questions("train") if q.get("matches_sqlite") is not False]
hold = sorted(random.Random(0).sample([q for q in qs if data.is_holdout(q["db"])], 600), key=lambda q: q["id"])
learn = [q for q in qs if not data.is_holdout(q["db"])]
with psycopg.connect(server.dsn, autocommit=True) as conn:
    cats = catalogs(conn, {q["db"] for q in qs})


def gold_skel(q):
    cat = cats[q["db"]]
    names = {t.name: [c.name for c in t.columns] for t in cat.tables.values()}
    try:
        return parse_sketch(q["gold_sql_postgres"], names).skeleton()
    except Unsupported:
        return None


fit = [(q, gold_skel(q)) for q in learn]
fit = [(q, s) for q, s in fit if s]
hq = [(q, gold_skel(q)) for q in hold]
hq = [(q, s) for q, s in hq if s]
assert len(fit) == len(model.index.labels), (len(fit), len(model.index.labels))
emb = load_embedder(None, "cpu")


def masked_text(q):
    return " ".join(schema_mask(read_question(q["question"]), cats[q["db"]]))


t0 = time.time()
F_m = emb.embed_batch([masked_text(q) for q, _ in fit])
F_r = emb.embed_batch([q["question"] for q, _ in fit])
H_m = emb.embed_batch([masked_text(q) for q, _ in hq])
H_r = emb.embed_batch([q["question"] for q, _ in hq])
print("embedded", time.time() - t0, flush=True)
labels = model.index.labels
skels = model.skeletons


def evaluate(name, nearf):
    top1 = in20 = 0
    for i, (q, g) in enumerate(hq):
        near = nearf(i, q)
        votes = defaultdict(float)
        for lab, sim in near:
            votes[skels[lab]] += max(sim, 0) ** 2
        ranked = sorted(votes, key=lambda k: -votes[k])
        top1 += bool(ranked) and ranked[0] == g
        in20 += g in ranked[:20]
    print(f"{name}: voted first {top1}/{len(hq)}, in top-20 {in20}", flush=True)


def tfidf(i, q):
    return model.index.query(schema_mask(read_question(q["question"]), cats[q["db"]]), 30)


def st(H, F):
    def f(i, q):
        sims = F @ H[i]
        top = np.argsort(-sims)[:30]
        return [(int(labels[j]), float(sims[j])) for j in top]

    return f


def mix(i, q):
    a = dict()
    for lab, s in tfidf(i, q) + st(H_m, F_m)(i, q):
        a.setdefault(lab, []).append(s)
    return sorted(((lab, sum(v) / 2) for lab, v in a.items()), key=lambda x: -x[1])[:30]


evaluate("tfidf masked", tfidf)
evaluate("minilm masked", st(H_m, F_m))
evaluate("minilm raw", st(H_r, F_r))
evaluate("mix", mix)

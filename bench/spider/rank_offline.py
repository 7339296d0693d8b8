"""Offline ranker experiments on the pools of bench/spider/rank_collect.py: losses and feature sets (train only).

    python bench/spider/rank_offline.py /tmp/pgai-rank/rows_2000.pkl base,cross,shape point:0.5 list:0.5 pair:0.5

Feature sets: base (the candidate's features), cross (question words x shape keywords), bi (masked bigrams x shape
keywords), shape (the shape vote of rank.py), kw (its per-keyword agreement). Losses: point (logistic regression,
as shipped), pair (logistic regression on differences of a question's right and wrong candidates, RankNet-style),
list (softmax cross-entropy over a question's candidates, ListNet; L-BFGS). Printed: how many held-out questions
get a right candidate first, of those whose pool has one.
"""

import pickle
import sys
import time

import numpy as np
from scipy import optimize, sparse
from sklearn.feature_extraction import DictVectorizer
from sklearn.linear_model import LogisticRegression

from pgai_magic.nl2sql.learned.rank import atoms

rows = pickle.load(open(sys.argv[1], "rb"))


def featurize(q, c, opt):
    base, shape, skel, _y, _sql = c
    f = {k: v for k, v in base.items() if k not in shape} if "base" in opt else {}  # shape: its own set
    if "cross" in opt:
        for w in q["words"]:
            for a in atoms(skel):
                f[f"x:{w}|{a}"] = 1.0
    if "bi" in opt:
        for w in q["bigrams"]:
            for a in atoms(skel):
                f[f"b:{w}|{a}"] = 1.0
    if "shape" in opt:
        f.update({k: v for k, v in shape.items() if not k.startswith("kw:")})
    if "kw" in opt:
        f.update({k: v for k, v in shape.items() if k.startswith("kw:")})
    return f


def matrix(qs, opt, vec=None):
    dicts, ys, qid = [], [], []
    for i, q in enumerate(qs):
        for c in q["cands"]:
            dicts.append(featurize(q, c, opt))
            ys.append(c[3])
            qid.append(i)
    X = vec.transform(dicts) if vec else None
    if vec is None:
        vec = DictVectorizer()
        X = vec.fit_transform(dicts)
    return X, np.array(ys), np.array(qid), vec


def top1(scores, ys, qid, nq):
    best = {}
    for s, y, i in zip(scores, ys, qid):
        if i not in best or s > best[i][0]:
            best[i] = (s, y)
    return sum(y for s, y in best.values()), sum(1 for i in set(qid[ys == 1]))


def pointwise(X, ys, qid, C):
    lr = LogisticRegression(C=C, max_iter=3000)
    lr.fit(X, ys)
    return lr.coef_[0], lr.intercept_[0]


def pairwise(X, ys, qid, C, cap=40, seed=0):
    rng = np.random.default_rng(seed)
    pos_i, neg_i = [], []
    for i in np.unique(qid):
        idx = np.where(qid == i)[0]
        P = idx[ys[idx] == 1]
        N = idx[ys[idx] == 0]
        if len(P) == 0 or len(N) == 0:
            continue
        for p in P:
            nn = N if len(N) <= cap else rng.choice(N, cap, replace=False)
            pos_i += [p] * len(nn)
            neg_i += list(nn)
    D = X[pos_i] - X[neg_i]
    sign = np.where(np.arange(len(pos_i)) % 2 == 0, 1, -1)
    D = sparse.diags(sign) @ D
    lr = LogisticRegression(C=C, max_iter=3000, fit_intercept=False)
    lr.fit(D, (sign > 0).astype(int))
    return lr.coef_[0], 0.0


def listwise(X, ys, qid, C):
    qs = [np.where(qid == i)[0] for i in np.unique(qid)]
    qs = [idx for idx in qs if ys[idx].any() and not ys[idx].all()]
    keep = np.concatenate(qs)
    Xk = X[keep].tocsr()
    yk = ys[keep]
    starts = np.cumsum([0] + [len(i) for i in qs])
    grp = np.repeat(np.arange(len(qs)), [len(i) for i in qs])
    lam = 1.0 / C

    def f(w):
        s = Xk @ w
        m = np.maximum.reduceat(s, starts[:-1])
        e = np.exp(s - m[grp])
        Z = np.add.reduceat(e, starts[:-1])
        ep = e * yk
        Zp = np.add.reduceat(ep, starts[:-1])
        loss = -(np.log(Zp) - np.log(Z)).sum() + 0.5 * lam * w @ w
        g_s = e / Z[grp] - ep / Zp[grp]
        return loss, Xk.T @ g_s + lam * w

    r = optimize.minimize(f, np.zeros(X.shape[1]), jac=True, method="L-BFGS-B", options={"maxiter": 500})
    return r.x, 0.0


opts = sys.argv[2].split(",")
for spec in sys.argv[3:]:
    method, C = spec.split(":")
    C = float(C)
    t0 = time.time()
    X, ys, qid, vec = matrix(rows["fit"], opts)
    w, b = {"point": pointwise, "pair": pairwise, "list": listwise}[method](X, ys, qid, C)
    Xh, yh, qh, _ = matrix(rows["hold"], opts, vec)
    got, reach = top1(Xh @ w + b, yh, qh, len(rows["hold"]))
    gotf, reachf = top1(X @ w + b, ys, qid, 0)
    print(
        f"{opts} {method} C={C}: hold top1 {got}/{reach} (of {len(rows['hold'])}), fit top1 {gotf}/{reachf}, "
        f"{X.shape[1]} feats, {time.time() - t0:.0f}s",
        flush=True,
    )

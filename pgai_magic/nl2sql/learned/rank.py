"""Whole-candidate ranking features: the neighbours' vote on a candidate's own shape and on each part of it.

The neighbour vote of fill.candidates scores the template a candidate was filled from; a one-edit variant
(variants.py) keeps its template's vote although its shape may be another neighbour's template, or no neighbour's.
Here the vote is taken on the candidate's own skeleton (the share of the neighbours' similarity mass whose gold
skeleton is exactly it, and the similarity of the nearest such neighbour), and factorised over the skeleton's
keywords (`atoms`: count(, group, desc, limit, except, …): for each keyword the share of the vote whose skeleton has
it, and the log-likelihood of the candidate's keyword set under those shares taken as independent — the shape
prediction of RESDSQL (Li et al., AAAI 2023) as a per-keyword vote over nearest neighbours (DAIL-SQL, Gao et al.,
VLDB 2024)). The ranker (a linear model fitted by bench/spider/train_learned.py) weighs them with the rest.
"""

from __future__ import annotations

import functools
import math
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["ShapeVote", "atoms", "shape_features", "shape_vote"]

_FLOOR = 0.03  # a keyword share is read as FLOOR + (1 - 2 FLOOR) * share, so that no log is infinite


@functools.lru_cache(maxsize=4096)
def atoms(skeleton: str) -> frozenset[str]:
    """The keywords of a skeleton (columns as c) and its select-list length (`items<n>`)."""
    toks = [re.sub(r"c\d+", "c", t) for t in skeleton.split()]
    found = {t for t in toks if t not in ("c", "c,", "v", "n", "by", "select", "and") or t == "v"}
    found.add(f"items{skeleton.split(' where ')[0].split(' group ')[0].count(',') + 1}")
    return frozenset(found)


@dataclass
class ShapeVote:
    """The neighbours' vote: share by skeleton, nearest similarity by skeleton, share by keyword."""

    by_skeleton: dict[str, float]
    nearest: dict[str, float]
    keywords: dict[str, float]


def shape_vote(skeletons: Sequence[str], near: Sequence[tuple[int, float]]) -> ShapeVote:
    """The vote of the neighbours `near` ((template label, cosine similarity), nearest first; `skeletons[label]`
    the template's skeleton), each weighted by its squared similarity as fill.candidates weighs them."""
    by_skeleton: dict[str, float] = defaultdict(float)
    nearest: dict[str, float] = {}
    keywords: dict[str, float] = defaultdict(float)
    total = 0.0
    for label, sim in near:
        weight = max(sim, 0.0) ** 2
        skeleton = skeletons[label]
        by_skeleton[skeleton] += weight
        nearest.setdefault(skeleton, sim)
        for a in atoms(skeleton):
            keywords[a] += weight
        total += weight
    total = total or 1.0
    return ShapeVote(
        {k: v / total for k, v in by_skeleton.items()}, nearest, {k: v / total for k, v in keywords.items()}
    )


def shape_features(vote: ShapeVote, skeleton: str) -> dict[str, float]:
    """Features of a candidate's skeleton under the neighbours' vote: its own share (`skel_vote`, `skel_log_vote`),
    the similarity of the nearest neighbour with it (`skel_sim`, 0 when none), the keyword log-likelihood
    (`kw_ll`), the vote mass of keywords it lacks (`kw_missing`) and of its keywords the vote lacks (`kw_extra`),
    and per keyword the agreement (`kw:<keyword>`: share - 1/2 when the candidate has it, 1/2 - share when not)."""
    share = vote.by_skeleton.get(skeleton, 0.0)
    mine = atoms(skeleton)
    out = {
        "skel_vote": share,
        "skel_log_vote": math.log(share + 1e-3),
        "skel_sim": vote.nearest.get(skeleton, 0.0),
        "skel_none": float(share == 0.0),
    }
    ll = missing = extra = 0.0
    for a in mine | vote.keywords.keys():
        p = _FLOOR + (1 - 2 * _FLOOR) * vote.keywords.get(a, 0.0)
        if a in mine:
            ll += math.log(p)
            extra += 1.0 - vote.keywords.get(a, 0.0)
            out[f"kw:{a}"] = p - 0.5
        else:
            ll += math.log(1.0 - p)
            missing += vote.keywords.get(a, 0.0)
            out[f"kw:{a}"] = 0.5 - p
    out |= {"kw_ll": ll, "kw_missing": missing, "kw_extra": extra}
    return out

"""The learned parts, as shipped in nl2sql/data: linear models (logistic regression weights) and a neighbour index.

The data file (`spider_learned.json.gz`, rebuilt by bench/spider/train_learned.py from Spider train; CC BY-SA 4.0,
see nl2sql/data/NOTICE) holds plain numbers, no pickles: per role a logistic regression's weights by feature name,
and the neighbour index of train questions (masked words as TF-IDF over word unigrams and bigrams, cosine
similarity) with the sketch template each question's gold SQL has.
"""

from __future__ import annotations

import gzip
import itertools
import json
import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from pgai_magic.nl2sql.learned.sketch import Sketch, load

__all__ = ["DATA_FILE", "LearnedModel", "LinearModel", "NeighbourIndex", "grams", "model"]

DATA_FILE = Path(__file__).resolve().parents[1] / "data" / "spider_learned.json.gz"


def grams(tokens: Sequence[str]) -> list[str]:
    """Word unigrams and bigrams (with sentence boundaries) of masked question tokens."""
    padded = ["<s>", *tokens, "</s>"]
    return list(tokens) + [f"{a} {b}" for a, b in itertools.pairwise(padded)]


@dataclass
class LinearModel:
    """A logistic regression: P(y=1 | x) = sigmoid(bias + sum of weight[name] * value)."""

    weights: dict[str, float]
    bias: float

    def logit(self, features: dict[str, float]) -> float:
        w = self.weights
        return self.bias + sum(w.get(k, 0.0) * v for k, v in features.items())

    def prob(self, features: dict[str, float]) -> float:
        z = self.logit(features)
        return 1.0 / (1.0 + math.exp(-z)) if z > -30 else 0.0


class NeighbourIndex:
    """Train questions as L2-normalised TF-IDF vectors; `query` gives the most similar with their labels."""

    def __init__(
        self, vocab: list[str], idf: list[float], docs: list[list[int]], labels: list[int], groups: list[int]
    ) -> None:
        from scipy import sparse

        self.vocab = {g: i for i, g in enumerate(vocab)}
        self.idf = np.asarray(idf, dtype=np.float32)
        rows, cols, vals = [], [], []
        for r, doc in enumerate(docs):
            ids, counts = np.unique(np.asarray(doc, dtype=np.int64), return_counts=True)
            weight = counts * self.idf[ids]
            weight /= float(np.linalg.norm(weight)) or 1.0
            rows += [r] * len(ids)
            cols += ids.tolist()
            vals += weight.tolist()
        self.matrix = sparse.csr_matrix((vals, (rows, cols)), shape=(len(docs), len(vocab)), dtype=np.float32)
        self.labels = np.asarray(labels, dtype=np.int64)
        self.groups = np.asarray(groups, dtype=np.int64)

    def query(self, tokens: Sequence[str], k: int = 25, exclude: int = -1) -> list[tuple[int, float]]:
        """(label, cosine similarity) of the `k` nearest train questions, nearest first; `exclude`: leave out the
        questions of that group (database), as training does so that neighbours come from other databases."""
        ids = [self.vocab[g] for g in grams(tokens) if g in self.vocab]
        if not ids:
            return []
        idx, counts = np.unique(np.asarray(ids), return_counts=True)
        vec = np.zeros(len(self.vocab), dtype=np.float32)
        vec[idx] = counts * self.idf[idx]
        vec /= float(np.linalg.norm(vec)) or 1.0
        sims = self.matrix @ vec
        if exclude >= 0:
            sims[self.groups == exclude] = -1.0
        top = np.argsort(-sims)[:k]
        return [(int(self.labels[i]), float(sims[i])) for i in top]


class LearnedModel:
    """Everything the learned translator loads: role models, table model, confidence model, neighbour index."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.version: str = data["version"]
        self.roles = {r: LinearModel(m["weights"], m["bias"]) for r, m in data["roles"].items()}
        self.table = LinearModel(data["table"]["weights"], data["table"]["bias"])
        rank = data.get("ranker")
        self.ranker = LinearModel(rank["weights"], rank["bias"]) if rank else None
        conf = data.get("confidence")
        self.confidence = LinearModel(conf["weights"], conf["bias"]) if conf else None
        judge = data.get("rules_confidence")
        self.rules_confidence = LinearModel(judge["weights"], judge["bias"]) if judge else None
        self.threshold: float = float(data.get("threshold", 0.5))
        self.templates: list[Sketch] = [load(d) for d in data["index"]["templates"]]

    @cached_property
    def skeletons(self) -> list[str]:
        """The skeleton of each template, by label."""
        return [t.skeleton() for t in self.templates]

    @cached_property
    def index(self) -> NeighbourIndex:
        ix = self.data["index"]
        return NeighbourIndex(ix["vocab"], ix["idf"], ix["docs"], ix["labels"], ix["groups"])

    @classmethod
    def read(cls, path: Path | str = DATA_FILE) -> LearnedModel:
        """The model in `path` (gzip JSON); FileNotFoundError when the data file is missing."""
        with gzip.open(path, "rt", encoding="utf-8") as f:
            return cls(json.load(f))


_LOCK = threading.Lock()
_CACHE: dict[str, LearnedModel] = {}


def model(path: Path | str = DATA_FILE) -> LearnedModel:
    """The shipped model, read once per process (thread-safe)."""
    key = str(path)
    with _LOCK:
        found = _CACHE.get(key)
        if found is None:
            found = _CACHE[key] = LearnedModel.read(path)
            found.index  # noqa: B018 - built here, once
            found.skeletons  # noqa: B018
        return found

"""The learned translator: link, fill candidate sketches, check them by a read-only run, rank, and say how sure.

    LearnedTranslator(catalog, conn, model).translate(question) -> LearnedAnswer   (TranslationError: refused)

Candidates (fill.candidates) are run read-only in score order, a few at most, with a short statement timeout (the
execution-guided checking of Wang et al. 2018, "Robust text-to-SQL generation with execution-guided decoding"):
one that errors is dropped, one that returns no row loses score (a question asks about rows that exist). The
confidence of the chosen one is a logistic regression over its features, fitted on held-out train databases
(bench/spider/train_learned.py), so that answers at confidence p are right about p of the time; below the model's
threshold the question is refused.
"""

from __future__ import annotations

import collections
import math
from dataclasses import dataclass, field
from typing import Any

import psycopg

from pgai_magic.catalog import Catalog
from pgai_magic.db import read_only
from pgai_magic.errors import PgaiError, TranslationError
from pgai_magic.nl2sql.learned.features import read_question
from pgai_magic.nl2sql.learned.fill import Candidate, candidates, link, summarise
from pgai_magic.nl2sql.learned.model import LearnedModel, model

__all__ = ["LearnedAnswer", "LearnedTranslator"]

_CHECKED = 6  # candidates run per question at most
_TIMEOUT_S = 2.0
_EMPTY_PENALTY = 1.5
_ROWS = 101  # rows read per check (the result compared between candidates: the first of them)


@dataclass
class LearnedAnswer:
    """The chosen SQL, its confidence (0..1, calibrated on held-out train databases) and its features."""

    sql: str
    confidence: float
    features: dict[str, float]
    skeleton: str = ""
    candidates: list[Candidate] = field(default_factory=list)


class LearnedTranslator:
    """Question -> SQL over one catalog with the learned models (`model`: the shipped data file by default).

    `conn` runs the read-only checks (None: no execution check; the features then say so).
    """

    checked = _CHECKED
    agree_weight = 0.0  # score added per log(1 + other checked candidates' weight with the same result)
    stop_after = 2  # stop checking after this many candidates that return rows (agree_weight 0)
    hollow_checks = True  # a result whose every row is NULL / zero in some column counts as empty (_hollow)

    def __init__(self, catalog: Catalog, conn: psycopg.Connection | None, learned: LearnedModel | None = None) -> None:
        self.catalog = catalog
        self.conn = conn
        self.model = learned if learned is not None else model()

    def best(self, question: str, glosses: dict[int, Any] | None = None) -> LearnedAnswer | None:
        """The best checked candidate with its confidence, or None when no candidate runs."""
        q = read_question(question, glosses)
        linked = link(q, self.catalog, self.model, self.conn)
        cands = candidates(linked, self.model)
        checked: list[tuple[float, Candidate, dict[str, float]]] = []
        results: list[Any] = []
        for cand in cands[: self.checked]:
            got = self._run(cand.sql)
            if got is None:
                continue
            rows = len(got)
            extra = {"empty": float(rows == 0), "rows_log": float(min(rows, 100) > 1), "checked": 1.0}
            hollow = _hollow(got) if self.hollow_checks else 0.0
            extra["hollow"] = hollow
            checked.append((cand.score - _EMPTY_PENALTY * max(extra["empty"], hollow), cand, extra))
            results.append(_fingerprint(got))
            if not self.agree_weight and rows > 0 and len(checked) >= self.stop_after:
                break
        if not checked:
            return None
        if self.agree_weight:
            checked = _agree(checked, results, self.agree_weight)
        checked.sort(key=lambda x: -x[0])
        score, cand, extra = checked[0]
        ranked = [c for _, c, _ in checked] + [c for c in cands if all(c is not x for _, x, _ in checked)]
        feats = {**cand.features, **extra, **summarise(ranked), "score": score}
        feats["skeleton_" + cand.skeleton.split(" ", 2)[1]] = 1.0
        conf = self.model.confidence.prob(feats) if self.model.confidence else 0.5
        return LearnedAnswer(cand.sql, conf, feats, cand.skeleton, ranked)

    def translate(self, question: str, glosses: dict[int, Any] | None = None) -> LearnedAnswer:
        """The answer, or TranslationError when no candidate runs or the confidence is below the threshold."""
        answer = self.best(question, glosses)
        if answer is None:
            raise TranslationError(f"the learned translator found no query for {question!r} that runs")
        if answer.confidence < self.model.threshold:
            raise TranslationError(
                f"the learned translator is not confident enough ({answer.confidence:.2f}) about {question!r}"
            )
        return answer

    def _run(self, sql: str) -> list[tuple[Any, ...]] | None:
        """The first rows the query returns (at most 101), or None when it fails; read-only, short timeout."""
        if self.conn is None:
            return [()]
        try:
            with read_only(self.conn, _TIMEOUT_S):
                cur = self.conn.execute(sql)  # type: ignore[arg-type]  # built by sqlglot, not user text
                return cur.fetchmany(_ROWS)
        except (psycopg.Error, PgaiError):
            return None


def _hollow(rows: list[tuple[Any, ...]]) -> float:
    """1.0 when the rows are there but say nothing: a column NULL in every row, or one row of zeros and NULLs
    (a count or sum over no matching row); else 0.0. A question asks about what the data holds."""
    if not rows or not rows[0]:
        return 0.0
    if len(rows) == 1 and all(v is None or (isinstance(v, (int, float)) and v == 0) for v in rows[0]):
        return 1.0
    return float(any(all(r[k] is None for r in rows) for k in range(len(rows[0]))))


def _fingerprint(rows: list[tuple[Any, ...]]) -> Any:
    """The rows as a multiset of value sets (column order and row order ignored), for comparing results."""
    return frozenset(collections.Counter(tuple(sorted(map(repr, r))) for r in rows).items()) if rows else None


def _agree(
    checked: list[tuple[float, Candidate, dict[str, float]]], results: list[Any], weight: float
) -> list[tuple[float, Candidate, dict[str, float]]]:
    """Each checked candidate's score plus `weight` * log(1 + the summed probability of the other candidates whose
    non-empty result is the same): execution agreement among candidates (the self-consistency of Wang et al.,
    ICLR 2023, over SQL results as in execution-based minimum Bayes risk decoding, Shi et al. EMNLP 2022)."""
    probs = [1.0 / (1.0 + math.exp(-max(-30.0, s))) for s, _, _ in checked]
    out = []
    for k, (score, cand, extra) in enumerate(checked):
        same = sum(p for j, p in enumerate(probs) if j != k and results[j] is not None and results[j] == results[k])
        extra = {**extra, "agree": same}
        out.append((score + weight * math.log1p(same), cand, extra))
    return out

"""The built-in translators behind the generator seam: the learned translator and the rule translator, decided by
calibrated confidence.

Both read the question. An answer of the learned translator has a confidence calibrated on held-out Spider train
databases. A plain rule answer gets one too, from the rule translator's confidence and whether its result equals
the learned answer's; a rule answer that uses what only the rules write (date arithmetic and time buckets, shares
and windows, CASE, arithmetic between columns: `outside_sketches`) keeps the rule translator's own confidence, and
is given when the learned translator has no confident answer. The more confident answer at or above the model's
threshold is given; below it, with `trust_rules` (the default) the rule translator's answer when it has one (its
calibrated confidence and a note say how sure it is), else the question is refused (TranslationError), so that the
LLM, when one is configured, gets it. `trust_rules=False` refuses every answer below the threshold.
"""

from __future__ import annotations

import collections
import math
import re
from typing import Any

import psycopg
import sqlglot
from sqlglot import exp

from pgai_magic.catalog import Catalog
from pgai_magic.db import read_only
from pgai_magic.errors import PgaiError, TranslationError
from pgai_magic.nl2sql.generator import Generated, Request
from pgai_magic.nl2sql.learned.model import LearnedModel
from pgai_magic.nl2sql.learned.translate import LearnedAnswer, LearnedTranslator
from pgai_magic.nl2sql.pipeline import refusal
from pgai_magic.nl2sql.translator import Translator

__all__ = ["BuiltinGenerator", "agreement", "outside_sketches", "rule_features", "same_result"]

_ROWS = 200  # rows compared when two answers are checked for the same result
_AGREE_TOP = 5  # learned candidates a rule answer is compared with


def _rows(conn: psycopg.Connection, sql: str) -> collections.Counter[tuple[Any, ...]] | None:
    try:
        with read_only(conn, 2.0):
            rows = conn.execute(sql).fetchmany(_ROWS)  # type: ignore[arg-type]  # SQL the translators wrote
    except (psycopg.Error, PgaiError):
        return None
    return collections.Counter(tuple(_norm(v) for v in sorted(r, key=str)) for r in rows)


def _norm(v: Any) -> Any:
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return round(float(v), 2) if not math.isnan(float(v)) else "nan"
    return v if v is None else str(v)


def same_result(conn: psycopg.Connection, a: str, b: str) -> bool:
    """Whether queries `a` and `b` return the same rows (as multisets, columns in any order, first 200 rows)."""
    ra, rb = _rows(conn, a), _rows(conn, b)
    return ra is not None and ra == rb


def agreement(conn: psycopg.Connection, sql: str, learned: LearnedAnswer | None, top: int = _AGREE_TOP) -> int:
    """The rank of the first of the learned translator's `top` candidates (best first) whose result equals that of
    `sql`; `top` when none does (two independent translators agreeing is evidence for both)."""
    if learned is None:
        return top
    mine = _rows(conn, sql)
    if mine is None:
        return top
    for k, cand in enumerate(learned.candidates[:top]):
        if _rows(conn, cand.sql) == mine:
            return k
    return top


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
_RULE_ONLY = (
    exp.Window,
    exp.Filter,
    exp.Case,
    exp.Extract,
    exp.DateTrunc,
    exp.TimestampTrunc,
    exp.Interval,
    exp.CurrentDate,
    exp.CurrentTimestamp,
    exp.Mul,
    exp.Div,
    exp.Sub,
    exp.Add,
)


def outside_sketches(sql: str, catalog: Catalog) -> bool:
    """Whether `sql` uses what only the rule translator writes (date ranges and arithmetic, time buckets, shares and
    windows, CASE, arithmetic between columns): constructs outside the learned translator's query class."""
    del catalog  # the constructs are in the SQL itself
    try:
        tree = sqlglot.parse_one(sql, dialect="postgres")
    except sqlglot.errors.ParseError:
        return False
    if any(tree.find(kind) is not None for kind in _RULE_ONLY):
        return True
    if any(c.to.is_type(*exp.DataType.TEMPORAL_TYPES) for c in tree.find_all(exp.Cast)):
        return True
    if any(lit.is_string and _DATE.match(lit.this) for lit in tree.find_all(exp.Literal)):
        return True
    return any(f.name.lower() in ("date_trunc", "now", "date_part", "to_char") for f in tree.find_all(exp.Anonymous))


def rule_features(rule_conf: float, learned: LearnedAnswer | None, rank: int) -> dict[str, float]:
    """The features of a rule-translator answer for its calibrated confidence; `rank`: `agreement`'s."""
    return {
        "rule_conf": rule_conf,
        "agree": float(rank == 0),
        "agree_top": float(rank < _AGREE_TOP),
        "agree_inv": 1.0 / (1.0 + rank),
        "learned_conf": learned.confidence if learned else 0.0,
        "learned_none": float(learned is None),
    }


class BuiltinGenerator:
    """The learned translator and the rule translator as one generator (see the module docstring)."""

    name = "built-in translator"

    def __init__(
        self,
        rules: Translator,
        conn: psycopg.Connection,
        learned: LearnedModel | None = None,
        *,
        trust_rules: bool = True,
    ) -> None:
        self.rules = rules
        self.conn = conn
        self.learned = learned
        self.trust_rules = trust_rules

    def generate(self, request: Request) -> Generated:
        translator = LearnedTranslator(request.catalog, self.conn, self.learned)
        model = translator.model
        try:
            answer = translator.best(request.question)
        except PgaiError:
            answer = None
        rule_sql, rule_conf, notes, problem = None, 0.0, [], ""
        try:
            t = self.rules.finish(request.reading) if request.reading else self.rules.translate(request.question)
            rule_sql, rule_conf, notes = t.sql, t.confidence, t.notes
        except TranslationError as exc:
            problem = str(exc)
        options: list[tuple[float, str, list[str]]] = []
        if answer is not None:
            options.append((answer.confidence, answer.sql, [f"learned: {answer.skeleton}"]))
        if rule_sql is not None:
            if outside_sketches(rule_sql, request.catalog):
                learned_sure = answer is not None and answer.confidence >= model.threshold
                conf = rule_conf if not learned_sure else min(rule_conf, answer.confidence - 1e-3)  # type: ignore[union-attr]
            else:
                rank = agreement(self.conn, rule_sql, answer)
                judge = model.rules_confidence
                conf = judge.prob(rule_features(rule_conf, answer, rank)) if judge else rule_conf
            options.append((conf, rule_sql, notes))
        options.sort(key=lambda o: -o[0])
        if self.trust_rules and rule_sql is not None and (not options or options[0][0] < model.threshold):
            conf = next(c for c, q, _ in options if q is rule_sql)
            request.validate(rule_sql)
            below = f"confidence {conf:.2f} is below the calibrated threshold {model.threshold:.2f}: check the SQL"
            return Generated(rule_sql, "translator", round(conf, 3), [*notes, below])
        if not options or options[0][0] < model.threshold:
            best = f" (best confidence {options[0][0]:.2f})" if options else ""
            if problem and not options:  # the rules' own refusal says why, and what to do
                raise TranslationError(refusal(problem))
            raise TranslationError(
                refusal(f"the built-in translator is not sure enough of an answer to {request.question!r}{best}")
            )
        conf, sql, why = options[0]
        request.validate(sql)
        return Generated(sql, "translator", round(conf, 3), why)

"""What the choice between the rule and the learned translator (nl2sql/route.py) reads of their answers.

`outside_sketches`: a rule answer using what only the rules write (date arithmetic and time buckets, shares and
windows, CASE, arithmetic between columns); `same_result` / `agreement`: whether a rule answer's result equals the
learned candidates' (read-only runs); `rule_features`: the features of a rule answer for the routing judge.
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
from pgai_magic.errors import PgaiError
from pgai_magic.nl2sql.learned.translate import LearnedAnswer

__all__ = ["agreement", "outside_sketches", "rule_features", "same_result"]

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

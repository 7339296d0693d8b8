"""Execution-accuracy comparison for the issue-13 NL→SQL evaluation (kept here, frozen, so that a
"before" and an "after" build are scored by the same rule whatever pgai_magic.nl2sql.evaluate becomes).

The rule, applied to the rows of the gold query and of the predicted query:

1. Column names are ignored, and so is column order.
2. Every gold column must be matched by a distinct predicted column holding the same values; predicted
   columns beyond those are allowed (an answer that shows extra, unrequested columns is right when the gold
   columns are a subset of it). A predicted result with fewer columns than the gold is wrong.
3. The number of rows must be equal; rows compare as multisets (order ignored) unless the gold's outermost
   SELECT has an ORDER BY. Then they compare in order, except that consecutive gold rows tied on the
   `order_key` columns (gold column indexes; default: all) may come in any order among themselves.
4. Values: numbers (int, float, Decimal) compare as floats with a relative tolerance of 1e-6 (absolute 1e-9
   near zero); a timestamp at midnight equals the date (a `date_trunc` of a date); other timestamps and dates
   compare by ISO text; an interval compares as its length in days; NULL equals NULL; booleans and text exactly.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
from collections.abc import Sequence
from typing import Any

import sqlglot
from sqlglot import exp

__all__ = ["gold_is_ordered", "normalize", "results_match"]

REL_TOL = 1e-6
ABS_TOL = 1e-9


def normalize(value: Any) -> Any:
    """A comparable form of one result value (see rule 4)."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int | float | decimal.Decimal):
        return float(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.replace(tzinfo=None).isoformat() if value.tzinfo is None else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds() / 86400.0
    if hasattr(value, "item"):  # numpy scalars
        return normalize(value.item())
    return str(value)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return math.isclose(a, b, rel_tol=REL_TOL, abs_tol=ABS_TOL)
    return type(a) is type(b) and a == b


def _key(value: Any) -> tuple[int, Any]:
    """A sort key that puts values of different types apart and rounds floats below the tolerance."""
    if value is None:
        return (0, 0)
    if isinstance(value, bool):
        return (1, int(value))
    if isinstance(value, float):
        return (2, float(f"{value:.5g}")) if math.isfinite(value) else (2, value)
    return (3, str(value))


def _rows_equal(gold: Sequence[tuple[Any, ...]], pred: Sequence[tuple[Any, ...]]) -> bool:
    return all(all(_same(g, p) for g, p in zip(gr, pr, strict=True)) for gr, pr in zip(gold, pred, strict=True))


def _multiset_equal(gold: Sequence[tuple[Any, ...]], pred: Sequence[tuple[Any, ...]]) -> bool:
    def sort(rows: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        return sorted(rows, key=lambda r: tuple(_key(v) for v in r))

    return _rows_equal(sort(gold), sort(pred))


def _ordered_equal(gold: list[tuple[Any, ...]], pred: list[tuple[Any, ...]], order_key: Sequence[int] | None) -> bool:
    keys = list(order_key) if order_key is not None else list(range(len(gold[0])))
    start = 0
    for end in range(1, len(gold) + 1):
        if end < len(gold) and all(_same(gold[end][k], gold[start][k]) for k in keys):
            continue  # still inside a run of rows tied on the order key
        if not _multiset_equal(gold[start:end], pred[start:end]):
            return False
        start = end
    return True


def gold_is_ordered(sql: str) -> bool:
    """Whether the gold query's outermost SELECT has an ORDER BY (then row order matters)."""
    tree = sqlglot.parse_one(sql, dialect="postgres")
    return isinstance(tree, exp.Select) and bool(tree.args.get("order"))


def results_match(
    gold: Sequence[Sequence[Any]],
    predicted: Sequence[Sequence[Any]],
    *,
    ordered: bool = False,
    order_key: Sequence[int] | None = None,
) -> bool:
    """Whether the `predicted` rows answer like the `gold` rows (rules in the module docstring)."""
    if len(gold) != len(predicted):
        return False
    if not gold:
        return True
    g_rows = [tuple(normalize(v) for v in row) for row in gold]
    p_rows = [tuple(normalize(v) for v in row) for row in predicted]
    n_gold, n_pred = len(g_rows[0]), len(p_rows[0])
    if n_pred < n_gold:
        return False

    def column(rows: list[tuple[Any, ...]], i: int) -> list[tuple[Any, ...]]:
        return [(row[i],) for row in rows]

    options = [
        [j for j in range(n_pred) if _multiset_equal(column(g_rows, i), column(p_rows, j))] for i in range(n_gold)
    ]

    def search(i: int, chosen: list[int]) -> bool:
        if i == n_gold:
            projected = [tuple(row[j] for j in chosen) for row in p_rows]
            if ordered:
                return _ordered_equal(g_rows, projected, order_key)
            return _multiset_equal(g_rows, projected)
        return any(search(i + 1, [*chosen, j]) for j in options[i] if j not in chosen)

    return search(0, [])

"""Execution accuracy: does a query's result answer the question like the gold query's result does?

Rules: values are normalised (numbers to 9 significant digits, midnight timestamps to dates); every gold
column must be matched by a distinct predicted column (extra predicted columns are allowed, column order
is free); rows compare as multisets, or as sequences when the gold query ends in ORDER BY … LIMIT.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections import Counter
from collections.abc import Sequence
from typing import Any

import sqlglot
from sqlglot import exp

__all__ = ["gold_is_ordered", "normalize", "results_match"]


def normalize(value: Any) -> Any:
    """A comparable form of a result value."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int | float | decimal.Decimal):
        number = float(value)
        return float(f"{number:.9g}")
    if isinstance(value, dt.datetime):
        if value.tzinfo is None and value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return normalize(value.item())
    return str(value)


def gold_is_ordered(sql: str) -> bool:
    """Whether the gold query's outermost SELECT has both ORDER BY and LIMIT (then row order matters)."""
    tree = sqlglot.parse_one(sql, dialect="postgres")
    return isinstance(tree, exp.Select) and bool(tree.args.get("order")) and bool(tree.args.get("limit"))


def results_match(gold: Sequence[Sequence[Any]], predicted: Sequence[Sequence[Any]], *, ordered: bool = False) -> bool:
    """Whether `predicted` rows answer like `gold` rows (see the module rules)."""
    if len(gold) != len(predicted):
        return False
    if not gold:
        return True
    g_rows = [tuple(normalize(v) for v in row) for row in gold]
    p_rows = [tuple(normalize(v) for v in row) for row in predicted]
    n_gold, n_pred = len(g_rows[0]), len(p_rows[0])
    if n_pred < n_gold:
        return False
    g_cols = [Counter(row[i] for row in g_rows) for i in range(n_gold)]
    p_cols = [Counter(row[j] for row in p_rows) for j in range(n_pred)]
    options = [[j for j in range(n_pred) if p_cols[j] == g_cols[i]] for i in range(n_gold)]
    target: Any = g_rows if ordered else Counter(g_rows)

    def search(i: int, chosen: list[int]) -> bool:
        if i == n_gold:
            projected = [tuple(row[j] for j in chosen) for row in p_rows]
            return (projected if ordered else Counter(projected)) == target
        return any(search(i + 1, [*chosen, j]) for j in options[i] if j not in chosen)

    return search(0, [])

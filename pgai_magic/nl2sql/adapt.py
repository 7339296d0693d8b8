"""Reuse a remembered query for a question that differs only in its literals (a year, a value, a k).

The literals of both questions are paired by kind and order; each changed literal is replaced in the
SQL's syntax tree (sqlglot), never in its text. When a literal of the remembered question cannot be
found in its SQL, the SQL is not reused.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlglot
from sqlglot import exp

__all__ = ["adapt_sql"]


def _as_number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _shift_year(text: str, old: int, new: int) -> str | None:
    """'2023-01-01' with old=2023,new=2024 -> '2024-01-01'; the following year moves too (range ends)."""
    try:
        day = dt.date.fromisoformat(text[:10])
    except ValueError:
        return None
    if day.year not in (old, old + 1):
        return None
    try:
        moved = day.replace(year=day.year + new - old)
    except ValueError:  # 29 February
        moved = day.replace(year=day.year + new - old, day=28)
    return moved.isoformat() + text[10:]


def _matches(tree: exp.Expr, kind: str, old: Any, new: Any, claimed: set[int]) -> list[tuple[exp.Expr, exp.Expr]]:
    """The literals of `tree` that carry `old`, each with its replacement (unclaimed nodes only)."""
    found: list[tuple[exp.Expr, exp.Expr]] = []
    old_num = _as_number(old)
    for node in tree.find_all(exp.Literal):
        if id(node) in claimed:
            continue
        replacement: exp.Expr | None = None
        if node.is_number:
            if kind in ("number", "year") and old_num is not None and float(node.this) == old_num:
                replacement = exp.Literal.number(new)
        else:
            text = str(node.this)
            if kind == "year" and isinstance(old, int) and isinstance(new, int):
                shifted = _shift_year(text, old, new)
                replacement = exp.Literal.string(shifted) if shifted is not None else None
            elif kind == "date" and text == str(old):
                replacement = exp.Literal.string(str(new))
            elif kind == "value" and text.lower() == str(old).lower():
                replacement = exp.Literal.string(str(new))
        if replacement is not None:
            found.append((node, replacement))
    return found


def adapt_sql(sql: str, old: list[tuple[str, Any]], new: list[tuple[str, Any]]) -> str | None:
    """`sql` with the literals of `old` replaced by those of `new`; None when they do not pair up."""
    if [k for k, _ in old] != [k for k, _ in new]:
        return None
    if old == new:
        return sql
    try:
        tree = sqlglot.parse_one(sql, dialect="postgres")
    except sqlglot.errors.SqlglotError:
        return None
    claimed: set[int] = set()
    edits: list[tuple[exp.Expr, exp.Expr]] = []
    for (kind, before), (_, after) in zip(old, new):
        if before == after:
            continue
        found = _matches(tree, kind, before, after, claimed)
        if not found:
            return None
        claimed |= {id(node) for node, _ in found}
        edits += found
    for node, replacement in edits:
        node.replace(replacement)
    return tree.sql(dialect="postgres", pretty=True)

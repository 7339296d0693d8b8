"""Which roles a linked word can play: a measure (summed, averaged), a dimension (grouped by, listed), an
identifier (never added up), and how a column ranks groups."""

from __future__ import annotations

from pgai_magic.catalog import Column, words
from pgai_magic.errors import TranslationError
from pgai_magic.nl2sql.linking import Mention

__all__ = ["WORSE_WHEN_HIGH", "default_agg", "dim_like", "groupable", "identifier_like", "measure_like"]


def measure_like(m: Mention | None) -> bool:
    """A word that can be summed or averaged: a measure concept or a numeric, non-key column."""
    if m is None:
        return False
    return m.kind == "concept" or (
        m.kind == "column"
        and bool(m.columns)
        and m.columns[0].is_numeric
        and not m.columns[0].is_key
        and not identifier_like(m.columns[0])
    )


def identifier_like(col: Column) -> bool:
    """A number that names a row rather than measuring it: 'id', 'patient_id', 'order_no', 'zip_code'."""
    name = words(col.name)
    return bool(name) and (name[-1] in ("id", "key", "code", "no", "nr", "uuid") or col.name.lower().endswith("id"))


def dim_like(m: Mention | None) -> bool:
    """A word that can be grouped by or listed: a table, or a column that is not a measure."""
    return m is not None and (m.kind == "table" or (m.kind == "column" and not measure_like(m)))


WORSE_WHEN_HIGH = frozenset(
    {"delay", "cost", "price", "error", "loss", "duration", "late", "lateness", "rank", "churn"}
)


def groupable(m: Mention) -> bool:
    """A number column one can group by when asked to: integers with few values ('by month', 'per year')."""
    col = m.column
    return (
        m.kind == "column"
        and col is not None
        and col.is_numeric
        and "int" in col.type
        and (col.n_distinct is None or col.n_distinct <= 1000)
    )


def default_agg(col: Column, direction: str) -> str:
    """How a column ranks groups: latest/earliest date, average price, total of other numbers."""
    if col.is_temporal:
        return "max" if direction == "desc" else "min"
    if not col.is_numeric:
        raise TranslationError(f"cannot rank by the text column {col.name}")
    return "avg" if "price" in col.name or "cost" in col.name else "sum"

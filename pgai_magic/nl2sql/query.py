"""What a question asks, independent of wording and language: measures, dimensions, filters, order and limit."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pgai_magic.catalog import Column
from pgai_magic.nl2sql.timeexpr import Bound

__all__ = ["Dim", "Filter", "Measure", "Plan"]


@dataclass
class Measure:
    """An aggregate: count of a table's rows, or agg(column) (count with distinct for distinct values)."""

    agg: str
    column: Column | None = None
    table: str | None = None
    distinct: bool = False
    column2: Column | None = None  # 'diff': the start date subtracted from `column`
    inner: str = "avg"  # 'diff': how the per-row differences are aggregated
    unit: str = "day"  # 'span' and 'diff': the unit of the result

    @property
    def home(self) -> str:
        return self.column.table if self.column is not None else str(self.table)


@dataclass
class Dim:
    """A group-by: a column, a whole table (its key and label), or a time bucket of a date column."""

    column: Column | None = None
    table: str | None = None
    bucket: str | None = None

    @property
    def home(self) -> str:
        return self.column.table if self.column is not None else str(self.table)


@dataclass
class Filter:
    """column op value(s); several values mean IN; `having` filters compare a measure instead."""

    column: Column | None
    op: str
    values: list[Any]
    negate: bool = False
    measure: Measure | None = None
    share: bool = False  # the condition of a percentage's numerator, not a WHERE
    at: int = -1  # the question item it came from


@dataclass
class Plan:
    """What the question asks, independent of wording and language."""

    measures: list[Measure] = field(default_factory=list)
    dims: list[Dim] = field(default_factory=list)
    filters: list[Filter] = field(default_factory=list)
    time: list[tuple[str, Bound]] = field(default_factory=list)
    time_column: Column | None = None
    order: tuple[Measure | Column, str] | None = None
    limit: int | None = None
    subject: str | None = None
    columns: list[Column] = field(default_factory=list)
    distinct: bool = False
    context: set[str] = field(default_factory=set)
    per_entity: str | None = None  # average, over this table's rows, of each row's measure
    anti: str | None = None  # 'never': rows of the subject with no related row in this table (NOT EXISTS)
    share: str | None = None  # 'rows': percentage meeting the `share` filters; 'total': percentage of the total
    fraction: bool = False  # the share as a fraction (0..1), not a percentage

    def tables(self) -> set[str]:
        needed = {m.home for m in self.measures} | {d.home for d in self.dims if d.column or d.table}
        needed |= {f.column.table for f in self.filters if f.column is not None}
        needed |= {f.measure.home for f in self.filters if f.measure is not None}
        needed |= {c.table for c in self.columns} | set(self.context)
        if self.subject:
            needed.add(self.subject)
        if self.per_entity:
            needed.add(self.per_entity)
        if self.time_column is not None:
            needed.add(self.time_column.table)
        if self.order is not None and isinstance(self.order[0], Column):
            needed.add(self.order[0].table)
        return needed

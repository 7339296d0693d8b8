"""What running SQL produced: one statement's result (Arrow rows, command tag, notices) and a cell's."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from pgai_magic.sqltext import Statement

__all__ = ["CellResult", "StatementResult"]


@dataclass
class StatementResult:
    """What one statement produced: rows as Arrow (or None), the server's command tag and row count, notices."""

    statement: Statement
    table: pa.Table | None
    rowcount: int
    command: str
    elapsed: float
    status: str = ""  # the command tag, e.g. "DELETE 3", "ROLLBACK"
    notices: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # pgai's own one-line notes (numeric kept exact, ...)
    interrupted: bool = False  # a Ctrl-C came after the server had finished it

    @property
    def returns_rows(self) -> bool:
        return self.table is not None


@dataclass
class CellResult:
    """The outcome of a cell: the last row-returning result (if any) and what each statement did."""

    value: Any
    results: list[StatementResult] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)  # `lead`, each statement's notices in order, then pgai's notes
    lead: list[str] = field(default_factory=list)  # the notices before the first statement ran (a reconnect)

    @property
    def total_rows(self) -> int | None:
        last = self.last_rows
        return None if last is None or last.table is None else last.table.num_rows

    @property
    def last_rows(self) -> StatementResult | None:
        for result in reversed(self.results):
            if result.returns_rows:
                return result
        return None

    def lines(self) -> list[str]:
        """What psql prints before the cell's value, in its order: `lead`, then each statement's notices and its
        command tag ('CREATE TABLE', 'INSERT 0 3', 'SELECT 5' for an earlier query; the last query's rows are the
        value, shown as its table), then pgai's own notes."""
        shown = self.last_rows if self.value is not None else None
        out = list(self.lead)
        for r in self.results:
            out += r.notices
            if r is not shown:
                out.append(r.status or r.command)
        said = len(self.lead) + sum(len(r.notices) for r in self.results)
        return out + self.notices[said:]

    def summary(self) -> str:
        """The server's command tag of the last statement, as psql prints it ('UPDATE 1', 'CREATE TABLE')."""
        if not self.results:
            return "no statement to run"
        last = self.results[-1]
        return last.status or last.command

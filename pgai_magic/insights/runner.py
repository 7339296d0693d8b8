"""The one fetch path of the insight engine: budget-bounded statements, counted rows."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import psycopg
from psycopg import sql

from pgai_magic.db import server_message, set_statement_timeout, translate
from pgai_magic.errors import InsightError, QueryCancelled

__all__ = ["OutOfBudget", "Runner", "StageLog"]


class OutOfBudget(Exception):
    """A statement could not run (or finish) inside the remaining time budget."""


@dataclass
class StageLog:
    """What one stage cost: seconds, rows fetched, sampled fraction, and whether it completed."""

    stage: str
    seconds: float
    rows: int
    fraction: float = 1.0
    done: bool = True
    note: str = ""


@dataclass
class Runner:
    """Runs the engine's statements on its own connection within a deadline; every row comes through `fetch`."""

    conn: psycopg.Connection
    budget_s: float
    reserve_s: float = 0.25  # kept for the rules and ranking after the last scan
    started: float = field(default_factory=time.perf_counter)
    rows_fetched: int = 0
    statements: int = 0
    log: list[StageLog] = field(default_factory=list)
    queries: list[str] = field(default_factory=list)  # every statement sent, as text
    _timeout_ms: int | None = None

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def remaining(self) -> float:
        """Seconds left for scans (the reserve for ranking excluded)."""
        return self.budget_s - self.reserve_s - self.elapsed

    def _set_timeout(self, seconds: float) -> None:
        if max(int(seconds * 1000), 1) != self._timeout_ms:
            self._timeout_ms = set_statement_timeout(self.conn, seconds)

    def execute(self, query: sql.Composable | str, params: Any = None, *, at_least_s: float = 0.0) -> None:
        """Run a statement that returns no rows (ANALYZE, CREATE TEMP TABLE) within the budget."""
        self._run(query, params, at_least_s, fetch=False)

    def fetch(self, query: sql.Composable | str, params: Any = None, *, at_least_s: float = 0.0) -> pd.DataFrame:
        """Run a query within the budget; its rows as a DataFrame, counted in rows_fetched.

        `at_least_s` lets a cheap, necessary statement (a catalog read) run even when the budget is spent.
        """
        rows, names = self._run(query, params, at_least_s, fetch=True)
        return pd.DataFrame(rows, columns=names)

    def rows(
        self, query: sql.Composable | str, params: Any = None, *, at_least_s: float = 0.0
    ) -> list[tuple[Any, ...]]:
        """As `fetch`, the rows as tuples (a catalog `Read`: pgai_magic.catalog reads through it)."""
        return self._run(query, params, at_least_s, fetch=True)[0]

    def _run(
        self, query: Any, params: Any, at_least_s: float, *, fetch: bool
    ) -> tuple[list[tuple[Any, ...]], list[str]]:
        allowed = max(self.remaining(), at_least_s)
        if allowed <= 0.01:
            raise OutOfBudget("no time left in the budget")
        self._set_timeout(allowed)
        self.statements += 1
        self.queries.append(query.as_string(self.conn) if isinstance(query, sql.Composable) else str(query))
        try:
            cur = self.conn.execute(query, params)
            if not fetch:
                return [], []
            rows = cur.fetchall()
        except psycopg.Error as exc:
            if isinstance(translate(exc), QueryCancelled):  # the statement timeout: the budget ran out
                raise OutOfBudget(f"stopped after {allowed:.2f} s") from None
            raise InsightError(f"the insight scan failed: {server_message(exc)}") from None
        self.rows_fetched += len(rows)
        names = [d.name for d in cur.description] if cur.description else []
        return rows, names

    def record(
        self, stage: str, started: float, rows_before: int, fraction: float = 1.0, *, done: bool = True, note: str = ""
    ) -> StageLog:
        entry = StageLog(stage, time.perf_counter() - started, self.rows_fetched - rows_before, fraction, done, note)
        self.log.append(entry)
        return entry

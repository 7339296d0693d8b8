"""The SQL runner: prepares a cell (split, checked, preprocessed, `:name`s bound) and runs it on a Database."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd

from pgai_magic.cell import convert
from pgai_magic.db import CellResult, Database, StatementResult
from pgai_magic.errors import ConfigError, PgaiError, QueryCancelled, SQLError
from pgai_magic.sqltext import (
    Statement,
    bind_parameters,
    check_positional,
    check_read_query,
    check_templates,
    split_statements,
)

__all__ = ["Format", "Limits", "Preprocessor", "SqlRunner"]

Format = Literal["pandas", "arrow", "polars"]
# A preprocessor rewrites one statement before parameters are bound (e.g. query-time embedding).
Preprocessor = Callable[[Statement, Mapping[str, Any]], Statement]


@dataclass(frozen=True)
class Limits:
    """How much a statement may take: `max_result_bytes` of one result (None: no limit), `read_timeout_s`
    seconds for the read-only path (generated SQL, model queries); `%config Pgai.*` sets them."""

    max_result_bytes: int | None = None
    read_timeout_s: float = 30.0


class SqlRunner:
    """Runs cells on `db`; `preprocessors` rewrite each statement, in order, before its parameters are bound."""

    def __init__(self, db: Database, preprocessors: Sequence[Preprocessor] = ()) -> None:
        self.db = db
        self.preprocessors: tuple[Preprocessor, ...] = tuple(preprocessors)

    def configure(self, limits: Limits) -> None:
        """Apply `limits` to every statement run from now on."""
        self.db.max_result_bytes = limits.max_result_bytes
        self.db.read_timeout_s = limits.read_timeout_s

    def prepare(self, query: str, namespace: Mapping[str, Any] | None = None) -> list[Statement]:
        """Split a cell into statements, apply the preprocessors and bind `:name` parameters from `namespace`.

        ConfigError for a `{name}` template or `$1` placeholder (SQL takes `:name`) or an unbound `:name`."""
        ns = namespace or {}
        prepared = []
        for stmt in split_statements(query):
            check_templates(stmt.text, ns)
            check_positional(stmt.text)
            for pre in self.preprocessors:
                stmt = pre(stmt, ns)
            prepared.append(bind_parameters(stmt, ns))
        return prepared

    def execute(
        self,
        query: str,
        namespace: Mapping[str, Any] | None = None,
        *,
        fmt: Format = "pandas",
        autolimit: int | None = None,
    ) -> CellResult:
        """Run every statement of `query`; the value is the last row-returning result in `fmt`.

        `autolimit` fetches at most that many rows of each query (None: all). Raises the pgai error of the
        first statement that fails (SQLError, QueryCancelled, …) with what ran before it in its notices."""
        statements = self.prepare(query, namespace)
        self.db.autolimit = autolimit
        try:
            return self._run(statements, query, namespace or {}, fmt)
        finally:
            self.db.autolimit = None

    def read(
        self,
        query: str,
        namespace: Mapping[str, Any] | None = None,
        *,
        what: str = "the query",
        fmt: Format = "pandas",
    ) -> CellResult:
        """Run a query given as an argument (`unload`): exactly one read query (`check_read_query`: a second
        statement, a write, a lock or a side-effect function is a ConfigError naming `what`, and nothing runs),
        preprocessed and `:name`-bound like a cell, then READ ONLY with the read-path timeout (Limits)."""
        (stmt,) = self.prepare(check_read_query(query, what=what, error=ConfigError), namespace)
        notice = self.db.ensure_alive()
        result = self.db.run_readonly(stmt, timeout_s=self.db.read_timeout_s)
        value = None if result.table is None else convert.as_format(result.table, fmt)
        notices = [*([notice] if notice else []), *result.notices, *result.notes]
        return CellResult(value=value, results=[result], notices=notices, lead=[notice] if notice else [])

    def _run(self, statements: list[Statement], query: str, namespace: Mapping[str, Any], fmt: Format) -> CellResult:
        notices = []
        notice = self.db.ensure_alive()
        if notice:
            notices.append(notice)
        results: list[StatementResult] = []
        for stmt in statements:
            try:
                result = self.db.run(stmt)
            except PgaiError as err:
                ran = [r.status or r.command for r in results]
                before = notices + ([f"ran before the error: {'; '.join(ran)}"] if ran else [])
                err.notices = before + list(err.notices)
                if isinstance(err, SQLError):
                    self._explain_sql_error(err, query, namespace)
                elif self.db.in_transaction:  # an error that is not the server's leaves its transaction as it is
                    err.notices.append(self.db.transaction_note())
                raise
            results.append(result)
            notices.extend(result.notices)
            if result.interrupted and stmt is not statements[-1]:  # Ctrl-C stops the cell, as the user meant
                stop = QueryCancelled(
                    f"interrupted: {result.status or result.command} had finished, the rest of the cell was not run"
                )
                done = "; ".join(r.status or r.command for r in results)
                stop.notices = [*notices, f"ran before the interrupt: {done}"]
                raise stop
        last = next((r for r in reversed(results) if r.table is not None), None)
        value = None if last is None else convert.as_format(last.table, fmt)  # type: ignore[arg-type]
        if last is not None and fmt == "polars":
            notices.extend(convert.for_polars(last.table)[1])  # type: ignore[arg-type]
        for r in results:
            notices.extend(n for n in r.notes if r is last or "interrupt" in n)
        return CellResult(value=value, results=results, notices=notices, lead=notices[: 1 if notice else 0])

    def _explain_sql_error(self, err: SQLError, query: str, namespace: Mapping[str, Any]) -> None:
        from pgai_magic.cell._hints import explain_sql_error

        explain_sql_error(err, query, namespace, self.db.control, transaction_failed=self.db.transaction_failed)

    def sql(self, query: str, /, **params: Any) -> pd.DataFrame:
        """Run SQL (`:name` placeholders bound from keyword arguments); the last result as a DataFrame (an
        empty one with attrs `status` and `rowcount` when no statement returned rows)."""
        result = self.execute(query, params)
        if isinstance(result.value, pd.DataFrame):
            return result.value
        frame = pd.DataFrame()
        frame.attrs["status"] = result.summary()
        frame.attrs["rowcount"] = result.results[-1].rowcount if result.results else 0
        return frame

"""The session facade: one connection plus the embedder, generator, model registry and insight engine."""

from __future__ import annotations


from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import psycopg
import pyarrow as pa

from pgai_magic import convert
from pgai_magic.db import Database, StatementResult
from pgai_magic.embed.base import Embedder
from pgai_magic.errors import ConfigError, ConnectionError, PgaiError, SQLError
from pgai_magic.migrations import apply_migrations
from pgai_magic.server import ensure_embedded, redact_dsn, resolve_dsn
from pgai_magic.sqltext import Statement, bind_parameters, split_statements
from pgai_magic.suggest import add_suggestion
from pgai_magic.vectors.service import Embeddings, EmbedResult, embedding_status, query_embedding

__all__ = ["Session", "CellResult", "connect"]

Format = Literal["pandas", "arrow", "polars"]
# A preprocessor rewrites one statement before parameters are bound (e.g. query-time embedding).
Preprocessor = Callable[["Session", Statement, Mapping[str, Any]], Statement]
EXTENSIONS = ("vector", "pg_trgm")


@dataclass
class CellResult:
    """The outcome of a cell: the last row-returning result (if any) and what each statement did."""

    value: Any
    results: list[StatementResult] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)

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

    def summary(self) -> str:
        """psql-like status of the last statement: 'CREATE TABLE', 'INSERT: 3 rows'."""
        if not self.results:
            return "no statement to run"
        last = self.results[-1]
        if last.rowcount >= 0 and last.command in ("INSERT", "UPDATE", "DELETE", "MERGE", "COPY"):
            return f"{last.command}: {last.rowcount} row{'s' if last.rowcount != 1 else ''} affected"
        return " ".join(last.statement.text.split()[:2]).upper() if last.command != "SELECT" else last.command


class Session:
    """A pgai_magic session on one PostgreSQL server (the embedded one when no DSN is given)."""

    preprocessors: list[Preprocessor] = []

    def __init__(
        self,
        dsn: str | None = None,
        *,
        data_dir: str | Path | None = None,
        embedded: bool = False,
        announce: Callable[[str], None] | None = None,
    ) -> None:
        self._announce = announce or (lambda message: None)
        resolved = None if embedded else resolve_dsn(dsn)
        embedded = None
        if resolved is None:
            embedded = ensure_embedded(Path(data_dir) if data_dir else None)
            resolved = embedded.dsn
        self.db = Database(resolved, embedded=embedded)
        self.extensions: dict[str, str | None] = {}
        self.setup_warnings: list[str] = []
        self._setup()
        if embedded is not None:
            self._announce(
                f"pgai: embedded PostgreSQL {self.server_version} + pgvector {self.extensions.get('vector') or '(missing)'} "
                f"ready in {embedded.started_in:.1f}s at {embedded.data_dir}"
            )
        else:
            self._announce(f"pgai: connected to {self.db.display_dsn} (PostgreSQL {self.server_version})")

    # -- set-up ------------------------------------------------------------------
    def _setup(self) -> None:
        conn = self.db.control
        for ext in EXTENSIONS:
            try:
                conn.execute(f"CREATE EXTENSION IF NOT EXISTS {ext}")  # names from a fixed tuple
            except psycopg.Error as exc:
                self.setup_warnings.append(f"extension {ext} is not available: {exc.diag.message_primary}")
        rows = conn.execute("SELECT extname, extversion FROM pg_extension WHERE extname = ANY(%s)", (list(EXTENSIONS),))
        self.extensions = {ext: None for ext in EXTENSIONS} | dict(rows.fetchall())
        if self.extensions.get("vector"):
            self.db.register_vector()
        try:
            apply_migrations(conn)
        except psycopg.Error as exc:
            raise PgaiError(f"could not install the pgai schema: {exc.diag.message_primary or exc}") from None
        self.server_version = str(conn.execute("SHOW server_version").fetchone()[0])  # type: ignore[index]

    @property
    def dsn(self) -> str:
        """The connection string in use (with its password; use `display_dsn` for output)."""
        return self.db.dsn

    @property
    def display_dsn(self) -> str:
        return redact_dsn(self.db.dsn)

    def close(self) -> None:
        self._stop_embedding_worker()
        self.db.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- SQL -----------------------------------------------------------------------
    def prepare(self, query: str, namespace: Mapping[str, Any] | None = None) -> list[Statement]:
        """Split a cell into statements, apply preprocessors and bind `:name` parameters."""
        ns = namespace or {}
        prepared = []
        for stmt in split_statements(query):
            for pre in self.preprocessors:
                stmt = pre(self, stmt, ns)
            prepared.append(bind_parameters(stmt, ns))
        return prepared

    def execute(self, query: str, namespace: Mapping[str, Any] | None = None, *, fmt: Format = "pandas") -> CellResult:
        """Run every statement of `query`; the value is the last row-returning result in `fmt`."""
        statements = self.prepare(query, namespace)
        notices = []
        notice = self.db.ensure_alive()
        if notice:
            notices.append(notice)
        results: list[StatementResult] = []
        for stmt in statements:
            try:
                results.append(self.db.run(stmt))
            except SQLError as err:
                if err.position is not None:
                    err.position = stmt.original_position(err.position) - stmt.offset
                    # show the statement as typed (parameters as :name), caret at the original place
                    end = _statement_end(query, stmt)
                    err.statement = query[stmt.offset : end]
                try:
                    add_suggestion(err, self.db.control)
                except ConnectionError:
                    pass
                if self.db.transaction_failed:
                    err.hint = ((err.hint + "\n") if err.hint else "") + (
                        "the transaction is aborted: run ROLLBACK to continue"
                    )
                raise
        last = next((r for r in reversed(results) if r.table is not None), None)
        value = None if last is None else self._convert(last.table, fmt)  # type: ignore[arg-type]
        return CellResult(value=value, results=results, notices=notices)

    @staticmethod
    def _convert(table: pa.Table, fmt: Format) -> Any:
        if fmt == "arrow":
            return convert.normalize_arrow(table)
        if fmt == "polars":
            return convert.to_polars(table)
        if fmt == "pandas":
            return convert.to_pandas(table)
        raise ConfigError(f"unknown result format {fmt!r}: use pandas, arrow or polars")

    def sql(self, query: str, /, **params: Any) -> pd.DataFrame:
        """Run SQL (`:name` placeholders bound from keyword arguments); the last result as a DataFrame."""
        result = self.execute(query, params)
        if isinstance(result.value, pd.DataFrame):
            return result.value
        frame = pd.DataFrame()
        frame.attrs["status"] = result.summary()
        frame.attrs["rowcount"] = result.results[-1].rowcount if result.results else 0
        return frame

    # -- status --------------------------------------------------------------------
    def status(self) -> dict[str, Any]:
        """Server, versions, extensions, where it runs; never a password."""
        info: dict[str, Any] = {
            "server": f"PostgreSQL {self.server_version}",
            "pgvector": self.extensions.get("vector") or "not installed",
            "pg_trgm": self.extensions.get("pg_trgm") or "not installed",
        }
        if self.db.embedded is not None:
            info["mode"] = "embedded"
            info["data directory"] = str(self.db.embedded.data_dir)
        else:
            info["mode"] = "external"
            info["connection"] = self.display_dsn
        info["in transaction"] = self.db.in_transaction
        for warning in self.setup_warnings:
            info.setdefault("warnings", []).append(warning)
        for extra in self.status_sections:
            info.update(extra(self))
        return info

    # capabilities add their own lines to `status` (embedder, LLM backend, ...)
    status_sections: list[Callable[[Session], dict[str, Any]]] = []

    # -- embeddings ---------------------------------------------------------------
    preprocessors.append(query_embedding)  # pgai.embed('text') in SQL -> a bound vector
    status_sections.append(embedding_status)  # model, dimension, device, embedded columns, worker

    @property
    def embeddings(self) -> Embeddings:
        """The embedding capability of this session (created on first use)."""
        service = self.__dict__.get("_embeddings")
        if service is None:
            service = self.__dict__["_embeddings"] = Embeddings(self)
        return service

    @property
    def embedder(self) -> Embedder:
        """The embedding model in use (the packaged all-MiniLM-L6-v2 unless set), loaded on first use."""
        return self.embeddings.embedder

    def set_embedder(self, embedder: Embedder | str | None = None, *, device: str | None = None) -> Embedder:
        """Use another embedder: an `Embedder`, a local model folder or a model in the HF cache (None: default)."""
        return self.embeddings.set_embedder(embedder, device=device)

    def embed(self, table_column: str, model: Embedder | str | None = None, batch_size: int | None = None,
              *, progress: bool = True) -> EmbedResult:
        """Embed TABLE.COLUMN into pgvector (side table pgai.<table>_<column>_embedding), index it, keep it in sync."""
        return self.embeddings.embed(table_column, model, batch_size, progress=progress)

    def similar(self, table_column: str, text: str, k: int = 5, where: str | None = None) -> pd.DataFrame:
        """The k rows of an embedded column most similar to `text`, with a `similarity` column, best first."""
        return self.embeddings.similar(table_column, text, k=k, where=where)

    def sync_embeddings(self, table_column: str | None = None) -> int:
        """Embed the rows queued by changes now, in the foreground; returns how many were handled."""
        return self.embeddings.sync(table_column)

    def embedded_columns(self) -> pd.DataFrame:
        """The embedded columns: model, dimension, vector table, key and rows pending."""
        return self.embeddings.columns()

    def _stop_embedding_worker(self) -> None:
        service = self.__dict__.get("_embeddings")
        if service is not None:
            service.stop_worker()


    # -- natural-language questions -------------------------------------------------

    # -- in-database inference -------------------------------------------------------

    # -- insights --------------------------------------------------------------------


def _statement_end(query: str, stmt: Statement) -> int:
    """Where `stmt` ends in the original cell (its next top-level semicolon or the end)."""
    for other in split_statements(query):
        if other.offset == stmt.offset:
            return other.offset + len(other.text)
    return len(query)


def connect(dsn: str | None = None, *, data_dir: str | Path | None = None, quiet: bool = False) -> Session:
    """Open a session: `dsn`, else PGAI_DSN / DATABASE_URL, else the embedded PostgreSQL."""
    return Session(dsn, data_dir=data_dir, announce=None if quiet else print)



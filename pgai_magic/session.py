"""The session facade: one connection plus the embedder, generator, model registry and insight engine."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

from pgai_magic import convert
from pgai_magic.db import CellResult, Database, StatementResult
from pgai_magic.embed.base import Embedder
from pgai_magic.errors import ConfigError, PgaiError, QueryCancelled, SQLError
from pgai_magic.inference.facade import ModelsFacade
from pgai_magic.migrations import install_extensions
from pgai_magic.privileges import install_state, needs_state
from pgai_magic.server import ensure_embedded, redact_dsn, resolve_dsn
from pgai_magic.sqltext import Statement, bind_parameters, check_positional, check_templates, split_statements
from pgai_magic.vectors.service import Embeddings, EmbedResult, connection_settings, query_embedding
from pgai_magic.vectors.status import embedding_status

if TYPE_CHECKING:
    from pgai_magic.catalog import Catalog
    from pgai_magic.nl2sql.llm import LLMBackend
    from pgai_magic.nl2sql.service import Answer, Asker

__all__ = ["CellResult", "Session", "connect"]

Format = Literal["pandas", "arrow", "polars"]
# A preprocessor rewrites one statement before parameters are bound (e.g. query-time embedding).
Preprocessor = Callable[["Session", Statement, Mapping[str, Any]], Statement]
EXTENSIONS = ("vector", "pg_trgm")
MAX_SEARCH_CHARS = 20_000  # a search text past this is a mistake (the model truncates long before)


class Session(ModelsFacade):
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
        server = None
        if resolved is None:
            server = ensure_embedded(Path(data_dir) if data_dir else None)
            resolved = server.dsn
        self.db = Database(resolved, embedded=server)
        self.extensions: dict[str, str | None] = {}
        self.last_notices: list[str] = []
        self.setup_warnings: list[str] = []
        self._setup()
        if server is not None:
            self._announce(
                f"pgai: embedded PostgreSQL {self.server_version} + pgvector "
                f"{self.extensions.get('vector') or '(missing)'} "
                f"ready in {server.started_in:.1f}s at {server.data_dir}"
            )
        else:
            self._announce(f"pgai: connected to {self.db.display_dsn} (PostgreSQL {self.server_version})")

    # -- set-up ------------------------------------------------------------------
    def _setup(self) -> None:
        conn = self.db.control
        self.setup_warnings.extend(install_extensions(conn, EXTENSIONS))
        rows = conn.execute("SELECT extname, extversion FROM pg_extension WHERE extname = ANY(%s)", (list(EXTENSIONS),))
        self.extensions = {ext: None for ext in EXTENSIONS}
        self.extensions.update(dict(rows.fetchall()))
        if self.extensions.get("vector"):
            self.db.register_vector()
        self.db.use_settings(connection_settings(self.extensions.get("vector")))  # hnsw.iterative_scan
        self.state_missing, warnings = install_state(conn)  # state_missing: why the pgai schema is unusable
        self.setup_warnings.extend(warnings)
        self.server_version = str(conn.execute("SHOW server_version").fetchone()[0])  # type: ignore[index]
        self.db.open_session()

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
            check_templates(stmt.text, ns)
            check_positional(stmt.text)
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
                result = self.db.run(stmt)
            except PgaiError as err:
                ran = [r.status or r.command for r in results]
                before = notices + ([f"ran before the error: {'; '.join(ran)}"] if ran else [])
                err.notices = before + list(err.notices)
                if isinstance(err, SQLError):
                    self._explain_sql_error(err, query, namespace or {})
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
        return CellResult(value=value, results=results, notices=notices)

    def _explain_sql_error(self, err: SQLError, query: str, namespace: Mapping[str, Any]) -> None:
        from pgai_magic.hints import explain_sql_error

        explain_sql_error(err, query, namespace, self.db.control, transaction_failed=self.db.transaction_failed)

    # -- data in and out ------------------------------------------------------------------------
    def persist(
        self,
        data: Any,
        table: str,
        *,
        schema: str | None = None,
        mode: str = "create",
        index: bool = False,
        progress: Callable[[int], None] | None = None,
    ) -> Any:
        """Write a pandas / polars DataFrame or Arrow table to `table` with binary COPY (workflow.persist).

        mode: "create" (the default: error if it exists), "append" or "replace". Returns a PersistResult.
        """
        from pgai_magic.workflow.persist import persist_frame

        return persist_frame(self.db.session, data, table, schema=schema, mode=mode, index=index, progress=progress)

    def load(
        self,
        path: str | Path,
        table: str | None = None,
        *,
        schema: str | None = None,
        mode: str = "create",
        delimiter: str | None = None,
        header: bool = True,
        encoding: str = "utf-8",
        progress: Callable[[int], None] | None = None,
    ) -> Any:
        """Load a CSV / Parquet file (read here, streamed) into a table named after the file unless given."""
        from pgai_magic.workflow.files import load_file

        return load_file(self.db.session, Path(path), table, schema=schema, mode=mode, delimiter=delimiter,
                         header=header, encoding=encoding, progress=progress)  # fmt: skip

    def unload(self, query: str, path: str | Path, *, namespace: Mapping[str, Any] | None = None) -> int:
        """Run `query` and write its rows to a CSV / Parquet file; returns the rows written."""
        from pgai_magic.workflow.files import write_result

        result = self.execute(query, namespace, fmt="arrow")
        if result.value is None:
            raise ConfigError("the query returned no rows to write (it must be a row-returning statement)")
        self.last_notices = result.notices  # e.g. ±infinity shown as the last / first date: the caller prints them
        return write_result(result.value, Path(path))

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

    @needs_state("embed", vector=True)
    def embed(
        self,
        table_column: str,
        model: Embedder | str | None = None,
        batch_size: int | None = None,
        *,
        progress: bool = True,
        **options: Any,
    ) -> EmbedResult:
        """Embed TABLE.COLUMN (or TABLE with template=/columns=, name=) into pgvector; options: Embeddings.embed."""
        return self.embeddings.embed(table_column, model, batch_size, progress=progress, **options)

    @needs_state("similar", vector=True)
    def similar(self, table_column: str, text: str, k: int = 5, where: str | None = None, **kw: Any) -> pd.DataFrame:
        """The k rows most similar to `text`, with a `similarity` column, best first (hybrid=True, model=M:
        Embeddings.similar).

        ConfigError for a text longer than MAX_SEARCH_CHARS (the model reads only its first few hundred words)."""
        if len(text) > MAX_SEARCH_CHARS:
            raise ConfigError(f"similar takes a text of at most {MAX_SEARCH_CHARS:,} characters, not {len(text):,}")
        return self.embeddings.similar(table_column, text, k=k, where=where, **kw)

    @needs_state("embedding sync", vector=True)
    def sync_embeddings(self, table_column: str | None = None) -> int:
        """Embed the rows queued by changes now, in the foreground; returns how many were handled."""
        return self.embeddings.sync(table_column)

    @needs_state("embedded columns")
    def embedded_columns(self) -> pd.DataFrame:
        """The embedded columns: model, dimension, vector table, key and rows pending."""
        return self.embeddings.columns()

    def _stop_embedding_worker(self) -> None:
        service = self.__dict__.get("_embeddings")
        if service is not None:
            service.stop_worker()

    # -- natural-language questions -------------------------------------------------
    def _questions(self) -> Asker:
        """The question pipeline (catalog, translator, LLM backend, question memory), made on first use."""
        asker: Asker | None = getattr(self, "_asker", None)
        if asker is None:
            from pgai_magic.nl2sql.service import Asker

            asker = self._asker = Asker(self)
        return asker

    def ask(
        self,
        question: str,
        *,
        dry_run: bool = False,
        accept: bool = False,
        schema: str | list[str] | None = None,
        generator: str = "auto",
        timeout_s: float = 30.0,
        remember: bool = True,
        use_memory: bool = True,
        on_answer: Callable[[Answer], None] | None = None,
    ) -> pd.DataFrame | str:
        """Answer a question in English or Chinese: the result as a DataFrame (SQL in `df.attrs["sql"]`).

        The SQL comes from the question memory (a verified similar question), else the built-in
        translator, else the LLM when one is configured; it runs read-only with a statement timeout.
        `dry_run` returns the SQL without running it; `accept` marks the answer verified;
        `on_answer` sees the answer (SQL and source) before it runs; `remember=False` keeps the
        question out of the memory and `use_memory=False` does not reuse remembered SQL.
        """
        asker = self._questions()
        answer = asker.translate(
            question,
            schema=schema,
            generator=generator,
            remember=remember or accept,
            use_memory=use_memory,
            timeout_s=timeout_s,
        )
        if accept:
            asker.accept(answer.question_id)
        if on_answer is not None:
            on_answer(answer)
        if dry_run:
            return answer.sql
        return asker.run(answer, timeout_s=timeout_s)

    def translate(
        self, question: str, *, schema: str | list[str] | None = None, generator: str = "auto", remember: bool = True
    ) -> Answer:
        """The SQL for a question (and where it came from) without running it."""
        return self._questions().translate(question, schema=schema, generator=generator, remember=remember)

    def accept_answer(self, question_id: int | None = None) -> int:
        """Mark the last answer (or question #id) verified: similar questions will reuse its SQL."""
        return self._questions().accept(question_id)

    def teach(self, question: str, sql: str, *, schema: str | list[str] | None = None) -> int:
        """Remember `sql` (guarded and planned first) as the verified answer to `question`; returns its id."""
        return self._questions().teach(question, sql, schema=schema)

    def question_history(self, *, limit: int = 50, verified: bool | None = None) -> pd.DataFrame:
        """The remembered questions, newest first."""
        return self._questions().history(limit=limit, verified=verified)

    def forget_question(self, question_id: int) -> None:
        """Remove question #id from the question memory."""
        self._questions().memory.forget(question_id)

    def use_llm(self, backend: LLMBackend | str | None) -> None:
        """Use this LLM backend for questions the translator cannot answer (None: none; 'env': from the environment)."""
        self._questions().use_llm(backend)

    @property
    def llm(self) -> LLMBackend | None:
        return self._questions().llm

    def catalog(self, schema: str | list[str] | None = None, *, refresh: bool = False) -> Catalog:
        """Tables, columns, keys, comments and values of `schema` (default: the search path)."""
        return self._questions().catalog(schema, refresh=refresh)

    def _question_status(self) -> dict[str, Any]:
        return self._questions().status()

    status_sections.append(_question_status)

    # -- insights --------------------------------------------------------------------
    def insights(
        self,
        table: str | None = None,
        query: str | None = None,
        measure: str | list[str] | None = None,
        time: str | None = None,
        dimensions: str | list[str] | None = None,
        top: int = 15,
        budget: float = 20.0,
        *,
        sample: float | None = None,
        progress: bool = False,
    ) -> pd.DataFrame:
        """Ranked, explained findings on a table or a query, computed by aggregate scans inside PostgreSQL.

        Returns a DataFrame ranked by score (kind, subject, score, summary, impact, p_value, q_value, …);
        `measure`, `time` and `dimensions` default to columns chosen from types, pg_stats and names, and
        the scans stay within `budget` seconds (sampling the table when they must; `sample` fixes the
        sampled fraction instead). The arguments are those of pgai_magic.insights.InsightsRequest (ConfigError
        when they do not fit together).
        """
        from pgai_magic.insights import InsightsRequest, find_insights

        request = InsightsRequest(table=table, query=query, measure=measure, time=time, dimensions=dimensions,
                                  top=top, budget=budget, sample=sample, progress=progress)  # fmt: skip
        self.db.ensure_alive()
        return find_insights(self.db, request)


def connect(dsn: str | None = None, *, data_dir: str | Path | None = None, quiet: bool = False) -> Session:
    """Open a session: `dsn`, else PGAI_DSN / DATABASE_URL, else the embedded PostgreSQL."""
    return Session(dsn, data_dir=data_dir, announce=None if quiet else print)

"""The session facade: wires one Database to the capabilities (SQL runner, vectors, models, questions, insights)
and exposes them with the design's verbs; it holds no logic of its own."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from pgai_magic.cell import Format, Limits, SqlRunner
from pgai_magic.db import CellResult, Database
from pgai_magic.embed.base import Embedder
from pgai_magic.errors import ConfigError
from pgai_magic.features.store import FeatureStore
from pgai_magic.inference.facade import Models
from pgai_magic.server import ensure_embedded, redact_dsn, resolve_dsn
from pgai_magic.setup import ServerState, Status, prepare_server, server_status
from pgai_magic.vectors.service import Embeddings, EmbedResult, connection_settings
from pgai_magic.vectors.status import embedding_status

if TYPE_CHECKING:
    from pgai_magic.inference.registry import ModelVersion
    from pgai_magic.nl2sql.service import Answer, Asker

__all__ = ["CellResult", "Limits", "Session", "connect"]


class Session:
    """A pgai_magic session on one PostgreSQL server (the embedded one when no DSN is given).

    `db` is the Database; the capabilities are `vectors` (embeddings and similarity search), `models`
    (in-database models; `models()` lists them), `features` (feature views and point-in-time training sets;
    `features()` lists them), `questions` (natural-language questions and their memory); the verbs `sql`,
    `execute`, `embed`, `similar`, `ask`, `deploy`, `train`, `define_features`, `training_set` and `insights`
    delegate to them.
    """

    def __init__(
        self,
        dsn: str | None = None,
        *,
        data_dir: str | Path | None = None,
        embedded: bool = False,
        announce: Callable[[str], None] | None = None,
    ) -> None:
        say = announce or (lambda message: None)
        resolved = None if embedded else resolve_dsn(dsn)
        server = None
        if resolved is None:
            server = ensure_embedded(Path(data_dir) if data_dir else None)
            resolved = server.dsn
        self.db = Database(resolved, embedded=server)
        self.state: ServerState = prepare_server(self.db, connection_settings)
        self.last_notices: list[str] = []
        self.vectors = Embeddings(self.state)
        self._runner = SqlRunner(self.db, [self.vectors.rewrite_sql])  # pgai.embed('text') in SQL -> a vector
        self.models = Models(self.state, self._runner.sql)
        self.features = FeatureStore(self.state)
        self._questions: Asker | None = None
        version = self.state.server_version
        if server is not None:
            say(
                f"pgai: embedded PostgreSQL {version} + pgvector "
                f"{self.state.extensions.get('vector') or '(missing)'} "
                f"ready in {server.started_in:.1f}s at {server.data_dir}"
            )
        else:
            say(f"pgai: connected to {self.db.display_dsn} (PostgreSQL {version})")

    @property
    def dsn(self) -> str:
        """The connection string in use (with its password; use `display_dsn` for output)."""
        return self.db.dsn

    @property
    def display_dsn(self) -> str:
        """The connection string with its password masked."""
        return redact_dsn(self.db.dsn)

    def close(self) -> None:
        """Stop the kernel's embedding worker and close the connections."""
        self.vectors.stop_worker()
        self.db.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- SQL -----------------------------------------------------------------------
    def configure(self, limits: Limits) -> None:
        """Apply `limits` (result size, read-only timeout) to every statement from now on (`%config Pgai.*`)."""
        self._runner.configure(limits)

    def execute(
        self,
        query: str,
        namespace: Mapping[str, Any] | None = None,
        *,
        fmt: Format = "pandas",
        autolimit: int | None = None,
    ) -> CellResult:
        """Run every statement of `query` (`:name`s bound from `namespace`); the value is the last row-returning
        result in `fmt` (SqlRunner.execute: `autolimit` rows at most per query, None for all)."""
        return self._runner.execute(query, namespace, fmt=fmt, autolimit=autolimit)

    def sql(self, query: str, /, **params: Any) -> pd.DataFrame:
        """Run SQL (`:name` placeholders bound from keyword arguments); the last result as a DataFrame."""
        return self._runner.sql(query, **params)

    # -- data in and out ------------------------------------------------------------------------
    def persist(self, data: Any, table: str, *, progress: Callable[[int], None] | None = None, **options: Any) -> Any:
        """Write a pandas / polars DataFrame or Arrow table to `table` with binary COPY (workflow.persist); the
        options are those of pgai_magic.workflow.request.PersistRequest (schema, mode: "create" — an error if it
        exists — "append" or "replace", index). Returns a PersistResult."""
        from pgai_magic.workflow.persist import persist_frame
        from pgai_magic.workflow.request import PersistRequest

        return persist_frame(self.db.session, data, PersistRequest(table, **options), progress=progress)

    def load(
        self,
        path: str | Path,
        table: str | None = None,
        *,
        progress: Callable[[int], None] | None = None,
        **options: Any,
    ) -> Any:
        """Load a CSV / Parquet file (read here, streamed) into a table named after the file unless given; the
        options are those of pgai_magic.workflow.request.LoadRequest (schema, mode, delimiter, header, encoding).
        A new table's ANALYZE may still run when it returns (the rows are committed): the next statement, and any
        use of the session's connections, waits for it (`db.statistics.wait()`)."""
        from pgai_magic.workflow.files import load_file
        from pgai_magic.workflow.request import LoadRequest

        request = LoadRequest(Path(path), table, **options)
        return load_file(self.db.session, request, progress=progress, analyze_later=self.db.statistics.start)

    def unload(
        self, query: str, path: str | Path, *, namespace: Mapping[str, Any] | None = None, replace: bool = False
    ) -> int:
        """Run `query` (one read query, run READ ONLY: SqlRunner.read) and write its rows to a CSV / Parquet file;
        returns the rows written. ConfigError for a second statement or one that writes, and for a file that
        exists unless `replace` (nothing runs)."""
        from pgai_magic.workflow.files import check_target, write_result

        check_target(Path(path), replace=replace)
        result = self._runner.read(query, namespace, what="the unload query", fmt="arrow")
        if result.value is None:
            raise ConfigError("the query returned no rows to write (it must be a row-returning statement)")
        self.last_notices = result.notices  # e.g. ±infinity shown as the last / first date: the caller prints them
        return write_result(result.value, Path(path))

    # -- status --------------------------------------------------------------------
    def status(self) -> Status:
        """Server, versions, extensions, where it runs, and each capability's lines; never a password."""
        return server_status(
            self.state, [embedding_status(self.vectors), self.questions.status(), self.models.status_lines()]
        )

    # -- embeddings (session.vectors) ---------------------------------------------------
    def embed(
        self, table_column: str, model: Embedder | str | None = None, batch_size: int | None = None, **options: Any
    ) -> EmbedResult:
        """Embed TABLE.COLUMN (or TABLE with template=/columns=, name=) into pgvector; the options are those of
        pgai_magic.vectors.request.EmbedRequest (chunk_tokens, chunk_overlap, language, progress, …)."""
        from pgai_magic.vectors.request import EmbedRequest

        return self.vectors.embed(EmbedRequest(table_column, model, batch_size, **options))

    def similar(self, table_column: str, text: str, k: int = 5, where: str | None = None, **kw: Any) -> pd.DataFrame:
        """The k rows most similar to `text`, with a `similarity` column, best first (hybrid=True, model=M:
        Embeddings.similar; ConfigError for an empty text or one past MAX_SEARCH_CHARS)."""
        return self.vectors.similar(table_column, text, k=k, where=where, **kw)

    def set_embedder(self, embedder: Embedder | str | None = None, *, device: str | None = None) -> Embedder:
        """Use another embedder: an `Embedder`, a local model folder or a model in the HF cache (None: default)."""
        return self.vectors.set_embedder(embedder, device=device)

    def sync_embeddings(self, table_column: str | None = None) -> int:
        """Embed the rows queued by changes now, in the foreground; returns how many were handled."""
        return self.vectors.sync(table_column)

    # -- models (session.models) -----------------------------------------------------------
    def deploy(
        self, estimator: Any, name: str, features: list[str] | str | None = None, **options: Any
    ) -> ModelVersion:
        """Compile a fitted estimator/Pipeline to pgai.predict_NAME as a new version (options: Models.deploy)."""
        return self.models.deploy(estimator, name, features, **options)

    def train(
        self, name: str, target: str, query: str | None = None, *, features: str | None = None,
        labels: str | None = None, label_time: str | None = None, ttl: str | None = None, **options: Any,
    ) -> ModelVersion:  # fmt: skip
        """Train on `query`'s rows with a held-out split and deploy as `name`; the options are those of
        pgai_magic.inference.request.TrainRequest (algorithm, test_size, task, random_state, params, strategy).

        Or train on feature views: `labels` (a read query of the entity, the label time and the `target` column)
        joined point-in-time with `features` (`view[@version][:feature],…`; `label_time`, `ttl` as for
        `training_set`); the model remembers the views, their versions and the training set (`model show`)."""
        from pgai_magic.inference.request import TrainRequest

        if (query is None) == (features is None or labels is None):
            raise ConfigError('train on --from "SELECT …", or on --features VIEW,… with --labels "SELECT …"')
        if query is not None:
            return self.models.train(TrainRequest(name, target, query, **options))
        built = self.features.training_query(str(labels), str(features), target, label_time=label_time, ttl=ttl)
        mv = self.models.train(TrainRequest(name, target, built.sql, lineage=built.lineage, **options))
        mv.notes = built.notes
        return mv

    # -- feature views (session.features) -----------------------------------------------------
    def define_features(self, name: str, entity: str, time: str, query: str | None = None, **options: Any) -> Any:
        """Define (or redefine: a new version) the feature view `name` over `query` (or table=T); the options are
        those of pgai_magic.features.ViewRequest (table, created, description). (FeatureView, whether a new
        version was made)."""
        from pgai_magic.features import ViewRequest

        return self.features.define(ViewRequest(name, entity, time, query, **options))

    def training_set(self, labels: str, features: str, **options: Any) -> Any:
        """Each row of `labels` with the features of `features` (`view[@version][:feature],…`) as of its label time,
        computed in PostgreSQL; the options are those of pgai_magic.features.TrainingSetRequest (label_time, ttl,
        into, strategy). A TrainingSet (its `frame`, or the table `into`)."""
        from pgai_magic.features import TrainingSetRequest

        return self.features.training_set(TrainingSetRequest(labels, features, **options))

    # -- natural-language questions (session.questions) -------------------------------------
    @property
    def questions(self) -> Asker:
        """The question pipeline (catalog, translator, LLM backend, question memory), made on first use."""
        if self._questions is None:
            from pgai_magic.nl2sql.embedding import LazyEmbedder
            from pgai_magic.nl2sql.service import Asker

            self._questions = Asker(self.db, LazyEmbedder(self.vectors))
        return self._questions

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
        asker = self.questions
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

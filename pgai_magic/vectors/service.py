"""The session's embedding capability: the embedder, `embed`, `similar`, query-time vectors, the kernel worker."""

from __future__ import annotations

import shlex
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from psycopg import sql

from pgai_magic.embed.base import Embedder
from pgai_magic.errors import ConfigError, EmbeddingError, QueryCancelled
from pgai_magic.sqltext import Statement
from pgai_magic.sqltext import quote_ident as _show
from pgai_magic.vectors import search as _search
from pgai_magic.vectors import sync
from pgai_magic.vectors.rewrite import rewrite_embed_calls
from pgai_magic.vectors.target import Target, get_target, list_targets, resolve_source
from pgai_magic.vectors.worker import BackgroundWorker, Drainer

if TYPE_CHECKING:
    from pgai_magic.session import Session

__all__ = ["DEFAULT_BATCH_SIZE", "EmbedResult", "Embeddings", "embedding_status", "query_embedding"]

DEFAULT_BATCH_SIZE = 256
DEFAULT_EF_SEARCH = 100


@dataclass
class EmbedResult:
    """What `embed` did: the column, where its vectors are, how many rows and how long."""

    target: Target
    rows: int
    seconds: float
    index_built: bool
    device: str
    index_seconds: float = 0.0

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0

    def summary(self) -> str:
        t = self.target
        keys = ", ".join(_show(k) for k in t.keys)  # every identifier quoted where needed: safe to paste
        table, column, emb = f"{_show(t.schema)}.{_show(t.table)}", _show(t.column), _show(t.embedding_column)
        return (
            f"embedded {self.rows:,} rows of {t.label} with {t.model} ({t.dim} dims, {self.device}) in "
            f"{self.seconds:.1f} s; vectors in {t.store_label}.{emb}, kept in sync by triggers "
            f"and a background worker.\n"
            f'search: %pgai similar {shlex.quote(f"{table}.{column}")} "your text"   or   '
            f"SELECT * FROM {table} JOIN {t.store_label} USING ({keys}) "
            f"ORDER BY {emb} <=> pgai.embed('your text') LIMIT 5"
        )

    def __repr__(self) -> str:
        return self.summary()


class Embeddings:
    """Per-session state: the default embedder, embedders met so far, the worker and its gate."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._default: Embedder | None = None
        self._known: dict[str, Embedder] = {}
        self.unavailable: dict[str, str] = {}  # models the kernel worker could not load, with why
        self.gate = threading.Lock()  # the kernel worker pauses while a foreground backfill runs
        self.worker: BackgroundWorker | None = None
        self.batch_size = DEFAULT_BATCH_SIZE
        self.ef_search = DEFAULT_EF_SEARCH  # HNSW candidates per search: more is slower, with better recall

    # -- embedders -------------------------------------------------------------------------
    @property
    def embedder(self) -> Embedder:
        if self._default is None:
            from pgai_magic.embed.sentence import load_embedder

            self._default = self._remember(load_embedder())
        return self._default

    @property
    def loaded(self) -> bool:
        return self._default is not None

    def set_embedder(self, embedder: Embedder | str | None = None, *, device: str | None = None) -> Embedder:
        """Use `embedder` (an Embedder, a local model folder or cached model name; None: the default)."""
        self._default = self._resolve(embedder, device)
        return self._default

    def _remember(self, embedder: Embedder) -> Embedder:
        if not isinstance(embedder, Embedder):
            raise ConfigError(f"{embedder!r} is not an embedder: it needs name, dim, device and embed_batch(texts)")
        self._known[embedder.name] = embedder
        return embedder

    def _resolve(self, model: Embedder | str | None, device: str | None = None) -> Embedder:
        if model is None and device is None:
            return self.embedder
        if model is not None and not isinstance(model, str):
            return self._remember(model)
        from pgai_magic.embed.sentence import load_embedder

        return self._remember(load_embedder(model, device))

    def for_model(self, name: str) -> Embedder:
        """The embedder that made vectors named `name` (the session's, one used before, or loaded)."""
        if self._default is not None and self._default.name == name:
            return self._default
        if name in self._known:
            return self._known[name]
        from pgai_magic.embed.sentence import load_embedder

        return self._remember(load_embedder(name))

    def embed_texts(self, texts: list[str], model: str | None = None) -> np.ndarray:
        """Vectors of `texts` with `model` (None: the session's embedder)."""
        embedder = self.embedder if model is None else self._resolve(model)
        return embedder.embed_batch(texts)

    # -- embed / sync --------------------------------------------------------------------------
    def embed(
        self,
        table_column: str,
        model: Embedder | str | None = None,
        batch_size: int | None = None,
        *,
        progress: bool = True,
    ) -> EmbedResult:
        """Embed every row of TABLE.COLUMN, build the HNSW index and keep the column in sync."""
        from tqdm.auto import tqdm

        size = batch_size or self.batch_size
        if size < 1:
            raise ConfigError(f"--batch-size must be at least 1, not {size}")
        conn = self.session.db.control
        source = resolve_source(conn, table_column)
        embedder = self._resolve(model)
        started = time.perf_counter()
        with self.gate:
            target, _ = sync.install(conn, source, embedder.name, embedder.dim)
            sync.enqueue_missing(conn, target)
            pending = sync.queue_length(conn, target)
            bar = tqdm(
                total=pending, unit="rows", desc=f"embedding {source.label}", disable=not progress or not pending
            )
            drainer = Drainer(self.session.dsn, application_name="pgai_magic embed")
            try:
                rows = drainer.drain(target, embedder, batch_size=size, progress=bar.update)
            except KeyboardInterrupt:
                raise QueryCancelled(
                    f"embedding interrupted after {bar.n:,} of {pending:,} rows; the rest stays queued: run "
                    f"%pgai embed {source.table}.{source.column} again to continue"
                ) from None
            finally:
                drainer.close()
                bar.close()
            stored = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(target.store_ident)).fetchone()[0]  # type: ignore[index]
            indexing = time.perf_counter()
            built = sync.create_index(conn, target, rows=int(stored))
            indexing = time.perf_counter() - indexing
        self.batch_size = size
        self.start_worker()
        return EmbedResult(target, rows, time.perf_counter() - started, built, embedder.device, indexing)

    def sync(self, table_column: str | None = None, batch_size: int | None = None) -> int:
        """Embed what is queued now, in the foreground (one column, or all); returns rows handled."""
        conn = self.session.db.control
        if table_column is None:
            targets = list_targets(conn)
        else:
            targets = [self.target(table_column)]
        drainer = Drainer(self.session.dsn, application_name="pgai_magic embed")
        total = 0
        try:
            with self.gate:
                for target in targets:
                    embedder = self.for_model(target.model)
                    total += drainer.drain(target, embedder, batch_size=batch_size or self.batch_size)
        finally:
            drainer.close()
        return total

    def target(self, table_column: str) -> Target:
        conn = self.session.db.control
        source = resolve_source(conn, table_column)
        target = get_target(conn, source)
        if target is None:
            raise ConfigError(
                f"{source.label} is not embedded yet: run %pgai embed {source.table}.{source.column} first"
            )
        return target

    def columns(self) -> pd.DataFrame:
        """Every embedded column with its model, side tables and pending rows."""
        conn = self.session.db.control
        rows = []
        for t in list_targets(conn):
            try:
                pending: int | None = sync.queue_length(conn, t)
            except Exception:  # noqa: BLE001 - a side table dropped by hand
                pending = None
            rows.append(
                {
                    "column": t.label,
                    "model": t.model,
                    "dim": t.dim,
                    "vectors": t.store_label,
                    "key": ", ".join(t.keys),
                    "pending": pending,
                }
            )
        return pd.DataFrame(rows, columns=["column", "model", "dim", "vectors", "key", "pending"])

    # -- search -----------------------------------------------------------------------------------
    def similar(self, table_column: str, text: str, k: int = 5, where: str | None = None) -> pd.DataFrame:
        """The k rows most similar to `text` (the table's columns plus `similarity`), best first."""
        if not isinstance(text, str) or not text.strip():
            raise ConfigError("similar needs a non-empty text to search for")
        target = self.target(table_column)
        vector = self.for_model(target.model).embed_batch([text])[0]
        return _search.search(self.session.db.control, target, vector, k=k, where=where, ef_search=self.ef_search)

    # -- the kernel worker --------------------------------------------------------------------------
    def _embedder_for(self, target: Target) -> Embedder | None:
        if target.model in self.unavailable:
            return None
        try:
            return self.for_model(target.model)
        except EmbeddingError as err:
            self.unavailable[target.model] = str(err)  # left to a worker that can load it
            return None

    def start_worker(self) -> BackgroundWorker:
        if self.worker is None or self.worker.dsn != self.session.dsn:
            if self.worker is not None:
                self.worker.stop()
            self.worker = BackgroundWorker(
                self.session.dsn, self._embedder_for, batch_size=self.batch_size, gate=self.gate
            )
        self.worker.batch_size = self.batch_size
        self.worker.start()
        return self.worker

    def stop_worker(self) -> None:
        if self.worker is not None:
            self.worker.stop()


def query_embedding(session: Session, stmt: Statement, namespace: Mapping[str, Any]) -> Statement:
    """Session preprocessor: `pgai.embed('text')` → `CAST($n AS vector)` bound to the embedding."""
    return rewrite_embed_calls(stmt, namespace, lambda texts, model: session.embeddings.embed_texts(texts, model))


def embedding_status(session: Session) -> dict[str, Any]:
    """The `status` lines of the embedding capability."""
    service = session.embeddings
    info: dict[str, Any] = {}
    try:
        embedder = service.embedder
    except EmbeddingError as err:
        return {"embedder": f"unavailable: {err}"}
    precision = getattr(embedder, "precision", "fp32")
    info["embedder"] = embedder.name
    info["embedding dimension"] = embedder.dim
    info["embedding device"] = f"{embedder.device} ({precision})"
    try:
        columns = service.columns()
    except Exception:  # noqa: BLE001 - status never fails
        columns = pd.DataFrame()
    if len(columns):
        info["embedded columns"] = "; ".join(
            f"{column} ({int(pending)} pending)" if pending and not pd.isna(pending) else str(column)
            for column, pending in zip(columns["column"], columns["pending"])
        )
    worker = service.worker
    pending = [str(c) for c, n in zip(columns.get("column", []), columns.get("pending", [])) if n and not pd.isna(n)]
    if pending and (worker is None or not worker.running):  # e.g. after a kernel restart: say how to resume
        info.setdefault("warnings", []).append(
            f"rows are pending in {', '.join(pending)} and no embedding worker runs in this kernel: "
            "%pgai embed TABLE.COLUMN (or session.sync_embeddings()) resumes them; "
            "`python -m pgai_magic worker` keeps them in sync outside the notebook"
        )
    for model, why in service.unavailable.items():
        info.setdefault("warnings", []).append(f"the embedding worker skips columns of {model}: {why}")
    if worker is not None:
        state = "running" if worker.running else "stopped"
        info["embedding worker"] = f"{state}, {worker.rows:,} rows synced" + (
            f", last error: {worker.errors[-1]}" if worker.errors else ""
        )
    return info

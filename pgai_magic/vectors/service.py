"""The embedding capability (`session.vectors`): the embedder, `embed`, `similar`, query-time vectors, the kernel
worker. It works on a `Database` given at construction, never on the session."""

from __future__ import annotations

import contextlib
import dataclasses
import shlex
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import psycopg
from psycopg import sql

from pgai_magic import catalog
from pgai_magic.db import scalar
from pgai_magic.display import counted
from pgai_magic.embed.base import Embedder
from pgai_magic.errors import ConfigError, EmbeddingError, QueryCancelled
from pgai_magic.setup import ServerState, requires
from pgai_magic.sqltext import Statement
from pgai_magic.sqltext import quote_ident as _show
from pgai_magic.vectors import search as _search
from pgai_magic.vectors import sync
from pgai_magic.vectors.chunking import chunk_sizes
from pgai_magic.vectors.request import EmbedRequest
from pgai_magic.vectors.rewrite import rewrite_embed_calls
from pgai_magic.vectors.target import (
    Options,
    Source,
    Target,
    activate,
    find_target,
    get_target,
    list_targets,
    resolve_source,
    resolve_template,
)
from pgai_magic.vectors.worker import BackgroundWorker, Drainer

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "MAX_SEARCH_CHARS",
    "EmbedResult",
    "Embeddings",
    "connection_settings",
]

DEFAULT_BATCH_SIZE = 256
DEFAULT_EF_SEARCH = 100
MAX_SEARCH_CHARS = 20_000  # a search text past this is a mistake (the model truncates long before)


@dataclass
class EmbedResult:
    """What `embed` did: the column, where its vectors are, how many rows and how long."""

    target: Target
    rows: int
    seconds: float
    index_built: bool
    device: str
    index_seconds: float = 0.0
    chunked_rows: int = 0  # rows whose text was split into several chunks
    chunk_tokens: int | None = None  # tokens per chunk (None: the embedder cannot count tokens)

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0

    def summary(self) -> str:
        t = self.target
        keys = ", ".join(_show(k) for k in t.keys)  # every identifier quoted where needed: safe to paste
        table, column, emb = f"{_show(t.schema)}.{_show(t.table)}", _show(t.column), _show(t.embedding_column)
        what = f"template {t.template!r} over {t.table}" if t.template else t.label
        chunked = (
            f"; {counted(self.chunked_rows, 'row')} longer than a chunk ({self.chunk_tokens} tokens) "
            f"{'was' if self.chunked_rows == 1 else 'were'} split into chunks"
            if self.chunked_rows
            else ""
        )
        return (
            f"embedded {counted(self.rows, 'row')} of {what} with {t.model} ({t.dim} dims, {self.device}) in "
            f"{self.seconds:.1f} s{chunked}; vectors in {t.store_label}.{emb}, kept in sync by "
            f"triggers and a background worker.\n"
            f'search: %pgai similar {shlex.quote(f"{table}.{column}")} "your text" [--hybrid]   or   '
            f"SELECT * FROM {table} JOIN {t.store_label} USING ({keys}) "
            f"ORDER BY {emb} <=> pgai.embed('your text') LIMIT 5"
            + ("   (one line per chunk: docs/embeddings.md shows the best chunk per row)" if self.chunked_rows else "")
        )

    def __repr__(self) -> str:
        return self.summary()


class Embeddings:
    """The embedding capability of one database: the default embedder, embedders met so far, the worker and
    its gate. It embeds and searches the tables of `state.db` (its control connection; the drainers and the
    worker open their own connections to `db.dsn`); `state` also says whether pgvector and the pgai schema
    are there (methods that need them raise PrivilegeError naming the GRANTs otherwise)."""

    def __init__(self, state: ServerState) -> None:
        self.state = state
        self.db = state.db
        self._default: Embedder | None = None
        self._known: dict[str, Embedder] = {}
        self.unavailable: dict[str, str] = {}  # models the kernel worker could not load, with why
        self.gate = threading.Lock()  # the kernel worker pauses while a foreground backfill runs
        self.worker: BackgroundWorker | None = None
        self.batch_size = DEFAULT_BATCH_SIZE
        self.ef_search = DEFAULT_EF_SEARCH  # HNSW candidates per search: more is slower, with better recall
        self._loader: threading.Thread | None = None  # the background load of the default model
        self._preloading = threading.Lock()
        self._loaded_default: Embedder | None = None
        self._load_error: BaseException | None = None
        self._load_started = 0.0
        self.load_seconds: float | None = None  # how long the default model took to load

    # -- embedders -------------------------------------------------------------------------
    def preload(self, after: threading.Event | None = None) -> None:
        """Start loading the default model in a background thread (no-op when loaded or loading); with `after`,
        the thread waits for that event first (other warm-up work) and counts as loading meanwhile.

        `embedder` then waits only for what is left of the load; `status` never waits.
        """
        with self._preloading:  # one load, whichever thread asks first
            if self._default is not None or self._loader is not None:
                return
            self._load_started = time.perf_counter()
            self._loader = threading.Thread(target=self._load_default, args=(after,), name="pgai-model-load",
                                            daemon=True)  # fmt: skip
            self._loader.start()

    def _load_default(self, after: threading.Event | None = None) -> None:
        from pgai_magic.embed.sentence import load_embedder

        if after is not None:
            after.wait()
        try:
            loaded = load_embedder()
            loaded.embed_batch(["warm up"])  # the first encode sets torch up: not in a question's time
            self._loaded_default = loaded
        except BaseException as exc:  # noqa: BLE001 - handed to whoever asks for the embedder
            self._load_error = exc
        self.load_seconds = time.perf_counter() - self._load_started

    @property
    def loading(self) -> bool:
        """True while the background load of the default model runs."""
        return self._loader is not None and self._loader.is_alive()

    @property
    def embedder(self) -> Embedder:
        if self._default is None:
            if self._loader is None:
                self.preload()
            assert self._loader is not None
            self._loader.join()
            if self._default is None:  # set_embedder may have chosen another one meanwhile
                if self._loaded_default is None:
                    self._loader = None  # the next call tries again
                    assert self._load_error is not None
                    raise self._load_error
                self._default = self._remember(self._loaded_default)
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
    @requires("embed", vector=True)
    def embed(self, request: EmbedRequest) -> EmbedResult:
        """Embed every row of TABLE.COLUMN (or of a `template` / `columns` of TABLE), index it, keep it in sync.

        Texts longer than `chunk_tokens` (default: the model's window) are split into chunks sharing
        `chunk_overlap` tokens; `language` is the full-text configuration of hybrid search (default
        english). Options left out keep the values of an earlier embed of the same column (EmbedRequest).
        Raises ConfigError for a bad name, template or option, EmbeddingError when the model cannot load.
        """
        from pgai_magic.display import progress as progress_bar

        size = request.batch_size or self.batch_size
        conn = self.db.control
        source = _source(conn, request.table_column, request.template, request.column_names, request.name)
        embedder = self._resolve(request.model)
        options = _options(conn, source, embedder, request.chunk_tokens, request.chunk_overlap, request.language)
        progress = request.progress
        started = time.perf_counter()
        with self.gate:
            target, _ = sync.install(conn, source, embedder.name, embedder.dim, options)
            sync.enqueue_missing(conn, target)
            pending = sync.queue_length(conn, target)
            bar = progress_bar(
                total=pending, unit=" rows", desc=f"embedding {source.label}", disable=not progress or not pending
            )
            drainer = Drainer(self.db.dsn, application_name="pgai_magic embed")
            try:
                rows = drainer.drain(target, embedder, batch_size=size, progress=bar.update)
            except KeyboardInterrupt:
                raise QueryCancelled(
                    f"embedding interrupted after {bar.n:,} of {pending:,} rows; the rest stays queued: run "
                    "the same %pgai embed again to continue"
                ) from None
            finally:
                drainer.close()
                bar.close()
            stored = scalar(conn, sql.SQL("SELECT count(*) FROM {}").format(target.store_ident))
            indexing = time.perf_counter()
            built = sync.create_index(conn, target, rows=int(stored))
            conn.execute(sql.SQL("ANALYZE {}").format(target.store_ident))  # word statistics of hybrid search
            indexing = time.perf_counter() - indexing
            chunked = sync.chunked_rows(conn, target)
            if not target.active:  # a new model's vectors are complete: it takes over (the old ones stay)
                activate(conn, target)
                target = dataclasses.replace(target, active=True)
        self.batch_size = size
        self.start_worker()
        sizes = chunk_sizes(embedder, target.chunk_tokens, target.chunk_overlap)
        elapsed = time.perf_counter() - started
        return EmbedResult(target, rows, elapsed, built, embedder.device, indexing, chunked, sizes.size)

    @requires("embedding sync", vector=True)
    def sync(self, table_column: str | None = None, batch_size: int | None = None) -> int:
        """Embed what is queued now, in the foreground (one column, or all); returns rows handled."""
        conn = self.db.control
        if table_column is None:  # every embedded column whose table still exists (a dropped one has nothing queued)
            targets = [t for t in list_targets(conn) if _table_exists(conn, t)]
        else:
            targets = [self.target(table_column)]
        drainer = Drainer(self.db.dsn, application_name="pgai_magic embed")
        total = 0
        try:
            with self.gate:
                for target in targets:
                    embedder = self.for_model(target.model)
                    total += drainer.drain(target, embedder, batch_size=batch_size or self.batch_size)
        finally:
            drainer.close()
        return total

    def target(self, table_column: str, model: str | None = None) -> Target:
        """The embedding TABLE.NAME (a column, or the name of a template) by `model` (None: the active one);
        ConfigError when not embedded."""
        conn = self.db.control
        if model is not None and model not in {t.model for t in list_targets(conn)}:
            from pgai_magic.embed.sentence import resolve_model

            with contextlib.suppress(EmbeddingError):
                model = resolve_model(model)[0]  # a model folder or a short name, as registered
        return find_target(conn, table_column, model)

    @requires("embedded columns")
    def columns(self) -> pd.DataFrame:
        """Every embedded column with its model, side tables and pending rows."""
        conn = self.db.control
        rows = []
        for t in list_targets(conn):
            try:
                pending: int | None = sync.queue_length(conn, t)
                chunked: int | None = sync.chunked_rows(conn, t)
            except Exception:  # noqa: BLE001 - a side table dropped by hand
                pending = chunked = None
            rows.append(
                {
                    "column": t.label,
                    "template": t.template,
                    "model": t.model,
                    "active": t.active,
                    "dim": t.dim,
                    "vectors": t.store_label,
                    "key": ", ".join(t.keys),
                    "pending": pending,
                    "chunked": chunked,
                }
            )
        names = ["column", "template", "model", "active", "dim", "vectors", "key", "pending", "chunked"]
        return pd.DataFrame(rows, columns=names)

    # -- search -----------------------------------------------------------------------------------
    @requires("similar", vector=True)
    def similar(
        self,
        table_column: str,
        text: str,
        k: int = 5,
        where: str | None = None,
        *,
        hybrid: bool = False,
        model: str | None = None,
    ) -> pd.DataFrame:
        """The k rows most similar to `text` (the table's columns plus `similarity`), best first, each once.

        A row split into chunks scores its best chunk (its text in a `chunk` column); `hybrid` fuses the
        ranking with full-text search of `text` by reciprocal-rank fusion (`rrf_score`). `model` picks the
        vectors of one of the column's models (default: the active one, the last embedded completely).
        ConfigError for an empty text or one longer than MAX_SEARCH_CHARS (the model reads only its first few
        hundred words).
        """
        if not isinstance(text, str) or not text.strip():
            raise ConfigError("similar needs a non-empty text to search for")
        if len(text) > MAX_SEARCH_CHARS:
            raise ConfigError(f"similar takes a text of at most {MAX_SEARCH_CHARS:,} characters, not {len(text):,}")
        target = self.target(table_column, model)
        conn = self.db.control
        vector = self.for_model(target.model).embed_batch([text])[0]
        return _search.search(
            conn,
            target,
            vector,
            k=k,
            where=where,
            ef_search=self.ef_search,
            hybrid_text=text if hybrid else None,
            exact=exact_word,
            chunked=sync.has_chunks(conn, target),
        )

    # -- query-time vectors ------------------------------------------------------------------------
    def rewrite_sql(self, stmt: Statement, namespace: Mapping[str, Any]) -> Statement:
        """A SQL runner preprocessor: `pgai.embed('text')` → `CAST($n AS vector)` bound to the embedding of
        'text' by this capability's embedder (or the model named in the call)."""
        return rewrite_embed_calls(stmt, namespace, self.embed_texts)

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
        if self.worker is None or self.worker.dsn != self.db.dsn:
            if self.worker is not None:
                self.worker.stop()
            self.worker = BackgroundWorker(self.db.dsn, self._embedder_for, batch_size=self.batch_size, gate=self.gate)
        self.worker.batch_size = self.batch_size
        self.worker.start()
        return self.worker

    def stop_worker(self) -> None:
        if self.worker is not None:
            self.worker.stop()


def _source(
    conn: psycopg.Connection,
    table_column: str,
    template: str | None,
    columns: Sequence[str] | None,
    name: str | None,
) -> Source:
    """What `embed` embeds: TABLE.COLUMN, or a template (or columns) of TABLE named `name`."""
    if template is not None and columns:
        raise ConfigError('give --template or --columns, not both (--columns a,b is the template "{a}\\n{b}")')
    if columns:
        names = [c.strip() for c in columns]
        if not all(names):
            raise ConfigError(f"--columns needs column names separated by commas, not {','.join(columns)!r}")
        template = "\n".join("{" + c + "}" for c in names)
    if template is not None:
        return resolve_template(conn, table_column, template, name)
    if name is not None:
        raise ConfigError("--name names the embedding of a --template or --columns; a column embeds under its name")
    return resolve_source(conn, table_column)


def _options(
    conn: psycopg.Connection,
    source: Source,
    embedder: Embedder,
    chunk_tokens: int | None,
    chunk_overlap: int | None,
    language: str | None,
) -> Options:
    """Chunk sizes and full-text configuration: as given, else as embedded before, else the defaults; checked."""
    before = get_target(conn, source, embedder.name) or get_target(conn, source)
    if chunk_tokens is None and before is not None:
        chunk_tokens = before.chunk_tokens
    if chunk_overlap is None and before is not None:
        chunk_overlap = before.chunk_overlap
    chunk_sizes(embedder, chunk_tokens, chunk_overlap)  # raises for sizes the model cannot take
    if language is None:
        language = before.text_search if before is not None else "english"
    found = conn.execute(
        "SELECT oid::regconfig::text FROM pg_ts_config WHERE cfgname = %s AND pg_ts_config_is_visible(oid)",
        (language,),
    ).fetchone()
    if found is None or found[0] is None:
        known = [r[0] for r in conn.execute("SELECT cfgname FROM pg_ts_config ORDER BY 1")]
        raise ConfigError(
            f"--language {language!r} is not a text search configuration here: use one of {', '.join(known)}"
        )
    return Options(chunk_tokens, chunk_overlap, found[0])


def exact_word(word: str) -> bool:
    """Whether hybrid search looks `word` up in full text by default: codes, SKUs, numbers, versions and
    acronyms (a digit, or a capital after the first letter: E1234, SKU-88213, v2, iPhone, VAT), the tokens
    an embedding model blurs; other words are left to the vectors (quote a name to look it up too)."""
    return any(ch.isdigit() for ch in word) or any(ch.isupper() for ch in word[1:])


def connection_settings(pgvector_version: str | None) -> dict[str, str]:
    """Settings for every connection pgai opens: pgvector's iterative index scans (0.8 and later) in strict
    order, so `ORDER BY embedding <=> ... LIMIT n` with a selective `WHERE` still returns n rows, and the
    ef_search `similar` uses. Other clients get the same with `options=-c hnsw.iterative_scan=strict_order`
    in their connection string, or `ALTER DATABASE ... SET hnsw.iterative_scan = strict_order`."""
    if not pgvector_version:
        return {}
    try:
        major_minor = tuple(int(part) for part in pgvector_version.split(".")[:2])
    except ValueError:
        return {}
    if major_minor < (0, 8):
        return {}
    return {"hnsw.iterative_scan": "strict_order", "hnsw.ef_search": str(DEFAULT_EF_SEARCH)}


def _table_exists(conn: psycopg.Connection, target: Target) -> bool:
    return catalog.relations_exist(catalog.reader(conn), [catalog.quoted_name(target.schema, target.table)])[0]

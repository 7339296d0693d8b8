"""The embedding worker: claim queued keys, embed their text, write vectors; crash-safe and shareable.

A batch is claimed with `FOR UPDATE SKIP LOCKED` and its queue rows are deleted in the same transaction
that writes its vectors, so a worker killed mid-batch loses nothing (the transaction rolls back and the
keys are claimable again) and nothing is written twice. Database reads and writes run in two threads
while the calling thread encodes, so the model never waits for the database.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import psycopg
from psycopg import sql

from pgai_magic import catalog
from pgai_magic.db import connect, wait_for_notify
from pgai_magic.display import counted
from pgai_magic.embed.base import Embedder
from pgai_magic.errors import EmbeddingError
from pgai_magic.vectors.chunking import Chunk, ChunkSizes, chunk_sizes, chunk_texts
from pgai_magic.vectors.sync import key_match
from pgai_magic.vectors.target import LAYOUT, Target, list_targets

__all__ = ["CHANNEL", "BackgroundWorker", "Drainer", "serve"]

CHANNEL = "pgai_embedding"
_STAGE = "pgai_stage_chunks"


@dataclass
class Batch:
    """One claimed batch, inside the open transaction of `conn`."""

    conn: psycopg.Connection
    claimed: int
    numbers: list[int] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    chunks: list[list[Chunk]] = field(default_factory=list)  # per text, filled by the encoding stage
    vectors: np.ndarray | None = None  # one row per chunk, in order


def _claim_table(target: Target) -> str:
    return f"pgai_claim_{target.id}"


class Drainer:
    """Embeds what is queued for a target with a claim → encode → write pipeline over a few connections."""

    def __init__(self, dsn: str, *, depth: int = 3, application_name: str = "pgai_magic worker") -> None:
        self.dsn = dsn
        self.depth = max(2, depth)
        self.application_name = application_name
        self._conns: list[psycopg.Connection] = []
        self._free: queue.Queue[psycopg.Connection] = queue.Queue()
        self._prepared: dict[int, set[int]] = {}

    # -- connections -------------------------------------------------------------------
    def _acquire(self, halt: threading.Event) -> psycopg.Connection | None:
        if self._free.empty() and len(self._conns) < self.depth:
            conn = connect(self.dsn, application_name=self.application_name)
            conn.execute(
                f"CREATE TEMP TABLE IF NOT EXISTS {_STAGE} (n int4, chunk int4, cs int4, ce int4, whole bool, "
                "body text, e vector) ON COMMIT DELETE ROWS"
            )
            conn.commit()
            self._conns.append(conn)
            self._prepared[id(conn)] = set()
            return conn
        while not halt.is_set():
            try:
                return self._free.get(timeout=0.1)
            except queue.Empty:
                continue
        return None

    def close(self) -> None:
        """Close every connection (an open batch rolls back: its keys stay queued)."""
        for conn in self._conns:
            with contextlib.suppress(Exception):
                conn.close()
        self._conns.clear()
        self._prepared.clear()
        self._free = queue.Queue()

    # -- the three stages ----------------------------------------------------------------
    def _claim(self, conn: psycopg.Connection, target: Target, batch_size: int) -> Batch:
        claim = sql.Identifier(_claim_table(target))
        keys = sql.SQL(", ").join(sql.Identifier(k) for k in target.keys)
        if target.id not in self._prepared[id(conn)]:
            conn.execute(
                sql.SQL(
                    "CREATE TEMP TABLE IF NOT EXISTS {} ON COMMIT DELETE ROWS AS "
                    "SELECT 0::int4 AS n, {} FROM {} WITH NO DATA"
                ).format(claim, keys, target.table_ident)
            )
            conn.commit()
            self._prepared[id(conn)].add(target.id)
        rows = conn.execute(
            sql.SQL(
                "WITH picked AS (SELECT {keys} FROM {queue} ORDER BY enqueued_at LIMIT %s FOR UPDATE SKIP LOCKED), "
                "claimed AS (DELETE FROM {queue} q USING picked p WHERE {qp} RETURNING {q_keys}), "
                "numbered AS (INSERT INTO {claim} SELECT row_number() OVER (), {keys} FROM claimed RETURNING *) "
                "SELECT c.n, {text} FROM numbered c LEFT JOIN {source} t ON {tc}"
            ).format(
                keys=keys,
                queue=target.queue_ident,
                qp=key_match(target, "q", "p"),
                q_keys=sql.SQL(", ").join(sql.Identifier("q", k) for k in target.keys),
                claim=claim,
                text=target.text_sql("t"),
                source=target.table_ident,
                tc=key_match(target, "t", "c"),
            ),
            (batch_size,),
        ).fetchall()
        batch = Batch(conn, claimed=len(rows))
        for n, text in sorted(rows, key=lambda r: len(r[1] or "")):  # similar lengths together: less padding
            if text is not None and text.strip():
                batch.numbers.append(n)
                batch.texts.append(text)
        return batch

    @staticmethod
    def _encode(batch: Batch, embedder: Embedder, dim: int, sizes: ChunkSizes) -> None:
        batch.chunks = chunk_texts(embedder, batch.texts, sizes)
        texts = [c.text for chunks in batch.chunks for c in chunks]
        vectors = np.asarray(embedder.embed_batch(texts), dtype=np.float32)
        if vectors.shape != (len(texts), dim):
            raise EmbeddingError(
                f"embedder {embedder.name!r} returned shape {vectors.shape} for {len(texts)} texts; "
                f"this column stores {dim}-dim vectors"
            )
        batch.vectors = vectors

    @staticmethod
    def _write(batch: Batch, target: Target) -> None:
        conn = batch.conn
        claim = sql.Identifier(_claim_table(target))
        with conn.cursor() as cur:
            if batch.numbers:
                with cur.copy(f"COPY {_STAGE} (n, chunk, cs, ce, whole, body, e) FROM STDIN (FORMAT BINARY)") as copy:
                    copy.set_types(["int4", "int4", "int4", "int4", "bool", "text", "vector"])
                    vectors = iter(batch.vectors)  # type: ignore[arg-type]
                    for n, chunks in zip(batch.numbers, batch.chunks):
                        for c in chunks:
                            copy.write_row((n, c.number, c.start, c.end, c.whole, c.text, next(vectors)))
                cur.execute(_upsert(target, claim), {"config": target.text_search})
            # rows deleted or with no text: no vector; a text now in fewer chunks: no chunks past its end
            cur.execute(
                sql.SQL(
                    "DELETE FROM {store} st USING {claim} c WHERE {match} "
                    "AND NOT EXISTS (SELECT FROM {stage} s WHERE s.n = c.n AND s.chunk = st.chunk)"
                ).format(
                    store=target.store_ident,
                    claim=claim,
                    match=key_match(target, "st", "c"),
                    stage=sql.Identifier(_STAGE),
                )
            )
        conn.commit()

    # -- the pipeline ----------------------------------------------------------------------
    def drain(
        self,
        target: Target,
        embedder: Embedder,
        *,
        batch_size: int = 256,
        progress: Callable[[int], Any] | None = None,
        stop: threading.Event | None = None,
    ) -> int:
        """Embed queued rows until the queue of `target` is empty (or `stop` is set); rows handled."""
        if embedder.dim != target.dim:
            raise EmbeddingError(
                f"{target.label} holds {target.dim}-dim vectors of {target.model!r}, but the embedder "
                f"{embedder.name!r} makes {embedder.dim}-dim ones: use that model, or embed the column again"
            )
        sizes = chunk_sizes(embedder, target.chunk_tokens, target.chunk_overlap)
        halt = threading.Event()
        failures: list[BaseException] = []
        read_q: queue.Queue[Batch | None] = queue.Queue(maxsize=1)
        write_q: queue.Queue[Batch | None] = queue.Queue(maxsize=1)
        done = [0]

        def stopped() -> bool:
            return halt.is_set() or (stop is not None and stop.is_set())

        def reader() -> None:
            try:
                while not stopped():
                    conn = self._acquire(halt)
                    if conn is None:
                        break
                    batch = self._claim(conn, target, batch_size)
                    if batch.claimed == 0:
                        conn.rollback()
                        self._free.put(conn)
                        break
                    _put(read_q, batch, halt)
            except BaseException as exc:  # noqa: BLE001 - handed to the calling thread
                failures.append(exc)
                halt.set()
            finally:
                _put(read_q, None, halt)

        def writer() -> None:
            try:
                for batch in _items(write_q, halt):
                    self._write(batch, target)
                    self._free.put(batch.conn)
                    done[0] += batch.claimed
                    if progress is not None:
                        progress(batch.claimed)
            except BaseException as exc:  # noqa: BLE001
                failures.append(exc)
                halt.set()

        threads = [
            threading.Thread(target=fn, name=f"pgai-embed-{fn.__name__}", daemon=True) for fn in (reader, writer)
        ]
        for thread in threads:
            thread.start()
        try:
            for batch in _items(read_q, halt):
                if batch.texts:
                    self._encode(batch, embedder, target.dim, sizes)
                _put(write_q, batch, halt)
        except BaseException as exc:  # noqa: BLE001 - Ctrl-C too: roll back, then re-raise below
            failures.append(exc)
            halt.set()
        finally:
            _put(write_q, None, halt)
            for thread in threads:
                thread.join()
        if failures:
            self.close()  # roll back every batch in flight: its keys stay queued
            raise failures[0]
        return done[0]


def _upsert(target: Target, claim: sql.Identifier) -> sql.Composed:
    """Move the staged chunks of a batch into the store (chunk text kept only for texts that were split)."""
    keys = sql.SQL(", ").join(sql.Identifier(k) for k in target.keys)
    c_keys = sql.SQL(", ").join(sql.Identifier("c", k) for k in target.keys)
    return sql.SQL(
        "INSERT INTO {store} ({keys}, chunk, chunk_start, chunk_end, chunk_text, {emb}, text_search) "
        "SELECT {c_keys}, s.chunk, s.cs, s.ce, CASE WHEN s.whole THEN NULL ELSE s.body END, s.e, "
        "to_tsvector(%(config)s::regconfig, s.body) FROM {stage} s JOIN {claim} c ON c.n = s.n "
        "ORDER BY {c_keys}, s.chunk ON CONFLICT ({keys}, chunk) DO UPDATE SET {emb} = excluded.{emb}, "
        "chunk_start = excluded.chunk_start, chunk_end = excluded.chunk_end, chunk_text = excluded.chunk_text, "
        "text_search = excluded.text_search, embedded_at = now(), writes = {store}.writes + 1"
    ).format(
        store=target.store_ident,
        keys=keys,
        emb=sql.Identifier(target.embedding_column),
        c_keys=c_keys,
        stage=sql.Identifier(_STAGE),
        claim=claim,
    )


def _put(q: queue.Queue[Batch | None], item: Batch | None, halt: threading.Event) -> None:
    while True:
        try:
            q.put(item, timeout=0.1)
            return
        except queue.Full:
            if halt.is_set():
                return


def _items(q: queue.Queue[Batch | None], halt: threading.Event) -> Iterator[Batch]:
    while not halt.is_set():
        try:
            item = q.get(timeout=0.1)
        except queue.Empty:
            continue
        if item is None:
            return
        yield item


def live_targets(conn: psycopg.Connection) -> list[Target]:
    """Registered targets whose source table and side tables still exist (and of this version's layout)."""
    alive = []
    read = catalog.reader(conn)
    for target in list_targets(conn):
        if target.layout != LAYOUT:  # embedded by an older pgai_magic: `embed` rebuilds it
            continue
        names = [
            catalog.quoted_name(target.schema, target.table),
            catalog.quoted_name("pgai", target.store),
            catalog.quoted_name("pgai", target.queue),
        ]
        if all(catalog.relations_exist(read, names)):  # one query per target
            alive.append(target)
    return alive


def serve(
    dsn: str,
    embedder_for: Callable[[Target], Embedder | None],
    *,
    batch_size: int = 256,
    once: bool = False,
    stop: threading.Event | None = None,
    idle_s: float = 10.0,
    gate: threading.Lock | None = None,
    log: Callable[[str], None] = lambda message: None,
    progress: Callable[[int], Any] | None = None,
) -> int:
    """Drain every embedded column's queue; with `once` return when all are empty, else wait for changes."""
    stop = stop or threading.Event()
    total = 0
    listener = connect(dsn, autocommit=True, application_name="pgai_magic worker")
    drainer = Drainer(dsn)
    try:
        listener.execute(f"LISTEN {CHANNEL}")
        while not stop.is_set():
            handled = 0
            for target in live_targets(listener):
                embedder = embedder_for(target)
                if embedder is None or stop.is_set():
                    continue
                with gate if gate is not None else contextlib.nullcontext():
                    started = time.perf_counter()
                    count = drainer.drain(target, embedder, batch_size=batch_size, stop=stop, progress=progress)
                if count:
                    log(f"{target.label}: {counted(count, 'row')} in {time.perf_counter() - started:.1f} s")
                handled += count
            total += handled
            if handled:
                continue
            if once:
                break
            wait_for_notify(listener, stop, idle_s)  # a trigger's NOTIFY, or a poll should one be missed
    finally:
        drainer.close()
        listener.close()
    return total


class BackgroundWorker:
    """`serve` in a daemon thread of the kernel: keeps embedded columns in sync as rows change."""

    def __init__(
        self,
        dsn: str,
        embedder_for: Callable[[Target], Embedder | None],
        *,
        batch_size: int = 256,
        gate: threading.Lock | None = None,
    ) -> None:
        self.dsn = dsn
        self.embedder_for = embedder_for
        self.batch_size = batch_size
        self.gate = gate
        self.stop_event = threading.Event()
        self.errors: list[str] = []
        self.rows = 0
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if self.running:
            return
        self.stop_event.clear()
        self._thread = threading.Thread(target=self._run, name="pgai-embedding-worker", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        delay = 1.0
        while not self.stop_event.is_set():
            try:
                serve(
                    self.dsn,
                    self.embedder_for,
                    batch_size=self.batch_size,
                    stop=self.stop_event,
                    gate=self.gate,
                    progress=self._count,
                )
                delay = 1.0
            except Exception as exc:  # noqa: BLE001 - recorded for status, then retried
                first = str(exc).splitlines()[0] if str(exc) else ""
                self.errors = [*self.errors[-4:], f"{type(exc).__name__}: {first}"]
                self.stop_event.wait(delay)
                delay = min(delay * 2, 60.0)

    def _count(self, rows: int) -> None:
        self.rows += rows

    def stop(self, timeout: float = 10.0) -> None:
        self.stop_event.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self._thread = None

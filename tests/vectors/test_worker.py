"""Workers: a SIGKILL mid-backfill loses nothing and embeds nothing twice; workers share one queue; the CLI."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import psycopg
import pytest

from pgai_magic.__main__ import main
from pgai_magic.datasets import faq
from pgai_magic.embed.sentence import SentenceTransformerEmbedder
from pgai_magic.errors import EmbeddingError
from pgai_magic.session import Session
from pgai_magic.vectors.sync import enqueue_missing, install
from pgai_magic.vectors.target import Target, resolve_source
from pgai_magic.vectors.worker import Drainer
from tests.pg_helpers import scalar

ROOT = Path(__file__).resolve().parents[2]


def make_queued_table(conn: psycopg.Connection, schema: str, rows: int, minilm: SentenceTransformerEmbedder) -> Target:
    """A table of `rows` support texts, registered and fully queued, but not embedded yet."""
    conn.execute(f"CREATE TABLE {schema}.tickets (id integer PRIMARY KEY, body text)")
    texts = [q for _, q, _, _ in faq.ENTRIES] + [p for p, _ in faq.paraphrases()]
    with conn.cursor() as cur, cur.copy(f"COPY {schema}.tickets (id, body) FROM STDIN") as copy:
        for i in range(rows):
            copy.write_row((i, f"{texts[i % len(texts)]} (ticket {i})"))
    target, _ = install(conn, resolve_source(conn, f"{schema}.tickets.body"), minilm.name, minilm.dim)
    assert enqueue_missing(conn, target) == rows
    return target


def counts(conn: psycopg.Connection, target: Target) -> tuple[int, int, int]:
    """(vectors stored, rows still queued, highest write count)."""
    stored, most = conn.execute(f'SELECT count(*), coalesce(max(writes), 0) FROM pgai."{target.store}"').fetchone()  # type: ignore[misc]
    queued = scalar(conn, f'SELECT count(*) FROM pgai."{target.queue}"')
    return stored, queued, most


@pytest.fixture()
def quiet_kernel_worker(esession: Session) -> Iterator[None]:
    """Stop the session's background worker so only the workers under test touch the queue."""
    esession.vectors.stop_worker()
    yield
    esession.vectors.start_worker()


@pytest.mark.slow
def test_sigkill_mid_backfill_loses_nothing_and_embeds_once(
    esession: Session,
    conn: psycopg.Connection,
    schema: str,
    drop_targets: None,
    pg_dsn: str,
    minilm: SentenceTransformerEmbedder,
    quiet_kernel_worker: None,
) -> None:
    total = 400
    target = make_queued_table(conn, schema, total, minilm)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "pgai_magic", "worker", "--dsn", pg_dsn, "--once", "--batch-size", "8"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        cwd=ROOT,
    )
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and proc.poll() is None:
            if counts(conn, target)[0] >= 24:  # a few batches committed, more in flight: kill it now
                proc.send_signal(signal.SIGKILL)
                break
            time.sleep(0.02)
        output = proc.communicate(timeout=30)[0].decode(errors="replace")
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL, output
    # the killed worker's open transactions roll back: its claimed keys are back in the queue
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        stored, queued, most = counts(conn, target)
        if stored + queued == total:
            break
        time.sleep(0.1)
    assert 0 < stored < total and stored + queued == total and most == 1, (stored, queued, output)
    # another worker finishes the job
    assert esession.sync_embeddings(f"{schema}.tickets.body") == queued
    assert counts(conn, target) == (total, 0, 1)  # every row embedded exactly once
    (mismatch,) = conn.execute(
        f'SELECT count(*) FROM {schema}.tickets t JOIN pgai."{target.store}" e USING (id) '
        f"WHERE e.body_embedding IS NULL"
    ).fetchone()  # type: ignore[misc]
    assert mismatch == 0


class Flaky:
    """MiniLM that fails on its third batch, like a worker crashing mid-backfill."""

    def __init__(self, inner: SentenceTransformerEmbedder) -> None:
        self.inner, self.name, self.dim, self.device = inner, inner.name, inner.dim, inner.device
        self.calls = 0

    def embed_batch(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        if self.calls == 3:
            raise EmbeddingError("out of memory (simulated)")
        return self.inner.embed_batch(texts)


def test_a_failing_batch_rolls_back_and_the_rest_stays_queued(
    conn: psycopg.Connection,
    schema: str,
    drop_targets: None,
    pg_dsn: str,
    minilm: SentenceTransformerEmbedder,
    quiet_kernel_worker: None,
) -> None:
    target = make_queued_table(conn, schema, 100, minilm)
    drainer = Drainer(pg_dsn)
    try:
        with pytest.raises(EmbeddingError, match="simulated"):
            drainer.drain(target, Flaky(minilm), batch_size=10)
        stored, queued, most = counts(conn, target)
        assert stored + queued == 100 and stored <= 20 and most <= 1
        assert drainer.drain(target, minilm, batch_size=10) == queued
    finally:
        drainer.close()
    assert counts(conn, target) == (100, 0, 1)


def test_several_workers_share_one_queue(
    conn: psycopg.Connection,
    schema: str,
    drop_targets: None,
    pg_dsn: str,
    minilm: SentenceTransformerEmbedder,
    quiet_kernel_worker: None,
) -> None:
    target = make_queued_table(conn, schema, 240, minilm)
    done: list[int] = []
    drainers = [Drainer(pg_dsn), Drainer(pg_dsn)]

    def work(drainer: Drainer) -> None:
        done.append(drainer.drain(target, minilm, batch_size=8))

    threads = [threading.Thread(target=work, args=(d,)) for d in drainers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    for drainer in drainers:
        drainer.close()
    assert len(done) == 2 and sum(done) == 240
    assert counts(conn, target) == (240, 0, 1)  # SKIP LOCKED: no row claimed by both


def test_cli_worker_once_drains_and_exits(
    conn: psycopg.Connection,
    schema: str,
    drop_targets: None,
    pg_dsn: str,
    minilm: SentenceTransformerEmbedder,
    quiet_kernel_worker: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    target = make_queued_table(conn, schema, 30, minilm)
    assert main(["worker", "--dsn", pg_dsn, "--once", "--batch-size", "7"]) == 0
    assert counts(conn, target) == (30, 0, 1)
    out = capsys.readouterr().out
    assert f"{schema}.tickets.body: 30 rows" in out and "done:" in out
    assert "postgres:@" not in out or "password" not in out


def test_cli_argument_errors(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("PGAI_DSN", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setattr("pgai_magic.server._embedded.jupysql_dsn", lambda: None)
    assert main(["worker"]) == 2
    assert "--dsn" in capsys.readouterr().err
    assert main(["worker", "--dsn", "postgresql://x@localhost/db", "--batch-size", "0"]) == 2
    assert "--batch-size must be at least 1" in capsys.readouterr().err

"""Embedding faults: workers SIGKILLed at random moments lose nothing and embed nothing twice; two kernels at once."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psycopg
import pytest

from pgai_magic.session import Session
from pgai_magic.vectors.sync import enqueue_missing, install
from pgai_magic.vectors.target import Target, resolve_source
from tests.pg_helpers import scalar
from tests.tiny_model import build_tiny_model

pytestmark = pytest.mark.slow  # SIGKILL storms and a 50k-row backfill: minutes, by nature

ROOT = Path(__file__).resolve().parents[2]

WORDS = "order parcel refund invoice account password delivery broken late charge card address".split()


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("tiny")
    os.chmod(folder, 0o755)
    return str(build_tiny_model(folder))


def _fill(conn: psycopg.Connection, table: str, rows: int, start: int = 0) -> None:
    rng = random.Random(start)
    with conn.cursor() as cur, cur.copy(f"COPY {table} (id, body) FROM STDIN") as copy:
        for i in range(start, start + rows):
            copy.write_row((i, " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 30)))))


def _state(conn: psycopg.Connection, target: Target) -> tuple[int, int, int, int]:
    """(vectors, queued, min writes, max writes)."""
    stored, low, high = conn.execute(
        f'SELECT count(*), coalesce(min(writes), 0), coalesce(max(writes), 0) FROM pgai."{target.store}"'
    ).fetchone()  # type: ignore[misc]
    queued = scalar(conn, f'SELECT count(*) FROM pgai."{target.queue}"')
    return stored, queued, low, high


def _worker(dsn: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "pgai_magic", "worker", "--dsn", dsn, "--once", "--batch-size", "500", "--quiet"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )


def test_backfill_of_50k_rows_survives_random_sigkills(
    conn: psycopg.Connection, schema: str, pg_dsn: str, session: Session, tiny_model: str
) -> None:
    total = 50_000
    conn.execute(f"CREATE TABLE {schema}.bulk (id integer PRIMARY KEY, body text)")
    _fill(conn, f"{schema}.bulk", total)
    target, _ = install(conn, resolve_source(conn, f"{schema}.bulk.body"), tiny_model, 16)
    assert enqueue_missing(conn, target) == total
    rng = random.Random(20261121)
    workers = [_worker(pg_dsn), _worker(pg_dsn)]
    kills = 0
    deadline = time.monotonic() + 600
    try:
        while time.monotonic() < deadline:
            time.sleep(rng.uniform(0.3, 2.5))
            alive = [w for w in workers if w.poll() is None]
            queued = _state(conn, target)[1]
            if kills < 8 and alive and queued > 2_000:
                victim = rng.choice(alive)
                victim.send_signal(signal.SIGKILL)  # at a random moment: mid-read, mid-encode or mid-COPY
                victim.wait()
                kills += 1
                workers.remove(victim)
                workers.append(_worker(pg_dsn))  # restarted
            if all(w.poll() is not None for w in workers):
                if _state(conn, target)[1] == 0:
                    break
                workers = [_worker(pg_dsn), _worker(pg_dsn)]
        errors = [w.stderr.read().decode() for w in workers if w.stderr and w.returncode not in (0, None)]
    finally:
        for w in workers:
            if w.poll() is None:
                w.kill()
    assert kills >= 3, "the queue drained before the workers could be killed: raise the row count"
    assert errors == []
    stored, queued, low, high = _state(conn, target)
    assert (stored, queued) == (total, 0)
    assert low == high == 1  # every row embedded exactly once
    (nulls,) = conn.execute(f'SELECT count(*) FROM pgai."{target.store}" WHERE body_embedding IS NULL').fetchone()  # type: ignore[misc]
    assert nulls == 0


KERNEL = textwrap.dedent(
    """
    import json, sys
    sys.path.insert(0, sys.argv[1])
    import pgai_magic
    s = pgai_magic.connect(quiet=True)
    table, offset, model = sys.argv[2], int(sys.argv[3]), sys.argv[4]
    s.set_embedder(model)
    done = 0
    for round_ in range(6):
        # queries, inserts (queued by the triggers) and the embedding worker, all at once with the other kernel
        s.sql(f"INSERT INTO {table} (id, body) SELECT g, 'kernel text ' || g FROM generate_series(:a, :b) g",
              a=offset + round_ * 500, b=offset + round_ * 500 + 499)
        assert s.sql(f"SELECT count(*) AS n FROM {table} WHERE id >= :a", a=offset)["n"][0] > 0
        done += s.sync_embeddings(table + ".body")
    print(json.dumps({"synced": done}))
    """
)


def test_two_kernels_query_and_embed_concurrently(
    conn: psycopg.Connection, schema: str, pg_data_dir: Path, session: Session, tiny_model: str
) -> None:
    table = f"{schema}.shared"
    conn.execute(f"CREATE TABLE {table} (id integer PRIMARY KEY, body text)")
    _fill(conn, table, 2_000, start=1_000_000)
    target, _ = install(conn, resolve_source(conn, f"{table}.body"), tiny_model, 16)
    enqueue_missing(conn, target)
    env = {k: v for k, v in os.environ.items() if k not in ("PGAI_DSN", "DATABASE_URL")}
    env.update(PGAI_DATA_DIR=str(pg_data_dir), HF_HUB_OFFLINE="1")
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", KERNEL, str(ROOT), table, str(offset), tiny_model],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for offset in (0, 100_000)
    ]
    outs = [p.communicate(timeout=600) for p in procs]
    for p, (_out, err) in zip(procs, outs):
        assert p.returncode == 0, err[-3000:]
    synced = sum(json.loads(out.strip().splitlines()[-1])["synced"] for out, _ in outs)
    stored, queued, low, high = _state(conn, target)
    rows = scalar(conn, f"SELECT count(*) FROM {table}")
    assert rows == 2_000 + 2 * 6 * 500
    # kernel workers of this test, and any other worker running, shared the queue: nothing missing or twice
    assert (stored, queued) == (rows, 0) and low == high == 1
    assert synced <= rows

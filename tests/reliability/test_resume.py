"""After a kernel restart, `status` names the embedded columns with pending rows and how to resume them."""

from __future__ import annotations

import os
from pathlib import Path

import psycopg

from pgai_magic.session import Session
from tests.tiny_model import build_tiny_model


def _stop_workers_of_other_sessions() -> None:
    """Any embedding worker thread left running in this process (the shared session's, a shell's from another
    test) drains every queue it is notified of, this test's too: stop them all, so what is pending stays."""
    import gc

    from pgai_magic.vectors.worker import BackgroundWorker

    for obj in gc.get_objects():
        if type(obj) is BackgroundWorker and obj.running:  # type(): no __class__ lookups on foreign objects
            obj.stop()


def test_status_after_a_restart_names_pending_columns_and_sync_resumes_them(
    pg_dsn: str, session: Session, conn: psycopg.Connection, schema: str, tmp_path: Path
) -> None:
    from pgai_magic.vectors.sync import drop
    from pgai_magic.vectors.target import list_targets

    _stop_workers_of_other_sessions()
    os.chmod(tmp_path, 0o755)
    tiny = str(build_tiny_model(tmp_path))
    conn.execute(f"CREATE TABLE {schema}.notes (id int PRIMARY KEY, body text)")
    conn.execute(f"INSERT INTO {schema}.notes SELECT g, 'note ' || g FROM generate_series(1, 50) g")
    try:
        with Session(pg_dsn) as first:
            first.set_embedder(tiny)
            first.embed(f"{schema}.notes.body", model=tiny, progress=False)
        # the kernel is gone: rows written now wait in the queue
        conn.execute(f"INSERT INTO {schema}.notes SELECT g, 'later ' || g FROM generate_series(51, 80) g")
        with Session(pg_dsn) as restarted:
            restarted.set_embedder(tiny)
            warnings = restarted.status().get("warnings", [])
            line = next((w for w in warnings if "rows are pending" in w), "")
            assert f"{schema}.notes.body" in line and "%pgai embed" in line, warnings
            restarted.sync_embeddings(f"{schema}.notes.body")  # what it handles: 30, unless a worker helped
            restarted.vectors.stop_worker()
            target = restarted.vectors.target(f"{schema}.notes.body")
            stored = conn.execute(f"SELECT count(DISTINCT id) FROM {target.store_label}").fetchone()
            assert stored == (80,)
            assert not any("rows are pending" in w for w in restarted.status().get("warnings", []))
    finally:
        for target in list_targets(conn):
            if target.schema == schema:
                drop(conn, target)

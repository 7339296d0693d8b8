"""Faults: a killed server comes back, oversized results stop cleanly, nothing is left running."""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pgai_magic.errors import QueryCancelled, ResultTooLarge
from pgai_magic.session import Session


@pytest.fixture()
def own_server() -> Iterator[Session]:
    """A session on a private embedded server (these tests kill it)."""
    root = Path(tempfile.mkdtemp(prefix="pgai-fault-"))
    os.chmod(root, 0o755)
    from pgai_magic.server import ensure_embedded

    server = ensure_embedded(root / "pg", cleanup="delete")
    sess = Session(data_dir=root / "pg")
    yield sess
    sess.close()
    try:
        server.handle.cleanup()  # type: ignore[attr-defined]
    except Exception:  # the server may be down after a kill test
        pass
    shutil.rmtree(root, ignore_errors=True)  # the lock and watcher files beside the data directory too


def _alive(pid: int) -> bool:
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


@pytest.mark.slow
def test_killed_postmaster_comes_back_between_cells(own_server: Session) -> None:
    s = own_server
    s.sql("CREATE TABLE keep (a int); INSERT INTO keep SELECT generate_series(1, 1000)")
    assert s.db.embedded is not None
    pid = s.db.embedded.handle.get_pid()  # type: ignore[attr-defined]
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and _alive(pid):  # wait (bounded) until it is really gone
        threading.Event().wait(0.02)
    result = s.execute("SELECT count(*) AS n, sum(a) AS total FROM keep")
    assert len(result.notices) == 1 and "restarted" in result.notices[0]
    assert int(result.value["n"][0]) == 1000 and int(result.value["total"][0]) == 500500  # committed data intact
    assert s.db.embedded.handle.get_pid() != pid  # type: ignore[attr-defined]
    # the package's own connection works again too
    assert s.db.control.execute("SELECT count(*) FROM keep").fetchone() == (1000,)


@pytest.mark.slow
def test_a_command_that_finds_its_server_stopped_starts_it_again(own_server: Session) -> None:
    """Not only SQL cells: the package's own connection and new connections restart a stopped embedded server."""
    s = own_server
    assert s.db.embedded is not None
    for reach in (
        lambda: s.db.control.execute("SELECT 1").fetchone(),
        lambda: s.db.connect().execute("SELECT 1").fetchone(),
    ):
        s.db.control.execute("SELECT 1")  # a control connection open on the server that is about to stop
        pid = s.db.embedded.handle.get_pid()  # type: ignore[attr-defined]
        os.kill(pid, signal.SIGINT)  # a fast shutdown, as the watcher asks for
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and _alive(pid):
            threading.Event().wait(0.02)
        assert not _alive(pid)
        assert reach()  # no "No such file or directory", no AdminShutdown: it started the server again
        assert s.db.embedded.alive and s.db.embedded.handle.get_pid() != pid  # type: ignore[attr-defined]


@pytest.mark.slow
def test_oversized_result_stops_and_cancels(session: Session) -> None:
    session.db.max_result_bytes = 2 * 2**20
    try:
        with pytest.raises(ResultTooLarge) as info:
            session.sql("SELECT g, md5(g::text) AS h FROM generate_series(1, 20000000) g")
        text = str(info.value)
        assert "LIMIT" in text and "max_result_mb" in text
        running = session.db.control.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%%generate_series(1, 20000000)%%' "
            "AND state = 'active' AND pid <> pg_backend_pid()"
        ).fetchone()
        assert running == (0,)
        assert session.sql("SELECT count(*) AS n FROM generate_series(1, 1000)")["n"][0] == 1000
    finally:
        session.db.max_result_bytes = None


def test_statement_timeout_leaves_no_backend_busy(session: Session) -> None:
    from pgai_magic.sqltext import Statement

    with pytest.raises(QueryCancelled):
        session.db.run_readonly(Statement("SELECT pg_sleep(30)"), timeout_s=0.3)
    busy = session.db.control.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(30)%%' AND state <> 'idle'"
    ).fetchone()
    assert busy == (0,)
    tx = session.db.control.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE pid = %s AND xact_start IS NOT NULL", (session.db.backend_pid,)
    ).fetchone()
    assert tx == (0,)

"""Ctrl-C is safe at every moment: the server query ends, the connection stays usable, no transaction or lock
is left behind — also for interrupts at random moments on a loaded machine. No fixed sleeps: interrupts that
must land on a running query wait until the server reports it active."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator

import psycopg
import pytest

from pgai_magic.errors import QueryCancelled
from pgai_magic.session import Session


def _sigint() -> None:
    os.kill(os.getpid(), signal.SIGINT)


def _interrupt_when_active(session: Session, marker: str, deadline_s: float = 60.0) -> threading.Thread:
    """SIGINT this process once the session's backend is running a query containing `marker`."""
    pid = session.db.backend_pid

    def watch() -> None:
        with psycopg.connect(session.db.dsn, autocommit=True) as conn:
            end = time.monotonic() + deadline_s
            while time.monotonic() < end:
                row = conn.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE pid = %s AND state = 'active' "
                    "AND strpos(query, %s) > 0",
                    (pid, marker),
                ).fetchone()
                if row and row[0]:
                    _sigint()
                    return
                threading.Event().wait(0.02)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


def _backend_state(session: Session, deadline_s: float = 30.0) -> tuple[str | None, int]:
    """(state, locks held beyond its own virtual xid) of the session's backend, seen from another connection.

    The backend reports itself idle just after it answers, so on a loaded machine another connection can still
    read 'active' for a moment: wait (bounded) for it to say otherwise.
    """
    end = time.monotonic() + deadline_s
    while True:
        row = session.db.control.execute(
            "SELECT a.state, (SELECT count(*) FROM pg_locks l WHERE l.pid = a.pid AND l.locktype <> 'virtualxid') "
            "FROM pg_stat_activity a WHERE a.pid = %s",
            (session.db.backend_pid,),
        ).fetchone()
        state = (row[0], int(row[1])) if row else (None, 0)
        if state[0] != "active" or time.monotonic() > end:
            return state
        threading.Event().wait(0.02)


def test_ctrl_c_cancels_on_the_server(session: Session) -> None:
    watcher = _interrupt_when_active(session, "pg_sleep(60)")
    start = time.perf_counter()
    with pytest.raises(QueryCancelled):
        session.sql("SELECT pg_sleep(60) AS slept")
    watcher.join()
    assert time.perf_counter() - start < 60
    assert _backend_state(session) == ("idle", 0)
    assert session.sql("SELECT 'still usable' AS s")["s"][0] == "still usable"


def test_ctrl_c_inside_a_transaction_needs_rollback(session: Session, schema: str) -> None:
    session.sql(f"CREATE TABLE {schema}.c (a int)")
    session.sql(f"BEGIN; INSERT INTO {schema}.c VALUES (1)")
    watcher = _interrupt_when_active(session, "pg_sleep(60)")
    with pytest.raises(QueryCancelled, match="ROLLBACK"):
        session.sql("SELECT pg_sleep(60)")
    watcher.join()
    assert session.db.transaction_failed  # the user's own transaction: psql leaves it aborted too
    session.sql("ROLLBACK")
    assert session.sql(f"SELECT count(*) AS n FROM {schema}.c")["n"][0] == 0
    assert _backend_state(session) == ("idle", 0)


@pytest.fixture()
def cpu_load() -> Iterator[None]:
    """Another process keeping one core busy for the length of the test (at most 10 minutes)."""
    proc = subprocess.Popen(
        [sys.executable, "-c", "import time\nend = time.time() + 600\nwhile time.time() < end:\n    pass"]
    )
    try:
        yield
    finally:
        proc.kill()
        proc.wait()


@pytest.mark.slow
def test_fifty_random_interrupts_under_load(session: Session, schema: str, cpu_load: None) -> None:
    session.sql(f"CREATE TABLE {schema}.r (n int)")
    statements: list[Callable[[], object]] = [
        lambda: session.sql("SELECT pg_sleep(0.2)"),
        lambda: session.sql("SELECT count(*) FROM generate_series(1, 300000)"),
        lambda: session.sql("SELECT g, md5(g::text) FROM generate_series(1, 30000) g"),
        lambda: session.sql(f"INSERT INTO {schema}.r SELECT g FROM generate_series(1, 1000) g"),
        lambda: session.sql("COPY (SELECT g FROM generate_series(1, 5000) g) TO STDOUT"),
        lambda: session.sql("SELECT 1 AS fast"),
        lambda: session.sql(f"SELECT count(*) FROM {schema}.r WHERE n > :k", k=10),
    ]
    rng = random.Random(20261201)
    outcomes = {"cancelled": 0, "finished": 0, "interrupted elsewhere": 0}
    for _ in range(50):
        timer = threading.Timer(rng.uniform(0.0, 0.1), _sigint)
        outcome = "interrupted elsewhere"  # before the statement started, or after it ended
        try:
            timer.start()
            try:
                rng.choice(statements)()
                outcome = "finished"
            except QueryCancelled:
                outcome = "cancelled"
            timer.join()  # an interrupt that comes after the statement lands here
        except KeyboardInterrupt:
            timer.join()
        outcomes[outcome] += 1
        # after every interrupt: no transaction, no lock, nothing running, the connection usable
        assert not session.db.in_transaction
        assert _backend_state(session) == ("idle", 0)
        assert session.sql("SELECT 41 + 1 AS v")["v"][0] == 42
    assert sum(outcomes.values()) == 50
    assert outcomes["cancelled"] > 0, outcomes

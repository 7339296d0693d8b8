"""Planner statistics gathered after a load returns: `ANALYZE` of a newly loaded table on a connection of its own,
which the session's next statement (and any use of its connections) waits for, so nothing pgai reads or runs after
the load sees the table without its statistics.

PostgreSQL docs, "Populating a Database" (run ANALYZE afterwards) and "ANALYZE" (it takes a SHARE UPDATE EXCLUSIVE
lock: reads and writes of the table go on while it runs).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import psycopg
from psycopg import sql

__all__ = ["BackgroundAnalyze"]

_LOG = logging.getLogger(__name__)
_NAME = """SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.oid = %s"""


class BackgroundAnalyze:
    """ANALYZE runs started by `start` (each on a new connection from `connect`, in a thread); `wait` joins them.

    A table dropped before its ANALYZE ran needs none; any other failure becomes a note that `notes` hands to the
    next statement's output (the load itself was committed either way)."""

    def __init__(self, connect: Callable[..., psycopg.Connection]) -> None:
        self._connect = connect
        self._threads: list[threading.Thread] = []
        self._notes: list[str] = []
        self._lock = threading.Lock()

    @property
    def pending(self) -> bool:
        """True while a started ANALYZE has not been waited for."""
        return bool(self._threads)

    def start(self, oid: int, shown: str) -> None:
        """ANALYZE the table with this pg_class `oid` (committed, so another connection sees it) in the background;
        `shown` names it in a failure's note."""
        thread = threading.Thread(target=self._run, args=(oid, shown), name=f"pgai-analyze-{oid}", daemon=True)
        thread.start()
        with self._lock:
            self._threads.append(thread)

    def wait(self) -> None:
        """Block until every started ANALYZE has ended (failures are kept for `notes`); safe from any thread."""
        while True:
            with self._lock:
                if not self._threads:
                    return
                thread = self._threads[0]
            thread.join()
            with self._lock:
                if self._threads and self._threads[0] is thread:
                    self._threads.pop(0)

    def notes(self) -> list[str]:
        """Wait, then hand over (and forget) the notes of failed runs."""
        self.wait()
        with self._lock:
            notes, self._notes = self._notes, []
        return notes

    def _run(self, oid: int, shown: str) -> None:
        try:
            with self._connect(autocommit=True) as conn:
                found = conn.execute(_NAME, (oid,)).fetchone()
                if found is not None:  # None: dropped since the load, nothing to gather
                    conn.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(found[0], found[1])))
        except psycopg.errors.UndefinedTable:
            pass  # dropped between the look-up and the ANALYZE
        except Exception as exc:  # noqa: BLE001 - reported as the next statement's note, never lost
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            _LOG.warning("ANALYZE of %s after its load failed: %s", shown, first)
            with self._lock:
                self._notes.append(
                    f"pgai: gathering the planner statistics of {shown} after its load failed ({first}); the rows "
                    f"are loaded: run ANALYZE {shown} to gather them"
                )

"""The connection: ADBC (Arrow) for the user's statements, psycopg 3 for control, COPY and pgvector."""

from __future__ import annotations

import atexit
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import psycopg
import pyarrow as pa

from pgai_magic.errors import ConnectionError, QueryCancelled, ResultTooLarge, SQLError
from pgai_magic.server import EmbeddedServer, redact_dsn
from pgai_magic.sqltext import Statement

__all__ = ["Database", "StatementResult"]

T = TypeVar("T")
_CONNECTION_STATES = ("08", "57P01", "57P02", "57P03")


@dataclass
class StatementResult:
    """What one statement produced: rows as Arrow (or None) and the affected row count."""

    statement: Statement
    table: pa.Table | None
    rowcount: int
    command: str
    elapsed: float

    @property
    def returns_rows(self) -> bool:
        return self.table is not None


def _command_of(text: str) -> str:
    words = text.split(None, 2)
    head = words[0].upper() if words else ""
    if head in ("START", "END", "ABORT"):
        return {"START": "BEGIN", "END": "COMMIT", "ABORT": "ROLLBACK"}[head]
    if head == "ROLLBACK" and len(words) > 1 and words[1].upper() in ("TO", "PREPARED"):
        return "ROLLBACK TO"
    return head


def sql_error_from_adbc(exc: Exception, stmt: Statement) -> SQLError | None:
    """Translate an ADBC driver error into SQLError; None when it is not a server error."""
    details = dict(getattr(exc, "details", None) or [])

    def field(key: str) -> str | None:
        value = details.get(key.encode())
        return value.decode(errors="replace") if isinstance(value, bytes) else value

    sqlstate = getattr(exc, "sqlstate", None) or field("PG_DIAG_SQLSTATE")
    message = field("PG_DIAG_MESSAGE_PRIMARY")
    if message is None:
        text = str(exc)
        if "ERROR:" in text:
            message = text.split("ERROR:", 1)[1].split("\n", 1)[0].strip()
        elif sqlstate is None:
            return None
        else:
            message = text.split("\n", 1)[0]
    position = field("PG_DIAG_STATEMENT_POSITION")
    return SQLError(
        message,
        sqlstate=sqlstate,
        position=int(position) if position and position.isdigit() else None,
        statement=stmt.text,
        hint=field("PG_DIAG_MESSAGE_HINT"),
        detail=field("PG_DIAG_MESSAGE_DETAIL"),
    )


class Database:
    """One user session on one server: an ADBC connection for statements, psycopg for control."""

    def __init__(self, dsn: str, *, embedded: EmbeddedServer | None = None) -> None:
        self.dsn = dsn
        self.embedded = embedded
        self._control: psycopg.Connection | None = None
        self._adbc: Any = None
        self._cursor: Any = None
        self.backend_pid: int | None = None
        self.in_transaction = False
        self.transaction_failed = False
        self.max_result_bytes: int | None = None
        atexit.register(self.close)

    # -- connections ---------------------------------------------------------
    @property
    def display_dsn(self) -> str:
        return redact_dsn(self.dsn)

    @property
    def control(self) -> psycopg.Connection:
        """An autocommit psycopg connection for the package's own work (reconnects when closed)."""
        if self._control is None or self._control.closed or self._control.broken:
            try:
                self._control = psycopg.connect(self.dsn, autocommit=True, application_name="pgai_magic")
            except psycopg.OperationalError as exc:
                raise ConnectionError(f"cannot connect to {self.display_dsn}: {exc}".strip()) from None
            try:
                from pgvector.psycopg import register_vector

                register_vector(self._control)
            except (psycopg.ProgrammingError, ImportError):
                pass  # extension not installed yet; register after CREATE EXTENSION
        return self._control

    def register_vector(self) -> None:
        from pgvector.psycopg import register_vector

        register_vector(self.control)

    def connect(self, **kwargs: Any) -> psycopg.Connection:
        """A new psycopg connection to the same server (for workers and long jobs)."""
        conn = psycopg.connect(self.dsn, **kwargs)
        try:
            from pgvector.psycopg import register_vector

            register_vector(conn)
        except (psycopg.ProgrammingError, ImportError):
            pass
        return conn

    def _session_cursor(self) -> Any:
        if self._cursor is None:
            import adbc_driver_postgresql.dbapi as adbc

            try:
                self._adbc = adbc.connect(self.dsn, autocommit=True)
            except Exception as exc:  # noqa: BLE001 - driver errors have no common base here
                raise ConnectionError(f"cannot connect to {self.display_dsn}: {exc}") from None
            self._cursor = self._adbc.cursor()
            self._cursor.execute("SELECT pg_backend_pid()")
            self.backend_pid = int(self._cursor.fetchone()[0])
            self.in_transaction = False
            self.transaction_failed = False
        return self._cursor

    def open_session(self) -> None:
        """Open the session connection now (it is otherwise opened by the first statement)."""
        self._session_cursor()

    def _drop_session(self) -> None:
        for obj in (self._cursor, self._adbc):
            try:
                if obj is not None:
                    obj.close()
            except Exception:  # noqa: BLE001, S110 - closing a broken connection may fail
                pass
        self._cursor = None
        self._adbc = None
        self.backend_pid = None

    def ensure_alive(self) -> str | None:
        """Restart a dead embedded server / drop a dead connection; a one-line notice if it did."""
        notice = None
        if self.embedded is not None and self.embedded.ensure_running():
            self.dsn = self.embedded.dsn
            self._drop_session()
            if self._control is not None:
                self._control.close()
            notice = f"pgai: the embedded server had stopped; restarted it ({self.embedded.data_dir})"
        return notice

    def close(self) -> None:
        self._drop_session()
        if self._control is not None:
            self._control.close()
            self._control = None

    # -- statements ------------------------------------------------------------
    def cancel(self) -> None:
        """Cancel the statement running on the session connection (server-side)."""
        if self._cursor is not None:
            try:
                self._cursor.adbc_cancel()
            except Exception:  # noqa: BLE001, S110 - fall back to pg_cancel_backend below
                pass
        if self.backend_pid is not None:
            try:
                with psycopg.connect(self.dsn, autocommit=True, connect_timeout=5) as conn:
                    conn.execute("SELECT pg_cancel_backend(%s)", (self.backend_pid,))
            except psycopg.Error:
                pass

    def run(self, stmt: Statement) -> StatementResult:
        """Run one statement on the session connection; Ctrl-C cancels it on the server."""
        command = _command_of(stmt.text)
        start = time.perf_counter()
        try:
            table, rowcount = interruptible(lambda: self._execute(stmt), self.cancel)
        except Exception as exc:
            if self.in_transaction and not isinstance(exc, ConnectionError):
                self.transaction_failed = True
            raise
        self._track_transaction(command)
        return StatementResult(stmt, table, rowcount, command, time.perf_counter() - start)

    def _track_transaction(self, command: str) -> None:
        if command == "BEGIN":
            self.in_transaction = True
        elif command in ("COMMIT", "ROLLBACK"):
            self.in_transaction = False
            self.transaction_failed = False

    def _execute(self, stmt: Statement) -> tuple[pa.Table | None, int]:
        retried = False
        while True:
            cursor = self._session_cursor()
            try:
                cursor.execute(stmt.text, tuple(stmt.params) if stmt.params else None)
                if not cursor.description:
                    return None, int(cursor.rowcount if cursor.rowcount is not None else -1)
                return self._fetch(cursor), int(cursor.rowcount or -1)
            except (ResultTooLarge, QueryCancelled):
                raise
            except Exception as exc:  # noqa: BLE001 - translated below
                err = sql_error_from_adbc(exc, stmt)
                state = err.sqlstate if err else None
                lost = err is None or (state or "").startswith(_CONNECTION_STATES)
                if state == "57014":
                    raise QueryCancelled("query cancelled on the server") from None
                if lost:
                    self._drop_session()
                    if not retried and not self.in_transaction and _is_read(stmt.text):
                        retried = True
                        self.ensure_alive()
                        continue
                    self.in_transaction = False
                    raise ConnectionError(
                        f"the connection to {self.display_dsn} was lost: {str(exc).splitlines()[0]}; "
                        "run the cell again to reconnect"
                    ) from None
                assert err is not None
                raise err from None

    def _fetch(self, cursor: Any) -> pa.Table:
        limit = self.max_result_bytes
        if limit is None:
            return cursor.fetch_arrow_table()
        reader = cursor.fetch_record_batch()
        batches = []
        total = 0
        rows = 0
        for batch in reader:
            batches.append(batch)
            total += batch.nbytes
            rows += batch.num_rows
            if total > limit:
                self.cancel()
                self._drain(reader)
                raise ResultTooLarge(
                    f"the result passed {limit / 2**20:.0f} MiB after {rows:,} rows and was stopped "
                    "(the server query was cancelled): add a LIMIT, use --arrow, or raise "
                    "%config Pgai.max_result_mb"
                )
        return pa.Table.from_batches(batches, schema=reader.schema)

    def run_readonly(self, stmt: Statement, *, timeout_s: float = 30.0) -> StatementResult:
        """Run one (already validated) query in a READ ONLY transaction with a statement timeout.

        Uses the session connection when no user transaction is open, else a short-lived one,
        and always ends with ROLLBACK: nothing it runs can persist.
        """
        import adbc_driver_postgresql.dbapi as adbc

        own = self.in_transaction
        conn = adbc.connect(self.dsn, autocommit=True) if own else None
        cursor = conn.cursor() if conn is not None else self._session_cursor()
        start = time.perf_counter()

        def work() -> tuple[pa.Table | None, int]:
            cursor.execute("BEGIN READ ONLY")
            try:
                cursor.execute(f"SET LOCAL statement_timeout = {int(max(timeout_s, 0.001) * 1000)}")
                cursor.execute(stmt.text, tuple(stmt.params) if stmt.params else None)
                table = cursor.fetch_arrow_table() if cursor.description else None
                return table, -1 if table is None else table.num_rows
            finally:
                cursor.execute("ROLLBACK")

        try:
            table, rowcount = interruptible(work, self.cancel)
        except (QueryCancelled, ResultTooLarge):
            raise
        except Exception as exc:  # noqa: BLE001 - translated below
            err = sql_error_from_adbc(exc, stmt)
            if err is not None and err.sqlstate == "57014":
                raise QueryCancelled(
                    f"the query ran past the {timeout_s:g} s statement timeout and was cancelled"
                ) from None
            if err is None:
                self._drop_session()
                raise ConnectionError(f"the connection to {self.display_dsn} was lost: {exc}") from None
            raise err from None
        finally:
            if conn is not None:
                cursor.close()
                conn.close()
        return StatementResult(stmt, table, rowcount, "SELECT", time.perf_counter() - start)

    def _drain(self, reader: Any) -> None:
        """Read what the server sent before it saw the cancel, so the connection stays usable."""
        try:
            for _ in reader:
                pass
        except Exception:  # noqa: BLE001, S110 - the cancel error is the expected end of the stream
            pass


def _is_read(text: str) -> bool:
    return _command_of(text) in ("SELECT", "WITH", "VALUES", "TABLE", "SHOW", "EXPLAIN")


def interruptible(work: Callable[[], T], cancel: Callable[[], None]) -> T:
    """Run `work` in a thread; on KeyboardInterrupt call `cancel` and raise QueryCancelled."""
    result: dict[str, Any] = {}

    def target() -> None:
        try:
            result["value"] = work()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            result["error"] = exc

    thread = threading.Thread(target=target, name="pgai-query", daemon=True)
    thread.start()
    try:
        while thread.is_alive():
            thread.join(0.05)
    except KeyboardInterrupt:
        cancel()
        thread.join(10)
        raise QueryCancelled("query cancelled (interrupted); the connection is still usable") from None
    if "error" in result:
        raise result["error"]
    return result["value"]  # type: ignore[no-any-return]

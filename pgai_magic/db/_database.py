"""The statement runner: the session's psycopg connection, its own-work connection, the read-only path.

Every statement of a cell runs on one psycopg 3 connection (autocommit: BEGIN/COMMIT are the user's), through
libpq's extended protocol, so the result is what psql shows: the server's command tag and row count, its
notices in order, its transaction state. Queries take the fast path (`_fetch.py`: binary COPY into Arrow);
everything else runs as is. Ctrl-C cancels on the server until the statement has ended (see `_interrupt.py`).
"""

from __future__ import annotations

import atexit
import time
from collections.abc import Iterator, Mapping
from functools import partial
from typing import Any

import psycopg
import pyarrow as pa
from psycopg import pq

from pgai_magic.db._binding import dump, inline
from pgai_magic.db._connection import connect, register_vector, timeout_message
from pgai_magic.db._errors import translate
from pgai_magic.db._fetch import LimitReached, copy_query, decode_columns, reader_kinds, result_to_table, stream_copy
from pgai_magic.db._interrupt import interruptible
from pgai_magic.db._pgtypes import Column, TypeResolver
from pgai_magic.db._protocol import (
    abort_copy,
    check,
    drain,
    drop_repeats,
    flush,
    last_result,
    next_result,
    notifications,
    relkind,
    result_notes,
)
from pgai_magic.db._results import CellResult, StatementResult
from pgai_magic.db._statistics import BackgroundAnalyze
from pgai_magic.errors import (
    ConnectionError,
    GuardError,
    ParameterError,
    PgaiError,
    QueryCancelled,
    ResultTooLarge,
    SQLError,
)
from pgai_magic.server import EmbeddedServer, redact_dsn, remember
from pgai_magic.sqltext import PLANNABLE, Route, Statement, check_read_query, inner_query, route

__all__ = ["CellResult", "Database", "StatementResult"]

# statements whose parse analysis takes bound parameters (the others are utility statements)
_BINDS_PARAMETERS = PLANNABLE | {"EXPLAIN", "DECLARE", "CALL"}
_TS = pq.TransactionStatus
_EXEC = pq.ExecStatus


def _switches(planner: Mapping[str, bool] | None) -> list[tuple[str, bool]]:
    """The planner's method switches (enable_hashjoin, enable_indexscan, …) as (name, on); ValueError otherwise."""
    found = []
    for name, on in (planner or {}).items():
        if not (name.startswith("enable_") and name[7:].replace("_", "").isalpha() and name.islower()):
            raise ValueError(f"{name!r} is not a planner method switch (enable_…)")
        found.append((name, bool(on)))
    return found


class Database:
    """One user session on one server: a psycopg connection for statements, another for pgai's own work."""

    def __init__(self, dsn: str, *, embedded: EmbeddedServer | None = None) -> None:
        self.dsn = dsn
        remember(dsn)  # its password is scrubbed from every error and log line from now on
        self.embedded = embedded
        self._control: psycopg.Connection | None = None
        self._session: psycopg.Connection | None = None
        self._resolver = TypeResolver()
        self._tz_note: str | None = None
        self._notices: list[str] = []
        self.max_result_bytes: int | None = None
        self.autolimit: int | None = None  # fetch at most this many rows of a query (Pgai.autolimit)
        self.read_timeout_s = 30.0  # statement timeout of the read-only path (Pgai.statement_timeout_s)
        self.settings: dict[str, str] = {}  # server settings of every connection (use_settings)
        # ANALYZE after a load, waited for before the next use (its own connections: no restart from its thread)
        self.statistics = BackgroundAnalyze(lambda **kw: connect(self.dsn, settings=self.settings, **kw))
        atexit.register(self.close)

    # -- connections -----------------------------------------------------------------------------------------
    @property
    def display_dsn(self) -> str:
        return redact_dsn(self.dsn)

    @property
    def control(self) -> psycopg.Connection:
        """An autocommit connection for the package's own work (reconnects; restarts a stopped embedded server)."""
        self.statistics.wait()
        if self._control is not None and self.embedded is not None and not self.embedded.alive:
            self.ensure_alive()
        if self._control is None or self._control.closed or self._control.broken:
            self._control = self.connect(autocommit=True)
        return self._control

    def register_vector(self) -> None:
        """Register pgvector's types on both connections (after CREATE EXTENSION vector)."""
        register_vector(self.control)
        if self._session is not None and not self._session.closed:
            register_vector(self._session)

    def use_settings(self, settings: dict[str, str]) -> None:
        """Server settings for every connection: set now on the idle open ones, `-c` start-up options of new ones."""
        self.settings = dict(settings)
        for conn in (self._control, self._session):
            if conn is None or conn.closed or conn.broken or conn.info.transaction_status != _TS.IDLE:
                continue
            for name, value in self.settings.items():
                conn.execute("SELECT set_config(%s, %s, false)", (name, value))

    def connect(self, **kwargs: Any) -> psycopg.Connection:
        """A new connection with the session's settings (`db.connect`); a stopped embedded server is started again."""
        try:
            return connect(self.dsn, settings=self.settings, **kwargs)
        except ConnectionError:
            if self.ensure_alive() is None:
                raise
            return connect(self.dsn, settings=self.settings, **kwargs)

    @property
    def session(self) -> psycopg.Connection:
        """The connection the user's statements run on (opened on first use)."""
        self.statistics.wait()
        if self._session is None or self._session.closed:
            conn = self.connect(autocommit=True, prepare_threshold=None)
            conn.add_notice_handler(self._on_notice)
            self._session = conn
            self._resolver = TypeResolver()
        return self._session

    @property
    def backend_pid(self) -> int | None:
        return self._session.info.backend_pid if self._session is not None and not self._session.closed else None

    @property
    def transaction_status(self) -> pq.TransactionStatus:
        if self._session is None or self._session.closed:
            return _TS.IDLE
        return self._session.info.transaction_status

    @property
    def in_transaction(self) -> bool:
        return self.transaction_status in (_TS.INTRANS, _TS.INERROR)

    @property
    def transaction_failed(self) -> bool:
        return self.transaction_status == _TS.INERROR

    def transaction_note(self) -> str:
        """One line on the user's open transaction as the server has it (for errors raised inside one)."""
        if self.transaction_failed:
            return "the open transaction is aborted on the server: run ROLLBACK to continue"
        return "the open transaction is unchanged and still open on the same connection (COMMIT or ROLLBACK it)"

    def open_session(self) -> None:
        """Open the session connection now (it is otherwise opened by the first statement)."""
        _ = self.session

    def _drop_session(self) -> None:
        if self._session is not None:
            try:
                self._session.close()
            except psycopg.Error:
                pass
        self._session = None

    def ensure_alive(self) -> str | None:
        """Restart a dead embedded server; a one-line notice if it did."""
        if self.embedded is not None and self.embedded.ensure_running():
            self.dsn = self.embedded.dsn
            self._drop_session()
            if self._control is not None:
                self._control.close()
            return f"pgai: the embedded server had stopped; restarted it ({self.embedded.data_dir})"
        return None

    def close(self) -> None:
        self.statistics.wait()
        self._drop_session()
        if self._control is not None:
            self._control.close()
            self._control = None

    # -- cancellation ------------------------------------------------------------------------------------------
    def cancel(self) -> None:
        """Ask the server to cancel the statement running on the session connection."""
        if self._session is not None and not self._session.closed:
            try:
                self._session.cancel_safe(timeout=5.0)
            except (psycopg.Error, OSError):
                pass

    def terminate(self) -> None:
        """End the session's backend (the last resort when cancels do not stop it)."""
        pid = self.backend_pid
        if pid is not None:
            try:
                with self.connect(autocommit=True, connect_timeout=5) as conn:
                    conn.execute("SELECT pg_terminate_backend(%s)", (pid,))
            except (psycopg.Error, ConnectionError):
                pass

    # -- statements ------------------------------------------------------------------------------------------
    def _on_notice(self, diag: psycopg.errors.Diagnostic) -> None:
        self._notices.append(f"{diag.severity or 'NOTICE'}:  {diag.message_primary or ''}")

    def run(self, stmt: Statement) -> StatementResult:
        """Run one statement on the session connection; Ctrl-C cancels it on the server.

        Raises SQLError (server error), QueryCancelled, ResultTooLarge, ParameterError, ConnectionError.
        """
        start = time.perf_counter()
        for attempt in (1, 2):
            conn = self.session
            before = conn.info.transaction_status
            self._notices = self.statistics.notes()  # those of an ANALYZE after a load that failed (none: [])
            result = interruptible(partial(self._execute, conn, stmt), cancel=self.cancel, terminate=self.terminate)
            lost = result.error is not None and not result.cancelled and (conn.broken or conn.closed)
            # a read outside a transaction on a connection that died (server restarted): reconnect, run it again
            if lost and attempt == 1 and before == _TS.IDLE and route(stmt.text).path == "query":
                self._drop_session()
                self.ensure_alive()
                continue
            break
        if result.cancelled:
            self._after_cancel(conn, before)
            if result.terminated:
                raise QueryCancelled(
                    f"the statement did not stop after {10:g} s of cancel requests, so its server process was "
                    "terminated: the next statement opens a new session (temporary tables, SET values and prepared "
                    "statements of the old one are gone; an open transaction was rolled back)"
                )
            raise QueryCancelled(
                "query cancelled (interrupted); the connection is still usable"
                + ("" if not self.transaction_failed else ": the transaction is aborted, run ROLLBACK to continue")
            )
        if result.error is not None:
            err = self._translate(result.error, conn, stmt)
            if isinstance(err, PgaiError) and not conn.closed:
                err.notices = self._notices + notifications(conn)
            raise err
        out: StatementResult = result.value
        out.elapsed = time.perf_counter() - start
        out.notices = self._notices + notifications(conn)
        if result.interrupted:
            out.interrupted = True
            out.notes.append("the interrupt came after the server had finished the statement: its result is kept")
        return out

    def _after_cancel(self, conn: psycopg.Connection, before: pq.TransactionStatus) -> None:
        """After an interrupt: never leave a transaction the user did not open, nor a broken connection."""
        if conn.broken or conn.closed:
            self._drop_session()
            return
        if before == _TS.IDLE and conn.info.transaction_status != _TS.IDLE:
            conn.pgconn.exec_(b"ROLLBACK")

    def _translate(self, exc: BaseException, conn: psycopg.Connection, stmt: Statement) -> BaseException:
        """The pgai error for `exc` (`db.errors.translate`); a lost connection is dropped, to reopen on next use."""
        err = translate(exc, stmt, broken=conn.broken or conn.closed, where=self.display_dsn)
        if isinstance(err, ConnectionError) and isinstance(exc, psycopg.Error):
            self._drop_session()
        return err

    def _execute(self, conn: psycopg.Connection, stmt: Statement) -> StatementResult:
        how = route(stmt.text)
        if how.path == "copy_in":
            raise ParameterError(
                "COPY … FROM STDIN reads from the client, which a notebook cell has no stream for: load a file "
                "with `%pgai load PATH --table T`, a DataFrame with `%pgai persist DF --table T`, or run "
                "COPY … FROM '/server/path' (a file on the server)"
            )
        with conn.lock:
            if how.path == "copy_out" and how.table is not None:
                # COPY table TO STDOUT reads a plain table only: anything else (a view, a partitioned table, a
                # missing table or column) runs as typed, so the server says what is wrong, caret and all
                if relkind(conn, how.table) != "r":
                    return self._plain(conn, stmt, how)
                try:
                    result = self._query(conn, inner_query(stmt, how), how)
                except SQLError:
                    return self._plain(conn, stmt, how)
                if result is not None:
                    return result
            elif how.path in ("query", "copy_out"):
                result = self._query(conn, inner_query(stmt, how), how)
                if result is not None:
                    return result
            return self._plain(conn, stmt, how)

    # -- the fast path ---------------------------------------------------------------------------------------------
    def _start_copy(
        self, conn: psycopg.Connection, stmt: Statement, limit: int | None
    ) -> tuple[list[Column], Statement, int, list[str], int] | None:
        """Describe a query and start its binary COPY: (columns, the statement sent, caret shift, the parse's
        notices, how many notices there were before the COPY was sent); None when it returns no rows (then it
        runs as a plain statement)."""
        pg = conn.pgconn
        sent = inline(conn, stmt)
        if sent is None:
            return None
        literal = sent.text
        enc = conn.info.encoding
        seen = len(self._notices)
        pg.send_prepare(b"", literal.encode(enc))
        check(last_result(conn), conn, sent)
        pg.send_describe_prepared(b"")
        desc = last_result(conn)
        check(desc, conn, sent)
        if desc is None or desc.nfields == 0:
            return None
        parse_notices = self._notices[seen:]
        columns = self._columns(conn, desc)
        copy_sql = copy_query(literal, columns, limit)
        shift = len(copy_sql.split(literal, 1)[0])
        seen = len(self._notices)
        pg.send_query(copy_sql.encode(enc))
        flush(conn)
        first = next_result(conn)
        if first is None or first.status != _EXEC.COPY_OUT:
            drain(conn)
            check(first, conn, sent, shift=shift)
            raise psycopg.OperationalError("the server did not start the COPY")
        return columns, sent, shift, parse_notices, seen

    def _query(self, conn: psycopg.Connection, stmt: Statement, how: Route) -> StatementResult | None:
        """A query through binary COPY; None when it returns no rows (then it runs as a plain statement)."""
        limit = self.autolimit if how.path == "query" else None
        started = self._start_copy(conn, stmt, limit)
        if started is None:
            return None
        columns, sent, shift, parse_notices, seen = started
        try:
            rows, buffers, _ = stream_copy(conn.pgconn, reader_kinds(columns), limit=self.max_result_bytes)
        except LimitReached as stop:
            self._stop_copy(conn)
            raise ResultTooLarge(self._too_large(f"after {stop.rows:,} rows")) from None
        final = last_result(conn)
        drop_repeats(self._notices, seen, parse_notices)  # the COPY parses the query again
        check(final, conn, sent, shift=shift)
        table = decode_columns(columns, rows, buffers, conn.info.encoding)
        self._check_size(table)
        command = "COPY" if how.path == "copy_out" else "SELECT"
        notes = result_notes(table, self._tz_note)
        if limit and rows >= limit:
            notes.append(f"only the first {limit:,} rows were fetched (%config Pgai.autolimit = 0 fetches all)")
        return StatementResult(stmt, table, rows, command, 0.0, status=f"{command} {rows}", notes=notes)

    def stream(self, query: str, rows: int) -> Iterator[pa.Table]:
        """Run a query the package wrote (no parameters) through the fast path on the session connection, as Arrow
        tables of at most `rows` rows each, read as they are taken: memory stays at one batch.

        The connection is held (its lock) until the last batch is read or the iterator is closed, which cancels
        the rest of the query. Raises the pgai error of a failing query (SQLError, ConnectionError…)."""
        conn = self.session
        stmt = Statement(query)
        with conn.lock:
            copying = ended = False
            try:
                started = self._start_copy(conn, stmt, None)
                if started is None:
                    raise ParameterError("the query returns no rows to stream")
                columns, sent, shift, _, _ = started
                kinds, enc, copying, header = reader_kinds(columns), conn.info.encoding, True, False
                while not ended:
                    n, buffers, ended = stream_copy(conn.pgconn, kinds, max_rows=rows, started=header)
                    header = True
                    if n:
                        yield decode_columns(columns, n, buffers, enc)
                check(last_result(conn), conn, sent, shift=shift)
            except psycopg.Error as exc:
                raise self._translate(exc, conn, stmt) from None
            finally:
                if copying and not ended and not conn.closed and not conn.broken:
                    self._stop_copy(conn)  # closed early (or failed): cancel the rest, keep the connection

    def _columns(self, conn: psycopg.Connection, res: pq.abc.PGresult) -> list[Column]:
        columns, self._tz_note = self._resolver.columns(conn, res, self.control)
        return columns

    def _check_size(self, table: pa.Table) -> None:
        if self.max_result_bytes is not None and table.nbytes > self.max_result_bytes:
            raise ResultTooLarge(self._too_large(f"at {table.num_rows:,} rows"))

    def _too_large(self, where: str) -> str:
        limit = (self.max_result_bytes or 0) / 2**20
        return (
            f"the result passed {limit:,.0f} MiB {where} and was stopped (the server query was cancelled): "
            "add a LIMIT, or raise %config Pgai.max_result_mb (0: no limit)"
        )

    def _stop_copy(self, conn: psycopg.Connection) -> None:
        """Cancel a COPY mid-stream and read what the server had already sent, so the connection stays usable."""
        self.cancel()
        pg = conn.pgconn
        while pg.get_copy_data(0)[0] >= 0:
            pass
        drain(conn)

    # -- everything else -------------------------------------------------------------------------------------------
    def _plain(self, conn: psycopg.Connection, stmt: Statement, how: Route) -> StatementResult:
        """Run the statement as typed (parameters bound server-side); rows, if any, in text form.

        Utility statements take no bound parameters in PostgreSQL (EXECUTE, SET, NOTIFY, DDL…): their values are
        written in as psycopg's quoted literals, as psycopg's client-side binding does.
        """
        pg = conn.pgconn
        if stmt.params and how.command not in _BINDS_PARAMETERS:
            stmt = inline(conn, stmt) or stmt
        if stmt.params:
            params, types, formats = dump(conn, stmt)
            pg.send_query_params(stmt.text.encode(conn.info.encoding), params, types, formats, pq.Format.TEXT)
        else:  # psql's simple query protocol: the same statement, the same messages
            pg.send_query(stmt.text.encode(conn.info.encoding))
        flush(conn)
        res = next_result(conn)
        if res is not None and res.status in (_EXEC.COPY_OUT, _EXEC.COPY_IN, _EXEC.COPY_BOTH):
            abort_copy(conn, res)
            raise ParameterError(f"{how.command}: this COPY form cannot run in a cell; use COPY … TO STDOUT")
        drain(conn)
        check(res, conn, stmt)
        assert res is not None
        status = (res.command_status or b"").decode()
        table = None
        if res.status == _EXEC.TUPLES_OK and res.nfields:
            columns = self._columns(conn, res)
            table = result_to_table(columns, res, conn.info.encoding)
            if self.max_result_bytes is not None and table.nbytes > self.max_result_bytes:
                raise ResultTooLarge(
                    f"{status} ran, but its {table.nbytes / 2**20:,.0f} MiB result is past the "
                    f"{self.max_result_bytes / 2**20:,.0f} MiB limit and was not kept: FETCH fewer rows, add a "
                    "LIMIT, or raise %config Pgai.max_result_mb (0: no limit)"
                )
        rows = res.command_tuples if res.command_tuples is not None else -1
        command = status.split(" ", 1)[0] if status else how.command
        return StatementResult(stmt, table, rows, command, 0.0, status=status, notes=result_notes(table, self._tz_note))

    def read(self, query: str, *, what: str = "the query", error: type[PgaiError] = GuardError) -> StatementResult:
        """THE read-only path for a query the user did not write as a SQL cell (insights --query, model train
        --from, monitor --actual, ask): `check_read_query` (one read query, no locks, no admin or large-object
        functions; `error` names `what` otherwise), then `run_readonly` with `read_timeout_s` (seconds)."""
        checked = Statement(check_read_query(query, what=what, error=error))
        return self.run_readonly(checked, timeout_s=self.read_timeout_s)

    def search_path(self) -> list[str]:
        """The schemas a `read` query's names resolve in (current_schemas(true)), on the connection it runs on."""
        row = (self.control if self.in_transaction else self.session).execute("SELECT current_schemas(true)::text[]")
        return list((row.fetchone() or [[]])[0])

    def run_readonly(
        self, stmt: Statement, *, timeout_s: float = 30.0, planner: Mapping[str, bool] | None = None
    ) -> StatementResult:
        """Run one (already validated) query in a READ ONLY transaction with a statement timeout.

        Uses the session connection when no user transaction is open, else a short-lived one, and always ends
        with ROLLBACK: nothing it runs can persist. `planner` switches the planner's methods for this query only
        (`{"enable_indexscan": False}`: SET LOCAL enable_indexscan = off); ValueError for another setting.
        """
        switches = "".join(f"; SET LOCAL {name} = {'on' if on else 'off'}" for name, on in _switches(planner))
        own = self.in_transaction
        start = time.perf_counter()
        conn = self.connect(autocommit=True, prepare_threshold=None) if own else self.session
        ms = int(max(timeout_s, 0.001) * 1000)
        try:
            with conn.lock:
                conn.pgconn.exec_(f"BEGIN READ ONLY; SET LOCAL statement_timeout = {ms}{switches}".encode())
            try:
                result = interruptible(
                    partial(self._execute, conn, stmt),
                    cancel=conn.cancel_safe,
                    terminate=self.terminate,
                )
            finally:
                if not conn.closed and not conn.broken:
                    with conn.lock:
                        conn.pgconn.exec_(b"ROLLBACK")
            if result.cancelled:
                raise QueryCancelled("query cancelled (interrupted); the connection is still usable")
            if result.error is not None:
                err = self._translate(result.error, conn, stmt)
                if isinstance(err, QueryCancelled):
                    raise QueryCancelled(timeout_message(timeout_s)) from None
                raise err
            out: StatementResult = result.value
            out.elapsed = time.perf_counter() - start  # the statement's time as run (what a result's footer shows)
            return out
        finally:
            if own:
                conn.close()

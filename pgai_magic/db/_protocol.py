"""libpq result plumbing for the runner: waiting on the socket (GIL released), draining, and turning an error
result into the pgai error tree with the caret mapped to the cell."""

from __future__ import annotations

import select

import psycopg
import pyarrow as pa
from psycopg import pq

from pgai_magic.db._errors import sql_error
from pgai_magic.sqltext import Statement

__all__ = [
    "abort_copy",
    "check",
    "drain",
    "drop_repeats",
    "flush",
    "last_result",
    "next_result",
    "notifications",
    "relkind",
    "result_notes",
]

_EXEC = pq.ExecStatus


def flush(conn: psycopg.Connection) -> None:
    pg = conn.pgconn
    while pg.flush():
        select.select([], [pg.socket], [], 1.0)


def next_result(conn: psycopg.Connection) -> pq.abc.PGresult | None:
    """The next result, waiting on the socket (GIL released) instead of blocking inside libpq."""
    pg = conn.pgconn
    while True:
        pg.consume_input()
        if not pg.is_busy():
            return pg.get_result()
        select.select([pg.socket], [], [], 0.5)


def drain(conn: psycopg.Connection) -> None:
    while next_result(conn) is not None:
        pass


def last_result(conn: psycopg.Connection) -> pq.abc.PGresult | None:
    """The statement's result, after waiting for libpq to finish it (errors win over earlier results)."""
    flush(conn)
    first = next_result(conn)
    while True:
        more = next_result(conn)
        if more is None:
            return first
        if first is None or first.status != _EXEC.FATAL_ERROR:
            first = more


def check(res: pq.abc.PGresult | None, conn: psycopg.Connection, stmt: Statement, *, shift: int = 0) -> None:
    if res is not None and res.status == _EXEC.FATAL_ERROR:
        exc = psycopg.errors.error_from_result(res, encoding=conn.info.encoding)
        if getattr(exc, "sqlstate", None) == "57014":
            raise exc
        raise sql_error(exc, stmt, shift=shift) from None
    if res is None and conn.pgconn.status != pq.ConnStatus.OK:
        raise psycopg.OperationalError(str(conn.pgconn.get_error_message()).strip() or "connection lost")


def abort_copy(conn: psycopg.Connection, res: pq.abc.PGresult) -> None:
    pg = conn.pgconn
    if res.status == _EXEC.COPY_IN:
        pg.put_copy_end(b"COPY FROM STDIN is not supported in a cell")
    else:
        while pg.get_copy_data(0)[0] >= 0:
            pass
    drain(conn)


def drop_repeats(notices: list[str], start: int, repeated: list[str]) -> None:
    """Remove from notices[start:] one occurrence of each of `repeated` (said again by a second parse)."""
    for line in repeated:
        for i in range(start, len(notices)):
            if notices[i] == line:
                del notices[i]
                break


def relkind(conn: psycopg.Connection, table: str) -> str | None:
    """pg_class.relkind of `table` as the session resolves it (search_path, temporary tables)."""
    res = conn.pgconn.exec_params(
        b"SELECT c.relkind FROM pg_class c WHERE c.oid = to_regclass($1)", [table.encode(conn.info.encoding)]
    )
    if res.status != _EXEC.TUPLES_OK or res.ntuples == 0:
        return None
    value = res.get_value(0, 0)
    return bytes(value).decode() if value is not None else None


def result_notes(table: pa.Table | None, tz_note: str | None = None) -> list[str]:
    """pgai's one-line notes on a result: numerics kept as decimals, values a type cannot show, the time zone."""
    if table is None:
        return []
    notes = []
    zoned = [f.name for f in table.schema if pa.types.is_timestamp(f.type) and f.type.tz is not None]
    if tz_note and zoned:
        notes.append(f"{', '.join(zoned)}: {tz_note}")
    exact = [f.name for f in table.schema if pa.types.is_decimal(f.type)]
    if exact:
        plural = "s" if len(exact) > 1 else ""
        notes.append(f"numeric column{plural} {', '.join(exact)} kept as exact decimals (float64 would lose digits)")
    for f in table.schema:
        note = (f.metadata or {}).get(b"pgai:note")
        if note:
            notes.append(f"column {f.name} {note.decode()}")
    return notes


def notifications(conn: psycopg.Connection) -> list[str]:
    out = []
    pg = conn.pgconn
    while True:
        n = pg.notifies()
        if n is None:
            break
        channel, payload = n.relname.decode(), n.extra.decode()
        out.append(
            f'Asynchronous notification "{channel}"'
            + (f' with payload "{payload}"' if payload else "")
            + f" received from server process with PID {n.be_pid}."
        )
    return out

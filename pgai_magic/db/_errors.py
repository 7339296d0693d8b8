"""One translation from psycopg errors to the pgai_magic error tree, keyed by SQLSTATE.

The server's error class decides the pgai error, as psycopg's own `errors` module maps SQLSTATE to exception
classes (https://www.psycopg.org/psycopg3/docs/api/errors.html); the SQLSTATE codes are PostgreSQL's
(https://www.postgresql.org/docs/current/errcodes-appendix.html)::

    PgaiError
    ├── SQLError          every other SQLSTATE (the server rejected the statement): message, SQLSTATE,
    │                     position in the cell, hint, detail, context
    ├── QueryCancelled    57014 query_canceled (Ctrl-C, statement timeout, pg_cancel_backend)
    └── ConnectionError   08000 08001 08003 08004 08006 (connection exceptions; not 08P01, a protocol
                          violation the connection survives), 57P01–57P03 (admin/crash shutdown, cannot
                          connect now), or a psycopg OperationalError/InterfaceError on a broken connection

Only this module reads `psycopg.Error.diag`; every other module asks `translate()` for the pgai error, or
`server_message()` for the server's primary message when it words the error itself (e.g. a ModelError).
"""

from __future__ import annotations

import psycopg

from pgai_magic.errors import ConnectionError, PgaiError, QueryCancelled, SQLError
from pgai_magic.sqltext import Statement

__all__ = ["SQLSTATE_CLASSES", "error_class", "server_detail", "server_message", "sql_error", "translate"]

# SQLSTATE (exact code, else its two-character class) → the pgai error class; anything else is an SQLError
SQLSTATE_CLASSES: dict[str, type[PgaiError]] = {
    "57014": QueryCancelled,
    "08000": ConnectionError,  # connection_exception
    "08003": ConnectionError,  # connection_does_not_exist
    "08006": ConnectionError,  # connection_failure
    "08001": ConnectionError,  # sqlclient_unable_to_establish_sqlconnection
    "08004": ConnectionError,  # sqlserver_rejected_establishment_of_sqlconnection
    "57P01": ConnectionError,
    "57P02": ConnectionError,
    "57P03": ConnectionError,
}
CANCELLED_MESSAGE = "query cancelled on the server (statement timeout or pg_cancel_backend)"


def error_class(sqlstate: str | None) -> type[PgaiError]:
    """The pgai error class for a SQLSTATE: the exact code's, else its class's, else SQLError."""
    if not sqlstate:
        return SQLError
    return SQLSTATE_CLASSES.get(sqlstate) or SQLSTATE_CLASSES.get(sqlstate[:2]) or SQLError


def server_message(exc: BaseException) -> str:
    """The server's primary message of a psycopg error (its first line when the server sent none)."""
    diag = getattr(exc, "diag", None)
    primary = diag.message_primary if diag is not None else None
    return primary or (str(exc).split("\n", 1)[0] if str(exc) else type(exc).__name__)


def server_detail(exc: BaseException) -> str | None:
    """The server's DETAIL line of a psycopg error, if it sent one."""
    diag = getattr(exc, "diag", None)
    return diag.message_detail if diag is not None else None


def sql_error(exc: psycopg.Error, stmt: Statement | None = None, *, shift: int = 0) -> SQLError:
    """The SQLError for a psycopg error: SQLSTATE, message, hint, detail, and the position in the cell.

    `shift` is how many characters the sent text had in front of `stmt.text` (a COPY or EXPLAIN wrapper).
    """
    diag = exc.diag
    position = diag.statement_position
    pos = int(position) - shift if position and position.isdigit() else None
    if pos is not None and pos <= 0:
        pos = None
    if pos is not None and stmt is not None:
        pos = stmt.original_position(pos)
    return SQLError(
        server_message(exc),
        sqlstate=diag.sqlstate,
        position=pos,
        statement=stmt.text if stmt is not None else None,
        hint=diag.message_hint,
        detail=diag.message_detail,
        context=diag.context,
    )


def translate(
    exc: BaseException,
    stmt: Statement | None = None,
    *,
    shift: int = 0,
    broken: bool = False,
    where: str = "the server",
) -> BaseException:
    """The pgai error for `exc` (a pgai error or anything that is not a psycopg error comes back as it is).

    `broken`: the connection the statement ran on is closed or broken (then a driver error is a lost
    connection); `where`: how to name the server in a ConnectionError (a redacted DSN).
    """
    if isinstance(exc, PgaiError) or not isinstance(exc, psycopg.Error):
        return exc
    state = getattr(exc, "sqlstate", None)
    cls = error_class(state)
    if cls is QueryCancelled:
        return QueryCancelled(CANCELLED_MESSAGE)
    driver = isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError)
    if cls is ConnectionError or (driver and broken):
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return ConnectionError(f"the connection to {where} was lost: {first}; run the cell again to reconnect")
    return sql_error(exc, stmt, shift=shift)

"""Opening connections and the small helpers every pgai connection is used through.

`connect` opens a psycopg 3 connection with what every pgai connection needs (an application name, the
session's server settings as start-up options, pgvector's types registered when the extension is installed,
one clear ConnectionError); `read_only` is the one READ ONLY transaction with a statement timeout;
`scalar`/`one` read one value / one row. psycopg: https://www.psycopg.org/psycopg3/docs/api/connections.html
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import sql

from pgai_magic.errors import ConnectionError, PgaiError, QueryCancelled
from pgai_magic.server import redact_dsn, redact_text

__all__ = [
    "connect",
    "copy_into_temp",
    "one",
    "read_only",
    "register_vector",
    "scalar",
    "set_statement_timeout",
    "startup_options",
    "wait_for_notify",
]

Query = str | bytes | sql.Composable
Params = Sequence[Any] | Mapping[str, Any] | None


def connect(dsn: str, *, settings: Mapping[str, str] | None = None, **kwargs: Any) -> psycopg.Connection:
    """A new psycopg connection to `dsn` (keyword arguments as psycopg.connect's; pgvector registered when installed).

    `settings`: server settings (`name → value`) passed as `-c` start-up options, on top of the DSN's own.
    ConnectionError (DSN redacted) when the server cannot be reached or the DSN is malformed.
    """
    kwargs.setdefault("application_name", "pgai_magic")
    if settings and "options" not in kwargs:
        kwargs["options"] = startup_options(dsn, settings)
    try:
        conn = psycopg.connect(dsn, **kwargs)
    except psycopg.OperationalError as exc:
        raise ConnectionError(redact_text(f"cannot connect to {redact_dsn(dsn)}: {str(exc).strip()}")) from None
    except psycopg.ProgrammingError as exc:  # a malformed connection string
        # not echoed: a misspelt key (passwd=…) or a stray word may be a password that redaction cannot recognise
        why = re.sub(r'(after|near) "[^"]*"', r"\1 a word", str(exc).strip())
        raise ConnectionError(
            redact_text(
                f"the connection string is not valid ({why}); nothing of it is shown, as it may hold a password: "
            )
            + "give a URL such as postgresql://user@host:5432/db, or key=value pairs such as 'host=h dbname=d'"
        ) from None
    register_vector(conn)
    return conn


def register_vector(conn: psycopg.Connection) -> bool:
    """Register pgvector's `vector` types on `conn`; False when the extension is not installed (yet)."""
    try:
        from pgvector.psycopg import register_vector as register

        register(conn)
    except (psycopg.ProgrammingError, ImportError):
        return False  # the extension is not installed yet: register after CREATE EXTENSION
    return True


def startup_options(dsn: str, settings: Mapping[str, str]) -> str:
    """libpq `options`: those of the DSN (else PGOPTIONS, as libpq would use), plus `-c name=value` per setting."""
    try:
        current = psycopg.conninfo.conninfo_to_dict(dsn).get("options", os.environ.get("PGOPTIONS", ""))
    except psycopg.ProgrammingError:
        current = ""  # a malformed DSN: psycopg.connect reports it
    extra = " ".join(f"-c {name}={value}" for name, value in settings.items())
    return f"{current} {extra}".strip()


def set_statement_timeout(conn: psycopg.Connection, timeout_s: float) -> int:
    """Set the session's statement_timeout on `conn` to `timeout_s` seconds (at least 1 ms, as PostgreSQL's 0 would
    mean none); the milliseconds set. For a run of statements under one budget (the insight engine); a single read
    uses `read_only`, whose timeout ends with its transaction."""
    ms = max(int(timeout_s * 1000), 1)
    conn.execute(sql.SQL("SET statement_timeout = {}").format(sql.Literal(ms)))
    return ms


def timeout_message(timeout_s: float, what: str = "the query") -> str:
    """What a statement cancelled by its statement timeout of `timeout_s` seconds is reported as."""
    return f"{what} ran past the {timeout_s:g} s statement timeout and was cancelled"


@contextmanager
def read_only(
    conn: psycopg.Connection,
    timeout_s: float,
    *,
    commit: bool = False,
    what: str = "the query",
    error: type[PgaiError] = QueryCancelled,
) -> Iterator[None]:
    """A READ ONLY transaction with a statement timeout of `timeout_s` seconds on `conn` (autocommit), rolled
    back unless `commit` (only temporary tables can have been written in it).

    A statement that runs past the timeout (or is cancelled) raises `error` (QueryCancelled by default): "`what`
    ran past the … s statement timeout". PostgreSQL: SET TRANSACTION READ ONLY, SET LOCAL statement_timeout.
    """
    ms = int(max(timeout_s, 0.001) * 1000)
    try:
        with conn.transaction(force_rollback=not commit):
            conn.execute("SET TRANSACTION READ ONLY")
            conn.execute(sql.SQL("SET LOCAL statement_timeout = {}").format(sql.Literal(ms)))
            yield
    except psycopg.errors.QueryCanceled:
        raise error(timeout_message(timeout_s, what)) from None


def scalar(conn: psycopg.Connection, query: Query, params: Params = None, **kwargs: Any) -> Any:
    """The first column of the first row of `query` (None when it returns no row)."""
    row = conn.execute(query, params, **kwargs).fetchone()  # type: ignore[arg-type]  # psycopg's Query type
    return None if row is None else row[0]


def one(conn: psycopg.Connection, query: Query, params: Params = None, **kwargs: Any) -> tuple[Any, ...]:
    """The one row `query` returns; PgaiError when it returns none (a query that must return a row)."""
    row = conn.execute(query, params, **kwargs).fetchone()  # type: ignore[arg-type]  # psycopg's Query type
    if row is None:
        raise PgaiError(f"the server returned no row for a query that always returns one: {str(query)[:200]}")
    return tuple(row)


def copy_into_temp(conn: psycopg.Connection, query: str, name: str, *, timeout_s: float) -> int:
    """Materialise a checked read query into the temporary table `name` (replaced); returns the rows copied.

    The query only ever runs READ ONLY: its columns are read from a LIMIT 0 run, the empty temporary table is
    created from their types, and the rows come from `INSERT INTO pg_temp.name SELECT …` in a READ ONLY
    transaction (PostgreSQL lets a read-only transaction write temporary tables only). Needs the TEMP
    privilege on the database (granted to PUBLIC by default). psycopg.Error / QueryCancelled from the server.
    """
    body = sql.SQL(query)  # type: ignore[arg-type]  # checked by check_read_query; % is not a placeholder here
    with read_only(conn, timeout_s):
        cur = conn.execute(sql.SQL("SELECT * FROM ({}\n) AS q LIMIT 0").format(body), prepare=False)
        res = cur.pgresult
        assert res is not None
        shapes = [(res.ftype(i), res.fmod(i)) for i in range(res.nfields)]
        names = [d.name for d in cur.description or []]
        types = [scalar(conn, "SELECT format_type(%s, %s)", shape) for shape in shapes]
    table = sql.Identifier(name)
    columns = sql.SQL(", ").join(sql.SQL("{} {}").format(sql.Identifier(n), sql.SQL(t)) for n, t in zip(names, types))
    conn.execute(sql.SQL("DROP TABLE IF EXISTS pg_temp.{}").format(table))
    conn.execute(sql.SQL("CREATE TEMP TABLE {} ({})").format(table, columns))
    with read_only(conn, timeout_s, commit=True):
        cur = conn.execute(sql.SQL("INSERT INTO pg_temp.{} SELECT * FROM ({}\n) AS q").format(table, body))
        return cur.rowcount


def wait_for_notify(listener: psycopg.Connection, stop: threading.Event, seconds: float) -> bool:
    """Wait on `listener` (autocommit, LISTENing) until a notification arrives (True), `stop` is set or `seconds`
    pass (False), in short slices so that `stop` is seen promptly."""
    deadline = time.monotonic() + seconds
    while not stop.is_set() and (left := deadline - time.monotonic()) > 0:
        if any(True for _ in listener.notifies(timeout=min(0.2, left), stop_after=1)):
            return True
    return False

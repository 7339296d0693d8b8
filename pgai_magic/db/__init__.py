"""THE database seam: every connection pgai_magic opens, every statement it runs, every server error it reports.

    pgai_magic.db
    ├── _connection   connect() with the settings every pgai connection needs, register_vector(), read_only()
    │                 (READ ONLY + statement timeout), set_statement_timeout(), scalar()/one(), copy_into_temp(),
    │                 wait_for_notify() (LISTEN / NOTIFY)
    ├── _database     Database: the session's statement runner (fast COPY path for queries, psycopg for the
    │                 rest), its own-work `control` connection, cancellation, the read-only path `read()`
    ├── _protocol     libpq result plumbing of the runner (socket waits, draining, notices)
    ├── _fetch        the query fast path: binary COPY into Arrow buffers (the C reader `_copyfetch`, or Python)
    ├── _pgtypes      the result type map (PostgreSQL type → wire format and Arrow type); `_pgtext` psql's text
    │                 for values Python cannot hold
    ├── _binding      notebook values → bound parameters
    ├── _interrupt    Ctrl-C: cancel on the server until the statement has ended
    ├── _results      StatementResult, CellResult
    └── _errors       the SQLSTATE → pgai error map and translate(): the only reader of psycopg's `exc.diag`

The error tree statements end in (see `pgai_magic.db._errors` for the SQLSTATE map)::

    PgaiError ── SQLError (the server rejected it) · QueryCancelled (57014, Ctrl-C, timeout)
              └─ ConnectionError (08xxx, 57P01–57P03, a broken connection) · ResultTooLarge · ParameterError

No other module calls `psycopg.connect`, opens a READ ONLY transaction by hand or unpacks `exc.diag`. The modules
are private (`_x.py`, as psycopg's); the names below are the package's interface.

May import: `sqltext` (statement kinds, the read-only check), `server` (the embedded server a Database keeps
alive, password redaction), and the leaves `errors`; nothing above it.
"""

from pgai_magic.db._connection import (
    connect,
    copy_into_temp,
    one,
    read_only,
    register_vector,
    scalar,
    set_statement_timeout,
    wait_for_notify,
)
from pgai_magic.db._database import Database
from pgai_magic.db._errors import error_class, server_detail, server_message, sql_error, translate
from pgai_magic.db._pgtext import interval_words
from pgai_magic.db._results import CellResult, StatementResult

__all__ = [
    "CellResult",
    "Database",
    "StatementResult",
    "connect",
    "copy_into_temp",
    "error_class",
    "interval_words",
    "one",
    "read_only",
    "register_vector",
    "scalar",
    "server_detail",
    "server_message",
    "set_statement_timeout",
    "sql_error",
    "translate",
    "wait_for_notify",
]

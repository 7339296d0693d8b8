"""THE database seam: every connection pgai_magic opens, every statement it runs, every server error it reports.

    pgai_magic.db
    ├── connection   connect() with the settings every pgai connection needs, register_vector(), read_only()
    │                (READ ONLY + statement timeout), set_statement_timeout(), scalar()/one(),
    │                copy_into_temp()
    ├── errors       the SQLSTATE → pgai error map and translate(): the only reader of psycopg's `exc.diag`
    ├── protocol     libpq result plumbing of the runner (socket waits, draining, notices)
    └── database     Database: the session's statement runner (fast COPY path for queries, psycopg for the
                     rest), its own-work `control` connection, cancellation, the read-only path `read()`

The error tree statements end in (see `pgai_magic.db.errors` for the SQLSTATE map)::

    PgaiError ── SQLError (the server rejected it) · QueryCancelled (57014, Ctrl-C, timeout)
              └─ ConnectionError (08xxx, 57P01–57P03, a broken connection) · ResultTooLarge · ParameterError

No other module calls `psycopg.connect`, opens a READ ONLY transaction by hand or unpacks `exc.diag`.
"""

from pgai_magic.db.connection import (
    connect,
    copy_into_temp,
    one,
    read_only,
    register_vector,
    scalar,
    set_statement_timeout,
)
from pgai_magic.db.database import Database
from pgai_magic.db.errors import error_class, server_detail, server_message, sql_error, translate
from pgai_magic.results import CellResult, StatementResult

__all__ = [
    "CellResult",
    "Database",
    "StatementResult",
    "connect",
    "copy_into_temp",
    "error_class",
    "one",
    "read_only",
    "register_vector",
    "scalar",
    "server_detail",
    "server_message",
    "set_statement_timeout",
    "sql_error",
    "translate",
]

"""The read-only guard: generated SQL must be one read query (checked with sqlglot) and runs READ ONLY."""

from __future__ import annotations

import pandas as pd
import psycopg
from sqlglot import exp

from pgai_magic.cell import convert
from pgai_magic.db import Database, read_only, translate
from pgai_magic.errors import SQLError
from pgai_magic.sqltext import DENIED_FUNCTIONS, Statement, parse_read_query

__all__ = ["DENIED_FUNCTIONS", "check", "explain", "run_read_only"]


def check(sql: str) -> exp.Expr:
    """The parsed query when `sql` is a single read query; GuardError (saying why) otherwise.

    The rules are the package's one read-only check (`pgai_magic.sqltext.check_read_query`).
    """
    return parse_read_query(sql, what="the generated SQL")[1]


def explain(db: Database, sql: str, *, timeout_s: float = 30.0) -> None:
    """Check `sql` with the guard, then let the server plan it (EXPLAIN in a READ ONLY transaction).

    SQLError (message, SQLSTATE, position in `sql`) when the server rejects it.
    """
    check(sql)
    text = sql.strip().rstrip(";")
    conn = db.control
    prefix = "EXPLAIN "
    try:
        with read_only(conn, timeout_s, what="planning the generated SQL", error=SQLError):
            conn.execute((prefix + text).encode())  # type: ignore[call-overload]
    except psycopg.Error as exc:
        raise translate(exc, Statement(text), shift=len(prefix)) from None


def run_read_only(db: Database, sql: str, *, timeout_s: float = 30.0) -> tuple[pd.DataFrame, float]:
    """Run a guarded query in a READ ONLY transaction with a statement timeout: (DataFrame, seconds)."""
    check(sql)
    result = db.run_readonly(Statement(sql.strip().rstrip(";")), timeout_s=timeout_s)
    frame = convert.to_pandas(result.table) if result.table is not None else pd.DataFrame()
    return frame, result.elapsed

"""Helpers shared by test fixtures (no fixtures here: those live in conftest.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg import sql


def drop_schema(conn: psycopg.Connection, name: str) -> None:
    """DROP SCHEMA … CASCADE under a lock_timeout: a session left holding a lock fails the test, never hangs it."""
    conn.execute("SET lock_timeout = '30s'")
    conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name)))


def scalar(conn: psycopg.Connection, query: str, params: Sequence[Any] | None = None) -> Any:
    """The first column of the one row `query` returns; an AssertionError naming the query when it returns none."""
    row = conn.execute(query, params).fetchone()
    assert row is not None, f"no row from {query}"
    return row[0]

"""Helpers shared by test fixtures (no fixtures here: those live in conftest.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg import sql

from pgai_magic.db import one


def drop_schema(conn: psycopg.Connection, name: str) -> None:
    """DROP SCHEMA … CASCADE under a lock_timeout: a session left holding a lock fails the test, never hangs it."""
    conn.execute("SET lock_timeout = '30s'")
    conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name)))


def scalar(conn: psycopg.Connection, query: str, params: Sequence[Any] | None = None) -> Any:
    """The first column of the one row `query` returns (pgai_magic.db.one: an error naming the query when none)."""
    return one(conn, query, params)[0]

"""Helpers shared by test fixtures (no fixtures here: those live in conftest.py)."""

from __future__ import annotations

import psycopg
from psycopg import sql


def drop_schema(conn: psycopg.Connection, name: str) -> None:
    """DROP SCHEMA … CASCADE under a lock_timeout: a session left holding a lock fails the test, never hangs it."""
    conn.execute("SET lock_timeout = '30s'")
    conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name)))

"""Helpers shared by test fixtures (no fixtures here: those live in conftest.py)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

from pgai_magic.db import one


def drop_schema(conn: psycopg.Connection, name: str) -> None:
    """DROP SCHEMA … CASCADE under a lock_timeout: a session left holding a lock fails the test, never hangs it."""
    conn.execute("SET lock_timeout = '30s'")
    conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name)))


@contextmanager
def schema_catalog(pg_dsn: str, prefix: str, ddl: str) -> Iterator[tuple[psycopg.Connection, Any]]:
    """A fresh schema `<prefix>_…` first on the search path, `ddl` run in it: (connection, its pgai catalog);
    the schema dropped afterwards."""
    from pgai_magic.catalog import load_catalog

    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg_dsn, autocommit=True, options=f"-c search_path={name},public") as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(name)))
        conn.execute(ddl)  # type: ignore[arg-type]  # the test's own DDL text
        try:
            yield conn, load_catalog(conn, [name])
        finally:
            drop_schema(conn, name)


def scalar(conn: psycopg.Connection, query: str, params: Sequence[Any] | None = None) -> Any:
    """The first column of the one row `query` returns (pgai_magic.db.one: an error naming the query when none)."""
    return one(conn, query, params)[0]


@contextmanager
def database_and_role(pg_dsn: str, prefix: str, *, owns: bool = False) -> Iterator[tuple[str, str, str, str]]:
    """A fresh database `<prefix>_…` and a LOGIN role with no privilege yet (or owning the database, with `owns`):
    (database, role, the superuser's DSN and the role's DSN on that database); both dropped afterwards."""
    suffix = uuid.uuid4().hex[:8]
    name, role = f"{prefix}_{suffix}", f"{'owner' if owns else 'analyst'}_{suffix}"
    with psycopg.connect(pg_dsn, autocommit=True) as su:
        su.execute(f"CREATE ROLE {role} LOGIN")
        su.execute(f"CREATE DATABASE {name}" + (f" OWNER {role}" if owns else ""))
    try:
        yield name, role, make_conninfo(pg_dsn, dbname=name), make_conninfo(pg_dsn, dbname=name, user=role)
    finally:
        with psycopg.connect(pg_dsn, autocommit=True) as su:
            su.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            su.execute(f"DROP ROLE IF EXISTS {role}")


def failed(shell: Any, code: str) -> str:
    """Run `code` in an IPython shell: it must fail the cell with a PgaiError (no internal error). Returns what IPython
    shows for it: its `_render_traceback_` lines, after anything printed before (IPython prints them to stdout)."""
    from pgai_magic.errors import InternalError, PgaiError

    result = shell.run_cell(code)
    err = result.error_in_exec
    assert isinstance(err, PgaiError) and not isinstance(err, InternalError), (code, err)
    assert result.result is None
    return "\n".join(err._render_traceback_())


def magic_error(shell: Any, line: str, cell: str | None = None) -> Any:
    """Call the %pgai magic (`cell` given: %%pgai) expecting it to raise a PgaiError; returns the error (its
    `headline()` is what the notebook shows)."""
    from pgai_magic.errors import PgaiError

    try:
        if cell is None:
            shell.run_line_magic("pgai", line)
        else:
            shell.run_cell_magic("pgai", line, cell)
    except PgaiError as err:
        return err
    raise AssertionError(f"%pgai {line} did not fail")

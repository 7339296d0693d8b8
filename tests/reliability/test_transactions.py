"""Errors that are not connection errors keep the connection and the user's transaction as the server has it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pandas as pd
import psycopg
import pytest

from pgai_magic.errors import ParameterError, PgaiError, SQLError
from pgai_magic.session import Session
from tests.pg_helpers import scalar


class _Opaque:
    pass


def _values() -> list[Any]:
    def gen() -> Iterator[int]:
        yield 1

    return [{"a": 1}, pd.DataFrame({"a": [1]}), _Opaque(), gen(), {1, 2}, object()]


@pytest.fixture()
def table(session: Session, schema: str) -> Iterator[str]:
    session.execute(f"CREATE TABLE {schema}.t (a numeric)")
    yield f"{schema}.t"
    if session.db.in_transaction:
        session.execute("ROLLBACK")


@pytest.mark.parametrize("value", _values(), ids=lambda v: type(v).__name__)
def test_an_unbindable_value_inside_begin_keeps_the_transaction(
    session: Session, conn: psycopg.Connection, table: str, value: Any
) -> None:
    session.execute("BEGIN")
    pid = session.db.backend_pid
    session.execute(f"INSERT INTO {table} VALUES (1)")
    with pytest.raises(ParameterError, match="cannot be bound") as err:
        session.execute(f"INSERT INTO {table} VALUES (:v)", {"v": value})
    assert any("transaction is unchanged and still open" in n for n in err.value.notices)
    assert session.db.backend_pid == pid and session.db.in_transaction and not session.db.transaction_failed
    assert session.execute("COMMIT").summary() == "COMMIT"
    assert scalar(conn, f"SELECT count(*) FROM {table}") == 1


def test_a_huge_integer_binds_as_numeric_inside_begin(session: Session, conn: psycopg.Connection, table: str) -> None:
    session.execute("BEGIN")
    session.execute(f"INSERT INTO {table} VALUES (:v)", {"v": 2**70})
    assert session.execute("COMMIT").summary() == "COMMIT"
    assert scalar(conn, f"SELECT a FROM {table}") == 2**70


def test_a_server_error_inside_begin_leaves_it_aborted_on_the_same_connection(
    session: Session, conn: psycopg.Connection, table: str
) -> None:
    session.execute("BEGIN")
    pid = session.db.backend_pid
    session.execute(f"INSERT INTO {table} VALUES (1)")
    with pytest.raises(SQLError, match="division by zero"):
        session.execute("SELECT 1 / 0")
    assert session.db.backend_pid == pid and session.db.transaction_failed
    with pytest.raises(SQLError, match="current transaction is aborted") as err:
        session.execute("SELECT 1")
    assert "ROLLBACK" in str(err.value)
    assert session.execute("COMMIT").summary() == "ROLLBACK"  # what the server says, as psql shows it
    assert scalar(conn, f"SELECT count(*) FROM {table}") == 0


def test_a_bad_template_or_argument_inside_begin_keeps_the_transaction(session: Session, table: str) -> None:
    session.execute("BEGIN")
    pid = session.db.backend_pid
    session.execute(f"INSERT INTO {table} VALUES (1)")
    for bad in ("SELECT :missing_name", f"SELECT * FROM {table} WHERE a = $1"):
        with pytest.raises(PgaiError):
            session.execute(bad, {})
        assert session.db.backend_pid == pid and session.db.in_transaction
    session.execute("ROLLBACK")
    assert not session.db.in_transaction

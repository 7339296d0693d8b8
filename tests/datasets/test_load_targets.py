"""Dataset loaders take a psycopg connection, a Database or a session (typed, not duck-typed)."""

from __future__ import annotations

import psycopg
import pytest

from pgai_magic.datasets import connection_of, faq
from pgai_magic.session import Session


def test_a_connection_a_database_and_a_session_are_load_targets(session: Session, conn: psycopg.Connection) -> None:
    assert connection_of(conn) is conn
    assert connection_of(session.db) is session.db.control
    assert connection_of(session) is session.db.control


def test_anything_else_is_one_clear_type_error() -> None:
    with pytest.raises(TypeError, match="needs a psycopg connection, a Database or a pgai_magic session, not str"):
        connection_of("postgresql://localhost/db")  # type: ignore[arg-type]


def test_faq_loads_through_the_database(session: Session, schema: str) -> None:
    assert faq.load(session.db, schema=schema) == len(faq.ENTRIES)
    count = session.sql(f"SELECT count(*) AS n FROM {schema}.faq")["n"][0]
    assert count == len(faq.rows()) and len(faq.ENTRIES) > 0

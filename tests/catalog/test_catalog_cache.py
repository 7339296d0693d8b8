"""The catalog cache against a real PostgreSQL: DDL from another connection is seen on the next read."""

from __future__ import annotations

from typing import Any

import psycopg

from pgai_magic.catalog import CatalogCache, fingerprint


def test_ddl_from_another_connection_reloads_the_catalog(conn: psycopg.Connection, pg_dsn: str, schema: str) -> None:
    conn.execute(f'CREATE TABLE "{schema}".customers (id int PRIMARY KEY, name text)')
    cache = CatalogCache()
    first = cache.get(conn, [schema])
    assert sorted(t.name for t in first.tables.values()) == ["customers"]
    assert cache.get(conn, [schema]) is first  # nothing changed: the cached catalog
    with psycopg.connect(pg_dsn, autocommit=True) as other:
        other.execute(f'CREATE TABLE "{schema}".orders (id int PRIMARY KEY, customer int, total numeric)')
    second = cache.get(conn, [schema])
    assert sorted(t.name for t in second.tables.values()) == ["customers", "orders"]
    with psycopg.connect(pg_dsn, autocommit=True) as other:
        other.execute(f'ALTER TABLE "{schema}".orders RENAME TO purchases')
    third = cache.get(conn, [schema])
    assert sorted(t.name for t in third.tables.values()) == ["customers", "purchases"]
    with psycopg.connect(pg_dsn, autocommit=True) as other:
        other.execute(
            f'ALTER TABLE "{schema}".purchases ADD CONSTRAINT buyer FOREIGN KEY (customer) '
            f'REFERENCES "{schema}".customers (id)'
        )
    fourth = cache.get(conn, [schema])
    purchases = fourth.table("purchases")
    assert purchases is not None
    assert [(fk.columns, fk.ref_table, fk.inferred) for fk in purchases.foreign_keys] == [
        (("customer",), f"{schema}.customers", False)
    ]
    assert cache.get(conn, [schema]) is fourth


def test_fingerprint_changes_with_ddl_not_with_reads(conn: psycopg.Connection, schema: str) -> None:
    conn.execute(f'CREATE TABLE "{schema}".empty ()')  # no column yet: still part of the catalog
    before = fingerprint(conn, [schema])
    conn.execute(f'SELECT * FROM "{schema}".empty')
    assert fingerprint(conn, [schema]) == before
    conn.execute(f'ALTER TABLE "{schema}".empty ADD COLUMN note text')
    assert fingerprint(conn, [schema]) != before


def test_the_session_catalog_sees_a_table_created_after_it_was_read(
    session: Any, conn: psycopg.Connection, schema: str
) -> None:
    conn.execute(f'CREATE TABLE "{schema}".first (id int)')
    assert [t.name for t in session.questions.catalog(schema).tables.values()] == ["first"]
    conn.execute(f'CREATE TABLE "{schema}".second (id int)')  # another connection than the session's
    assert sorted(t.name for t in session.questions.catalog(schema).tables.values()) == ["first", "second"]

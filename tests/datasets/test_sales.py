"""The tutorial sales dataset: keys, comments, determinism, and dates relative to the load date."""

from __future__ import annotations

import psycopg
import pytest

from pgai_magic.datasets import sales
from pgai_magic.session import Session


def _digest(conn: psycopg.Connection, schema: str) -> str:
    row = conn.execute(f"SELECT md5(string_agg(o::text, ',' ORDER BY order_id)) FROM \"{schema}\".orders o").fetchone()
    assert row is not None
    return str(row[0])


def test_load_creates_related_tables_with_comments(conn: psycopg.Connection, schema: str) -> None:
    counts = sales.load(conn, schema=schema, seed=0, scale=0.2)
    assert set(counts) == {"customers", "products", "orders", "order_items"}
    for table, n in counts.items():
        assert conn.execute(f'SELECT count(*) FROM "{schema}"."{table}"').fetchone() == (n,)
    fks = conn.execute(
        """SELECT conrelid::regclass::text, confrelid::regclass::text FROM pg_constraint
           WHERE contype = 'f' AND connamespace = %s::regnamespace ORDER BY 1, 2""",
        (schema,),
    ).fetchall()
    assert [(a.split(".")[-1], b.split(".")[-1]) for a, b in fks] == [
        ("order_items", "orders"),
        ("order_items", "products"),
        ("orders", "customers"),
    ]
    comment = conn.execute("SELECT col_description(%s::regclass, 6)", (f'"{schema}".order_items',)).fetchone()
    assert comment is not None and "revenue" in comment[0]
    statuses = {r[0] for r in conn.execute(f'SELECT DISTINCT status FROM "{schema}".orders')}
    assert statuses <= {"completed", "cancelled", "returned", "pending"} and {"completed", "cancelled"} <= statuses
    amounts_ok = conn.execute(
        f'SELECT bool_and(amount = round(quantity * unit_price, 2)) FROM "{schema}".order_items'
    ).fetchone()
    assert amounts_ok == (True,)


def test_past_week_has_orders_whatever_the_date(conn: psycopg.Connection, schema: str) -> None:
    sales.load(conn, schema=schema, seed=3, scale=0.5)
    row = conn.execute(
        f"""SELECT count(*), max(order_date) <= current_date FROM "{schema}".orders
            WHERE order_date >= current_date - interval '7 days'"""
    ).fetchone()
    assert row is not None and row[0] > 0 and row[1] is True


def test_same_seed_same_data_other_seed_other_data(conn: psycopg.Connection, schema: str) -> None:
    sales.load(conn, schema=schema, seed=7, scale=0.2)
    first = _digest(conn, schema)
    sales.load(conn, schema=schema, seed=7, scale=0.2)  # replace=True drops and reloads
    assert _digest(conn, schema) == first
    sales.load(conn, schema=schema, seed=8, scale=0.2)
    assert _digest(conn, schema) != first


def test_load_accepts_a_session_and_rejects_bad_scale(session: Session, schema: str) -> None:
    counts = sales.load(session, schema=schema, scale=0.1)
    assert counts["customers"] >= 20
    with pytest.raises(ValueError, match="scale"):
        sales.load(session, schema=schema, scale=0)

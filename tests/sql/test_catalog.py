"""Schema introspection against a real PostgreSQL: keys, comments, values, labels, cache invalidation."""

from __future__ import annotations

import psycopg

from pgai_magic.catalog import CatalogCache, load_catalog, words
from pgai_magic.datasets import sales


def test_catalog_reads_keys_comments_and_values(conn: psycopg.Connection, schema: str) -> None:
    sales.load(conn, schema=schema, scale=0.2)
    cat = load_catalog(conn, [schema])
    assert cat.qualify  # the test schema is not on the search path
    assert sorted(t.name for t in cat.tables.values()) == ["customers", "order_items", "orders", "products"]
    items = cat.table("order_items")
    assert items is not None and items.primary_key == ("order_item_id",)
    refs = sorted(fk.ref_table for fk in items.foreign_keys)
    assert refs == [f"{schema}.orders", f"{schema}.products"]
    amount = items.column("amount")
    assert amount is not None and amount.is_numeric and "revenue" in (amount.comment or "")
    status = cat.column("orders", "status")
    assert status is not None and status.values is not None
    assert set(status.values) <= {"completed", "cancelled", "returned", "pending"}
    assert cat.column("orders", "order_date").is_temporal  # type: ignore[union-attr]
    email = cat.column("customers", "email")
    assert email is not None and not email.categorical  # one value per row: not a category
    assert cat.column("customers", "country").categorical  # type: ignore[union-attr]
    assert cat.table("products").label.name == "name"  # type: ignore[union-attr]
    assert cat.table("orders").label is None  # type: ignore[union-attr]
    text = cat.describe([f"{schema}.orders"])
    assert f"REFERENCES {schema}.customers(customer_id)" in text and "'cancelled'" in text


def test_cache_reloads_when_the_schema_changes(conn: psycopg.Connection, schema: str) -> None:
    conn.execute(f'CREATE TABLE "{schema}".notes (id int PRIMARY KEY, body text)')
    cache = CatalogCache()
    first = cache.get(conn, [schema])
    assert cache.get(conn, [schema]) is first
    conn.execute(f'ALTER TABLE "{schema}".notes ADD COLUMN author text')
    conn.execute(f"COMMENT ON TABLE \"{schema}\".notes IS 'meeting notes'")
    second = cache.get(conn, [schema])
    assert second is not first
    assert second.table("notes").column("author") is not None  # type: ignore[union-attr]
    assert second.table("notes").comment == "meeting notes"  # type: ignore[union-attr]


def test_words_split_identifiers() -> None:
    assert words("signupDate_2") == ["signup", "date", "2"]
    assert words("order_items") == ["order", "items"]

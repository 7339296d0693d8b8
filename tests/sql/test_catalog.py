"""Schema introspection against a real PostgreSQL: keys, comments, values, labels, cache invalidation."""

from __future__ import annotations

import psycopg

from pgai_magic.catalog import CatalogCache, load_catalog, words
from pgai_magic.datasets import sales


def test_catalog_reads_keys_comments_and_values(conn: psycopg.Connection, schema: str) -> None:
    sales.load(conn, schema=schema, scale=0.2)
    cat = load_catalog(conn, [schema])
    assert all(cat.qualified(t) for t in cat.tables.values())  # the test schema is not on the search path
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


def test_a_reload_reads_again_only_the_tables_that_changed(conn: psycopg.Connection, schema: str) -> None:
    s = f'"{schema}"'
    conn.execute(f"CREATE TABLE {s}.teams (team_id int PRIMARY KEY, name text)")
    conn.execute(f"CREATE TABLE {s}.players (player_id int PRIMARY KEY, team_id int, pos text)")  # no FK declared
    conn.execute(f"CREATE TABLE {s}.venues (venue_id int PRIMARY KEY, city text)")
    conn.execute(f"INSERT INTO {s}.teams SELECT g, 'team ' || g FROM generate_series(1, 20) g")
    conn.execute(f"INSERT INTO {s}.players SELECT g, 1 + g % 20, (ARRAY['gk','df','fw'])[1 + g % 3] "
                 "FROM generate_series(1, 200) g")  # fmt: skip
    conn.execute(f"INSERT INTO {s}.venues SELECT g, (ARRAY['Lyon','Nice'])[1 + g % 2] FROM generate_series(1, 9) g")
    first = load_catalog(conn, [schema])
    assert [fk.inferred for fk in first.table("players").foreign_keys] == [True]  # type: ignore[union-attr]
    conn.execute(f"INSERT INTO {s}.venues VALUES (10, 'Metz')")
    conn.execute(f"ANALYZE {s}.venues")  # the write and the new estimate reach the statistics the state reads
    queries: list[str] = []
    traced = _Tracing(conn, queries)
    again = load_catalog(traced, [schema], previous=first)  # type: ignore[arg-type]
    fresh = load_catalog(conn, [schema])
    assert _shape(again) == _shape(fresh)
    touched = " ".join(queries)
    assert "venues" in touched and "players" not in touched and "teams" not in touched
    assert sorted(again.table("venues").column("city").values) == ["Lyon", "Metz", "Nice"]  # type: ignore[union-attr]


class _Tracing:
    """A connection that records the text of every query run through `execute`."""

    def __init__(self, conn: psycopg.Connection, seen: list[str]) -> None:
        self._conn, self._seen = conn, seen

    def execute(self, query: object, *args: object, **kwargs: object) -> object:
        self._seen.append(query if isinstance(query, str) else query.as_string(self._conn))  # type: ignore[attr-defined]
        return self._conn.execute(query, *args, **kwargs)  # type: ignore[arg-type]

    def __getattr__(self, name: str) -> object:
        return getattr(self._conn, name)


def _shape(cat: object) -> dict[str, object]:
    tables = cat.tables  # type: ignore[attr-defined]
    return {
        k: (sorted(map(str, t.foreign_keys)), [(c.name, c.values, c.samples, c.n_distinct) for c in t.columns])
        for k, t in tables.items()
    }

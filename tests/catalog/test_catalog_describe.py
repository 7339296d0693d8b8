"""Typed names resolved once, the relation listing, column descriptions, primary keys and privilege checks of
the catalog, against a real server."""

from __future__ import annotations

import psycopg
import pytest

from pgai_magic import catalog


def test_typed_names_try_postgres_reading_then_the_name_as_typed() -> None:
    assert catalog.typed_names("Shop.Orders") == ['"shop"."orders"', '"Shop.Orders"', '"Shop"."Orders"']
    assert catalog.typed_names("My Table") == ['"My Table"']  # not SQL syntax unquoted: one exact name
    assert catalog.typed_names('"a""b"') == ['"a""b"', '"""a""""b"""']
    assert catalog.typed_names("x;y") == ['"x;y"']  # no SQL reading at all: only the name as typed
    assert catalog.typed_names("") == []


def test_resolve_relation_reads_names_as_people_type_them(conn: psycopg.Connection, schema: str) -> None:
    conn.execute(f'CREATE TABLE "{schema}"."Orders" (x int); CREATE TABLE "{schema}"."My Table" (y int)')
    conn.execute(f'CREATE TABLE "{schema}"."x;y" (z int)')
    read = catalog.reader(conn)
    exact = catalog.resolve_relation(read, f"{schema}.Orders")  # folded 'orders' is missing: the name as typed
    assert exact is not None and exact.name == "Orders" and exact.label == f"{schema}.Orders"
    assert exact.regclass == f'{schema}."Orders"'  # as PostgreSQL prints it: off the search path, quoted
    spaced = catalog.resolve_relation(read, f"{schema}.My Table", "the table")
    assert spaced is not None and (spaced.name, spaced.label) == ("My Table", "the table")
    odd = catalog.resolve_relation(read, f"{schema}.x;y")
    assert odd is not None and odd.name == "x;y"
    conn.execute(f'CREATE TABLE "{schema}".orders (x int)')
    folded = catalog.resolve_relation(read, f"{schema}.Orders")  # both exist: PostgreSQL's reading wins
    assert folded is not None and folded.name == "orders"
    assert catalog.resolve_relation(read, f"{schema}.nosuch") is None
    assert catalog.resolve_relation(read, "") is None
    conn.execute(f'SET search_path = "{schema}", public')
    try:
        on_path = catalog.resolve_relation(read, "My Table")
        assert on_path is not None and on_path.regclass == '"My Table"'  # on the search path: unqualified
        found = catalog.find_relation(read, "orders", "orders")
        assert found is not None and found.regclass == "orders" and found.relkind == "r"
    finally:
        conn.execute("RESET search_path")


def test_list_relations_kinds_estimates_sizes_comments(conn: psycopg.Connection, schema: str) -> None:
    conn.execute(
        f"CREATE TABLE {schema}.t (id int PRIMARY KEY); COMMENT ON TABLE {schema}.t IS 'the t';"
        f"INSERT INTO {schema}.t SELECT generate_series(1, 30); ANALYZE {schema}.t;"
        f"CREATE VIEW {schema}.v AS SELECT id FROM {schema}.t;"
        f"CREATE MATERIALIZED VIEW {schema}.m AS SELECT id FROM {schema}.t;"
        f"CREATE TABLE {schema}.p (d date) PARTITION BY RANGE (d);"
        f"CREATE TABLE {schema}.p1 PARTITION OF {schema}.p FOR VALUES FROM ('2020-01-01') TO ('2030-01-01')"
    )
    read = catalog.reader(conn)
    found = {r.name: r for r in catalog.list_relations(read, schema)}
    assert set(found) == {"t", "v", "m", "p"}  # partitions are part of their table, not listed
    assert [found[n].kind for n in ("t", "v", "m", "p")] == ["table", "view", "materialized view", "partitioned table"]
    assert found["t"].rows_estimate == 30 and found["t"].comment == "the t" and found["t"].schema == schema
    assert found["v"].rows_estimate is None and found["v"].comment is None  # a view has no estimate
    assert found["t"].size.endswith(("bytes", "kB")) and not found["t"].on_search_path
    everywhere = catalog.list_relations(read)
    assert {(r.schema, r.name) for r in everywhere} >= {(schema, "t"), (schema, "p")}
    assert not {r.schema for r in everywhere} & {"pgai", "pg_catalog", "information_schema"}
    conn.execute(f"SET search_path = {schema}")
    try:
        listed = catalog.list_relations(read)
        assert listed[0].schema == schema and listed[0].on_search_path  # the search path's relations first
    finally:
        conn.execute("RESET search_path")


def test_describe_columns_and_primary_key(conn: psycopg.Connection, schema: str) -> None:
    conn.execute(
        f"CREATE TABLE {schema}.parent (a int, b text, PRIMARY KEY (b, a));"
        f"CREATE TABLE {schema}.child (id int PRIMARY KEY, code text UNIQUE NOT NULL DEFAULT 'x', pa int, pb text, "
        f"FOREIGN KEY (pb, pa) REFERENCES {schema}.parent (b, a)); COMMENT ON COLUMN {schema}.child.code IS 'a code';"
        f"CREATE TABLE {schema}.loose (v float8)"
    )
    read = catalog.reader(conn)
    child, parent, loose = (
        catalog.find_relation(read, catalog.quoted_name(schema, n), n) for n in ("child", "parent", "loose")
    )
    assert child is not None and parent is not None and loose is not None
    described = catalog.describe_columns(read, child)
    assert [(c.name, c.type, c.nullable) for c in described] == [
        ("id", "integer", False),
        ("code", "text", False),
        ("pa", "integer", True),
        ("pb", "text", True),
    ]
    by_name = {c.name: c for c in described}
    assert by_name["id"].key == "PRIMARY KEY" and by_name["id"].default is None
    assert by_name["code"].key == "UNIQUE" and by_name["code"].default == "'x'::text"
    assert by_name["code"].comment == "a code" and by_name["pa"].comment is None
    assert by_name["pa"].key == f"FOREIGN KEY → {schema}.parent" == by_name["pb"].key
    assert catalog.primary_key(read, parent) == ("b", "a")  # in key order, not column order
    assert catalog.primary_key(read, child) == ("id",)
    assert catalog.primary_key(read, loose) == ()


def test_has_privileges_never_raises_for_what_is_out_of_reach(conn: psycopg.Connection, schema: str) -> None:
    conn.execute(f'CREATE TABLE {schema}."Odd ""Name""" (x int)')
    read = catalog.reader(conn)
    odd = 'Odd "Name"'
    assert catalog.has_privileges(read, schema, odd, ("SELECT", "INSERT"))
    assert not catalog.has_privileges(read, schema, "nosuch", ("SELECT",))
    assert not catalog.has_privileges(read, f"{schema}_nosuch", odd, ("SELECT",))
    with pytest.raises(ValueError, match="at least one privilege"):
        catalog.has_privileges(read, schema, odd, ())
    role = f"{schema}_reader"
    conn.execute(f"CREATE ROLE {role} NOLOGIN")
    try:
        conn.execute(f"SET ROLE {role}")
        assert not catalog.has_privileges(read, schema, odd, ("SELECT",))  # no USAGE on the schema: False
        conn.execute("RESET ROLE")
        conn.execute(f'GRANT USAGE ON SCHEMA {schema} TO {role}; GRANT SELECT ON {schema}."Odd ""Name""" TO {role}')
        conn.execute(f"SET ROLE {role}")
        assert catalog.has_privileges(read, schema, odd, ("SELECT",))
        assert not catalog.has_privileges(read, schema, odd, ("SELECT", "INSERT"))  # every one, not any
    finally:
        conn.execute("RESET ROLE")
        conn.execute(f"DROP OWNED BY {role}; DROP ROLE {role}")

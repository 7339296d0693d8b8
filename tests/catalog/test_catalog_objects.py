"""Existence of several relations at once, a schema's functions, an extension's schema and element statistics,
from the catalog against a real server."""

from __future__ import annotations

import psycopg

from pgai_magic import catalog


def test_relations_exist_in_one_query(conn: psycopg.Connection, schema: str) -> None:
    conn.execute(f'CREATE TABLE {schema}."Odd t" (x int); CREATE INDEX odd_x ON {schema}."Odd t" (x)')
    read = catalog.reader(conn)
    names = [
        catalog.quoted_name(schema, "Odd t"),
        catalog.quoted_name(schema, "odd t"),  # exact names: another case is another relation
        catalog.quoted_name(schema, "odd_x"),  # an index is a relation too
        catalog.quoted_name(f"{schema}_nosuch", "Odd t"),
        "not a ; name",
    ]
    assert catalog.relations_exist(read, names) == [True, False, True, False, False]
    assert catalog.relations_exist(read, []) == []


def test_read_functions_lists_every_overload(conn: psycopg.Connection, schema: str) -> None:
    conn.execute(
        f"CREATE FUNCTION {schema}.f(a float8, b int) RETURNS float8 LANGUAGE sql AS 'SELECT a + b';"
        f"CREATE FUNCTION {schema}.f(text) RETURNS text LANGUAGE sql AS 'SELECT $1';"
        f"CREATE FUNCTION {schema}.g() RETURNS float8[] LANGUAGE sql AS 'SELECT ARRAY[1.0]::float8[]'"
    )
    read = catalog.reader(conn)
    found = catalog.read_functions(read, schema, ["f", "g", "nosuch"])
    assert [(f.name, f.arg_names, f.arg_types, f.returns) for f in found] == [
        ("f", ["a", "b"], ["double precision", "integer"], "double precision"),
        ("f", [], ["text"], "text"),
        ("g", [], [], "double precision[]"),
    ]
    assert found[0].regprocedure == f"{schema}.f(double precision,integer)"
    conn.execute(f"DROP FUNCTION {found[1].regprocedure}")  # the signature works as DROP FUNCTION's argument
    assert [f.arg_types for f in catalog.read_functions(read, schema, ["f"])] == [["double precision", "integer"]]
    assert catalog.read_functions(read, f"{schema}_nosuch", ["f"]) == []


def test_extension_schema_and_versions(conn: psycopg.Connection) -> None:
    read = catalog.reader(conn)
    query = "SELECT extname, extnamespace::regnamespace::text, extversion FROM pg_extension"
    installed = conn.execute(query).fetchall()
    assert "plpgsql" in {name for name, _, _ in installed}  # every database has it: the loop below checks something
    for name, nsp, _ in installed:
        assert catalog.extension_schema(read, name) == nsp
    assert catalog.extension_schema(read, "no_such_extension") is None
    wanted = [name for name, _, _ in installed] + ["no_such_extension"]
    assert catalog.extension_versions(read, wanted) == {name: version for name, _, version in installed}


def test_element_statistics_of_tsvector_and_array_columns(conn: psycopg.Connection, schema: str) -> None:
    conn.execute(
        f"CREATE TABLE {schema}.docs AS SELECT to_tsvector('simple', CASE WHEN g % 2 = 0 THEN 'red apple' "
        f"ELSE 'green apple' END) AS ts, ARRAY[g % 3] AS tags, g FROM generate_series(1, 300) g;"
        f"ANALYZE {schema}.docs"
    )
    read = catalog.reader(conn)
    rel = catalog.find_relation(read, catalog.quoted_name(schema, "docs"), "docs")
    assert rel is not None
    stats = {s.name: s for s in catalog.read_statistics(read, rel)}
    words = dict(zip(stats["ts"].mce, stats["ts"].mcef))
    assert words["apple"] == 1.0 and words["red"] == 0.5 and words["green"] == 0.5
    assert len(stats["ts"].mcef) == len(stats["ts"].mce) + 2  # then the least and greatest of them
    assert sorted(stats["tags"].mce) == ["0", "1", "2"]
    assert len(stats["tags"].mcef) == len(stats["tags"].mce) + 3  # an array's: and the NULL-element frequency
    assert stats["g"].mce == [] and stats["g"].mcef == []  # a scalar column has no element statistics

"""One relation as PostgreSQL resolves it, its columns and pg_stats, against a real server."""

from __future__ import annotations

import psycopg
import pytest

from pgai_magic import catalog
from pgai_magic.errors import ConfigError


def test_names_resolve_as_postgres_reads_them(conn: psycopg.Connection, schema: str) -> None:
    conn.execute(f'CREATE TABLE "{schema}"."Mixed Case" (id int PRIMARY KEY, code text UNIQUE NOT NULL, v float8)')
    conn.execute(f'CREATE MATERIALIZED VIEW "{schema}".summary AS SELECT count(*) AS n FROM "{schema}"."Mixed Case"')
    read = catalog.reader(conn)
    assert catalog.parse_relation_name(f'{schema}."Mixed Case"') == (schema, "Mixed Case")
    assert catalog.parse_relation_name(f"{schema}.SUMMARY") == (schema, "summary")  # unquoted: folded
    with pytest.raises(ConfigError, match="is not a table name"):
        catalog.parse_relation_name("")
    found = catalog.find_relation(read, catalog.quoted_name(schema, "Mixed Case"), "label")
    assert found is not None and (found.schema, found.name, found.relkind, found.label) == (
        schema,
        "Mixed Case",
        "r",
        "label",
    )
    assert catalog.find_relation(read, catalog.quoted_name(schema, "mixed case"), "x") is None
    conn.execute(f'SET search_path = "{schema}", public')
    view = catalog.find_relation(read, catalog.quoted_name("summary"), "summary")  # found on the search path
    assert view is not None and view.relkind == "m" and view.can_sample
    assert "summary" in catalog.relation_names(conn) and "Mixed Case" in catalog.relation_names(conn)
    conn.execute("RESET search_path")
    assert f"{schema}.summary" in catalog.relation_names(conn)  # off the search path: schema-qualified
    assert "Mixed Case" in catalog.table_names(read)  # information_schema.tables: tables and views


def test_columns_keys_and_statistics(conn: psycopg.Connection, schema: str) -> None:
    conn.execute(f'CREATE TABLE "{schema}".t (id int PRIMARY KEY, code text UNIQUE NOT NULL, v float8, day date)')
    conn.execute(
        f"INSERT INTO \"{schema}\".t SELECT i, 'c' || i, i % 10, DATE '2024-01-01' + i % 30 "
        "FROM generate_series(1, 500) i"
    )
    read = catalog.reader(conn)
    rel = catalog.find_relation(read, catalog.quoted_name(schema, "t"), "t")
    assert rel is not None
    attributes = catalog.read_attributes(read, rel)
    assert [(a.name, a.type, a.category, a.unique, a.not_null) for a in attributes] == [
        ("id", "integer", "N", True, True),
        ("code", "text", "S", True, True),
        ("v", "double precision", "N", False, False),
        ("day", "date", "D", False, False),
    ]
    assert catalog.read_statistics(read, rel) == []  # before ANALYZE
    conn.execute(f'ANALYZE "{schema}".t')
    stats = {s.name: s for s in catalog.read_statistics(read, rel)}
    assert stats["v"].n_distinct == 10 and sorted(float(x) for x in stats["v"].mcv) == [float(i) for i in range(10)]
    assert stats["id"].n_distinct == -1  # unique: minus the fraction of rows
    assert stats["day"].time_hist == [] and stats["day"].hist == [] and len(stats["day"].mcv) == 30
    assert stats["v"].null_frac == 0 and stats["v"].correlation is not None

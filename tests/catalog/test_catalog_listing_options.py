"""The catalog's listing options that tab completion and hybrid search read through: list_relations with the
session's partitions / temporary tables / written-name order, completion's names (the same set and order as the
pg_class query they replaced), and statistics_of (one relation's pg_stats by name, chosen columns)."""

from __future__ import annotations

import psycopg
import pytest

from pgai_magic import catalog
from pgai_magic.commands.complete import NameCache
from pgai_magic.session import Session

# what tab completion ran before it read through the catalog: the reference its names must still match
_BEFORE = (
    "SELECT CASE WHEN n.nspname = ANY(current_schemas(false)) THEN quote_ident(c.relname) "
    "ELSE quote_ident(n.nspname) || '.' || quote_ident(c.relname) END AS name FROM pg_class c "
    "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') "
    "AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pgai') AND n.nspname NOT LIKE 'pg_%%' "
    "ORDER BY 1"
)
_COLUMNS_BEFORE = (
    "SELECT attname AS name FROM pg_attribute WHERE attrelid = to_regclass(:t) AND attnum > 0 "
    "AND NOT attisdropped ORDER BY attnum"
)


def _objects(conn: psycopg.Connection, schema: str) -> None:
    conn.execute(
        f'CREATE TABLE "{schema}".events (id int, at date) PARTITION BY RANGE (at);'
        f'CREATE TABLE "{schema}".events_2024 PARTITION OF "{schema}".events '
        "FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');"
        f'CREATE TABLE "{schema}"."Mixed Case" ("Key" int PRIMARY KEY, label text, dropped int);'
        f'ALTER TABLE "{schema}"."Mixed Case" DROP COLUMN dropped;'
        f'CREATE TABLE "{schema}"."time" (v int);'  # a key word quote_ident quotes
        f'CREATE VIEW "{schema}".recent AS SELECT 1 AS one'
    )


def test_completion_names_are_the_set_and_order_of_the_query_they_replace(
    own_session: Session, conn: psycopg.Connection, schema: str
) -> None:
    _objects(conn, schema)
    own_session.sql("CREATE TEMP TABLE scratch_names (x int)")  # today's completion leaves temporary tables out
    for path in ("public", f'"{schema}", public'):  # off the search path (qualified), then on it (bare)
        own_session.sql(f"SET search_path = {path}")
        before = [str(v) for v in own_session.sql(_BEFORE)["name"]]
        names = NameCache(own_session.sql, ttl=0.0).tables()
        assert names == before
        assert not any("scratch_names" in n for n in names)
    assert {"events", "events_2024", '"Mixed Case"', '"time"', "recent"} <= set(names)  # partitions too


def test_completion_columns_are_those_of_the_relation_as_postgres_reads_the_name(
    own_session: Session, conn: psycopg.Connection, schema: str
) -> None:
    _objects(conn, schema)
    cache = NameCache(own_session.sql, ttl=0.0)
    for typed in (f'{schema}."Mixed Case"', f"{schema}.events", f"{schema}.nosuch", f"{schema}.Mixed Case"):
        before = [str(v) for v in own_session.sql(_COLUMNS_BEFORE, t=typed)["name"]]
        assert cache.columns(typed) == before
    assert cache.columns(f'{schema}."Mixed Case"') == ["Key", "label"]  # in order, the dropped one left out
    assert cache.columns(f"{schema}.nosuch") == []


def test_list_relations_options_partitions_temporary_and_order(conn: psycopg.Connection, schema: str) -> None:
    _objects(conn, schema)
    conn.execute("CREATE TEMP TABLE scratch_list (x int)")
    read = catalog.reader(conn)

    def names(**options: object) -> list[str]:
        found = catalog.list_relations(read, **options)  # type: ignore[arg-type]
        return [r.name for r in found if r.schema == schema or r.name == "scratch_list"]

    default = names()
    assert "events" in default and "events_2024" not in default  # partitions left out by default
    assert "scratch_list" in default  # the session's own temporary tables listed by default
    assert "events_2024" in names(partitions=True)
    assert "scratch_list" not in names(temporary=False)
    ordered = [r.written for r in catalog.list_relations(read, schema, order="written")]
    by_server = [r[0] for r in conn.execute("SELECT n FROM unnest(%s::text[]) n ORDER BY 1", (ordered,))]
    assert ordered == by_server  # by written name, in the database's collation
    assert set(ordered) == {f"{schema}.events", f'{schema}."Mixed Case"', f"{schema}.recent", f'{schema}."time"'}
    with pytest.raises(ValueError, match="'search path' or 'written'"):
        catalog.list_relations(read, order="size")  # type: ignore[arg-type]


def test_statistics_of_reads_the_chosen_columns_as_pg_stats_holds_them(conn: psycopg.Connection, schema: str) -> None:
    conn.execute(
        f'CREATE TABLE "{schema}".docs (id int PRIMARY KEY, body text, ts tsvector);'
        f"INSERT INTO \"{schema}\".docs SELECT i, 'w' || i, to_tsvector('simple', 'common w' || (i % 5)) "
        "FROM generate_series(1, 50) i;"
        f'ANALYZE "{schema}".docs'
    )
    read = catalog.reader(conn)
    stats = catalog.statistics_of(read, schema, "docs", ["ts"])
    assert [s.name for s in stats] == ["ts"]
    row = conn.execute(
        "SELECT most_common_elems::text::text[], most_common_elem_freqs FROM pg_stats "
        "WHERE schemaname = %s AND tablename = 'docs' AND attname = 'ts'",
        (schema,),
    ).fetchone()
    assert row is not None and row[0]
    assert dict(zip(stats[0].mce, stats[0].mcef)) == dict(zip(row[0], row[1]))  # the same numbers, not widened
    assert dict(zip(stats[0].mce, stats[0].mcef))["w1"] == 0.2  # in 10 of the 50 rows
    every = {s.name for s in catalog.statistics_of(read, schema, "docs")}
    assert every == {"id", "body", "ts"}
    rel = catalog.find_relation(read, catalog.quoted_name(schema, "docs"), "docs")
    assert rel is not None
    assert [s.name for s in catalog.read_statistics(read, rel, ["id"])] == ["id"]
    assert catalog.statistics_of(read, schema, "nosuch", ["ts"]) == []

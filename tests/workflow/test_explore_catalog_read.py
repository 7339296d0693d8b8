"""The catalog read through the session's runner (explore.catalog_read): the same rows as a plain connection,
whether values are bound as `:name` parameters (session.sql) or written into the text (plot's read-only fetch)."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from pgai_magic import catalog
from pgai_magic.cell import convert
from pgai_magic.errors import ConfigError
from pgai_magic.session import Session
from pgai_magic.sqltext import Statement
from pgai_magic.workflow.explore import catalog_read, relation


def _fetch(session: Session) -> Any:
    return lambda q: convert.to_pandas(session.db.run_readonly(Statement(q)).table)


def test_runner_reads_match_a_plain_connection(session: Session, conn: psycopg.Connection, schema: str) -> None:
    odd = "it's 100% {{odd}}: $1"  # a quote, a percent sign, a template, a colon and a placeholder in one name
    quoted = '"' + odd + '"'
    conn.execute(
        f"CREATE TABLE {schema}.{quoted} (id int PRIMARY KEY, note text DEFAULT 'n:1');"
        f"COMMENT ON TABLE {schema}.{quoted} IS '50% off'"
    )
    plain = catalog.reader(conn)
    expected = catalog.resolve_relation(plain, f"{schema}.{odd}")
    assert expected is not None and expected.name == odd
    for read in (catalog_read(session.sql), catalog_read(_fetch(session), bind=False)):
        found = catalog.resolve_relation(read, f"{schema}.{odd}")
        assert found == expected
        assert catalog.describe_columns(read, found) == catalog.describe_columns(plain, expected)
        assert catalog.list_relations(read, schema) == catalog.list_relations(plain, schema)
        assert catalog.primary_key(read, found) == ("id",)
        assert catalog.read_attributes(read, found) == catalog.read_attributes(plain, expected)


def test_rows_come_back_as_python_values_with_none_for_null(session: Session) -> None:
    rows = catalog_read(session.sql)("SELECT %s::bigint AS a, %s::text AS b, %s::bool AS c", (None, None, True))
    assert rows == [(None, None, True)]
    rows = catalog_read(session.sql)("SELECT %(n)s::bigint + 1 AS a, 'x%%' AS b", {"n": 41})
    assert rows == [(42, "x%")] and type(rows[0][0]) is int
    inline = catalog_read(_fetch(session), bind=False)
    assert inline("SELECT %(t)s::text AS t, 'y%%' AS p", {"t": "a'b"}) == [("a'b", "y%")]
    assert inline("SELECT 'z%%' AS p", None) == [("z%%",)]  # no parameters: the text as psycopg would send it


def test_relation_names_what_is_missing(session: Session) -> None:
    with pytest.raises(ConfigError, match=r"no table 'nosuch_here' here: `%pgai tables` lists them"):
        relation(catalog_read(session.sql), "nosuch_here")

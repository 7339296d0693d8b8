"""Insights resolve the table the way the catalog resolves every name people type (catalog.resolve_relation): as
PostgreSQL reads it, else as typed without its quotes; a text that is no table name still gets ConfigError."""

from __future__ import annotations

import psycopg
import pytest

from pgai_magic.errors import ConfigError, InsightError
from pgai_magic.insights import find_insights


def test_insights_accept_a_name_typed_without_its_quotes(conn: psycopg.Connection, schema: str) -> None:
    for name in ("Orders", "x;y"):
        conn.execute(
            f'CREATE TABLE "{schema}"."{name}" AS SELECT i AS id, (i % 3)::text AS grp, i * 1.5 AS amount '
            "FROM generate_series(1, 300) i"
        )
    typed = find_insights(conn, table=f"{schema}.Orders", top=3)  # folded 'orders' is missing: the name as typed
    quoted = find_insights(conn, table=f'{schema}."Orders"', top=3)
    assert typed.attrs["rows_analysed"] == quoted.attrs["rows_analysed"] == 300
    odd = find_insights(conn, table=f"{schema}.x;y", top=3)  # no SQL name syntax, but a relation's exact name
    assert odd.attrs["rows_analysed"] == 300
    with pytest.raises(InsightError, match="does not exist"):
        find_insights(conn, table=f"{schema}.nosuch", top=3)
    with pytest.raises(ConfigError, match="is not a table name"):
        find_insights(conn, table=f"{schema}.a;b", top=3)  # neither a name nor an existing relation

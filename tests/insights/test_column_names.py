"""Columns whose names collide with the engine's own aggregate aliases (n, g, s0, ...) are analysed like any other."""

from __future__ import annotations

import psycopg
import pytest

from pgai_magic.insights import find_insights

# dimensions called n, gid and tmin (the names of the engine's own aggregates); group n = 'c0' has far higher amounts
TABLE = """
CREATE TABLE {t} AS
SELECT gs AS id, 'c' || (gs % 4) AS n, 'k' || (gs % 3) AS gid, 'm' || (gs % 5) AS tmin,
       round(((gs % 13) * 1.5 + CASE WHEN gs % 4 = 0 THEN 30 ELSE 0 END)::numeric, 2) AS amount,
       TIMESTAMP '2024-01-01' + gs * interval '1 hour' AS at
FROM generate_series(1, 6000) gs
"""


@pytest.fixture(scope="module")
def table(pconn: psycopg.Connection, module_schema: str) -> str:
    pconn.execute(TABLE.format(t=f"{module_schema}.t"))
    pconn.execute(f"ANALYZE {module_schema}.t")
    return f"{module_schema}.t"


def test_a_column_named_n_in_a_table(pconn: psycopg.Connection, table: str) -> None:
    found = find_insights(pconn, table=table, top=30)
    hit = found[(found["kind"] == "category_outlier") & found["summary"].str.contains("c0")]
    assert not hit.empty, found["summary"].tolist()
    assert list(hit["columns"].iloc[0])[:1] == ["n"], hit.iloc[0].to_dict()


def test_a_query_whose_count_column_is_named_n(pconn: psycopg.Connection, table: str) -> None:
    # n is a small count per (group, day): a low-cardinality column that becomes a dimension of the cube
    query = (
        f"SELECT n AS grp, date_trunc('day', at) AS day, count(*)::int AS n, sum(amount) AS amount "
        f"FROM {table} GROUP BY 1, 2"
    )
    found = find_insights(pconn, query=query, top=30)
    row = pconn.execute(f"SELECT count(*) FROM ({query}) q").fetchone()
    assert row is not None and found.attrs["rows_analysed"] == row[0]
    assert (found["kind"] == "overview").any() and len(found) > 1, found["summary"].tolist()
    assert any("grp" in list(cols) for cols in found["columns"]), found["summary"].tolist()

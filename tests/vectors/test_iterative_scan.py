"""Raw SQL with a selective WHERE: every connection pgai opens scans the HNSW index iteratively, so LIMIT n gives n."""

from __future__ import annotations

import numpy as np
import psycopg
import pytest

from pgai_magic.session import Session

ROWS = 20_000
RARE = 100  # rows with category 'rare': 0.5 %


@pytest.mark.slow
def test_selective_filter_returns_limit_rows_through_the_index(
    session: Session, conn: psycopg.Connection, schema: str
) -> None:
    rng = np.random.default_rng(7)
    vectors = rng.standard_normal((ROWS, 16)).astype(np.float32)
    conn.execute(f"CREATE TABLE {schema}.items (id int PRIMARY KEY, category text, v vector(16))")
    with conn.cursor() as cur, cur.copy(f"COPY {schema}.items (id, category, v) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(["int4", "text", "vector"])
        for i, vector in enumerate(vectors):
            copy.write_row((i, "rare" if i % (ROWS // RARE) == 0 else "common", vector))  # rare: id % 200 = 0
    conn.execute(f"CREATE INDEX ON {schema}.items USING hnsw (v vector_cosine_ops)")
    conn.execute(f"ANALYZE {schema}.items")
    # 0.5 % of the rows match; the planner cannot tell (a third, by its default for `<` on an expression), so
    # it walks the index, as it does whenever it misjudges a filter, or for filters it finds not selective
    query = f"SELECT id FROM {schema}.items WHERE id % 200 < 1 ORDER BY v <=> CAST(:q AS vector) LIMIT 10"
    probe = "[" + ",".join(map(str, vectors[1].tolist())) + "]"  # a 'common' row: the rare ones are far away
    plan = "\n".join(session.sql(f"EXPLAIN {query}", q=probe).iloc[:, 0])
    assert "Index Scan using items_v_idx" in plan  # the index answers the filtered query
    rows = session.sql(query, q=probe)
    assert len(rows) == 10 and set(rows["id"]) <= set(range(0, ROWS, ROWS // RARE))
    assert session.sql("SHOW hnsw.iterative_scan").iloc[0, 0] == "strict_order"
    # a connection without the setting (pgvector's default: off) stops after ef_search candidates
    with psycopg.connect(conn.info.dsn, autocommit=True) as plain:
        plain.execute("SET hnsw.ef_search = 40")
        found = plain.execute(query.replace("%", "%%").replace(":q", "%s"), (probe,)).fetchall()
    assert len(found) < 10
    # the control connection (pgai's own work) and connections opened later carry the same settings
    assert session.db.control.execute("SHOW hnsw.iterative_scan").fetchone()[0] == "strict_order"
    with session.db.connect(autocommit=True) as fresh:
        assert fresh.execute("SHOW hnsw.ef_search").fetchone()[0] == "200"

"""Database.stream: a query's rows as Arrow batches from the fast path, the connection kept usable however it ends."""

from __future__ import annotations

import pyarrow as pa
import pytest

from pgai_magic.errors import SQLError
from pgai_magic.session import Session


def test_batches_hold_every_row_once_in_the_type_map(session: Session) -> None:
    query = "SELECT g AS id, g * 0.5::float8 AS x, 'r' || g AS t, g % 2 = 0 AS b FROM generate_series(1, 2500) g"
    batches = list(session.db.stream(query, 1000))
    assert [b.num_rows for b in batches] == [1000, 1000, 500]
    table = pa.concat_tables(batches)
    assert table.column("id").to_pylist() == list(range(1, 2501))
    assert table.schema.field("t").type == pa.large_string() and table.schema.field("b").type == pa.bool_()
    whole = session.execute(query, fmt="arrow").value
    assert table.column("x").equals(whole.column("x")) and table.column("t").to_pylist() == whole["t"].to_pylist()
    assert list(session.db.stream("SELECT 1 AS a WHERE false", 10)) == []


def test_closing_early_cancels_the_rest_and_the_connection_stays_usable(session: Session) -> None:
    batches = session.db.stream("SELECT g FROM generate_series(1, 1000000) g", 1000)
    assert next(batches).num_rows == 1000
    batches.close()
    assert session.sql("SELECT 41 + 1 AS v")["v"][0] == 42


def test_a_failing_query_raises_the_pgai_error_and_leaves_the_connection_usable(session: Session) -> None:
    with pytest.raises(SQLError, match="division by zero"):
        list(session.db.stream("SELECT 1 / (g - 50000) FROM generate_series(1, 100000) g", 1000))
    assert session.sql("SELECT 1 AS v")["v"][0] == 1


def test_the_reader_waits_out_pauses_and_blocking_reads_give_the_same_rows(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pgai_magic.db import _fetch

    # rows that come with pauses longer than the reader's naps (it then blocks in libpq), and a burst after them
    query = (
        "SELECT g AS id, CASE WHEN g % 100 = 0 THEN pg_sleep(0.005)::text END AS paused, 'r' || g AS t "
        "FROM generate_series(1, 3000) g"
    )
    napping = session.execute(query, fmt="arrow").value
    assert napping.column("id").to_pylist() == list(range(1, 3001))
    native = _fetch._native
    found = native(session.db.session.pgconn)
    assert found is not None and found[3] != 0  # PQconsumeInput found: the napping reader is the one used
    monkeypatch.setattr(_fetch, "_native", lambda pgconn: (*found[:3], 0))  # no PQconsumeInput: blocking reads
    blocking = session.execute(query, fmt="arrow").value
    assert blocking.equals(napping)
    batches = list(session.db.stream(query, 700))  # resumed batches over naps and pauses alike
    assert pa.concat_tables(batches).column("t").to_pylist() == [f"r{i}" for i in range(1, 3001)]

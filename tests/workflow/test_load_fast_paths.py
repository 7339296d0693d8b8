"""%pgai load on its fast paths: the ANALYZE after the commit (the next statement waits for it), the type inference
read from the first bytes (the file itself when a record is longer)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import psycopg
import pytest

from pgai_magic.db._statistics import BackgroundAnalyze
from pgai_magic.errors import ConfigError, SQLError
from pgai_magic.session import Session

_STATS = "SELECT count(*) AS n FROM pg_stats WHERE schemaname = :s AND tablename = :t"


def _csv(tmp_path: Path, rows: int = 500) -> Path:
    path = tmp_path / "events.csv"
    lines = ["id,kind,amount"] + [f"{i},k{i % 7},{i * 0.5}" for i in range(rows)]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_load_is_committed_and_the_next_statement_sees_its_statistics(
    session: Session, schema: str, conn: psycopg.Connection, tmp_path: Path
) -> None:
    result = session.load(_csv(tmp_path), schema=schema)
    assert result.rows == 500
    assert any("statistics" in n and "ANALYZE" in n and "being gathered" in n for n in result.notes)
    # committed when load returns: another connection counts every row at once
    assert conn.execute(f'SELECT count(*) FROM "{schema}".events').fetchone() == (500,)
    # the next statement through the session waits for the ANALYZE: the statistics are there, every column's
    assert int(session.sql(_STATS, s=schema, t="events")["n"][0]) == 3
    assert not session.db.statistics.pending
    reltuples = conn.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", (f"{schema}.events",))
    assert reltuples.fetchone() == (500.0,)


def test_inside_a_transaction_the_load_analyzes_before_it_returns(
    session: Session, schema: str, conn: psycopg.Connection, tmp_path: Path
) -> None:
    session.execute("BEGIN")
    try:
        result = session.load(_csv(tmp_path, 50), schema=schema)
        assert not session.db.statistics.pending
        assert not any("being gathered" in n for n in result.notes)
        assert any("inside the open transaction" in n and "ROLLBACK" in n for n in result.notes)
        assert int(session.sql(_STATS, s=schema, t="events")["n"][0]) == 3  # analyzed in the user's transaction
        # not committed: no other connection sees the table until the user commits
        assert conn.execute("SELECT to_regclass(%s)", (f"{schema}.events",)).fetchone() == (None,)
    finally:
        session.execute("ROLLBACK")
    assert conn.execute("SELECT to_regclass(%s)", (f"{schema}.events",)).fetchone() == (None,)


def test_a_table_dropped_before_its_analyze_needs_none(session: Session, schema: str, tmp_path: Path) -> None:
    session.load(_csv(tmp_path, 20), schema=schema)
    oid = int(session.sql("SELECT to_regclass(:t)::oid AS o", t=f"{schema}.events")["o"][0])
    session.execute(f'DROP TABLE "{schema}".events')
    session.db.statistics.start(oid, f"{schema}.events")
    assert session.db.statistics.notes() == []


def test_a_failed_analyze_is_said_by_the_next_statement(session: Session, schema: str, tmp_path: Path) -> None:
    def unreachable(**kwargs: object) -> psycopg.Connection:
        return psycopg.connect("host=/nonexistent-socket-folder dbname=none connect_timeout=2", **kwargs)  # type: ignore[arg-type]

    kept = session.db.statistics
    session.db.statistics = BackgroundAnalyze(unreachable)
    try:
        session.db.statistics.start(1, f"{schema}.events")
        out = session.execute("SELECT 1 AS a")
        said = [n for n in out.notices if "ANALYZE" in n]
        assert len(said) == 1 and f"{schema}.events" in said[0] and "the rows are loaded" in said[0], out.notices
        assert session.execute("SELECT 1 AS a").notices == []  # said once
    finally:
        session.db.statistics = kept


def test_a_first_record_longer_than_the_inference_reads(session: Session, schema: str, tmp_path: Path) -> None:
    # the inference reads the file's first 2 MiB; a record cut at their end is never reported as the file's error:
    # the file itself is read, as before (here pyarrow cannot type it, so every column is text) and COPY loads it
    from pgai_magic.workflow.csvcopy import BLOCK

    path = tmp_path / "long.csv"
    long_text = ("word " * (BLOCK // 2))[: int(2.5 * BLOCK)]
    path.write_text(f'id,note,amount\n1,"{long_text}\nsecond line",1.5\n2,short,2\n')
    result = session.load(path, schema=schema)
    assert result.rows == 2 and result.columns == {"id": "text", "note": "text", "amount": "text"}
    said = [n for n in result.notes if "not inferred" in n]
    assert len(said) == 1 and "Expected 3 columns" not in said[0], result.notes  # not the cut record's error
    back = session.sql(f'SELECT id, length(note) AS n, amount FROM "{schema}".long ORDER BY id')
    assert back["n"].tolist() == [len(long_text) + len("\nsecond line"), 5] and back["amount"].tolist() == ["1.5", "2"]


def test_in_an_aborted_transaction_load_and_persist_say_so_and_load_nothing(
    session: Session, schema: str, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    session.execute("BEGIN")
    try:
        with pytest.raises(SQLError):
            session.execute("SELECT 1/0")
        for act in (
            lambda: session.load(_csv(tmp_path, 10), schema=schema),
            lambda: session.persist(pd.DataFrame({"a": [1, 2]}), table="frame", schema=schema),
        ):
            with pytest.raises(SQLError, match="transaction is aborted on the server: run ROLLBACK"):
                act()
        assert "error ignored" not in "".join(capfd.readouterr())  # no psycopg savepoint message
    finally:
        session.execute("ROLLBACK")
    left = session.sql("SELECT count(*) AS n FROM pg_tables WHERE schemaname = :s", s=schema)
    assert int(left["n"][0]) == 0


def test_a_csv_column_without_a_name_is_named_in_the_header_line(session: Session, schema: str, tmp_path: Path) -> None:
    path = tmp_path / "dup.csv"
    path.write_text("a,,c\n1,2,3\n")
    with pytest.raises(ConfigError, match=r"column 2 has an empty name: name it in the header line of dup\.csv"):
        session.load(path, schema=schema)

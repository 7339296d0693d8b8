"""SQL through the Python API on a real PostgreSQL: results, types, parameters, errors, transactions."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from pgai_magic.errors import ParameterError, SQLError
from pgai_magic.session import Session


def test_last_row_returning_statement_is_the_value(session: Session, schema: str) -> None:
    result = session.execute(
        f"""CREATE TABLE {schema}.t (id int PRIMARY KEY, name text);
            INSERT INTO {schema}.t VALUES (1, 'a'), (2, 'b'), (3, 'c');
            SELECT name FROM {schema}.t WHERE id <= 2 ORDER BY id;
            UPDATE {schema}.t SET name = 'z' WHERE id = 3;"""
    )
    assert list(result.value["name"]) == ["a", "b"]
    assert [r.command for r in result.results] == ["CREATE", "INSERT", "SELECT", "UPDATE"]
    assert result.results[1].rowcount == 3
    assert result.summary() == "UPDATE 1"


def test_ddl_only_cell_reports_status(session: Session, schema: str) -> None:
    frame = session.sql(f"CREATE TABLE {schema}.empty (a int)")
    assert frame.empty and frame.attrs["status"] == "CREATE TABLE"


def test_types_travel_with_correct_dtypes(session: Session, schema: str) -> None:
    session.sql(
        f"""CREATE TABLE {schema}.ty (i int, b bigint, f float8, n numeric(10,2), t text, d date,
                ts timestamp, tz timestamptz, ok boolean, j json, jb jsonb, arr int[], v vector(3));
            INSERT INTO {schema}.ty VALUES
              (1, 9000000000, 1.5, 12.34, 'x', '2024-02-29', '2024-01-01 10:00', '2024-01-01 10:00+00', true,
               '{{"a": 1}}', '[1, 2]', ARRAY[1, 2], '[1, 2.5, -3]'),
              (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)"""
    )
    df = session.sql(f"SELECT * FROM {schema}.ty ORDER BY i NULLS LAST")
    assert str(df.dtypes["i"]) == "Int32" and str(df.dtypes["b"]) == "Int64"
    assert df.dtypes["f"] == np.float64 and df.dtypes["n"] == np.float64
    assert df["n"][0] == pytest.approx(12.34)
    assert df["t"][0] == "x" and pd.isna(df["t"][1])
    assert pd.api.types.is_datetime64_any_dtype(df["d"]) and df["d"][0] == pd.Timestamp("2024-02-29")
    assert pd.api.types.is_datetime64_any_dtype(df["ts"]) and df["ts"][0] == pd.Timestamp("2024-01-01 10:00")
    zone = session.sql("SHOW TimeZone")["TimeZone"][0]  # timestamptz comes in the session's TimeZone
    assert str(df["tz"].dt.tz) == zone and df["tz"][0] == pd.Timestamp("2024-01-01 10:00", tz="UTC")
    assert str(df.dtypes["ok"]) == "boolean" and bool(df["ok"][0]) is True
    assert df["j"][0] == {"a": 1} and df["jb"][0] == [1, 2]
    assert list(df["arr"][0]) == [1, 2]
    vec = df["v"][0]
    assert isinstance(vec, np.ndarray) and vec.dtype == np.float32
    assert vec.tolist() == [1.0, 2.5, -3.0]
    assert df["v"][1] is None or (isinstance(df["v"][1], float) and np.isnan(df["v"][1]))


def test_ints_without_nulls_stay_numpy(session: Session) -> None:
    df = session.sql("SELECT g AS i, g::bigint AS b, g % 2 = 0 AS even FROM generate_series(1, 5) g")
    assert df.dtypes["i"] == np.int32 and df.dtypes["b"] == np.int64 and df.dtypes["even"] == np.bool_


def test_arrow_and_polars_formats(session: Session) -> None:
    table = session.execute("SELECT 1 AS a, '[1,2]'::vector AS v, 2.5::numeric AS n", fmt="arrow").value
    import pyarrow as pa

    assert table.schema.field("v").type == pa.list_(pa.float32())
    assert table.schema.field("n").type == pa.float64()
    frame = session.execute("SELECT 1 AS a, '[1,2]'::vector AS v", fmt="polars").value
    import polars as pl

    assert isinstance(frame, pl.DataFrame) and frame["v"].to_list() == [[1.0, 2.0]]


def test_parameters_are_bound_server_side(session: Session, schema: str) -> None:
    session.sql(f"CREATE TABLE {schema}.p (id int, note text); INSERT INTO {schema}.p VALUES (1, ':literal'), (2, 'b')")
    evil = "x'); DROP TABLE " + schema + ".p; --"
    df = session.sql(
        f"""SELECT id::text AS id, note, :evil AS echoed, ':min_id' AS lit -- :min_id in a comment
            FROM {schema}.p WHERE id >= :min_id ORDER BY id""",
        min_id=1,
        evil=evil,
    )
    assert list(df["id"]) == ["1", "2"]
    assert df["echoed"][0] == evil and df["lit"][0] == ":min_id" and df["note"][0] == ":literal"
    assert session.sql(f"SELECT count(*) AS n FROM {schema}.p")["n"][0] == 2  # the table is still there


def test_parameter_types_dates_and_none(session: Session) -> None:
    df = session.sql(
        "SELECT :d::date + 1 AS next_day, :n::int IS NULL AS is_null, :f * 2 AS twice",
        d=dt.date(2024, 2, 28),
        n=None,
        f=1.25,
    )
    assert df["next_day"][0] == pd.Timestamp("2024-02-29")
    assert bool(df["is_null"][0]) and df["twice"][0] == 2.5


def test_missing_parameter(session: Session) -> None:
    with pytest.raises(ParameterError, match="nothere"):
        session.sql("SELECT :nothere")


def test_error_shows_sqlstate_caret_and_suggestion(session: Session, schema: str) -> None:
    session.sql(f"CREATE TABLE {schema}.customers (id int, country text)")
    with pytest.raises(SQLError) as info:
        session.sql(f"SELECT 1;\nSELECT id\nFROM {schema}.customer")
    err = info.value
    text = str(err)
    assert err.sqlstate == "42P01"
    assert "(SQLSTATE 42P01)" in text and "LINE 3:" in text
    caret_line = text.splitlines()[2]
    assert caret_line.strip() == "^" and caret_line.index("^") == text.splitlines()[1].index(schema)
    assert "did you mean" in text and "customers" in text
    with pytest.raises(SQLError) as info:
        session.sql(f"SELECT contry FROM {schema}.customers")
    assert info.value.sqlstate == "42703" and "did you mean" in str(info.value) and "country" in str(info.value)
    assert session.sql("SELECT 41 + 1 AS x")["x"][0] == 42  # still usable


def test_caret_maps_through_parameters(session: Session) -> None:
    with pytest.raises(SQLError) as info:
        session.sql("SELECT :a AS a, nosuchcol", a=1)
    lines = str(info.value).splitlines()
    assert lines[1] == "LINE 1: SELECT :a AS a, nosuchcol"
    assert lines[2].index("^") == lines[1].index("nosuchcol")


def test_explicit_transactions_span_cells_like_psql(session: Session, schema: str) -> None:
    session.sql(f"CREATE TABLE {schema}.tx (a int)")
    session.sql("BEGIN")
    session.sql(f"INSERT INTO {schema}.tx VALUES (1)")
    assert session.db.in_transaction
    session.sql("ROLLBACK")
    assert session.sql(f"SELECT count(*) AS n FROM {schema}.tx")["n"][0] == 0
    session.sql("BEGIN")
    session.sql(f"INSERT INTO {schema}.tx VALUES (2)")
    with pytest.raises(SQLError) as info:
        session.sql("SELECT 1/0")
    assert "ROLLBACK" in str(info.value)
    with pytest.raises(SQLError, match="25P02"):
        session.sql("SELECT 1")  # aborted until ROLLBACK, as in psql
    session.sql("ROLLBACK")
    assert not session.db.in_transaction
    session.sql(f"BEGIN; INSERT INTO {schema}.tx VALUES (3); COMMIT")
    assert session.sql(f"SELECT a FROM {schema}.tx")["a"].tolist() == [3]


def test_error_outside_transaction_leaves_nothing_open(session: Session, schema: str) -> None:
    session.sql(f"CREATE TABLE {schema}.ok (a int)")
    with pytest.raises(SQLError):
        session.sql(f"INSERT INTO {schema}.ok VALUES (1); INSERT INTO {schema}.ok VALUES ('x')")
    # psql semantics: the first statement committed on its own, the failing one did not
    assert session.sql(f"SELECT count(*) AS n FROM {schema}.ok")["n"][0] == 1
    assert session.sql("SELECT 1 AS one")["one"][0] == 1

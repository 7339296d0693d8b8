"""The type map (docs/types.md), one case per row: %%pgai values equal psycopg's, in pandas, Arrow and polars."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import psycopg
import pyarrow as pa
import pytest

from pgai_magic.db import _fetch as fetch
from pgai_magic.session import Session
from tests.pg_helpers import scalar

# (SQL expression, the Arrow type it must have, or None to only compare values)
CASES: list[tuple[str, pa.DataType | None]] = [
    ("true", pa.bool_()),
    ("32767::int2", pa.int16()),
    ("2147483647::int4", pa.int32()),
    ("9223372036854775807::int8", pa.int64()),
    ("4294967295::oid", pa.uint32()),
    ("1.5::float4", pa.float32()),
    ("0.1::float8", pa.float64()),
    ("'NaN'::float8", pa.float64()),
    ("'-Infinity'::float8", pa.float64()),
    ("12345678901234567.89::numeric", pa.decimal128(19, 2)),
    ("1234567890.1234567891::numeric(38,10)", pa.decimal128(20, 10)),
    ("1.25::numeric(38,10)", pa.float64()),
    ("2.5::numeric", pa.float64()),
    ("(SELECT sum(x) FROM (VALUES (9007199254740993::bigint), (0)) v(x))", pa.int64()),
    ("99999999999999999999999::numeric", pa.decimal128(23, 0)),
    ("'NaN'::numeric", pa.float64()),
    ("12.34::money", pa.string()),
    ("'2024-02-29'::date", pa.date32()),
    ("'23:59:59.999999'::time", pa.time64("us")),
    ("'2024-01-01 10:00:00.123456'::timestamp", pa.timestamp("us")),
    ("'2024-06-01 12:00:00+02'::timestamptz", None),
    ("'1 year 2 months 3 days 04:05:06.7'::interval", pa.duration("us")),
    ("'-1 month -2 hours'::interval", pa.duration("us")),
    ("'text with ü'::text", pa.string()),
    ("'abc'::varchar(5)", pa.string()),
    ("'ab'::char(4)", pa.string()),
    ("'pg_class'::name", pa.string()),
    ("'a'::\"char\"", pa.string()),
    ("'\\xdeadbeef'::bytea", pa.binary()),
    ("'{\"a\": [1, 2.5, null]}'::json", pa.string()),
    ('\'{"b": {"c": true}}\'::jsonb', pa.string()),
    ("'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid", pa.string()),
    ("'192.168.0.1/24'::inet", pa.string()),
    ("'10.0.0.0/8'::cidr", pa.string()),
    ("'08:00:2b:01:02:03'::macaddr", pa.string()),
    ("B'10101'", pa.string()),
    ("B'101'::varbit", pa.string()),
    ("point(1.5, -2)", pa.string()),
    ("box(point(0, 0), point(1, 1))", pa.string()),
    ("int4range(1, 5)", pa.string()),
    ("tstzrange('2024-01-01', '2024-02-01')", pa.string()),
    ("'the quick fox'::tsvector", pa.string()),
    ("'12:00:00+02'::timetz", pa.string()),
    ("ARRAY[1, 2, NULL]", pa.string()),
    ("ARRAY['a', 'b c']", pa.string()),
    ("ARRAY['a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid]", pa.string()),
    ("ARRAY[[1.5, 2], [3, 4]]::numeric[]", pa.string()),
    ("ROW(1, 'x')", pa.string()),
    ("'[1, 2.5, -3]'::vector", pa.list_(pa.float32())),
    ("'[1, 2.5]'::halfvec", pa.list_(pa.float32())),
]


def _same(mine: Any, ref: Any) -> bool:
    """pgai's pandas value equals psycopg's value (the reference), type by type."""
    if ref is None:
        return mine is None or (not isinstance(mine, (list, np.ndarray)) and pd.isna(mine))
    if isinstance(ref, float) and math.isnan(ref):
        return isinstance(mine, float) and math.isnan(mine)
    if isinstance(ref, np.ndarray) or hasattr(ref, "to_list"):  # pgvector: numpy, Vector or HalfVector
        expected = ref.tolist() if isinstance(ref, np.ndarray) else ref.to_list()
        return isinstance(mine, np.ndarray) and mine.tolist() == [float(x) for x in expected]
    if isinstance(ref, Decimal):
        if ref.is_nan():
            return isinstance(mine, float) and math.isnan(mine)
        if isinstance(mine, Decimal):
            return mine == ref or (mine.is_nan() and ref.is_nan())
        if isinstance(mine, str):
            return Decimal(mine).is_nan() and ref.is_nan() if ref.is_nan() else Decimal(mine) == ref
        return Decimal(repr(float(mine))) == ref if isinstance(mine, float) else Decimal(int(mine)) == ref
    if isinstance(ref, dt.date):
        return pd.Timestamp(mine) == pd.Timestamp(ref)
    if isinstance(ref, dt.timedelta):
        return pd.Timedelta(mine) == pd.Timedelta(ref)
    if isinstance(ref, (bytes, memoryview)):
        return bytes(mine) == bytes(ref)
    if isinstance(ref, list) and isinstance(mine, (list, np.ndarray)):
        return len(ref) == len(mine) and all(_same(a, b) for a, b in zip(mine, ref))
    return bool(mine == ref)


def _reference(conn: psycopg.Connection, expr: str) -> Any:
    return scalar(conn, f"SELECT {expr} AS v")


@pytest.mark.parametrize(("expr", "arrow"), CASES, ids=[c[0][:40] for c in CASES])
def test_value_matches_psycopg(
    session: Session, conn: psycopg.Connection, expr: str, arrow: pa.DataType | None
) -> None:
    ref = _reference(conn, expr)
    # each case twice: as a value and as NULL in a second row (NULLs keep the column's type)
    sql = f"SELECT {expr} AS v UNION ALL SELECT NULL"
    df = session.sql(sql)
    assert _same(df["v"][0], ref), (df["v"][0], ref)
    assert _same(df["v"][1], None)
    table = session.execute(sql, fmt="arrow").value
    if arrow is not None:
        assert table.schema.field("v").type == arrow
    # the plain (text) path for the same value: a RETURNING-style result through a cursor FETCH
    session.sql(f"BEGIN; DECLARE cur_t CURSOR FOR {sql}")
    try:
        fetched = session.execute("FETCH ALL FROM cur_t", fmt="arrow").value
    finally:
        session.sql("COMMIT")
    assert fetched.schema.field("v").type == table.schema.field("v").type
    for a, b in zip(fetched.column("v").to_pylist(), table.column("v").to_pylist(), strict=True):
        assert a == b or (isinstance(a, float) and math.isnan(a) and math.isnan(b)), (a, b)


def test_polars_takes_every_type(session: Session) -> None:
    sql = "SELECT " + ", ".join(f"{expr} AS c{i}" for i, (expr, _) in enumerate(CASES))
    frame = session.execute(sql, fmt="polars").value
    assert frame.shape == (1, len(CASES))
    interval = next(i for i, (expr, _) in enumerate(CASES) if expr.endswith("::interval"))
    assert frame[f"c{interval}"].dtype.__class__.__name__ == "Duration"


def test_timestamptz_in_the_session_time_zone(session: Session) -> None:
    try:
        session.sql("SET TimeZone = 'America/New_York'")
        df = session.sql("SELECT '2024-06-01 12:00:00+00'::timestamptz AS t")
        assert str(df["t"].dt.tz) == "America/New_York"
        assert df["t"][0] == pd.Timestamp("2024-06-01 08:00:00", tz="America/New_York")
        session.sql("SET TimeZone = '+05:30'")
        table = session.execute("SELECT '2024-06-01 12:00:00+00'::timestamptz AS t", fmt="arrow").value
        # a POSIX-style setting: the offset the server applies (its sign is POSIX's, west of Greenwich positive)
        assert table.schema.field("t").type.tz == "-05:30"
        assert table.column("t")[0].as_py() == dt.datetime(2024, 6, 1, 12, tzinfo=dt.timezone.utc)
    finally:
        session.sql("RESET TimeZone")


def test_intervals_sum_and_compare(session: Session) -> None:
    df = session.sql("SELECT x AS d FROM (VALUES ('1 day'::interval), ('36 hours'), ('1 month')) v(x)")
    assert df["d"].sum() == pd.Timedelta(days=32, hours=12)  # a month is 30 days, as psycopg counts it
    assert df["d"].max() == pd.Timedelta(days=30) and df["d"][1] > df["d"][0]


def test_numeric_columns_keep_every_digit(session: Session) -> None:
    result = session.execute("SELECT x AS n FROM (VALUES (1.10::numeric), (12345678901234567.89)) v(x)")
    assert result.value["n"].tolist() == [Decimal("1.10"), Decimal("12345678901234567.89")]
    assert any("kept as exact decimals" in n for n in result.notices)
    exact = session.execute("SELECT x AS n FROM (VALUES (1.5::numeric), (0.25)) v(x)")
    assert exact.value["n"].dtype == np.float64 and not exact.notices


def test_domains_and_enums(session: Session, schema: str) -> None:
    session.sql(
        f"CREATE DOMAIN {schema}.posint AS int CHECK (VALUE > 0); CREATE TYPE {schema}.mood AS ENUM ('ok', 'sad')"
    )
    df = session.sql(f"SELECT 5::{schema}.posint AS p, 'sad'::{schema}.mood AS m")
    assert df["p"].dtype == np.int32 and df["p"][0] == 5 and df["m"][0] == "sad"


def test_pure_python_reader_gives_the_same_table(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    sql = (
        "SELECT g AS i, g::int2 AS s, g * 1.5::float8 AS f, (g % 2 = 0) AS b, 'r' || g AS t, "
        "'2024-01-01'::date + g AS d, '2024-01-01'::timestamptz + g * interval '1 hour' AS ts, "
        "g * interval '1 day 1 month' AS iv, CASE WHEN g % 3 = 0 THEN NULL ELSE g END AS maybe "
        "FROM generate_series(1, 50) g"
    )
    empty = sql + " LIMIT 0"
    native = [session.execute(q, fmt="arrow").value for q in (sql, empty)]
    monkeypatch.setattr(fetch, "_native", lambda pgconn: None)
    python = [session.execute(q, fmt="arrow").value for q in (sql, empty)]
    assert python[0].equals(native[0]) and python[1].equals(native[1])
    assert native[0].num_rows == 50 and native[1].num_rows == 0 and native[1].schema.equals(native[0].schema)


@pytest.mark.parametrize("via_cursor", [False, True])
def test_values_a_type_cannot_hold_are_shown_with_a_note(session: Session, via_cursor: bool) -> None:
    sql = (
        "SELECT t, d, iv FROM (VALUES ('infinity'::timestamptz, '-infinity'::date, '1 year'::interval * 1000000),"
        " ('2024-01-01', '2024-01-01', '-3 mons 2 days -00:00:01.5')) v(t, d, iv)"
    )
    if via_cursor:  # the text path (FETCH) gives the same
        session.sql(f"BEGIN; DECLARE inf CURSOR FOR {sql}")
        result = session.execute("FETCH ALL FROM inf")
        session.sql("COMMIT")
    else:
        result = session.execute(sql)
    df = result.value
    assert df["t"][0].year == 9999 and df["d"][0] == pd.Timestamp("0001-01-01")
    assert df["t"][1] == pd.Timestamp("2024-01-01", tz="UTC")
    assert df["iv"].tolist() == ["1000000 years", "-3 mons +2 days -00:00:01.5"]  # PostgreSQL's own text
    notes = " ".join(result.notices)
    assert "column t holds ±infinity" in notes and "column d holds ±infinity" in notes and "column iv" in notes


@pytest.mark.parametrize("via_cursor", [False, True])
def test_values_python_cannot_hold_come_as_postgresql_text(session: Session, via_cursor: bool) -> None:
    sql = (
        "SELECT '24:00'::time AS t, '0044-03-15'::date - 730000 AS d, '294276-12-31 23:59:59'::timestamp AS ts, "
        "'infinity'::interval AS iv"
    )
    if via_cursor:
        session.sql(f"BEGIN; DECLARE oor CURSOR FOR {sql}")
        result = session.execute("FETCH ALL FROM oor")
        session.sql("COMMIT")
    else:
        result = session.execute(sql)
    reference = session.sql(f"SELECT t::text, d::text, ts::text, iv::text FROM ({sql}) q")
    assert result.value.iloc[0].tolist() == reference.iloc[0].tolist()
    assert sum("kept as PostgreSQL's text" in n for n in result.notices) == 4


@pytest.mark.parametrize("native", [True, False])
def test_dates_moved_by_the_reader_stay_exact_after_an_overflowing_one(
    session: Session, monkeypatch: pytest.MonkeyPatch, native: bool
) -> None:
    # the reader moves dates and timestamps to 1970 as it reads; a timestamp the move would overflow (year 294276)
    # after ordinary ones makes it keep the whole column as sent, and every value still comes out exact
    if not native:
        monkeypatch.setattr(fetch, "_native", lambda pgconn: None)
    sql = (
        "SELECT ts, d, b FROM (VALUES (1, '2024-01-01 10:00'::timestamp, '2024-02-29'::date, true), "
        "(2, NULL, NULL, NULL), (3, '1900-01-01', 'infinity', false), (4, '294276-12-31 23:59:59', '0001-01-01', true)"
        ") v(k, ts, d, b) ORDER BY k"
    )
    result = session.execute(sql)
    reference = session.sql(f"SELECT ts::text, d::text, b FROM ({sql}) q")
    assert result.value["ts"].tolist() == reference["ts"].tolist()  # past Python's years: all as PostgreSQL's text
    assert result.value["d"][0] == pd.Timestamp("2024-02-29") and result.value["d"][2].year == 9999
    assert pd.isna(result.value["d"][1]) and result.value["d"][3] == pd.Timestamp("0001-01-01")
    assert result.value["b"].tolist() == [True, pd.NA, False, True]
    first = session.execute("SELECT '2024-01-01 10:00'::timestamptz AS t, '1999-12-31'::date AS d").value
    assert first["t"][0] == pd.Timestamp("2024-01-01 10:00", tz="UTC") and first["d"][0] == pd.Timestamp("1999-12-31")


def test_time_zone_with_daylight_saving_rules_but_no_name(session: Session) -> None:
    try:
        session.sql("SET TimeZone = 'CET-1CEST,M3.5.0,M10.5.0/3'")
        result = session.execute("SELECT '2024-06-01 12:00:00+00'::timestamptz AS t")
        assert str(result.value["t"].dt.tz) == "UTC"
        assert result.value["t"][0] == pd.Timestamp("2024-06-01 12:00", tz="UTC")
        assert any("daylight-saving rules but no IANA name" in n for n in result.notices)
    finally:
        session.sql("RESET TimeZone")


def test_polars_notes_what_it_changes(session: Session) -> None:
    try:
        session.sql("SET TimeZone = '+05:30'")
        result = session.execute(
            "SELECT 1 AS a, 2 AS a, 1234567890123456789012345678901234567890.5::numeric AS big, "
            "'2024-01-01 00:00+00'::timestamptz AS t",
            fmt="polars",
        )
    finally:
        session.sql("RESET TimeZone")
    frame = result.value
    assert frame.columns == ["a", "a_2", "big", "t"]
    assert frame["big"][0] == "1234567890123456789012345678901234567890.5"
    assert str(frame["t"].dtype.time_zone) == "UTC"
    assert len([n for n in result.notices if "polars" in n]) == 3


@pytest.mark.parametrize(
    "expr", ["1::numeric / 70", "-0.0123456789012345678::numeric", "0.0123456789012345678::numeric(30,25)"]
)
def test_small_inexact_numerics_stay_exact(session: Session, conn: psycopg.Connection, expr: str) -> None:
    ref = _reference(conn, expr)
    df = session.sql(f"SELECT {expr} AS v UNION ALL SELECT NULL")
    assert df["v"][0] == ref and pd.isna(df["v"][1])


def test_polars_whole_hour_offsets_keep_their_wall_clock(session: Session) -> None:
    try:
        session.sql("SET TimeZone = 'UTC+5'")  # POSIX: five hours west, -05:00
        result = session.execute("SELECT '2024-06-01 12:00:00+00'::timestamptz AS t", fmt="polars")
    finally:
        session.sql("RESET TimeZone")
    assert result.value["t"].dtype.time_zone == "Etc/GMT+5"
    assert result.value["t"][0].hour == 7 and not [n for n in result.notices if "polars" in n]


def test_the_c_reader_is_built_and_used(session: Session) -> None:
    # a build without a C compiler falls back to the pure-Python reader (same results, slower); this machine has one
    assert fetch._native(session.db.session.pgconn) is not None


def test_domains_on_the_plain_path(session: Session, schema: str) -> None:
    session.sql(f"CREATE DOMAIN {schema}.qty AS int CHECK (VALUE >= 0); CREATE TABLE {schema}.dq (q {schema}.qty)")
    df = session.sql(f"INSERT INTO {schema}.dq VALUES (3), (NULL) RETURNING q")
    assert str(df["q"].dtype) == "Int32" and df["q"][0] == 3


def test_pandas_dtypes_are_arrow_backed_where_numpy_has_none(session: Session) -> None:
    df = session.sql(
        "SELECT 'item ' || g AS t, '10:30'::time + g * interval '1 minute' AS tm, decode(lpad(g::text, 2, '0'), "
        "'hex') AS b, g AS i FROM generate_series(1, 3) g UNION ALL SELECT NULL, NULL, NULL, 4"
    )
    assert df["t"].dtype == pd.StringDtype("pyarrow", na_value=np.nan) and isinstance(
        df["t"].array, pd.arrays.ArrowStringArray
    )
    assert df["t"].str.upper().tolist()[:3] == ["ITEM 1", "ITEM 2", "ITEM 3"] and pd.isna(df["t"][3])
    assert df["tm"].dtype == pd.ArrowDtype(pa.time64("us")) and df["tm"][0] == dt.time(10, 31)
    assert (df["tm"] < dt.time(10, 32)).tolist()[:3] == [True, False, False]
    assert df["b"].dtype == pd.ArrowDtype(pa.binary()) and df["b"][1] == b"\x02" and pd.isna(df["b"][3])
    assert df["i"].dtype == np.int32 and df["i"].sum() == 10

"""%pgai persist / load / unload: DataFrames and files in, results out, types kept, nothing half-written."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from IPython.core.interactiveshell import InteractiveShell

from pgai_magic.errors import ConfigError, ParameterError, SQLError
from pgai_magic.session import Session
from tests.pg_helpers import failed


def _types(session: Session, table: str) -> dict[str, str]:
    df = session.sql(
        "SELECT attname AS c, format_type(atttypid, atttypmod) AS t FROM pg_attribute "
        "WHERE attrelid = to_regclass(:t) AND attnum > 0 ORDER BY attnum",
        t=table,
    )
    return dict(zip(df["c"], df["t"]))


def test_persist_maps_types_and_round_trips(session: Session, schema: str) -> None:
    df = pd.DataFrame(
        {
            "i": pd.array([1, None, 3], dtype="Int64"),
            "small": np.array([1, 2, 3], dtype=np.int16),
            "f": [1.5, np.nan, -2.25],
            "s": ["a", None, "ü"],
            "b": pd.array([True, None, False], dtype="boolean"),
            "ts": pd.to_datetime(["2024-01-01 10:00", None, "2024-03-01 00:00"], utc=True),
            "naive": pd.to_datetime(["2024-01-01 10:00:00.123456", "2024-01-02 00:00:00.000000", None]),
            "d": [dt.date(2024, 1, 1), None, dt.date(2024, 2, 29)],
            "cat": pd.Categorical(["x", "y", None]),
            "vec": [np.array([1.0, 2.0]), None, np.array([3.0, 4.5])],
            "tags": [["a", "b"], [], None],
            "dur": pd.to_timedelta(["1 days", None, "2 hours"]),
            "dec": [Decimal("1.10"), None, Decimal("2.25")],
        }
    )
    result = session.persist(df, f"{schema}.p")
    assert result.rows == 3 and result.created
    assert _types(session, f"{schema}.p") == {
        "i": "bigint", "small": "smallint", "f": "double precision", "s": "text", "b": "boolean",
        "ts": "timestamp with time zone", "naive": "timestamp without time zone", "d": "date", "cat": "text",
        "vec": "vector(2)", "tags": "text[]", "dur": "interval", "dec": "numeric",
    }  # fmt: skip
    back = session.sql(f"SELECT * FROM {schema}.p")
    assert back["i"].tolist()[0] == 1 and pd.isna(back["i"][1]) and back["small"].tolist() == [1, 2, 3]
    assert back["s"][2] == "ü" and back["cat"].tolist()[:2] == ["x", "y"] and back["tags"][0] == ["a", "b"]
    assert back["ts"][0] == pd.Timestamp("2024-01-01 10:00", tz="UTC")
    assert back["naive"][0] == pd.Timestamp("2024-01-01 10:00:00.123456")
    assert back["vec"][2].tolist() == [3.0, 4.5] and back["vec"][1] is None
    assert back["dur"][2] == pd.Timedelta(hours=2) and back["dec"][0] == 1.1


def test_persist_modes_and_errors(session: Session, schema: str) -> None:
    df = pd.DataFrame({"a": [1, 2]})
    session.persist(df, "m", schema=schema)
    with pytest.raises(ConfigError, match="already exists: add --append"):
        session.persist(df, "m", schema=schema)
    assert session.persist(df, f"{schema}.m", mode="append").rows == 2
    assert session.sql(f"SELECT count(*) AS n FROM {schema}.m")["n"][0] == 4
    session.persist(pd.DataFrame({"a": [9], "b": ["x"]}), f"{schema}.m", mode="replace")
    assert session.sql(f"SELECT * FROM {schema}.m").to_dict("records") == [{"a": 9, "b": "x"}]
    with pytest.raises(ConfigError, match="has no column 'c'"):
        session.persist(pd.DataFrame({"c": [1]}), f"{schema}.m", mode="append")
    with pytest.raises(ParameterError, match="cannot persist a dict"):
        session.persist({"a": 1}, f"{schema}.x")


def test_a_failed_append_leaves_the_table_as_it_was(session: Session, schema: str) -> None:
    session.sql(f"CREATE TABLE {schema}.c (a int CHECK (a < 10))")
    session.persist(pd.DataFrame({"a": [1, 2]}), f"{schema}.c", mode="append")
    with pytest.raises(SQLError, match="check constraint"):
        session.persist(pd.DataFrame({"a": [3, 50]}), f"{schema}.c", mode="append")
    assert session.sql(f"SELECT count(*) AS n FROM {schema}.c")["n"][0] == 2


def test_polars_and_arrow_and_index(session: Session, schema: str) -> None:
    import polars as pl

    session.persist(pl.DataFrame({"a": [1, 2], "s": ["x", "y"]}), f"{schema}.pl")
    session.persist(pa.table({"a": [1.5]}), f"{schema}.ar")
    session.persist(pd.DataFrame({"v": [5]}, index=pd.Index([7], name="k")), f"{schema}.ix", index=True)
    assert session.sql(f"SELECT * FROM {schema}.pl ORDER BY a")["s"].tolist() == ["x", "y"]
    assert session.sql(f"SELECT * FROM {schema}.ar")["a"][0] == 1.5
    assert session.sql(f"SELECT * FROM {schema}.ix").to_dict("records") == [{"k": 7, "v": 5}]


def test_persist_magic_and_jupysql_spellings(
    ip: InteractiveShell, schema: str, capsys: pytest.CaptureFixture[str]
) -> None:
    ip.user_ns["frame"] = pd.DataFrame({"n": [1, 2, 3]})
    ip.run_cell(f"%pgai persist frame --schema {schema}")
    assert "3 rows" in capsys.readouterr().out
    ip.run_cell(f"%pgai --append frame --schema {schema}")
    ip.run_cell(f"%pgai --persist-replace frame --schema {schema}")
    assert "already exists" in failed(ip, f"%pgai --persist frame --schema {schema}")
    assert ip.run_cell(f"%pgai SELECT count(*) AS n FROM {schema}.frame").result["n"][0] == 3
    assert "no variable 'nosuchvar'" in failed(ip, "%pgai persist nosuchvar")


def test_load_csv_sniffs_and_keeps_nulls_and_quotes(session: Session, schema: str, tmp_path: Path) -> None:
    path = tmp_path / "Sales 2024.csv"
    path.write_text('id;name;amount;day\n1;"a; quoted ""name""";1.5;2024-01-01\n2;;NA;2024-01-02\n3;"";3;\n')
    result = session.load(path, schema=schema)
    assert "sales_2024" in result.table and result.rows == 3
    df = session.sql(f"SELECT * FROM {schema}.sales_2024 ORDER BY id")
    assert df["name"][0] == 'a; quoted "name"' and pd.isna(df["name"][1]) and df["name"][2] == ""
    assert df["amount"].tolist() == ["1.5", "NA", "3"]  # NA is text, as COPY reads it (no --null given)
    assert _types(session, f"{schema}.sales_2024")["day"] == "date"
    assert any("amount holds 'NA'" in note and "--null NA" in note for note in result.notes)
    result = session.load(path, f"{schema}.with_null", null="NA")
    back = session.sql(f"SELECT amount FROM {schema}.with_null ORDER BY id")["amount"]
    assert back[0] == 1.5 and pd.isna(back[1]) and back[2] == 3.0
    assert _types(session, f"{schema}.with_null")["amount"] == "double precision"


def test_load_parquet_and_unload_round_trip(session: Session, schema: str, tmp_path: Path) -> None:
    session.sql(f"CREATE TABLE {schema}.src AS SELECT g AS id, 'r' || g AS label FROM generate_series(1, 1000) g")
    assert session.unload(f"SELECT * FROM {schema}.src ORDER BY id", tmp_path / "out.parquet") == 1000
    assert (
        session.unload(
            f"SELECT * FROM {schema}.src WHERE id <= :n ORDER BY id", tmp_path / "out.csv", namespace={"n": 2}
        )
        == 2
    )
    assert (tmp_path / "out.csv").read_text().splitlines() == ['"id","label"', '1,"r1"', '2,"r2"']
    session.load(tmp_path / "out.parquet", f"{schema}.back")
    assert session.sql(f"SELECT count(*) AS n, sum(id) AS s FROM {schema}.back").to_dict("records") == [
        {"n": 1000, "s": 500500}
    ]
    with pytest.raises(ConfigError, match="no file"):
        session.load(tmp_path / "missing.csv", f"{schema}.z")


def test_persist_refuses_what_postgresql_would_change(session: Session, schema: str) -> None:
    with pytest.raises(ConfigError, match="appears twice"):
        session.persist(pd.DataFrame([[1, 2]], columns=["a", "a"]), f"{schema}.d")
    with pytest.raises(ConfigError, match="63 bytes"):
        session.persist(pd.DataFrame({"x" * 70: [1]}), f"{schema}.l")
    with pytest.raises(ConfigError, match="mixed or unsupported types"):
        session.persist(pd.DataFrame({"m": [1, "two"]}), f"{schema}.m")
    with pytest.raises(ConfigError, match="no columns"):
        session.persist(pd.DataFrame(), f"{schema}.e")


def test_persist_json_nulls_and_wide_decimals(session: Session, schema: str) -> None:
    df = pd.DataFrame({"doc": [{"a": 1, "b": [1, 2]}, None], "empty": [None, None], "dec": [Decimal("1.10"), None]})
    session.persist(df, f"{schema}.j")
    assert _types(session, f"{schema}.j") == {"doc": "jsonb", "empty": "text", "dec": "numeric"}
    session.persist(
        pd.DataFrame({"doc": [None], "empty": ["x"], "dec": [Decimal("123456.789")]}), f"{schema}.j", mode="append"
    )
    back = session.sql(f"SELECT * FROM {schema}.j ORDER BY dec NULLS LAST")
    assert back["doc"].tolist()[0] == {"a": 1, "b": [1, 2]} and back["dec"][0] == 1.1 and back["dec"][1] == 123456.789


def test_load_options_and_refusals(session: Session, schema: str, tmp_path: Path) -> None:
    import gzip

    (tmp_path / "pipe.txt").write_text("a|b\n1|x\n2|y\n")
    assert session.load(tmp_path / "pipe.txt", f"{schema}.pipe").rows == 2
    assert session.sql(f"SELECT * FROM {schema}.pipe ORDER BY a").columns.tolist() == ["a", "b"]
    with gzip.open(tmp_path / "semi.csv.gz", "wt") as fh:
        fh.write("a;b\n1;x\n")
    session.load(tmp_path / "semi.csv.gz", f"{schema}.semi")
    assert session.sql(f"SELECT * FROM {schema}.semi").to_dict("records") == [{"a": 1, "b": "x"}]
    (tmp_path / "tabbed.csv").write_text("a\tb\n1\tx\n")
    session.load(tmp_path / "tabbed.csv", f"{schema}.tabbed", delimiter="\\t")
    assert session.sql(f"SELECT b FROM {schema}.tabbed")["b"][0] == "x"
    (tmp_path / "latin.csv").write_bytes("name\ncafé\n".encode("latin-1"))
    with pytest.raises(ConfigError, match=r"line 2 is not utf-8 text.*--encoding latin-1"):
        session.load(tmp_path / "latin.csv", f"{schema}.latin")
    session.load(tmp_path / "latin.csv", f"{schema}.latin", encoding="latin-1")
    assert session.sql(f"SELECT name FROM {schema}.latin")["name"][0] == "café"
    (tmp_path / "ragged.csv").write_text("a,b\n1,2\n3\n")
    with pytest.raises(ConfigError, match=r"ragged\.csv line 3: missing data for column \"b\"; nothing was loaded"):
        session.load(tmp_path / "ragged.csv", f"{schema}.ragged")
    with pytest.raises(ConfigError, match="folder"):
        session.load(tmp_path, f"{schema}.dir")
    with pytest.raises(ConfigError, match="one character"):
        session.load(tmp_path / "pipe.txt", f"{schema}.p2", delimiter=";;")
    with pytest.raises(ConfigError, match="no folder"):
        session.unload("SELECT 1 AS a", tmp_path / "missing" / "x.csv")


def test_persist_documents_huge_ints_sparse_and_lossy_appends(session: Session, schema: str, tmp_path: Path) -> None:
    df = pd.DataFrame(
        {
            "docs": [{"a": 1}, {"a": 2, "b": "x"}, None, {}],
            "nested": [[[1, 2], [3]], None, [], [[4]]],
            "records": [[{"a": 1}], [{"b": 2}], None, []],
            "huge": [2**70, 1, None, -(2**65)],
            "sparse": pd.arrays.SparseArray([0, 0, 1, 0]),
        }
    )
    session.persist(df, f"{schema}.docs")
    assert _types(session, f"{schema}.docs") == {
        "docs": "jsonb", "nested": "jsonb", "records": "jsonb", "huge": "numeric", "sparse": "bigint"
    }  # fmt: skip
    back = session.sql(f"SELECT * FROM {schema}.docs")
    assert back["docs"].tolist() == [{"a": 1}, {"a": 2, "b": "x"}, None, {}]  # each exactly as given
    assert back["nested"][0] == [[1, 2], [3]] and back["records"][0] == [{"a": 1}]
    assert back["huge"][0] == 2**70 and back["sparse"].tolist() == [0, 0, 1, 0]
    session.sql(f"CREATE TABLE {schema}.ints (a bigint)")
    with pytest.raises(ConfigError, match="would round"):
        session.persist(pd.DataFrame({"a": [1.5]}), f"{schema}.ints", mode="append")
    with pytest.raises(ConfigError, match="unknown encoding 'nosuch'"):
        session.load(tmp_path / "x.csv", f"{schema}.x", encoding="nosuch")


def test_csv_is_read_as_copy_reads_it(
    session: Session, schema: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """COPY's CSV rules (PostgreSQL docs, COPY): quoting, NULL only as given, errors naming the line and column with
    nothing loaded; year-first slash dates read as dates, what was inferred said."""
    quote = tmp_path / "quote.csv"
    quote.write_text('id,name,city\n1,"Ann,Oslo\n2,Bob,Bergen\n3,Cid,Tromsø\n')
    with pytest.raises(ConfigError, match=r"quote\.csv line 2, column name: unterminated CSV quoted field"):
        session.load(quote, f"{schema}.quote")
    assert session.sql(f"SELECT to_regclass('{schema}.quote') IS NULL AS gone")["gone"][0]  # nothing loaded
    words = tmp_path / "words.csv"
    words.write_text('k,v\n1,NA\n2,N/A\n3,nan\n4,NULL\n5,\n6,""\n')
    result = session.load(words, f"{schema}.words")
    values = session.sql(f"SELECT v FROM {schema}.words ORDER BY k")["v"].tolist()
    assert values[:4] == ["NA", "N/A", "nan", "NULL"] and pd.isna(values[4]) and values[5] == ""
    assert any("column v holds" in n for n in result.notes)
    dates = tmp_path / "dates.csv"
    dates.write_text(
        "d,t,amb,n\n2012/01/31,2012/01/31 10:30,01/02/2012,1\n2013/12/01,2013/12/01 00:00:05,03/04/2012,x\n"
    )
    result = session.load(dates, f"{schema}.dates")
    types = _types(session, f"{schema}.dates")
    assert types == {"d": "date", "t": "timestamp without time zone", "amb": "text", "n": "text"}
    back = session.sql(f"SELECT d, t FROM {schema}.dates ORDER BY d")
    assert str(back["d"][0])[:10] == "2012-01-31" and str(back["t"][1]) == "2013-12-01 00:00:05"
    assert any("d date" in n and "inferred" in n for n in result.notes)
    assert any("amb" in n and "DD/MM/YYYY" in n for n in result.notes)
    late = tmp_path / "late.csv"
    late.write_text("id,amount\n" + "".join(f"{i},{i}\n" for i in range(1, 100)) + "100,abc\n")
    monkeypatch.setattr("pgai_magic.workflow.csvcopy.BLOCK", 64)  # types from the first 64 bytes: abc comes later
    with pytest.raises(ConfigError, match=r"late\.csv line 101, column amount: invalid input syntax for type bigint"):
        session.load(late, f"{schema}.late")
    monkeypatch.undo()
    big = tmp_path / "big.csv"
    big.write_text("n\n12345678901234567890123\n1\n")
    session.load(big, f"{schema}.big")
    assert _types(session, f"{schema}.big") == {"n": "numeric"}
    assert session.sql(f"SELECT n::text AS n FROM {schema}.big ORDER BY n DESC")["n"][0] == "12345678901234567890123"

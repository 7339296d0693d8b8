"""Conformance: every statement kind in a %%pgai cell gives what psycopg (and so psql) gives for it."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from pgai_magic.errors import ParameterError, SQLError
from pgai_magic.session import Session
from tests.pg_helpers import drop_schema


def _psycopg(conn: psycopg.Connection, sql: str) -> tuple[str, list[tuple[Any, ...]] | None]:
    """psycopg's command tag and rows for one statement (the reference)."""
    cur = conn.execute(sql)
    rows = cur.fetchall() if cur.description else None
    return cur.statusmessage or "", rows


def _pgai(session: Session, sql: str) -> tuple[str, list[tuple[Any, ...]] | None]:
    result = session.execute(sql)
    last = result.results[-1]
    rows = None
    if last.table is not None:
        rows = [tuple(r.values()) for r in last.table.to_pylist()]
    return last.status, rows


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT 1 AS a, 'x' AS b",
        "WITH t AS (SELECT 2 AS a) SELECT a FROM t",
        "VALUES (1, 'a'), (2, 'b')",
        "(SELECT 1) UNION ALL (SELECT 2)",
        "SHOW DateStyle",
        "SELECT 1 AS a -- a trailing comment",
        "/* leading */ SELECT 1 AS a /* trailing */",
        "-- a comment line\nSELECT 1 AS a\n-- and another",
    ],
)
def test_row_returning_statements_match_psycopg(session: Session, conn: psycopg.Connection, sql: str) -> None:
    assert _pgai(session, sql) == _psycopg(conn, sql)


def test_table_and_dml_tags_match_psycopg(session: Session, conn: psycopg.Connection, schema: str) -> None:
    steps = [
        f"CREATE TABLE {schema}.t (id int PRIMARY KEY, name text)",
        f"INSERT INTO {schema}.t VALUES (1, 'a'), (2, 'b'), (3, 'c')",
        f"TABLE {schema}.t",
        f"UPDATE {schema}.t SET name = upper(name) WHERE id >= 2",
        f"INSERT INTO {schema}.t VALUES (4, 'd') RETURNING id, name",
        f"MERGE INTO {schema}.t USING (VALUES (1, 'z'), (9, 'n')) AS s(id, name) ON t.id = s.id "
        "WHEN MATCHED THEN UPDATE SET name = s.name WHEN NOT MATCHED THEN INSERT VALUES (s.id, s.name)",
        f"WITH gone AS (DELETE FROM {schema}.t WHERE id = 9 RETURNING id) SELECT id FROM gone",
        f"SELECT id INTO {schema}.t2 FROM {schema}.t",
        f"DELETE FROM {schema}.t WHERE id > 2",
        f"ALTER TABLE {schema}.t ADD COLUMN note text",
        f"DROP TABLE {schema}.t2",
    ]
    # each step in pgai on one schema and in psycopg on a twin: the same tags and rows
    twin = f"{schema}_twin"
    conn.execute(f"CREATE SCHEMA {twin}")
    try:
        for sql in steps:
            assert _pgai(session, sql) == _psycopg(conn, sql.replace(f"{schema}.", f"{twin}.")), sql
    finally:
        drop_schema(conn, twin)


def test_dml_with_bound_parameters_reports_its_row_count(session: Session, schema: str) -> None:
    session.sql(f"CREATE TABLE {schema}.p AS SELECT g AS n FROM generate_series(1, 10) g")
    result = session.execute(f"DELETE FROM {schema}.p WHERE n > :low", {"low": 7})
    assert result.summary() == "DELETE 3" and result.results[-1].rowcount == 3
    result = session.execute(f"UPDATE {schema}.p SET n = n + :d WHERE n = ANY(:ids)", {"d": 100, "ids": [1, 2]})
    assert result.summary() == "UPDATE 2"


def test_explain_variants_return_the_plan_as_rows(session: Session, conn: psycopg.Connection) -> None:
    df = session.sql("EXPLAIN SELECT g FROM generate_series(1, 3) g")
    assert list(df.columns) == ["QUERY PLAN"] and "Function Scan" in df["QUERY PLAN"][0]
    df = session.sql("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT 1")
    assert df["QUERY PLAN"].tolist() == [
        r[0] for r in conn.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT 1")
    ]
    df = session.sql("EXPLAIN (FORMAT JSON) SELECT 1")
    assert df["QUERY PLAN"][0][0]["Plan"]["Node Type"] == "Result"


def test_notices_and_warnings_are_shown_in_order(session: Session, schema: str) -> None:
    result = session.execute(
        "DO $$BEGIN RAISE NOTICE 'first %', 1; RAISE WARNING 'second'; RAISE INFO 'third'; END$$;"
        f"DROP TABLE IF EXISTS {schema}.nothing_here"
    )
    assert result.notices == [
        "NOTICE:  first 1",
        "WARNING:  second",
        "INFO:  third",
        'NOTICE:  table "nothing_here" does not exist, skipping',
    ]
    assert result.summary() == "DROP TABLE"


def test_notice_raised_inside_a_query_on_the_fast_path(session: Session, schema: str) -> None:
    session.sql(
        f"CREATE FUNCTION {schema}.loud(x int) RETURNS int LANGUAGE plpgsql AS "
        "$$BEGIN RAISE NOTICE 'saw %', x; RETURN x; END$$"
    )
    result = session.execute(f"SELECT {schema}.loud(g) AS v FROM generate_series(1, 2) g")
    assert result.value["v"].tolist() == [1, 2]
    assert result.notices == ["NOTICE:  saw 1", "NOTICE:  saw 2"]


def test_call_with_inout_returns_its_row(session: Session, schema: str) -> None:
    session.sql(f"CREATE PROCEDURE {schema}.bump(INOUT x int) LANGUAGE plpgsql AS $$BEGIN x := x + 1; END$$")
    result = session.execute(f"CALL {schema}.bump(41)")
    assert result.summary() == "CALL" and result.value["x"].tolist() == [42]


def test_cursors_declare_fetch_move_close(session: Session) -> None:
    session.sql("BEGIN; DECLARE c CURSOR FOR SELECT g FROM generate_series(1, 10) g")
    assert session.sql("FETCH 3 FROM c")["g"].tolist() == [1, 2, 3]
    assert session.execute("MOVE 2 FROM c").summary() == "MOVE 2"
    assert session.sql("FETCH NEXT FROM c")["g"].tolist() == [6]
    assert session.execute("CLOSE c").summary() == "CLOSE CURSOR"
    assert session.execute("COMMIT").summary() == "COMMIT"


def test_listen_notify_shows_the_notification(session: Session) -> None:
    result = session.execute("LISTEN pgai_ch; NOTIFY pgai_ch, 'hello'")
    assert result.summary() == "NOTIFY"
    assert len(result.notices) == 1 and 'notification "pgai_ch" with payload "hello"' in result.notices[0]
    session.sql("UNLISTEN pgai_ch")


def test_copy_to_stdout_returns_the_rows(session: Session, schema: str) -> None:
    session.sql(f"CREATE TABLE {schema}.c AS SELECT g AS n, 'r' || g AS label FROM generate_series(1, 4) g")
    result = session.execute(f"COPY (SELECT n FROM {schema}.c WHERE n > 1 ORDER BY n) TO STDOUT")
    assert result.summary() == "COPY 3" and result.value["n"].tolist() == [2, 3, 4]
    result = session.execute(f"COPY {schema}.c (label) TO STDOUT WITH (FORMAT csv)")
    assert result.summary() == "COPY 4" and sorted(result.value["label"]) == ["r1", "r2", "r3", "r4"]
    result = session.execute(f"COPY (SELECT n FROM {schema}.c WHERE n > :lo ORDER BY n) TO STDOUT", {"lo": 3})
    assert result.summary() == "COPY 1" and result.value["n"].tolist() == [4]
    cell = f"SELECT 1;\nCOPY (SELECT nosuch\n FROM {schema}.c) TO STDOUT"
    with pytest.raises(SQLError) as info:
        session.execute(cell)
    assert info.value.position is not None and cell[info.value.position - 1 :].startswith("nosuch")


def test_copy_to_stdout_inside_a_transaction_keeps_it(session: Session, schema: str) -> None:
    session.sql(f"BEGIN; CREATE TABLE {schema}.tx (a int); INSERT INTO {schema}.tx VALUES (1)")
    assert session.execute(f"COPY {schema}.tx TO STDOUT").value["a"].tolist() == [1]
    assert session.db.in_transaction
    assert session.execute("COMMIT").summary() == "COMMIT"
    assert session.sql(f"SELECT count(*) AS n FROM {schema}.tx")["n"][0] == 1


def test_copy_from_stdin_says_how_to_load(session: Session, schema: str) -> None:
    session.sql(f"CREATE TABLE {schema}.l (a int)")
    with pytest.raises(ParameterError, match=r"%pgai load .*%pgai persist"):
        session.sql(f"COPY {schema}.l FROM STDIN")
    assert session.sql("SELECT 1 AS ok")["ok"][0] == 1


def test_commit_of_an_aborted_transaction_reports_rollback(session: Session, schema: str) -> None:
    session.sql(f"CREATE TABLE {schema}.a (x int); BEGIN; INSERT INTO {schema}.a VALUES (1)")
    with pytest.raises(SQLError, match="division by zero"):
        session.sql("SELECT 1/0")
    assert session.db.transaction_failed
    assert session.execute("COMMIT").summary() == "ROLLBACK"
    assert session.sql(f"SELECT count(*) AS n FROM {schema}.a")["n"][0] == 0


def test_prepare_execute_set_reset_vacuum(session: Session, conn: psycopg.Connection) -> None:
    for sql in ["SET work_mem = '8MB'", "RESET work_mem", "VACUUM pg_catalog.pg_am", "DEALLOCATE ALL"]:
        assert _pgai(session, sql) == _psycopg(conn, sql)
    session.sql("PREPARE q(int) AS SELECT $1 * 2 AS d")
    result = session.execute("EXECUTE q(21)")
    assert result.value["d"].tolist() == [42] and result.summary() == "SELECT 1"
    session.sql("DEALLOCATE q")


@pytest.mark.parametrize(
    ("cell", "caret_line", "caret_text"),
    [
        ("SELECT 1;\nSELECT nosuch FROM pg_class", 2, "nosuch"),
        ("EXPLAIN SELECT nosuch FROM pg_class", 1, "nosuch"),
        ("SHOW no_such_setting_here", 1, None),
        ("SELECT :v + nosuch", 1, "nosuch"),
        ("-- lead\nUPDATE pg_class SET nosuch = 1", 2, "nosuch"),
    ],
)
def test_caret_under_the_right_character(session: Session, cell: str, caret_line: int, caret_text: str | None) -> None:
    with pytest.raises(SQLError) as info:
        session.execute(cell, {"v": 1})
    err = info.value
    if caret_text is None:
        assert err.position is None
        return
    assert err.position is not None
    assert cell[err.position - 1 :].startswith(caret_text)
    assert cell[: err.position].count("\n") + 1 == caret_line


def test_an_empty_cell_says_nothing_to_run(session: Session) -> None:
    result = session.execute("-- only a comment\n/* and this */")
    assert result.results == [] and result.summary() == "no statement to run"


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("COPY {s}.b TO STDOUT WHERE id = 1", "WHERE clause not allowed with COPY TO"),
        ("COPY {s}.pt TO STDOUT", "cannot copy from partitioned table"),
        ("COPY {s}.bv TO STDOUT", "cannot copy from view"),
        ("COPY {s}.b (nosuch) TO STDOUT", 'column "nosuch" of relation "b" does not exist'),
        ("COPY {s}.nosuch TO STDOUT", "does not exist"),
    ],
)
def test_copy_that_the_server_refuses_gets_its_error(session: Session, schema: str, sql: str, message: str) -> None:
    session.sql(
        f"CREATE TABLE {schema}.b (id int); INSERT INTO {schema}.b VALUES (1), (2);"
        f"CREATE TABLE {schema}.pt (a int) PARTITION BY RANGE (a);"
        f"CREATE TABLE {schema}.pt1 PARTITION OF {schema}.pt FOR VALUES FROM (0) TO (10);"
        f"CREATE VIEW {schema}.bv AS SELECT * FROM {schema}.b"
    )
    with pytest.raises(SQLError, match=message):
        session.execute(sql.format(s=schema))
    assert session.execute(f"COPY {schema}.pt1 TO STDOUT").summary() == "COPY 0"


def test_errors_keep_what_ran_before_them(session: Session, schema: str) -> None:
    with pytest.raises(SQLError) as info:
        session.execute(
            f"CREATE TABLE {schema}.e (a int); DO $$BEGIN RAISE NOTICE 'first'; END$$;"
            f"INSERT INTO {schema}.e VALUES (1); SELECT 1/0"
        )
    assert info.value.notices == ["NOTICE:  first", "ran before the error: CREATE TABLE; DO; INSERT 0 1"]
    assert session.sql(f"SELECT count(*) AS n FROM {schema}.e")["n"][0] == 1
    with pytest.raises(SQLError) as info:
        session.execute("DO $$BEGIN RAISE NOTICE 'inside'; PERFORM 1/0; END$$")
    assert info.value.notices == ["NOTICE:  inside"]
    assert "PL/pgSQL function inline_code_block line 1 at PERFORM" in str(info.value)  # the server's CONTEXT


def test_parse_time_warnings_are_shown_once(session: Session) -> None:
    try:
        session.sql("SET standard_conforming_strings = off; SET escape_string_warning = on")
        result = session.execute("SELECT 'a\\\\b' AS v")
        assert len([n for n in result.notices if "nonstandard use of \\\\" in n]) == 1, result.notices
    finally:
        session.sql("RESET standard_conforming_strings; RESET escape_string_warning")


def test_caret_under_tabs_and_wide_characters(session: Session) -> None:
    cell = "SELECT\t'漢字' || nosuch"
    with pytest.raises(SQLError) as info:
        session.execute(cell)
    line, caret = str(info.value).splitlines()[1:3]
    assert line == "LINE 1: " + cell
    # SELECT, the tab as a tab, the quote, two wide characters (two columns each), the quote, " || "
    assert caret == " " * len("LINE 1: ") + "      \t" + " " + "  " * 2 + " " + "    " + "^"


def test_in_with_a_list_parameter_hints_any(session: Session) -> None:
    with pytest.raises(SQLError, match=r"write = ANY\(:ids\) instead of IN :ids"):
        session.execute("SELECT 1 WHERE 1 IN :ids", {"ids": (1, 2)})


def test_oversized_plain_result_says_the_statement_ran(session: Session) -> None:
    session.db.max_result_bytes = 2**20
    try:
        session.sql("BEGIN; DECLARE big CURSOR FOR SELECT g, md5(g::text) FROM generate_series(1, 100000) g")
        from pgai_magic.errors import ResultTooLarge

        with pytest.raises(ResultTooLarge, match="FETCH 100000 ran"):
            session.sql("FETCH ALL FROM big")
    finally:
        session.db.max_result_bytes = None
        session.sql("ROLLBACK")

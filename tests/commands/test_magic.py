"""The %pgai / %%pgai magics in a real IPython shell against the test server."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from IPython.core.interactiveshell import InteractiveShell

from pgai_magic.display import ResultFrame
from pgai_magic.session import Session
from tests.pg_helpers import failed


def test_load_announces_embedded_server(
    pg_data_dir: Path, session: Session, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PGAI_DATA_DIR", str(pg_data_dir))
    shell = InteractiveShell.instance()
    try:
        shell.run_line_magic("load_ext", "pgai_magic")
        out = capsys.readouterr().out.strip().splitlines()
        assert len(out) == 1 and "embedded PostgreSQL 18" in out[0] and "pgvector 0.8" in out[0]
        assert str(pg_data_dir) in out[0]
    finally:
        shell.run_line_magic("unload_ext", "pgai_magic")
        InteractiveShell.clear_instance()


def test_cell_value_out_var_and_underscore(ip: InteractiveShell, schema: str) -> None:
    ip.run_cell(f"%pgai CREATE TABLE {schema}.nums AS SELECT g AS n FROM generate_series(1, 50) g")
    ip.user_ns["low"] = 10
    result = ip.run_cell(f"%%pgai --out big\nSELECT n FROM {schema}.nums WHERE n > :low ORDER BY n")
    assert result.success
    df = result.result
    assert isinstance(df, pd.DataFrame) and isinstance(df, ResultFrame) and len(df) == 40
    assert ip.user_ns["big"] is df and ip.user_ns["_"] is df


def test_display_is_truncated_with_total_footer(ip: InteractiveShell) -> None:
    ip.run_line_magic("config", "Pgai.display_limit = 3")
    df = ip.run_cell("%%pgai\nSELECT g FROM generate_series(1, 1000) g").result
    assert len(df) == 1000  # the DataFrame is complete
    html = df._repr_html_()
    assert html.count("<tr>") == 3  # body rows (the header row carries a style)
    assert "1,000 rows" in html and "showing the first 3" in html
    assert "1,000 rows" in repr(df)
    df = ip.run_cell("%%pgai --limit 5\nSELECT g FROM generate_series(1, 8) g").result
    assert df._repr_html_().count("<tr>") == 5


def test_line_magic_sql_and_status(ip: InteractiveShell, capsys: pytest.CaptureFixture[str]) -> None:
    assert ip.run_line_magic("pgai", "SELECT 6 * 7 AS answer")["answer"][0] == 42
    info = ip.run_line_magic("pgai", "status")
    assert info["server"].startswith("PostgreSQL 18") and info["pgvector"].startswith("0.8")
    assert info["mode"] == "embedded" and "data directory" in info


def test_ddl_reports_status_and_returns_nothing(
    ip: InteractiveShell, schema: str, capsys: pytest.CaptureFixture[str]
) -> None:
    result = ip.run_cell(f"%%pgai\nCREATE TABLE {schema}.x (a int);\nINSERT INTO {schema}.x VALUES (1), (2)")
    assert result.result is None
    assert "INSERT 0 2" in capsys.readouterr().out


def test_each_statement_of_a_cell_shows_its_tag_as_psql_does(
    ip: InteractiveShell, schema: str, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    cell = (
        f"%%pgai\nCREATE TABLE {schema}.t (a int);\nINSERT INTO {schema}.t VALUES (1), (2), (3);\n"
        f"SELECT count(*) AS n FROM {schema}.t"
    )
    result = ip.run_cell(cell)
    assert result.result["n"][0] == 3
    assert capsys.readouterr().out.splitlines()[:3] == ["CREATE TABLE", "INSERT 0 3", "Out[0]: "]
    result = ip.run_cell(f"%%pgai\nSELECT 1 AS one;\nUPDATE {schema}.t SET a = a + 1;\nSELECT 2 AS two")
    assert result.result["two"][0] == 2
    assert capsys.readouterr().out.splitlines()[:2] == ["SELECT 1", "UPDATE 3"]  # an earlier query: its tag
    assert ip.run_cell(f"%%pgai\nDROP TABLE {schema}.t;\nDROP TABLE IF EXISTS {schema}.t").result is None
    out = capsys.readouterr().out.splitlines()
    assert out == ["DROP TABLE", 'NOTICE:  table "t" does not exist, skipping', "DROP TABLE"]  # in psql's order


def test_errors_are_one_clear_message(ip: InteractiveShell, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    err = failed(ip, "%%pgai\nSELECT * FROM no_such_table_here")
    assert "42P01" in err and "Traceback" not in err and "^" in err
    out = capsys.readouterr()
    assert out.out.count("42P01") == 1 and "Traceback" not in out.out + out.err  # shown once, no traceback
    assert "Traceback" not in failed(ip, "%pgai --bogus-option")
    assert ip.run_line_magic("pgai", "SELECT 1 AS ok")["ok"][0] == 1


def test_bad_options_are_clear(ip: InteractiveShell) -> None:
    err = failed(ip, "%%pgai --limit many\nSELECT 1")
    assert "ConfigError" in err and "--limit" in err and "usage" in err
    assert "--out needs a python variable name" in failed(ip, "%%pgai --out 1bad\nSELECT 1")


def test_a_sub_commands_help_is_its_usage(ip: InteractiveShell, capsys: pytest.CaptureFixture[str]) -> None:
    for line in ("model monitor -h", "features training-set --help", "model score -h"):
        assert ip.run_line_magic("pgai", line) is None  # no ConfigError for the arguments it did not get
        out = capsys.readouterr().out
        assert out.startswith("usage: %pgai " + line.rsplit(" ", 1)[0]) and "options:" in out, out


def test_help_lists_every_command(ip: InteractiveShell, capsys: pytest.CaptureFixture[str]) -> None:
    from pgai_magic.commands import COMMANDS

    ip.run_line_magic("pgai", "help")
    out = capsys.readouterr().out
    for name in COMMANDS:
        assert f"%pgai {name}" in out
    assert "%%pgai [--out VAR]" in out
    doc = ip.find_line_magic("pgai").__doc__ or ""  # what `%pgai?` shows
    for name in COMMANDS:
        assert f"%pgai {name}" in doc


def test_arrow_and_polars_options(ip: InteractiveShell) -> None:
    import polars as pl
    import pyarrow as pa

    assert isinstance(ip.run_cell("%%pgai --arrow\nSELECT 1 AS a").result, pa.Table)
    assert isinstance(ip.run_cell("%%pgai --polars\nSELECT 1 AS a").result, pl.DataFrame)


def test_connect_by_dsn_hides_password(ip: InteractiveShell, pg_dsn: str) -> None:
    # trust authentication ignores the password, so a DSN carrying one still connects
    with_password = pg_dsn.replace("postgres:@", "postgres:s3cret-pw@", 1)
    assert "s3cret-pw" in with_password
    ip.run_line_magic("pgai", f"connect {with_password}")
    info = ip.run_line_magic("pgai", "status")
    assert info["mode"] == "external"
    assert "s3cret-pw" not in repr(info) and "***" in info["connection"]
    assert ip.run_line_magic("pgai", "SELECT 2 AS two")["two"][0] == 2


def test_jupysql_style_assignment(ip: InteractiveShell) -> None:
    ip.run_cell("%%pgai rows <<\nSELECT g FROM generate_series(1, 4) g")
    assert len(ip.user_ns["rows"]) == 4
    ip.run_cell("%pgai one << SELECT 1 AS a")
    assert int(ip.user_ns["one"]["a"][0]) == 1


def test_line_is_not_expanded_by_ipython(ip: InteractiveShell, capsys: pytest.CaptureFixture[str]) -> None:
    ip.user_ns["secret"] = "expanded"
    df = ip.run_cell("%pgai SELECT '{unknown_name}' AS braces, '$secret' AS dollar").result
    assert df["braces"][0] == "{unknown_name}" and df["dollar"][0] == "$secret"
    # a {name} template naming a notebook variable is never expanded, and never kept silently: refused
    assert "write :secret" in failed(ip, "%pgai SELECT '{secret}' AS braces")


def test_questions_ending_in_a_question_mark_reach_the_magic(ip: InteractiveShell) -> None:
    seen: list[str] = []
    from pgai_magic.commands import COMMANDS, Command

    COMMANDS["echo_test"] = Command("echo_test", "test", "%pgai echo_test", lambda ctx, rest, cell: seen.append(rest))
    try:
        ip.run_cell("%pgai echo_test how many orders were cancelled in 2024?")
        ip.run_cell("answer = %pgai echo_test what's the meaning of life?")
        ip.run_cell("if True:\n    %pgai echo_test indented, with 'quotes'?")
    finally:
        del COMMANDS["echo_test"]
    assert seen == [
        "how many orders were cancelled in 2024?",
        "what's the meaning of life?",
        "indented, with 'quotes'?",
    ]


def test_a_mistyped_sub_command_is_named_and_sql_still_runs(
    ip: InteractiveShell, capsys: pytest.CaptureFixture[str]
) -> None:
    err = failed(ip, "%pgai tabels")
    assert "unknown sub-command 'tabels'" in err and "did you mean the sub-command tables?" in err
    assert "did you mean the sub-command columns?" in failed(ip, "%pgai colums orders")
    assert "did you mean the sub-command insights?" in failed(ip, "%%pgai insight\nSELECT 1")
    assert "neither a sub-command nor the start of a SQL statement" in failed(ip, "%pgai frobnicate the data")
    for line in ("SELECT 1 AS a", "select 1 AS a", "/* a comment */ SELECT 1 AS a", "(SELECT 1 AS a)", "TABLE x1"):
        if line == "TABLE x1":
            ip.run_cell("%pgai CREATE TEMP TABLE x1 AS SELECT 1 AS a")
        assert ip.run_cell(f"%pgai {line}").result["a"][0] == 1, line
    capsys.readouterr()
    ip.run_cell("%pgai tables -h")
    out = capsys.readouterr().out
    assert out.startswith("usage: %pgai tables") and "tables and views" in out

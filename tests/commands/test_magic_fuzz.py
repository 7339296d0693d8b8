"""Fuzzing the magics: random lines, options and SQL never give an internal traceback, and the next cell works."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from IPython.core.interactiveshell import InteractiveShell

from pgai_magic.commands import COMMANDS
from pgai_magic.errors import InternalError, PgaiError
from pgai_magic.session import Session

# connect would dial random hosts; every other sub-command is fuzzed
WORDS = [*sorted(set(COMMANDS) - {"connect"}), "SELECT", "select", "WITH", "--out", "--limit", "--arrow", "--polars"]
PIECES = st.one_of(
    st.sampled_from(WORDS),
    st.sampled_from(
        [
            "--k",
            "--where",
            "--model",
            "--batch-size",
            "--top",
            "--budget",
            "--name",
            "--features",
            "--dry-run",
            "--accept",
            "--history",
            "-o",
            "--",
            "-",
            "=",
            "'",
            '"',
            ";",
            "::",
            ":x",
            "%",
            "\\",
            "\n",
            "1",
            "-5",
            "1e309",
            "nan",
            "t.c",
            "a.b.c",
            "pg_catalog.pg_class.relname",
        ]
    ),
    st.text(min_size=0, max_size=12),
)
LINES = st.lists(PIECES, min_size=0, max_size=8).map(" ".join)
SQL_TOKENS = st.one_of(
    st.sampled_from(
        [
            "SELECT",
            "FROM",
            "WHERE",
            "1",
            "'a'",
            "(",
            ")",
            ",",
            ";",
            "::int",
            ":x",
            "$1",
            "$$",
            "--",
            "/*",
            "*/",
            "pg_class",
            "generate_series(1,3)",
            "NULL",
            "E'\\\\'",
            '"',
            "GROUP BY",
            "*",
            "BEGIN",
            "ROLLBACK",
            "COMMIT",
        ]
    ),
    st.text(max_size=8),
)
# a blank body is IPython's own UsageError for cell magics, not ours
CELLS = st.lists(SQL_TOKENS, min_size=1, max_size=15).map(" ".join).filter(lambda s: s.strip())


@pytest.fixture(scope="module")
def shell(pg_data_dir: Path, session: Session) -> Iterator[InteractiveShell]:
    import os

    os.environ["PGAI_DATA_DIR"] = str(pg_data_dir)
    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "pgai_magic")
    ip.user_ns["x"] = 1
    yield ip
    ip.run_line_magic("unload_ext", "pgai_magic")
    InteractiveShell.clear_instance()


def _check(ip: InteractiveShell, capsys: pytest.CaptureFixture[str], code: str) -> None:
    result = ip.run_cell(code, silent=True)
    captured = capsys.readouterr()
    err = result.error_in_exec
    assert err is None or (isinstance(err, PgaiError) and not isinstance(err, InternalError)), (
        code,
        err,
        ip.user_ns["_pgai_magics"].last_traceback,
    )  # a bad input fails the cell with one clear error, never a bug
    assert "Traceback" not in captured.err + captured.out, code
    ip.run_cell("%pgai ROLLBACK", silent=True)  # a fuzzed BEGIN may have opened a transaction
    capsys.readouterr()
    after = ip.run_line_magic("pgai", "SELECT 1 AS ok")
    assert int(after["ok"][0]) == 1


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(line=LINES)
def test_random_magic_lines(shell: InteractiveShell, capsys: pytest.CaptureFixture[str], line: str) -> None:
    line = " ".join(line.splitlines())  # one line: \x1e, \u2028 … end lines for IPython too
    _check(shell, capsys, f"%pgai {line}")


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(options=LINES, body=CELLS)
def test_random_sql_cells(shell: InteractiveShell, capsys: pytest.CaptureFixture[str], options: str, body: str) -> None:
    options = " ".join(options.splitlines())
    first = options.split(" ", 1)[0]
    if first in COMMANDS:
        options = "--limit 3 " + options  # keep this test on the SQL path; sub-commands are fuzzed above
    _check(shell, capsys, f"%%pgai {options}\n{body}")

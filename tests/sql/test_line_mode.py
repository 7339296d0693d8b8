"""%pgai line mode reads options as cell mode does; unknown options are errors that name them."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest
from IPython.core.interactiveshell import InteractiveShell

from tests.pg_helpers import failed


def test_out_limit_and_formats_in_line_mode(ip: InteractiveShell) -> None:
    result = ip.run_cell("%pgai --out x SELECT 1 AS a")
    assert (
        isinstance(ip.user_ns["x"], pd.DataFrame) and ip.user_ns["x"]["a"][0] == 1 and result.result is ip.user_ns["x"]
    )
    table = ip.run_cell("%pgai --arrow SELECT 2 AS b").result
    assert isinstance(table, pa.Table) and table.column("b").to_pylist() == [2]
    frame = ip.run_cell("%pgai --polars SELECT 3 AS c").result
    assert type(frame).__module__.startswith("polars") and frame["c"].to_list() == [3]
    df = ip.run_cell("%pgai --limit 2 --out y SELECT g FROM generate_series(1, 5) g").result
    assert len(df) == 5 and "showing the first 2" in df._repr_html_() and ip.user_ns["y"] is df
    df = ip.run_cell("%pgai -o z SELECT 1 AS a -- a note").result
    assert ip.user_ns["z"] is df and df["a"][0] == 1


@pytest.mark.parametrize("line", ["%pgai --nope SELECT 1", "%pgai --persistt df", "%pgai -x SELECT 1"])
def test_unknown_option_is_an_error_naming_it(ip: InteractiveShell, line: str) -> None:
    err = failed(ip, line)
    assert "unrecognized arguments" in err and line.split()[1] in err


def test_unknown_option_in_cell_mode(ip: InteractiveShell) -> None:
    assert "--nope" in failed(ip, "%%pgai --nope df\nSELECT 1")


def test_nothing_to_run_says_so(ip: InteractiveShell, capsys: pytest.CaptureFixture[str]) -> None:
    ip.run_cell("%%pgai\n-- only a comment\n")
    assert "nothing to run" in capsys.readouterr().out

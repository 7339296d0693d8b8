"""A notebook you can trust: run headless (nbclient) with no network, a failed cell stops Run All with the message
only, charts are images, every output reads the same untrusted and offline, no progress bar is left frozen; and the
shipped tutorials' stored outputs pass the same checks."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from pgai_magic.session import Session
from tests.packaging.notebook_checks import html_problems, notebook_problems, output_problems

ROOT = Path(__file__).resolve().parents[2]
TUTORIALS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))

# the kernel reaches nothing but this machine: a connection to any other address fails
NO_NETWORK = """
import socket
_connect = socket.socket.connect
def _local_only(sock, address):
    if sock.family in (socket.AF_INET, socket.AF_INET6) and address[0] not in ("127.0.0.1", "::1", "localhost"):
        raise OSError(f"network unreachable: {address}")
    return _connect(sock, address)
socket.socket.connect = _local_only
"""

CELLS = [
    NO_NETWORK,
    "%load_ext pgai_magic",
    "%%pgai\nDROP TABLE IF EXISTS nb_trust;\n"
    "CREATE TABLE nb_trust AS SELECT g AS id, (g % 7) * 1.5 AS amount, (ARRAY['a','b','c'])[1 + g % 3] AS kind,\n"
    "  CASE WHEN g % 5 = 0 THEN NULL ELSE 'x' END AS note, NULL::float8 AS empty, avg(g::numeric) OVER () AS mean\n"
    "FROM generate_series(1, 60) g",
    "%pgai plot histogram nb_trust.amount --by kind --bins 5",  # 3
    "%pgai plot bar nb_trust.kind",  # 4
    "%%pgai --plot bar --x kind --y n\nSELECT kind, count(*) AS n FROM nb_trust GROUP BY 1 ORDER BY 1",  # 5
    "%pgai SELECT * FROM nb_trust ORDER BY id LIMIT 3",  # 6
    "%pgai columns nb_trust",  # 7
    "%pgai insights nb_trust --top 3 --budget 5",  # 8
    "from pgai_magic.display import progress\nbar = progress(total=3, desc='working', delay=0)\n"
    "bar.update(1)\nbar.update(1)\nbar.close()",  # 9
    "%pgai ALTER TABLE missing_table ADD COLUMN x int",  # 10: fails, and Run All stops here
    "print('this cell ran after the failed one')",  # 11
]
ERROR_CELL = 10


@pytest.fixture(scope="module")
def executed(pg_data_dir: Path, session: Session) -> tuple[Any, BaseException | None]:
    """The notebook above, executed by nbclient as Run All does (stopping at the first error)."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(src) for src in CELLS])
    env = {"PGAI_DATA_DIR": str(pg_data_dir), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    failure: BaseException | None = None
    try:
        NotebookClient(nb, timeout=300, kernel_name="python3").execute()
    except CellExecutionError as exc:
        failure = exc
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return nb, failure


@pytest.mark.slow
def test_a_failed_statement_stops_run_all_with_its_message_only(executed: tuple[Any, BaseException | None]) -> None:
    nb, failure = executed
    assert failure is not None and getattr(failure, "ename", None) == "SQLError"
    assert 'ERROR: relation "missing_table" does not exist' in str(failure) and "Traceback" not in str(failure)
    errors = [o for o in nb.cells[ERROR_CELL].outputs if o.output_type == "error"]
    assert len(errors) == 1 and errors[0].ename == "SQLError"
    shown = "\n".join(errors[0].traceback)
    assert shown.startswith('ERROR: relation "missing_table" does not exist (SQLSTATE 42P01)')
    assert "Traceback" not in shown and "File " not in shown and len(errors[0].traceback) <= 4
    streams = "".join(o.get("text", "") for o in nb.cells[ERROR_CELL].outputs if o.output_type == "stream")
    assert "42P01" not in streams  # the message is shown once: as the error
    assert nb.cells[ERROR_CELL + 1].outputs == [] and nb.cells[ERROR_CELL + 1].execution_count is None
    earlier = [o for c in nb.cells[:ERROR_CELL] for o in c.outputs if o.output_type == "error"]
    assert earlier == []


@pytest.mark.slow
def test_charts_are_images_with_a_text_fallback(executed: tuple[Any, BaseException | None]) -> None:
    nb, _ = executed
    for index in (3, 4, 5):
        [chart] = [o for o in nb.cells[index].outputs if o.output_type == "execute_result"]
        assert {"image/png", "image/svg+xml", "text/plain"} <= set(chart.data), index
        assert "text/html" not in chart.data and chart.data["image/svg+xml"].lstrip().startswith("<svg")
        assert chart.data["text/plain"].startswith(("histogram of", "bar of")), chart.data["text/plain"]


@pytest.mark.slow
def test_every_output_reads_the_same_offline_and_untrusted(executed: tuple[Any, BaseException | None]) -> None:
    nb, _ = executed
    assert notebook_problems({"cells": [dict(c) for c in nb.cells[:ERROR_CELL]]}) == []
    cards = "".join(o.data.get("text/html", "") for o in nb.cells[8].outputs if o.output_type == "execute_result")
    assert cards.count("<div style='display:inline-block") >= 2 and "data:image/svg+xml;base64," in cards
    table = next(o for o in nb.cells[7].outputs if o.output_type == "execute_result").data["text/html"]
    assert "&lt;NA&gt;" in table and "NaN" not in table and "None" not in table  # one spelling of NULL


@pytest.mark.slow
def test_a_progress_bar_leaves_no_frozen_output(executed: tuple[Any, BaseException | None]) -> None:
    nb, _ = executed
    shown = [o for o in nb.cells[9].outputs if o.output_type in ("display_data", "stream")]
    assert shown, "the bar was shown while it ran"
    assert all(o.output_type == "display_data" and o.data == {"text/plain": ""} for o in shown), shown


def test_the_checks_catch_what_an_untrusted_notebook_loses() -> None:
    assert (
        html_problems("<div style='display:inline-block;width:340px'><img src='data:image/png;base64,AA'></div>") == []
    )
    assert any("<style>" in p for p in html_problems("<style>.a{color:red}</style><div class='a'>x</div>"))
    assert any("<svg>" in p for p in html_problems("<div><svg><text>label</text></svg></div>"))
    assert any("grid-template-columns" in p for p in html_problems("<div style='grid-template-columns:1fr'>x</div>"))
    assert any("external URL" in p for p in html_problems("<script src='https://cdn.jsdelivr.net/npm/vega@5'>"))
    assert html_problems('<svg xmlns="http://www.w3.org/2000/svg">')[0].startswith("<svg>")  # a namespace is no fetch
    frozen = {"output_type": "display_data", "data": {"text/plain": "insights:   0%|          | 0/2"}}
    assert any("frozen progress bar" in p for p in output_problems(frozen))
    footer = {"output_type": "execute_result", "data": {"text/plain": "1 row · 0.000 s"}}
    assert any("0.000 s" in p for p in output_problems(footer))
    opaque = {
        "output_type": "display_data",
        "data": {"text/html": "<b>x</b>", "text/plain": "<IPython.core.display.HTML object>"},
    }
    assert any("no readable text/plain" in p for p in output_problems(opaque))
    svg_only = {"output_type": "display_data", "data": {"image/svg+xml": "<svg/>", "text/plain": "a chart"}}
    assert any("without a PNG" in p for p in output_problems(svg_only))


@pytest.mark.parametrize("path", TUTORIALS, ids=[p.stem for p in TUTORIALS])
def test_stored_tutorials_read_offline_and_untrusted(path: Path) -> None:
    """The shipped tutorials as stored: no external script, charts as images, no frozen bar or empty footer, errors
    only where a cell shows one on purpose (tagged raises-exception), and never a Python traceback."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    assert notebook_problems(nb) == []
    text = path.read_text(encoding="utf-8")
    assert not any(cdn in text for cdn in ("cdn.jsdelivr", "unpkg.com", "cdnjs"))

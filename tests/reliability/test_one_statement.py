"""Every command that takes a query string takes exactly one read-only statement, and every `--where` exactly one
boolean expression: a second statement or a writing one is one clear error, and nothing runs (the sentinel table
keeps its row, no file is written)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from IPython.core.interactiveshell import InteractiveShell

from pgai_magic.session import Session
from tests.pg_helpers import drop_schema, failed, scalar

S = f"one_{uuid.uuid4().hex[:8]}"  # the module's schema
SELECT = f"SELECT id::float8 AS x, v::float8 AS y FROM {S}.t"
DROP = f"DROP TABLE {S}.sentinel"
DELETE = f"DELETE FROM {S}.sentinel RETURNING 1.0::float8 AS x, 1.0::float8 AS y"
CTE = f"WITH d AS (DELETE FROM {S}.sentinel RETURNING 1) SELECT 1.0::float8 AS x, 1.0::float8 AS y FROM d"
WIPE = f"SELECT {S}.wipe()::int::float8 AS x, 1.0::float8 AS y"  # a function that writes: READ ONLY stops it

TWO = "must be a single query (one SELECT), and it holds 2 statements"
WRITES = "may only read data"
CHANGES = "would change data or settings"
READ_ONLY = "read-only transaction"
ONE_CONDITION = "--where must be one condition, without ';'"

QUERY_CASES = {
    "unload": ('unload "{q}" {out}', "the unload query"),
    "insights --query": ('insights --query "{q}" --budget 5', "--query"),
    "model train --from": ('model train m_one_x --target y --task regression --from "{q}"', "the training query"),
    "model monitor --actual": ('model monitor m_one --target y --actual "{q}"', "query"),
}
WHERE_CASES = {
    "plot --where": f'pgai plot histogram {S}.t.v --where "{{w}}"',
    "similar --where": f'pgai similar {S}.t.body "a late parcel" --where "{{w}}"',
}


@pytest.fixture(scope="module", autouse=True)
def world(pg_dsn: str, session: Session, tiny_model_dir: str) -> Iterator[None]:
    """Table t (embedded with the tiny model), a model m_one trained on it, the sentinel and a writing function."""
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {S}")
        conn.execute(f"CREATE TABLE {S}.t (id int PRIMARY KEY, v numeric, body text)")
        conn.execute(f"INSERT INTO {S}.t SELECT g, g * 1.5, 'parcel ' || g FROM generate_series(1, 60) g")
        conn.execute(f"CREATE TABLE {S}.sentinel (n int); INSERT INTO {S}.sentinel VALUES (1)")
        conn.execute(
            f"CREATE FUNCTION {S}.wipe() RETURNS boolean LANGUAGE plpgsql AS "
            f"$$ BEGIN DELETE FROM {S}.sentinel; RETURN true; END $$"
        )
    session.embed(f"{S}.t.body", model=tiny_model_dir, progress=False)
    session.train("m_one", "y", SELECT, task="regression")
    yield
    session.models.drop("m_one")
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute("DELETE FROM pgai.embedded_columns WHERE source_schema = %s", (S,))
        drop_schema(conn, S)


def _intact(pg_dsn: str) -> None:
    with psycopg.connect(pg_dsn) as conn:
        assert scalar(conn, f"SELECT count(*) FROM {S}.sentinel") == 1, "the sentinel lost its row"


def _fails(ip: InteractiveShell, capsys: pytest.CaptureFixture[str], line: str, *expected: str) -> str:
    """Run `%pgai line`: it must fail the cell with one PgaiError (pg_helpers.failed) whose text names one of
    `expected`; that text."""
    capsys.readouterr()
    err = failed(ip, f"%pgai {line}")
    assert "Traceback" not in err and "internal error" not in err, err
    assert any(e in err for e in expected), f"{line!r}: expected one of {expected}, got {err!r}"
    return err


@pytest.mark.parametrize("query", [f"{SELECT}; {DROP}", DELETE, CTE, WIPE], ids=["second", "delete", "cte", "wipe"])
@pytest.mark.parametrize("command", list(QUERY_CASES))
def test_a_query_argument_is_one_read_query(
    ip: InteractiveShell, capsys: pytest.CaptureFixture[str], pg_dsn: str, tmp_path: Path, command: str, query: str
) -> None:
    line, what = QUERY_CASES[command]
    out = tmp_path / "out.csv"
    # monitor refuses what does not start like a query itself ("--actual takes a query, not ...")
    expected = {f"{SELECT}; {DROP}": (TWO,), DELETE: (WRITES, "--actual takes a query"), CTE: (CHANGES,),
                WIPE: (READ_ONLY,)}[query]  # fmt: skip
    err = _fails(ip, capsys, line.format(q=query, out=out), *expected)
    if query != WIPE:  # refused before it ran, naming the argument
        assert what in err
    assert not out.exists()
    _intact(pg_dsn)


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        (f"v > 0; {DROP}", ONE_CONDITION),
        ("v > 0) OR (true", "is not a valid SQL condition"),
        (f"v > 0 AND {S}.wipe()", READ_ONLY),
        ("nextval('x') > 0", "side effects"),
        ("v + 1", "must be a true/false condition"),
    ],
    ids=["second", "unbalanced", "wipe", "denied", "not-boolean"],
)
@pytest.mark.parametrize("command", list(WHERE_CASES))
def test_a_where_is_one_boolean_expression(
    ip: InteractiveShell, capsys: pytest.CaptureFixture[str], pg_dsn: str, command: str, where: str, expected: str
) -> None:
    _fails(ip, capsys, WHERE_CASES[command].format(w=where).removeprefix("pgai "), expected)
    _intact(pg_dsn)


def test_the_same_commands_run_one_read_query(
    ip: InteractiveShell, capsys: pytest.CaptureFixture[str], tmp_path: Path, pg_dsn: str
) -> None:
    out = tmp_path / "ok.csv"
    _fails(ip, capsys, f'unload "{SELECT} WHERE id <= :n;" {out}', "n")  # :n is not defined in the notebook
    ip.user_ns["n"] = 5
    ip.run_cell(f'%pgai unload "{SELECT} WHERE id <= :n;" {out}')  # a trailing ; is not a second statement
    assert len(out.read_text().splitlines()) == 6
    assert ip.run_cell("%" + WHERE_CASES["plot --where"].format(w="v > 3 AND body LIKE 'parcel%'")).result is not None
    assert len(ip.run_cell("%" + WHERE_CASES["similar --where"].format(w="id < 10")).result) == 5
    _fails(ip, capsys, f"explain SELECT 1; {DROP}", "explain takes one statement")
    _intact(pg_dsn)


VIEW_ROWS = f"SELECT id, v, v * 2 AS f FROM {S}.t"
LABELS = f"SELECT id, v + 0.5 AS label_time, v > 40 AS y FROM {S}.t"
FEATURE_CASES = {  # the commands of feature views and scheduled monitoring, each with a query of the columns it needs
    "features define --from": ("features define v_bad --entity id --time v --from {q}", VIEW_ROWS, "the feature view"),
    "features training-set --labels": ("features training-set --features v_one --labels {q}", LABELS, "labels query"),
    "model train --labels": (
        "model train m_one_f --target y --task classification --features v_one --labels {q}",
        LABELS,
        "labels query",
    ),
    "model monitor --every": ("model monitor m_one --every 1d --target y --actual {q}", SELECT, "query"),
}


def _quoted(query: str) -> str:
    return '"' + query.replace('"', '\\"') + '"'


@pytest.mark.parametrize("kind", ["second", "delete", "cte"])
@pytest.mark.parametrize("command", list(FEATURE_CASES))
def test_feature_and_schedule_queries_are_one_read_query(
    ip: InteractiveShell, capsys: pytest.CaptureFixture[str], session: Session, pg_dsn: str, command: str, kind: str
) -> None:
    line, base, what = FEATURE_CASES[command]
    query, expected = {
        "second": (f"{base}; {DROP}", TWO),
        "delete": (f"DELETE FROM {S}.sentinel RETURNING 1 AS id, 1.0 AS v", WRITES),
        "cte": (f"WITH d AS (DELETE FROM {S}.sentinel RETURNING 1) {base}", CHANGES),
    }[kind]
    session.define_features("v_one", "id", "v", VIEW_ROWS)
    err = _fails(ip, capsys, line.format(q=_quoted(query)), expected, "--actual takes a query")
    assert what in err
    _intact(pg_dsn)
    with psycopg.connect(pg_dsn) as conn:  # nothing recorded
        assert scalar(conn, "SELECT count(*) FROM pgai.feature_views WHERE name = 'v_bad'") == 0
        assert scalar(conn, "SELECT count(*) FROM pgai.monitor_schedules WHERE name = 'm_one'") == 0
        assert scalar(conn, "SELECT count(*) FROM pgai.models WHERE name = 'm_one_f'") == 0


def test_a_function_that_writes_never_runs_outside_read_only(
    ip: InteractiveShell, capsys: pytest.CaptureFixture[str], session: Session, pg_dsn: str
) -> None:
    """A query calling a function that writes passes the parse (it reads like a query); wherever pgai runs it, it
    runs READ ONLY, so the write fails there: in a training set written to a table, in the training query, in a
    scheduled check run by the worker."""
    session.define_features("v_one", "id", "v", VIEW_ROWS)
    wipe_labels = f"{LABELS} WHERE {S}.wipe()"
    for line in (
        f"features training-set --features v_one --labels {_quoted(wipe_labels)}",
        f"features training-set --features v_one --labels {_quoted(wipe_labels)} --into {S}.ts_out",
        f"model train m_one_f --target y --task classification --features v_one --labels {_quoted(wipe_labels)}",
    ):
        _fails(ip, capsys, line, READ_ONLY)
        _intact(pg_dsn)
    # a view whose query writes is recorded (its columns are read with LIMIT 0); using it fails, read-only
    session.define_features("v_wipe", "id", "v", f"SELECT id, v, {S}.wipe()::int AS f FROM {S}.t")
    _fails(ip, capsys, f"features training-set --features v_wipe --labels {_quoted(LABELS)} --into {S}.ts_out",
           READ_ONLY)  # fmt: skip
    _intact(pg_dsn)
    with psycopg.connect(pg_dsn) as conn:
        assert scalar(conn, "SELECT to_regclass(%s) IS NULL", (f"{S}.ts_out",))
    ip.run_cell(f'%pgai model monitor m_one --every 1d --target y --actual "{WIPE}"')
    try:
        session.models.run_due()
        _intact(pg_dsn)
        with psycopg.connect(pg_dsn) as conn:
            error = scalar(conn, "SELECT last_error FROM pgai.monitor_schedules WHERE name = 'm_one'")
        assert error and READ_ONLY in error
    finally:
        with psycopg.connect(pg_dsn, autocommit=True) as conn:
            conn.execute("DELETE FROM pgai.monitor_schedules WHERE name = 'm_one'")
            conn.execute("DELETE FROM pgai.feature_views WHERE name IN ('v_one', 'v_wipe')")

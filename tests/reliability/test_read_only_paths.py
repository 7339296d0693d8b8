"""The one read-only path: every query the user did not write as a SQL cell runs parsed, READ ONLY, with a timeout.

Each path gets a volatile PL/pgSQL function that deletes rows: the query calling it must fail on the server and
leave every row in place; DELETE … RETURNING, FOR UPDATE, lo_import / lo_export and admin functions are refused
before anything runs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import psycopg
import pytest

from pgai_magic.errors import ConfigError, GuardError, InsightError, ModelError, PgaiError, SQLError
from pgai_magic.session import Session
from pgai_magic.sqltext import check_read_condition, check_read_query
from tests.pg_helpers import scalar

REFUSED = [
    ("DELETE FROM {s}.victim RETURNING id AS x, id AS y", "DELETE"),
    ("WITH d AS (DELETE FROM {s}.victim RETURNING *) SELECT id AS x, id AS y FROM d", "DELETE"),
    ("SELECT id AS x, id AS y FROM {s}.victim FOR UPDATE", "FOR UPDATE"),
    ("SELECT id AS x, id AS y FROM {s}.victim FOR SHARE", "FOR UPDATE"),
    ("SELECT lo_import('/etc/passwd') AS x, 1 AS y", "lo_import"),
    ("SELECT lo_export(1, '/tmp/x') AS x, 1 AS y", "lo_export"),
    ("SELECT pg_catalog.lo_import('/etc/passwd') AS x, 1 AS y", "lo_import"),
    ("SELECT pg_read_file('postgresql.conf') AS x, 1 AS y", "pg_read_file"),
    ("SELECT pg_terminate_backend(1) AS x, 1 AS y", "pg_terminate_backend"),
    ("SELECT pg_reload_conf() AS x, 1 AS y", "pg_reload_conf"),
    ("SELECT set_config('work_mem', '1GB', false) AS x, 1 AS y", "set_config"),
    ("SELECT 1 AS x, 1 AS y; SELECT 2", "single query"),
    ("SELECT id AS x, id AS y INTO {s}.copy FROM {s}.victim", "INTO"),
]


@pytest.fixture()
def victim(conn: psycopg.Connection, schema: str) -> Iterator[str]:
    """A 20-row table and `schema.wipe()`, a VOLATILE function that deletes its rows and returns 1."""
    conn.execute(f"CREATE TABLE {schema}.victim (id int PRIMARY KEY, body text)")
    conn.execute(f"INSERT INTO {schema}.victim SELECT g, 'row ' || g FROM generate_series(1, 20) g")
    conn.execute(
        f"CREATE FUNCTION {schema}.wipe() RETURNS int LANGUAGE plpgsql VOLATILE AS "
        f"$$ BEGIN DELETE FROM {schema}.victim; RETURN 1; END $$"
    )
    yield schema


def _rows(conn: psycopg.Connection, schema: str) -> int:
    return int(scalar(conn, f"SELECT count(*) FROM {schema}.victim"))


def _read_only_failure(exc: BaseException) -> bool:
    return "read-only transaction" in str(exc)


@pytest.mark.parametrize(("sql", "why"), REFUSED)
def test_the_check_refuses_what_is_not_one_plain_read(sql: str, why: str) -> None:
    with pytest.raises(GuardError, match=why):
        check_read_query(sql.format(s="x"), what="--query")


def test_the_check_passes_reads_and_names_the_argument() -> None:
    assert check_read_query(" SELECT 1 ;; ") == "SELECT 1"
    assert check_read_query("WITH t AS (SELECT 1 AS a) SELECT a FROM t UNION SELECT 2").startswith("WITH")
    assert check_read_query("VALUES (1), (2)") == "VALUES (1), (2)"
    with pytest.raises(ConfigError, match=r"^--query may only read data.*not CREATE"):
        check_read_query("CREATE TABLE x AS SELECT 1", what="--query", error=ConfigError)
    with pytest.raises(ConfigError, match="FOR UPDATE"):
        check_read_condition("id IN (SELECT id FROM t FOR UPDATE)", error=ConfigError)
    with pytest.raises(ConfigError, match="lo_export"):
        check_read_condition("lo_export(1, '/tmp/x') = 1", error=ConfigError)


def test_insights_query_calling_a_writing_function_writes_nothing(
    session: Session, conn: psycopg.Connection, victim: str
) -> None:
    with pytest.raises(InsightError, match="read-only transaction"):
        session.insights(query=f"SELECT {victim}.wipe() AS x, id, body FROM {victim}.victim", budget=10)
    assert _rows(conn, victim) == 20


@pytest.mark.parametrize(("sql", "why"), REFUSED)
def test_insights_query_refuses_writes_locks_and_admin_functions(
    session: Session, conn: psycopg.Connection, victim: str, sql: str, why: str
) -> None:
    with pytest.raises(ConfigError, match=why):
        session.insights(query=sql.format(s=victim), budget=10)
    assert _rows(conn, victim) == 20


def test_insights_query_still_reads(session: Session, victim: str) -> None:
    frame = session.insights(
        query=f"SELECT id, length(body) AS body_length, id % 3 AS grp FROM {victim}.victim", budget=10
    )
    assert frame.attrs is not None and len(frame.columns) > 0


def test_train_from_a_writing_query_deploys_nothing(session: Session, conn: psycopg.Connection, victim: str) -> None:
    name = f"m_{victim}"
    with pytest.raises(SQLError, match="read-only transaction"):
        session.train(name, "y", f"SELECT {victim}.wipe() AS x, id AS y FROM {victim}.victim")
    assert _rows(conn, victim) == 20
    with pytest.raises(ModelError, match="DELETE"):
        session.train(name, "y", f"DELETE FROM {victim}.victim RETURNING id AS x, id AS y")
    assert _rows(conn, victim) == 20
    assert name not in set(session.models().get("name", []))


@pytest.mark.parametrize(("sql", "why"), REFUSED)
def test_train_from_refuses_writes_locks_and_admin_functions(
    session: Session, conn: psycopg.Connection, victim: str, sql: str, why: str
) -> None:
    with pytest.raises(ModelError, match=why):
        session.train(f"m_{victim}", "y", sql.format(s=victim))
    assert _rows(conn, victim) == 20


def test_monitor_actual_calling_a_writing_function_writes_nothing(
    session: Session, conn: psycopg.Connection, victim: str
) -> None:
    name = f"m_{victim}"
    session.train(name, "y", f"SELECT id::float8 AS x, 2 * id::float8 AS y FROM {victim}.victim", task="regression")
    try:
        with pytest.raises(PgaiError, match="read-only transaction"):
            session.models.monitor(name, f"SELECT {victim}.wipe()::float8 AS x, 1.0 AS actual FROM {victim}.victim")
        assert _rows(conn, victim) == 20
        with pytest.raises(ModelError, match="FOR UPDATE"):
            session.models.monitor(name, f"SELECT id::float8 AS x, 1.0 AS actual FROM {victim}.victim FOR UPDATE")
        report = session.models.monitor(name, f"SELECT id::float8 AS x, 2 * id::float8 AS actual FROM {victim}.victim")
        assert report is not None
    finally:
        session.models.drop(name)


def test_ask_running_a_taught_writing_query_writes_nothing(
    session: Session, conn: psycopg.Connection, victim: str
) -> None:
    question = f"how many rows does {victim} victim have after wiping"
    session.questions.teach(question, f"SELECT {victim}.wipe() AS wiped, count(*) FROM {victim}.victim", schema=victim)
    with pytest.raises(PgaiError, match="read-only transaction"):
        session.ask(question, schema=victim)
    assert _rows(conn, victim) == 20
    with pytest.raises(GuardError, match="lo_import"):
        session.questions.teach(question + " again", "SELECT lo_import('/etc/passwd')")


def test_similar_where_calling_a_writing_function_writes_nothing(
    own_session: Session, conn: psycopg.Connection, victim: str, tiny_model_dir: str
) -> None:
    from pgai_magic.vectors.sync import drop
    from pgai_magic.vectors.target import list_targets

    own_session.embed(f"{victim}.victim.body", model=tiny_model_dir, progress=False)
    try:
        search: Callable[..., object] = own_session.similar
        with pytest.raises(SQLError, match="read-only transaction"):
            search(f"{victim}.victim.body", "row 3", k=3, where=f"{victim}.wipe() = 1")
        assert _rows(conn, victim) == 20
        for where, why in [
            ("id IN (SELECT id FROM victim FOR UPDATE)", "FOR UPDATE"),
            ("lo_import('/etc/passwd') > 0", "lo_import"),
            ("pg_terminate_backend(1)", "pg_terminate_backend"),
        ]:
            with pytest.raises(ConfigError, match=why):
                search(f"{victim}.victim.body", "row 3", k=3, where=where)
        found = search(f"{victim}.victim.body", "row 3", k=3, where="id > 10")
        assert np.all(found["id"] > 10)  # type: ignore[index]
    finally:
        own_session.vectors.stop_worker()
        for target in list_targets(conn):
            if target.schema == victim:
                drop(conn, target)

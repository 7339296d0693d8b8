"""The read-only guard: one read query only, no side-effecting calls, READ ONLY runs; refused asks change nothing."""

from __future__ import annotations

import psycopg
import pytest

from pgai_magic.errors import GuardError, QueryCancelled, SQLError, TranslationError
from pgai_magic.nl2sql.guard import check, explain, run_read_only
from pgai_magic.nl2sql.llm import FakeBackend
from pgai_magic.session import Session
from pgai_magic.sqltext import Statement
from tests.pg_helpers import scalar

SHOP_SEED = 2  # the sales data of the `shop` fixture (tests/conftest.py)
SHOP_SCALE = 0.2


def _state(conn: psycopg.Connection, schema: str) -> dict[str, object]:
    counts = {
        t: scalar(conn, f'SELECT count(*) FROM "{schema}"."{t}"')
        for t in ("customers", "products", "orders", "order_items")
    }
    prices = scalar(conn, f'SELECT sum(price) FROM "{schema}".products')
    return {"counts": counts, "prices": prices}


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT 1",
        "select count(*) from orders;",
        "WITH t AS (SELECT 1 AS x) SELECT x FROM t",
        "SELECT 1 UNION ALL SELECT 2",
        "SELECT count(*) FILTER (WHERE status = 'cancelled') FROM orders",
        "SELECT pg_sleep(0.5)",
    ],
)
def test_read_queries_pass(sql: str) -> None:
    check(sql)


@pytest.mark.parametrize(
    ("sql", "reason"),
    [
        ("DELETE FROM orders", "not DELETE"),
        ("DROP TABLE customers", "not DROP"),
        ("UPDATE products SET price = 0", "not UPDATE"),
        ("INSERT INTO orders VALUES (1)", "not INSERT"),
        ("TRUNCATE orders", "TRUNCATE"),
        ("SELECT 1; DELETE FROM orders", "single query"),
        ("WITH gone AS (DELETE FROM orders RETURNING *) SELECT count(*) FROM gone", "DELETE"),
        ("SELECT * INTO copy_of_orders FROM orders", "INTO"),
        ("SELECT * FROM orders FOR UPDATE", "locking"),
        ("SELECT pg_terminate_backend(pid) FROM pg_stat_activity", "pg_terminate_backend"),
        ("SELECT set_config('search_path', 'x', false)", "set_config"),
        ("SELECT lo_unlink(123)", "lo_unlink"),
        ("SELECT * FROM dblink('host=x', 'select 1') AS t(a int)", "dblink"),
        ("SELECT pg_sleep(60)", "pg_sleep"),
        ("SELECT nextval('orders_seq')", "nextval"),
        ("SELECT query_to_xml('delete from orders', true, true, '')", "query_to_xml"),
        ("SET statement_timeout = 0", "not SET"),
        ("COPY orders TO STDOUT", "COPY"),
        ("EXPLAIN ANALYZE DELETE FROM orders", "not EXPLAIN"),
        ("SELEC * FROM orders", "does not parse"),
        ("", "no SQL"),
    ],
)
def test_everything_else_is_refused_with_a_reason(sql: str, reason: str) -> None:
    with pytest.raises(GuardError, match=reason):
        check(sql)


@pytest.mark.parametrize("question", ["delete all orders", "drop the customers table", "set every price to zero"])
def test_asking_to_change_data_changes_nothing(
    session: Session, conn: psycopg.Connection, shop: str, question: str
) -> None:
    before = _state(conn, shop)
    with pytest.raises(GuardError, match="only read data"):
        session.ask(question, schema=shop)
    assert _state(conn, shop) == before


def test_an_llm_that_writes_is_refused_and_nothing_changes(
    session: Session, conn: psycopg.Connection, shop: str
) -> None:
    before = _state(conn, shop)
    fake = FakeBackend(
        [
            f"```sql\nDELETE FROM {shop}.orders\n```",
            f"```sql\nUPDATE {shop}.products SET price = 0\n```",
            f"```sql\nDROP TABLE {shop}.customers CASCADE\n```",
        ]
    )
    session.questions.use_llm(fake)
    try:
        with pytest.raises(TranslationError, match=r"2 attempts.*not UPDATE"):  # one repair round
            session.ask("which orders look odd", schema=shop, generator="llm")
    finally:
        session.questions.use_llm("env")
    assert len(fake.calls) == 2
    assert "only read queries" in fake.calls[1][-1]["content"] or "not DELETE" in fake.calls[1][-1]["content"]
    assert _state(conn, shop) == before


def test_runs_are_read_only_with_a_timeout(session: Session, shop: str) -> None:
    frame, _ = run_read_only(session.db, f"SELECT count(*) AS n FROM {shop}.orders")
    assert int(frame["n"][0]) > 0
    with pytest.raises(QueryCancelled, match="timeout"):
        run_read_only(session.db, "SELECT pg_sleep(1)", timeout_s=0.05)
    # below the guard, the transaction itself refuses writes
    with pytest.raises(SQLError) as err:
        session.db.run_readonly(Statement(f"DELETE FROM {shop}.order_items"))
    assert err.value.sqlstate == "25006"


def test_explain_reports_unknown_columns(session: Session, shop: str) -> None:
    explain(session.db, f"SELECT count(*) FROM {shop}.orders")
    with pytest.raises(SQLError, match="does not exist") as err:
        explain(session.db, f"SELECT total_price FROM {shop}.orders")
    assert err.value.position == len("SELECT ") + 1

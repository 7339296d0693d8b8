"""Question memory: every question stored with its embedding; verified answers reused with adapted literals."""

from __future__ import annotations

import psycopg
import pytest

from pgai_magic.errors import ConfigError, GuardError, SQLError
from pgai_magic.nl2sql.adapt import adapt_sql
from pgai_magic.session import Session

SHOP_SEED = 4  # the sales data of the `shop` fixture (tests/conftest.py)
SHOP_SCALE = 0.3


def _top_products_sql(schema: str, k: int, year: int) -> str:
    return f"""SELECT p.name, sum(oi.amount) AS revenue
               FROM {schema}.order_items oi JOIN {schema}.orders o ON o.order_id = oi.order_id
               JOIN {schema}.products p ON p.product_id = oi.product_id
               WHERE o.order_date >= '{year}-01-01' AND o.order_date < '{year + 1}-01-01'
               GROUP BY p.product_id, p.name ORDER BY revenue DESC LIMIT {k}"""


def test_taught_answer_is_reused_with_new_literals(session: Session, conn: psycopg.Connection, shop: str) -> None:
    qid = session.questions.teach("top 5 products in 2023", _top_products_sql(shop, 5, 2023), schema=shop)
    answer = session.questions.translate("top 10 products in 2024", schema=shop)
    assert answer.source == "memory" and answer.reused.id == qid
    assert "LIMIT 10" in answer.sql and "'2024-01-01'" in answer.sql and "'2025-01-01'" in answer.sql
    assert "2023" not in answer.sql
    frame = session.ask("top 10 products in 2024", schema=shop)
    expected = conn.execute(_top_products_sql(shop, 10, 2024)).fetchall()
    assert [(r[0], float(r[1])) for r in expected] == list(zip(frame["name"], frame["revenue"].astype(float)))
    assert frame.attrs["source"] == "question memory" and "LIMIT 10" in frame.attrs["sql"]


def test_opposite_question_is_not_reused(session: Session, shop: str) -> None:
    session.questions.teach("top 5 products in 2023", _top_products_sql(shop, 5, 2023), schema=shop)
    answer = session.questions.translate("bottom 3 products in 2024", schema=shop)
    assert answer.source == "translator"
    assert "ASC" in answer.sql.upper() and "LIMIT 3" in answer.sql


def test_every_question_is_remembered_and_accept_makes_it_reusable(
    session: Session, conn: psycopg.Connection, shop: str
) -> None:
    first = session.ask("How many orders were placed in 2024 from customers in Germany?", schema=shop)
    qid = first.attrs["question_id"]
    row = conn.execute(
        "SELECT verified, source, dim, vector_dims(embedding), template FROM pgai.questions WHERE id = %s", (qid,)
    ).fetchone()
    assert row == (False, "translator", 384, 384, "how many orders were placed in <year> from customers in <value>")
    # not verified yet: a similar question is translated afresh
    assert (
        session.questions.translate("How many orders were placed in 2023 from customers in France?", schema=shop).source
        == "translator"
    )
    session.ask("How many orders were placed in 2024 from customers in Germany?", schema=shop)
    assert session.questions.accept() == qid
    again = session.questions.translate("How many orders were placed in 2023 from customers in France?", schema=shop)
    assert again.source == "memory" and again.reused.id == qid
    assert "'France'" in again.sql and "'2023-01-01'" in again.sql and "Germany" not in again.sql
    history = session.questions.history(limit=200)
    mine = history[history["id"] == qid].iloc[0]
    assert bool(mine["verified"]) and mine["times_asked"] == 2 and mine["source"] == "built-in translator"


def test_teach_checks_the_sql_first(session: Session, conn: psycopg.Connection, shop: str) -> None:
    before = conn.execute("SELECT count(*) FROM pgai.questions").fetchone()
    with pytest.raises(GuardError):
        session.questions.teach("remove old orders", f"DELETE FROM {shop}.orders", schema=shop)
    with pytest.raises(SQLError, match="does not exist"):
        session.questions.teach("total revenue", f"SELECT sum(revenue) FROM {shop}.order_items", schema=shop)
    assert conn.execute("SELECT count(*) FROM pgai.questions").fetchone() == before
    assert conn.execute(f"SELECT count(*) > 0 FROM {shop}.orders").fetchone() == (True,)


def test_memory_uses_an_hnsw_index(conn: psycopg.Connection, session: Session) -> None:
    session.status()
    indexes = {r[0] for r in conn.execute("SELECT indexdef FROM pg_indexes WHERE tablename = 'questions'")}
    assert any("hnsw" in d and "vector(384)" in d for d in indexes)


def test_accept_without_an_answer_and_forget(session: Session, shop: str) -> None:
    asker = session.questions
    saved, asker.last_id = asker.last_id, None
    try:
        with pytest.raises(ConfigError, match="ask a question first"):
            session.questions.accept()
    finally:
        asker.last_id = saved
    qid = session.questions.teach("how many products are there", f"SELECT count(*) FROM {shop}.products", schema=shop)
    session.questions.memory.forget(qid)
    with pytest.raises(ConfigError, match=str(qid)):
        session.questions.memory.forget(qid)


def test_adapt_sql_pairs_literals_by_kind() -> None:
    sql = "SELECT count(*) FROM c WHERE country = 'Germany' AND x > 5 LIMIT 10"
    out = adapt_sql(
        sql,
        [("value", "Germany"), ("number", 5), ("number", 10)],
        [("value", "France"), ("number", 10), ("number", 20)],
    )
    assert out is not None and "'France'" in out and "x > 10" in out and "LIMIT 20" in out
    assert adapt_sql(sql, [("value", "Spain")], [("value", "France")]) is None  # not in the SQL: no reuse
    assert adapt_sql(sql, [("number", 5)], [("year", 2024)]) is None  # kinds differ
    leap = adapt_sql("SELECT 1 WHERE d >= '2024-02-29'", [("year", 2024)], [("year", 2023)])
    assert leap is not None and "'2023-02-28'" in leap


def test_questions_work_without_a_memory(session: Session, shop: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from pgai_magic.nl2sql.memory import QuestionMemory

    monkeypatch.setattr(QuestionMemory, "available", lambda self: False)
    frame = session.ask("how many products are there?", schema=shop)
    assert frame.attrs["question_id"] is None and int(frame.iloc[0, 0]) > 0
    assert session.status()["question memory"].startswith("unavailable")
    with pytest.raises(ConfigError, match="the question memory is unavailable"):
        session.questions.accept()

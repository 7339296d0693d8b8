"""Question memory reuse: paraphrases reuse a taught answer; other literals are adapted; another column, measure
or a negation never reuses it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from pgai_magic.errors import TranslationError
from pgai_magic.nl2sql.reuse import Candidate, Reading, ReusePolicy, canonical_sql
from pgai_magic.session import Session

SHOP_SEED = 5  # the sales data of the `shop` fixture (tests/conftest.py)
SHOP_SCALE = 0.2


@pytest.fixture()
def memory(session: Session, shop: str, conn: psycopg.Connection) -> Iterator[Any]:
    """The session's questions (translate, teach) with the question memory of `shop` empty before and after."""
    conn.execute("DELETE FROM pgai.questions WHERE scope = %s", (shop,))
    yield session.questions
    conn.execute("DELETE FROM pgai.questions WHERE scope = %s", (shop,))


def _rows(conn: psycopg.Connection, sql: str) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in conn.execute(sql).fetchall()]


def test_a_paraphrase_reuses_the_taught_answer(memory: Any, shop: str, conn: psycopg.Connection) -> None:
    taught = f"SELECT count(*) AS customers FROM {shop}.customers WHERE country = 'Germany'"
    qid = memory.teach("how many customers are in Germany", taught, schema=shop)
    for paraphrase in ("count the customers located in Germany", "how many of our customers are from Germany"):
        answer = memory.translate(paraphrase, schema=shop, remember=False)
        assert answer.source == "memory" and answer.reused.id == qid
        assert answer.reused.similarity < 0.95  # not near-identical wording
        assert _rows(conn, answer.sql) == _rows(conn, taught)
    assert "similarity" in answer.caption() and answer.reused.extra["why"] in answer.caption()


def test_another_literal_is_adapted_not_reused_as_is(memory: Any, shop: str, conn: psycopg.Connection) -> None:
    memory.teach(
        "how many orders were cancelled",
        f"SELECT count(*) AS n FROM {shop}.orders WHERE status = 'cancelled'",
        schema=shop,
    )
    answer = memory.translate("how many orders were returned", schema=shop, remember=False)
    assert answer.source == "memory" and "'returned'" in answer.sql and "cancelled" not in answer.sql
    expected = _rows(conn, f"SELECT count(*) FROM {shop}.orders WHERE status = 'returned'")
    assert _rows(conn, answer.sql) == expected


def test_a_value_of_another_column_is_not_reused(memory: Any, shop: str) -> None:
    memory.teach(
        "how many customers are in Germany",
        f"SELECT count(*) AS customers FROM {shop}.customers WHERE country = 'Germany'",
        schema=shop,
    )
    answer = memory.translate("how many customers are in Berlin", schema=shop, remember=False)
    assert answer.source != "memory" and "city" in answer.sql and "country" not in answer.sql


@pytest.mark.parametrize(
    ("taught", "sql", "near_miss"),
    [
        (
            "average quantity per order item",
            "SELECT avg(quantity) FROM {s}.order_items",
            "average amount per order item",
        ),
        (
            "how many orders were cancelled",
            "SELECT count(*) FROM {s}.orders WHERE status = 'cancelled'",
            "how many orders were not cancelled",
        ),
        (
            "list products that cost more than 100",
            "SELECT name, price FROM {s}.products WHERE price > 100",
            "list products that cost less than 100",
        ),
        (
            "number of customers per segment",
            "SELECT segment, count(*) FROM {s}.customers GROUP BY segment",
            "number of customers per country",
        ),
    ],
)
def test_another_column_measure_or_condition_is_not_reused(
    memory: Any, shop: str, taught: str, sql: str, near_miss: str
) -> None:
    qid = memory.teach(taught, sql.format(s=shop), schema=shop)
    try:
        answer = memory.translate(near_miss, schema=shop, remember=False)
    except TranslationError:
        return  # a refusal is a right outcome here; a reuse is not
    assert answer.source != "memory" and (answer.reused is None or answer.reused.id != qid)


def _reader(readings: dict[str, Reading]) -> Any:
    return lambda question: readings[question]


def test_policy_rules_without_a_database() -> None:
    memo = Candidate("top 5 products", [("number", 5)], ["agg:sum", "table:products"], "SELECT 1 LIMIT 5", 0.83)
    plain = Reading(None, frozenset())
    policy = ReusePolicy()
    reader = _reader({"best 7 products": plain, "top 5 products": plain})
    # same signature above the threshold: reused, the literal adapted
    assert policy.decide(memo, "best 7 products", [("number", 7)], ["agg:sum", "table:products"], reader) == (
        "SELECT\n  1\nLIMIT 7",
        "same meaning",
    )
    # another signature (a column), another literal slot, a word the translator skipped: not reused
    assert policy.decide(memo, "best 7 products", [("number", 7)], ["agg:sum", "column:products.price"], reader) is None
    assert policy.decide(memo, "best 7 products", [("year", 2024)], ["agg:sum", "table:products"], reader) is None
    skipped = _reader({"best 7 products": Reading(None, frozenset({"weekly"})), "top 5 products": plain})
    assert policy.decide(memo, "best 7 products", [("number", 7)], ["agg:sum", "table:products"], skipped) is None
    # below the threshold: only the same reading by the translator reuses it
    low = Candidate(memo.question, memo.literals, memo.cues, memo.sql, 0.6)
    same = _reader(
        {
            "q": Reading("SELECT a FROM t LIMIT 7", frozenset()),
            "top 5 products": Reading("select a from t limit 5", frozenset()),
        }
    )
    assert policy.decide(low, "q", [("number", 7)], ["x"], same) == ("SELECT\n  1\nLIMIT 7", "same reading")
    other = _reader(
        {
            "q": Reading("SELECT b FROM t LIMIT 7", frozenset()),
            "top 5 products": Reading("SELECT a FROM t LIMIT 5", frozenset()),
        }
    )
    assert policy.decide(low, "q", [("number", 7)], ["x"], other) is None
    assert ReusePolicy(read=False).decide(low, "q", [("number", 7)], ["x"], same) is None
    assert policy.decide(Candidate("q", [], [], "SELECT 1", 0.4), "q", [], [], same) is None  # under the floor
    assert canonical_sql("select A from T") == canonical_sql("SELECT a FROM t") and canonical_sql("SELEC (") is None

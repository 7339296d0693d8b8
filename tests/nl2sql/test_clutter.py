"""The translator with unrelated tables next to the sales schema: each question goes to the tables that answer it."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from pgai_magic.catalog import load_catalog
from pgai_magic.datasets import clutter
from pgai_magic.errors import TranslationError
from pgai_magic.nl2sql.evaluate import gold_is_ordered, results_match
from pgai_magic.nl2sql.translator import Translator
from pgai_magic.session import Session

SHOP_SEED = 2  # the sales data of the `shop` fixture (tests/conftest.py)
SHOP_SCALE = 0.5


@pytest.fixture(scope="module")
def crowded(pg_dsn: str, shop: str) -> Iterator[tuple[psycopg.Connection, Translator, str]]:
    """The sales tables plus sales_facts, telecom_customers, trips and faq in one schema (its own search path)."""
    with psycopg.connect(pg_dsn, autocommit=True, options=f"-c search_path={shop}") as conn:
        clutter.load(conn, shop, facts=20_000, customers=1000, trips=2000)
        yield conn, Translator(load_catalog(conn), conn=conn), shop


REPORTED = [
    (
        "显示过去一周销售额最高的前10个产品",
        """SELECT p.name, sum(oi.amount) AS s FROM order_items oi JOIN orders o USING (order_id)
        JOIN products p USING (product_id) WHERE o.order_date >= current_date - 7
        GROUP BY p.product_id, p.name ORDER BY s DESC LIMIT 10""",
    ),
    (
        "top 5 brands by revenue after 2024-06-30",
        """SELECT p.brand, sum(oi.amount) AS r FROM order_items oi JOIN orders o USING (order_id)
        JOIN products p USING (product_id) WHERE o.order_date > '2024-06-30'
        GROUP BY p.brand ORDER BY r DESC LIMIT 5""",
    ),
    (
        "每个类别的总销售额是多少",
        "SELECT p.category, sum(oi.amount) FROM order_items oi JOIN products p USING (product_id) GROUP BY 1",
    ),
    (
        "which customers from Germany placed orders in the last 3 months?",
        """SELECT DISTINCT c.* FROM customers c JOIN orders o USING (customer_id)
        WHERE c.country = 'Germany' AND o.order_date >= current_date - interval '3 months'""",
    ),
]


def test_the_tables_form_groups_joined_by_foreign_keys(crowded: tuple[psycopg.Connection, Translator, str]) -> None:
    _conn, translator, _name = crowded
    groups = translator.catalog.components()
    assert [sorted(k.split(".")[1] for k in g) for g in groups] == [
        ["customers", "order_items", "orders", "products"],
        ["faq"],
        ["sales_facts"],
        ["telecom_customers"],
        ["trips"],
    ]
    assert len(translator.parts) == 5 and translator.catalog.subset(groups[0]).tables.keys() == set(groups[0])


@pytest.mark.parametrize(("question", "gold"), REPORTED, ids=[q[:40] for q, _ in REPORTED])
def test_reported_questions_answer_like_the_gold_query(
    crowded: tuple[psycopg.Connection, Translator, str], question: str, gold: str
) -> None:
    conn, translator, _name = crowded
    result = translator.translate(question)
    expected = conn.execute(gold).fetchall()
    assert expected, f"the gold query for {question!r} returns no rows on this data"
    got = conn.execute(result.sql).fetchall()
    assert results_match(expected, got, ordered=gold_is_ordered(gold)), f"{question!r} gave\n{result.sql}"
    assert "sales_facts" not in result.sql and "telecom" not in result.sql


def test_a_tie_between_table_groups_is_said_in_the_notes(crowded: tuple[psycopg.Connection, Translator, str]) -> None:
    _conn, translator, _name = crowded
    result = translator.translate("每个类别的总销售额是多少")
    assert any("sales_facts" in note and "order_items" in note for note in result.notes), result.notes
    only_here = translator.translate("top 5 brands by revenue after 2024-06-30")  # brands: only the sales tables
    assert not any("could also be" in note for note in only_here.notes)


QUESTIONS_ELSEWHERE = [
    ("total revenue per category in sales facts", "SELECT category, sum(revenue) FROM sales_facts GROUP BY 1"),
    ("total revenue per region", "SELECT region, sum(revenue) FROM sales_facts GROUP BY 1"),
    ("average fare per region", "SELECT region, avg(fare) FROM trips GROUP BY 1"),
    ("how many trips were disputed?", "SELECT count(*) FROM trips WHERE disputed"),
    ("how many telecom customers churned?", "SELECT count(*) FROM telecom_customers WHERE churned"),
    ("how many faq entries are there?", "SELECT count(*) FROM faq"),
    ("How many customers do we have?", "SELECT count(*) FROM customers"),
    (
        "How many orders did customers from France place in 2023?",
        """SELECT count(*) FROM orders JOIN customers USING (customer_id) WHERE country = 'France'
        AND order_date >= '2023-01-01' AND order_date < '2024-01-01'""",
    ),
]


@pytest.mark.parametrize(("question", "gold"), QUESTIONS_ELSEWHERE, ids=[q[:40] for q, _ in QUESTIONS_ELSEWHERE])
def test_the_group_that_understands_the_question_answers_it(
    crowded: tuple[psycopg.Connection, Translator, str], question: str, gold: str
) -> None:
    conn, translator, _name = crowded
    result = translator.translate(question)
    assert results_match(conn.execute(gold).fetchall(), conn.execute(result.sql).fetchall()), result.sql


@pytest.mark.parametrize(
    "question",
    [
        "how did the zebra migration affect quokka sightings",
        "Which products have never been ordered by a quokka?",
        "What percentage of orders were never returned by zebras?",
        "average fare per product category",  # fare and category live in tables no foreign key joins
    ],
)
def test_unanswerable_questions_are_still_refused(
    crowded: tuple[psycopg.Connection, Translator, str], question: str
) -> None:
    _conn, translator, _name = crowded
    with pytest.raises(TranslationError):
        translator.translate(question)


def test_ask_through_the_session_with_unrelated_tables(
    crowded: tuple[psycopg.Connection, Translator, str], session: Session
) -> None:
    conn, _translator, name = crowded
    question, gold = REPORTED[3]
    frame = session.ask(question, schema=name, remember=False, use_memory=False)
    assert "o.order_date" in frame.attrs["sql"] and "signup_date" not in frame.attrs["sql"]
    got = [tuple(r) for r in frame.itertuples(index=False, name=None)]
    assert results_match(conn.execute(gold).fetchall(), got)

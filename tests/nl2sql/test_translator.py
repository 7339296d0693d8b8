"""The offline translator on the sales schema: results compared with hand-written SQL, refusals checked."""

from __future__ import annotations

import psycopg
import pytest

from pgai_magic.catalog import load_catalog
from pgai_magic.errors import GuardError, TranslationError
from pgai_magic.nl2sql.evaluate import gold_is_ordered, results_match
from pgai_magic.nl2sql.translator import Translator
from pgai_magic.session import Session

SHOP_SEED = 1  # the sales data of the `shop` fixture (tests/conftest.py)
SHOP_SCALE = 0.4


CASES = [
    ("How many customers do we have?", "SELECT count(*) FROM customers"),
    (
        "How many orders were placed in 2024?",
        "SELECT count(*) FROM orders WHERE order_date >= '2024-01-01' AND order_date < '2025-01-01'",
    ),
    ("What is our total revenue?", "SELECT sum(amount) FROM order_items"),
    (
        "Show the top 10 products by sales amount in the past week",
        """SELECT p.name, sum(oi.amount) AS s FROM order_items oi JOIN orders o USING (order_id)
        JOIN products p USING (product_id) WHERE o.order_date >= current_date - 7
        GROUP BY p.product_id, p.name ORDER BY s DESC LIMIT 10""",
    ),
    (
        "显示过去一周销售额最高的前10个产品",
        """SELECT p.name, sum(oi.amount) AS s FROM order_items oi JOIN orders o USING (order_id)
        JOIN products p USING (product_id) WHERE o.order_date >= current_date - 7
        GROUP BY p.product_id, p.name ORDER BY s DESC LIMIT 10""",
    ),
    ("number of customers per country", "SELECT country, count(*) FROM customers GROUP BY 1"),
    ("每个国家有多少客户？", "SELECT country, count(*) FROM customers GROUP BY 1"),
    (
        "Which country has the most customers?",
        "SELECT country, count(*) AS n FROM customers GROUP BY 1 ORDER BY n DESC LIMIT 1",
    ),
    ("List all product categories", "SELECT DISTINCT category FROM products"),
    ("列出所有产品类别", "SELECT DISTINCT category FROM products"),
    ("How many orders were canceled?", "SELECT count(*) FROM orders WHERE status = 'cancelled'"),
    ("有多少订单被取消了？", "SELECT count(*) FROM orders WHERE status = 'cancelled'"),
    (
        "How many orders came from customers in Germany?",
        "SELECT count(*) FROM orders JOIN customers USING (customer_id) WHERE country = 'Germany'",
    ),
    ("德国有多少客户？", "SELECT count(*) FROM customers WHERE country = 'Germany'"),
    ("What is the most expensive product?", "SELECT name, price FROM products ORDER BY price DESC LIMIT 1"),
    ("Show me the 5 cheapest products", "SELECT name, price FROM products ORDER BY price LIMIT 5"),
    (
        "Monthly revenue in 2024",
        """SELECT date_trunc('month', order_date)::date, sum(amount) FROM order_items JOIN orders USING (order_id)
        WHERE order_date >= '2024-01-01' AND order_date < '2025-01-01' GROUP BY 1""",
    ),
    ("Which customers signed up after 2024-06-30?", "SELECT * FROM customers WHERE signup_date > '2024-06-30'"),
    (
        "Total quantity sold per category",
        "SELECT category, sum(quantity) FROM order_items JOIN products USING (product_id) GROUP BY 1",
    ),
    (
        "Top 3 brands by revenue in 2024",
        """SELECT brand, sum(amount) AS r FROM order_items JOIN orders USING (order_id) JOIN products USING (product_id)
        WHERE order_date >= '2024-01-01' AND order_date < '2025-01-01' GROUP BY 1 ORDER BY r DESC LIMIT 3""",
    ),
    (
        "Number of returned orders by channel",
        "SELECT channel, count(*) FROM orders WHERE status = 'returned' GROUP BY 1",
    ),
    ("How many orders were not completed?", "SELECT count(*) FROM orders WHERE status <> 'completed'"),
    (
        "Revenue from online orders in the last 30 days",
        """SELECT sum(amount) FROM order_items JOIN orders USING (order_id)
        WHERE channel = 'online' AND order_date >= current_date - 30""",
    ),
    (
        "Sales by country and channel",
        """SELECT country, channel, sum(amount) FROM order_items JOIN orders USING (order_id)
        JOIN customers USING (customer_id) GROUP BY 1, 2""",
    ),
    ("How many different cities are our customers from?", "SELECT count(DISTINCT city) FROM customers"),
    (
        "Which customers have placed more than 12 orders?",
        """SELECT c.name, count(*) FROM customers c JOIN orders USING (customer_id)
        GROUP BY c.customer_id, c.name HAVING count(*) > 12""",
    ),
    ("Show products priced above 100 euros", "SELECT * FROM products WHERE price > 100"),
    (
        "What is the average order value?",
        "SELECT avg(t) FROM (SELECT order_id, sum(amount) AS t FROM order_items GROUP BY order_id) x",
    ),
    (
        "average number of orders per customer",
        "SELECT avg(n) FROM (SELECT customer_id, count(*) AS n FROM orders GROUP BY customer_id) x",
    ),
    (
        "How many customers have never placed an order?",
        """SELECT count(*) FROM customers c
        WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.customer_id)""",
    ),
    (
        "What percentage of orders were returned?",
        "SELECT 100.0 * count(*) FILTER (WHERE status = 'returned') / count(*) FROM orders",
    ),
    (
        "orders in Germany or France per status",
        """SELECT status, count(*) FROM orders JOIN customers USING (customer_id)
        WHERE country IN ('Germany', 'France') GROUP BY 1""",
    ),
]


@pytest.mark.parametrize(("question", "gold"), CASES, ids=[c[0][:40] for c in CASES])
def test_translation_answers_like_the_gold_query(
    shop_translator: tuple[psycopg.Connection, Translator], question: str, gold: str
) -> None:
    conn, translator = shop_translator
    result = translator.translate(question)
    assert result.confidence >= translator.min_confidence
    expected = conn.execute(gold).fetchall()
    got = conn.execute(result.sql).fetchall()
    assert expected, f"the gold query for {question!r} returns no rows on this data"
    assert results_match(expected, got, ordered=gold_is_ordered(gold)), f"{question!r} gave\n{result.sql}"


def test_sql_is_built_by_sqlglot_with_literals_not_glued_text(
    shop_translator: tuple[psycopg.Connection, Translator],
) -> None:
    _conn, translator = shop_translator
    result = translator.translate("How many customers live in 'Rio de Janeiro'?")
    assert "city = 'Rio de Janeiro'" in result.sql
    tricky = translator.translate("top 3 products by revenue in 2024")
    assert "LIMIT 3" in tricky.sql and "'2024-01-01'" in tricky.sql


@pytest.mark.parametrize(
    ("question", "phrase"),
    [
        ("Which products were never shipped to zebras?", "zebras"),
    ],
)
def test_refuses_what_it_cannot_express(
    shop_translator: tuple[psycopg.Connection, Translator], question: str, phrase: str
) -> None:
    _conn, translator = shop_translator
    with pytest.raises(TranslationError, match=phrase):
        translator.translate(question)


def test_refuses_rather_than_guessing(shop_translator: tuple[psycopg.Connection, Translator]) -> None:
    _conn, translator = shop_translator
    with pytest.raises(TranslationError, match="not confident") as err:
        translator.translate("how did the zebra migration affect quokka sightings")
    assert "zebra" in str(err.value)
    with pytest.raises(TranslationError, match="not confident"):
        translator.translate("天气怎么样")  # "how is the weather": nothing in the schema


@pytest.mark.parametrize(
    "question",
    [
        "delete all orders",
        "drop the customers table",
        "set every price to zero",
        "please remove the cancelled orders",
        "删除所有订单",
    ],
)
def test_write_requests_are_refused_before_any_sql(
    shop_translator: tuple[psycopg.Connection, Translator], question: str
) -> None:
    _conn, translator = shop_translator
    with pytest.raises(GuardError, match="only read data"):
        translator.translate(question)


def test_awkward_identifiers_are_quoted(conn: psycopg.Connection, schema: str) -> None:
    conn.execute(f'CREATE TABLE "{schema}"."Stores" ("StoreID" int PRIMARY KEY, "Region" text)')
    conn.execute(
        f'''CREATE TABLE "{schema}"."order" ("OrderID" int PRIMARY KEY, "StoreID" int REFERENCES "{schema}"."Stores",
            "Total Amount" numeric, "Date" date)'''
    )
    conn.execute(f"""INSERT INTO "{schema}"."Stores" VALUES (1, 'North'), (2, 'South'), (3, 'North')""")
    conn.execute(
        f"""INSERT INTO "{schema}"."order" VALUES (1, 1, 10, '2024-03-01'), (2, 2, 5, '2024-05-01'),
            (3, 3, 7, '2023-01-01'), (4, 1, 1, '2024-12-31')"""
    )
    conn.execute(f'ANALYZE "{schema}"."Stores"')
    translator = Translator(load_catalog(conn, [schema]), conn=conn)
    per_region = translator.translate("total amount per region")
    assert '"Total Amount"' in per_region.sql and '"Region"' in per_region.sql
    assert sorted(conn.execute(per_region.sql).fetchall()) == [("North", 18), ("South", 5)]
    orders = translator.translate("how many orders were placed in 2024 in the North region?")
    assert f'{schema}."order"' in orders.sql
    assert conn.execute(orders.sql).fetchall() == [(2,)]


HR_CASES = [
    (
        "average salary per department",
        """SELECT d.name, avg(salary) FROM employees JOIN departments d USING (department_id)
           GROUP BY d.department_id, 1""",
    ),
    (
        "how many employees were hired in 2023?",
        "SELECT count(*) FROM employees WHERE hire_date >= '2023-01-01' AND hire_date < '2024-01-01'",
    ),
    ("who is the highest paid employee?", "SELECT full_name, salary FROM employees ORDER BY salary DESC LIMIT 1"),
    ("list all job titles", "SELECT DISTINCT title FROM employees"),
    (
        "which department has the most managers?",
        """SELECT d.name, count(*) AS n FROM employees JOIN departments d USING (department_id)
        WHERE title = 'Manager' GROUP BY d.department_id, d.name ORDER BY n DESC LIMIT 1""",
    ),
    (
        "average number of employees per department",
        "SELECT avg(n) FROM (SELECT department_id, count(*) AS n FROM employees GROUP BY 1) t",
    ),
    (
        "how many staff work in Berlin?",
        "SELECT count(*) FROM employees JOIN departments USING (department_id) WHERE location = 'Berlin'",
    ),
    (
        "total salary by location",
        "SELECT location, sum(salary) FROM employees JOIN departments USING (department_id) GROUP BY 1",
    ),
]


@pytest.mark.parametrize(("question", "gold"), HR_CASES, ids=[c[0][:40] for c in HR_CASES])
def test_another_schema_needs_no_changes(conn: psycopg.Connection, schema: str, question: str, gold: str) -> None:
    conn.execute(f"""SET search_path TO "{schema}";
        CREATE TABLE departments (department_id int PRIMARY KEY, name text, location text);
        CREATE TABLE employees (employee_id int PRIMARY KEY, full_name text,
                                department_id int REFERENCES departments, title text, salary numeric, hire_date date);
        INSERT INTO departments VALUES (1, 'Engineering', 'Berlin'), (2, 'Sales', 'Paris'), (3, 'Support', 'Berlin');
        INSERT INTO employees SELECT g, 'Person ' || g, 1 + g % 3,
               (ARRAY['Engineer', 'Manager', 'Analyst'])[1 + g % 4 % 3], 40000 + g * 1000,
               DATE '2020-01-01' + g * 30 FROM generate_series(1, 60) g;
        ANALYZE departments; ANALYZE employees""")
    translator = Translator(load_catalog(conn, [schema]), conn=conn)
    result = translator.translate(question)
    assert results_match(
        conn.execute(gold).fetchall(), conn.execute(result.sql).fetchall(), ordered=gold_is_ordered(gold)
    ), result.sql
    conn.execute("RESET search_path")


def test_embedding_similarity_links_words_no_list_knows(
    shop_translator: tuple[psycopg.Connection, Translator], session: Session
) -> None:
    from pgai_magic.nl2sql.embedding import embedder_for

    conn, plain = shop_translator
    with pytest.raises(TranslationError, match="municipality"):
        plain.translate("number of customers per municipality")  # no name, synonym or comment says 'city'
    translator = Translator(plain.catalog, conn=conn, embedder=embedder_for(session.vectors))  # the local MiniLM model
    result = translator.translate("number of customers per municipality")
    linked = [it.mention for it in result.analysis.items if it.mention is not None and it.mention.via == "embedding"]
    assert [m.columns[0].name for m in linked] == ["city"]
    gold = "SELECT city, count(*) FROM customers GROUP BY city"
    assert results_match(conn.execute(gold).fetchall(), conn.execute(result.sql).fetchall())

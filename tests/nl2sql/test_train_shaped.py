"""Questions on schemas shaped like Spider train's (never dev): tables outside the search path are qualified, the
write guard reads 'grant amount' and 'truncate the date to month' as reads, 'ID'/'IDs' ask for keys (not for a
stored value 'ID'), and a column named twice is selected once -- each with its right answer by execution."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest

from pgai_magic.catalog import load_catalog
from pgai_magic.errors import GuardError
from pgai_magic.nl2sql.intent import refuse_writes
from pgai_magic.nl2sql.translator import Translator
from tests.pg_helpers import drop_schema

# customers_and_addresses / tracking_grants_for_research of Spider train, a few rows each
_DDL = """
CREATE TABLE addresses (address_id int PRIMARY KEY, city text, zip_postcode text, state_province_county text,
                        country text);
INSERT INTO addresses VALUES (1, 'Boise', '83701', 'ID', 'USA'), (2, 'Chicago', '60601', 'IL', 'USA'),
    (3, 'Peoria', '61601', 'IL', 'USA'), (4, 'Austin', '73301', 'TX', 'USA');
CREATE TABLE customers (customer_id int PRIMARY KEY, customer_name text, address_id int REFERENCES addresses,
                        state_name text);
INSERT INTO customers VALUES (1, 'Ann', 1, 'Idaho'), (2, 'Bob', 2, 'Illinois'), (3, 'Cy', 3, 'Illinois'),
    (4, 'Di', 4, 'Texas');
CREATE TABLE grants (grant_id int PRIMARY KEY, organisation_id int, grant_amount float, grant_start_date timestamp,
                     grant_end_date timestamp, other_details text);
INSERT INTO grants VALUES (1, 1, 4094.5, '1986-08-26', '2002-02-07', 'none'), (2, 2, 281.25, '1986-08-26', '1976-11-07',
    'none'), (3, 1, 1000, '1990-01-05', '2000-01-01', 'x'), (4, 3, 50, '1990-03-09', '1999-01-01', 'y');
"""


@pytest.fixture()
def train(conn: psycopg.Connection, schema: str) -> Translator:
    conn.execute(f"SET search_path TO {schema}; {_DDL}; RESET search_path")
    for table in ("addresses", "customers", "grants"):
        conn.execute(f"ANALYZE {schema}.{table}")
    return Translator(load_catalog(conn, [schema]), conn=conn)


def answer(conn: psycopg.Connection, translator: Translator, question: str) -> list[tuple]:
    return conn.execute(translator.translate(question).sql).fetchall()


def test_grant_amount_and_date_truncation_are_reads(conn: psycopg.Connection, train: Translator) -> None:
    for question in ("total grant amount per year", "truncate the date to month", "grant amounts by year"):
        refuse_writes(question)  # no GuardError
    rows = answer(conn, train, "total grant amount per year")
    assert [(d.year, round(v, 2)) for d, v in rows] == [(1986, 4375.75), (1990, 1050.0)]
    rows = answer(conn, train, "number of grants per month, truncate the date to month")
    assert [(d.year, d.month, n) for d, n in rows] == [(1986, 8, 2), (1990, 1, 1), (1990, 3, 1)]


@pytest.mark.parametrize(
    "question",
    ["truncate customers", "grant select on customers to public", "delete from grants", "please drop the grants table"],
)
def test_orders_to_change_data_are_still_refused(question: str) -> None:
    with pytest.raises(GuardError, match="only read data"):
        refuse_writes(question)


@pytest.mark.parametrize(
    ("question", "rows"),
    [
        ("What are the IDs of customers?", [(1,), (2,), (3,), (4,)]),
        ("What is the ID of the customer named Bob?", [(2,)]),
        ("List the IDs of all addresses in IL", [(2,), (3,)]),
        ("how many addresses are in ID?", [(1,)]),  # after 'in': Idaho's code, a stored value
    ],
)
def test_id_asks_for_the_key_not_for_a_value(
    conn: psycopg.Connection, train: Translator, question: str, rows: list[tuple]
) -> None:
    assert answer(conn, train, question) == rows


@pytest.mark.parametrize(
    "question",
    ["Show each state name and the number of customers for each state name",
     "List each city and the number of addresses per city"],
)  # fmt: skip
def test_a_column_named_twice_is_selected_once(conn: psycopg.Connection, train: Translator, question: str) -> None:
    rows = answer(conn, train, question)
    assert all(len(r) == 2 for r in rows)
    assert sum(n for _, n in rows) == 4


@pytest.fixture()
def off_path(conn: psycopg.Connection, pg_dsn: str) -> Iterator[tuple[psycopg.Connection, str]]:
    """A connection whose search path holds an empty schema, and a schema with tables that is not on it."""
    empty, data = f"e_{uuid.uuid4().hex[:8]}", f"d_{uuid.uuid4().hex[:8]}"
    conn.execute(f"CREATE SCHEMA {empty}; CREATE SCHEMA {data}")
    conn.execute(
        f"CREATE TABLE {data}.pilot (pilot_id int PRIMARY KEY, name text, age int);"
        f"INSERT INTO {data}.pilot VALUES (1, 'Ada', 33), (2, 'Bo', 25), (3, 'Cyd', 41)"
    )
    with psycopg.connect(pg_dsn, autocommit=True, options=f"-c search_path={empty}") as other:
        yield other, data
    drop_schema(conn, data)
    drop_schema(conn, empty)


def test_tables_outside_the_search_path_are_qualified(off_path: tuple[psycopg.Connection, str]) -> None:
    conn, data = off_path
    catalog = load_catalog(conn)  # the search path holds no table: every readable schema is read
    assert f"{data}.pilot" in catalog.tables and catalog.qualified(catalog.tables[f"{data}.pilot"])
    sql = Translator(catalog.subset([f"{data}.pilot"]), conn=conn).translate("average age of pilots").sql
    assert conn.execute(sql).fetchall() == [(33.0,)]  # runs: the table is named with its schema

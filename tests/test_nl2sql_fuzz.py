"""Fuzzing the translator: any question gives SQL that passes the guard and plans, or a PgaiError; never a crash."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pgai_magic.catalog import load_catalog
from pgai_magic.datasets import sales
from pgai_magic.errors import PgaiError
from pgai_magic.nl2sql.guard import check
from pgai_magic.nl2sql.lexicon import CUES, ZH_PHRASES
from pgai_magic.nl2sql.translator import Translator
from tests.pg_helpers import drop_schema

WORDS = (
    sorted(CUES)
    + sorted(ZH_PHRASES)[:80]
    + [
        "orders",
        "customers",
        "products",
        "order items",
        "price",
        "amount",
        "quantity",
        "country",
        "city",
        "brand",
        "category",
        "status",
        "channel",
        "segment",
        "signup date",
        "order date",
        "Germany",
        "cancelled",
        "online",
        "'Berlin'",
        '"Contoso"',
        "2024",
        "2024-06-30",
        "10",
        "$500",
        "ten",
        "past week",
        "last 3 months",
        "in 2023",
        "after",
        "before",
        "between",
        "and",
        "or",
        "of",
        "the",
        "?",
        ",",
        "'",
        "per month",
        "q1",
        "by",
    ]
)
QUESTIONS = st.lists(st.one_of(st.sampled_from(WORDS), st.text(max_size=8)), min_size=0, max_size=12).map(" ".join)


@pytest.fixture(scope="module")
def shop(pg_dsn: str, session) -> Iterator[tuple[psycopg.Connection, Translator]]:  # type: ignore[no-untyped-def]
    name = f"fuzz_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg_dsn, autocommit=True, options=f"-c search_path={name},public") as conn:
        sales.load(conn, schema=name, seed=9, scale=0.1)
        yield conn, Translator(load_catalog(conn), conn=conn)
        drop_schema(conn, name)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(question=QUESTIONS)
@example(question="most recent quarterly 买家 买家")  # ordered by the raw date while grouped by its quarter, once
def test_any_question_gives_valid_sql_or_a_clear_error(shop, question: str) -> None:  # type: ignore[no-untyped-def]
    conn, translator = shop
    try:
        result = translator.translate(question)
    except PgaiError as err:
        assert str(err)
        return
    check(result.sql)
    conn.execute(b"EXPLAIN " + result.sql.encode())

"""Fuzzing the translator: any question gives SQL that passes the guard and plans, or a PgaiError; never a crash."""

from __future__ import annotations

import psycopg
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pgai_magic.errors import PgaiError
from pgai_magic.nl2sql.guard import check
from pgai_magic.nl2sql.lexicon import CUES
from pgai_magic.nl2sql.translator import Translator
from pgai_magic.nl2sql.zh.lexicon import CONTENT, FUNCTION

WORDS = (
    sorted(CUES)
    + sorted({**FUNCTION, **CONTENT})[:80]
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


SHOP_SEED = 9  # the sales data of the `shop` fixture (tests/conftest.py)
SHOP_SCALE = 0.1


@pytest.mark.slow
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(question=QUESTIONS)
@example(question="most recent quarterly 买家 买家")  # ordered by the raw date while grouped by its quarter, once
def test_any_question_gives_valid_sql_or_a_clear_error(
    shop_translator: tuple[psycopg.Connection, Translator], question: str
) -> None:
    conn, translator = shop_translator
    try:
        result = translator.translate(question)
    except PgaiError as err:
        assert str(err)
        return
    check(result.sql)
    conn.execute(b"EXPLAIN " + result.sql.encode())

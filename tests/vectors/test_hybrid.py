"""Hybrid search: full-text (tsvector, websearch_to_tsquery, GIN) fused with vector ranks by reciprocal-rank fusion."""

from __future__ import annotations

import random
from collections.abc import Callable

import psycopg
import pytest

from pgai_magic.datasets import faq
from pgai_magic.errors import ConfigError
from pgai_magic.session import Session
from pgai_magic.vectors.search import RRF_K, lexical_query, uses_web_syntax
from pgai_magic.vectors.service import exact_word

PROBLEMS = (
    "the payment was declined by the bank",
    "the card has expired",
    "the delivery address could not be verified",
    "the coupon code is no longer valid",
    "the item is out of stock",
    "the session timed out during checkout",
)


@pytest.fixture()
def errors_table(esession: Session, conn: psycopg.Connection, schema: str, drop_targets: None) -> str:
    """30 error messages: 6 problems, each under 5 different codes (only the code tells them apart)."""
    rng = random.Random(1)
    codes = rng.sample(range(1000, 10000), 5 * len(PROBLEMS))
    rows = [
        (i, f"E{code}", f"Error E{code}: {PROBLEMS[i % len(PROBLEMS)]}. Try again later or contact support.")
        for i, code in enumerate(codes)
    ]
    conn.execute(f"CREATE TABLE {schema}.errors (id int PRIMARY KEY, code text, message text)")
    with conn.cursor() as cur:
        cur.executemany(f"INSERT INTO {schema}.errors VALUES (%s, %s, %s)", rows)
    esession.embed(f"{schema}.errors.message", progress=False)
    return f"{schema}.errors"


def test_exact_codes_are_found_by_hybrid_search(esession: Session, errors_table: str) -> None:
    codes = [r[0] for r in esession.sql(f"SELECT code FROM {errors_table} ORDER BY id").itertuples(index=False)]
    vector_right = hybrid_right = 0
    for code in codes:
        vector = esession.similar(f"{errors_table}.message", f"what does error {code} mean", k=3)
        hybrid = esession.similar(f"{errors_table}.message", f"what does error {code} mean", k=3, hybrid=True)
        vector_right += vector.iloc[0]["code"] == code
        hybrid_right += hybrid.iloc[0]["code"] == code
        assert list(hybrid.columns) == ["id", "code", "message", "similarity", "rrf_score"]
        assert hybrid["rrf_score"].is_monotonic_decreasing and hybrid.attrs["search"] == "exact + full text"
        # found by both sides (30 rows): at least 1 / (RRF_K + rank) from each
        assert hybrid.iloc[0]["rrf_score"] >= 2 / (RRF_K + 30)
    assert hybrid_right == len(codes) and vector_right < len(codes)


def test_hybrid_keeps_paraphrases(esession: Session, faq_table: Callable[..., str]) -> None:
    table = faq_table()
    for text, _ in faq.paraphrases()[::6]:
        vector = esession.similar(f"{table}.question", text, k=5)
        hybrid = esession.similar(f"{table}.question", text, k=5, hybrid=True)
        assert hybrid.iloc[0]["id"] == vector.iloc[0]["id"], text  # no code in the text: the vector ranking
        assert len(hybrid) == 5 and hybrid["id"].is_unique


def test_hybrid_with_a_filter_and_the_magic(esession: Session, errors_table: str) -> None:
    from pgai_magic.commands import COMMANDS
    from tests.vectors.test_embed_sql import make_context

    code = esession.sql(f"SELECT code FROM {errors_table} WHERE id = 7").iloc[0]["code"]
    hits = esession.similar(f"{errors_table}.message", code, k=3, where="id > 20", hybrid=True)
    assert len(hits) == 3 and (hits["id"] > 20).all()  # the filter holds on both sides
    ctx, _ = make_context(esession, {})
    hits = COMMANDS["similar"].run(ctx, f'{errors_table}.message "{code} declined" --hybrid --k 2', None)
    assert hits.iloc[0]["code"] == code


def test_the_full_text_query(esession: Session, conn: psycopg.Connection, errors_table: str) -> None:
    target = esession.vectors.target(f"{errors_table}.message")
    with conn.cursor() as cur:
        # "error", "tri", "later", ... are in every row (pg_stats): left out; the others OR-ed
        assert lexical_query(cur, target, "What does error E1234 mean, later?") == "'e1234' | 'mean'"
        # by default only exact tokens: codes, SKUs, acronyms
        assert lexical_query(cur, target, "What does error E1234 mean?", exact_word) == "'e1234'"
        assert lexical_query(cur, target, "the SKU-88213 of VAT", exact_word) == "'sku' | '-88213' | 'vat'"
        assert lexical_query(cur, target, "my card expired", exact_word) == ""  # for the vectors alone
        assert lexical_query(cur, target, "error later") == "'error' | 'later'"  # all common: all kept
        assert lexical_query(cur, target, '"card expired" -coupon') == "'card' <-> 'expir' & !'coupon'"
        assert lexical_query(cur, target, "the of") == ""  # stop words only
    assert uses_web_syntax("visa or mastercard") and not uses_web_syntax("visa mastercard")


def test_language_is_configurable(esession: Session, conn: psycopg.Connection, schema: str, drop_targets: None) -> None:
    conn.execute(f"CREATE TABLE {schema}.notes (id int PRIMARY KEY, body text)")
    conn.execute(f"INSERT INTO {schema}.notes VALUES (1, 'The parcels were delivered'), (2, 'A parcel is coming')")
    result = esession.embed(f"{schema}.notes.body", language="simple", progress=False)
    words = conn.execute(f"SELECT text_search::text FROM pgai.{result.target.store} WHERE id = 1").fetchone()[0]
    assert words == "'delivered':4 'parcels':2 'the':1 'were':3"  # simple: no stemming, no stop words
    result = esession.embed(f"{schema}.notes.body", language="english", progress=False)  # a new language: again
    assert result.rows == 2
    words = conn.execute(f"SELECT text_search::text FROM pgai.{result.target.store} WHERE id = 1").fetchone()[0]
    assert words == "'deliv':4 'parcel':2"
    with pytest.raises(ConfigError, match="similar needs a non-empty text"):
        esession.similar(f"{schema}.notes.body", "  ", hybrid=True)

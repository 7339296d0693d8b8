"""Exact search below a size, HNSW above it: an outlier is found first in every fresh build; the method is shown."""

from __future__ import annotations

import random

import numpy as np
import psycopg
import pytest

from pgai_magic.embed.base import FakeEmbedder
from pgai_magic.session import Session
from pgai_magic.vectors.search import EXACT_MAX_CHUNKS

OUTLIER = "The application hangs on the loading screen every time I start it"
QUERY = "application hangs on loading screen at every start"
_WHO = ("my", "our", "the", "a customer's", "her", "his", "their", "one")
_WHAT = ("order", "parcel", "invoice", "refund", "coupon", "payment", "account", "password", "subscription", "receipt")
_PROBLEM = (
    "was charged twice", "never arrived", "shows the wrong amount", "cannot be found", "was cancelled",
    "is late again", "has an error", "was sent to an old address", "needs a change", "expired yesterday",
)  # fmt: skip
_TAIL = ("please help", "what now", "who can fix it", "since monday", "thanks")


def faq_like(rows: int, seed: int) -> list[str]:
    """`rows` distinct short support questions (none shares a content word with OUTLIER), shuffled by `seed`."""
    texts = [f"{w} {t} {p}, {tail}" for w in _WHO for t in _WHAT for p in _PROBLEM for tail in _TAIL]
    random.Random(seed).shuffle(texts)
    return texts[:rows]


def _build(esession: Session, conn: psycopg.Connection, table: str, seed: int, embedder: FakeEmbedder) -> int:
    """A fresh table of 3,000 rows embedded (backfill + HNSW build), then 300 more rows synced into the index;
    the outlier is in the backfill for even seeds, among the later rows for odd ones. Returns its id."""
    texts = faq_like(3300, seed)
    outlier_id = random.Random(seed).randrange(1, 3300)
    texts[outlier_id - 1] = OUTLIER
    conn.execute(f"DROP TABLE IF EXISTS {table}")
    conn.execute(f"CREATE TABLE {table} (id int PRIMARY KEY, question text NOT NULL)")
    late = set(range(3001, 3301)) | ({outlier_id} if seed % 2 else set())
    first = [(i, t) for i, t in enumerate(texts, 1) if i not in late]
    with conn.cursor() as cur, cur.copy(f"COPY {table} (id, question) FROM STDIN") as copy:
        for row in first:
            copy.write_row(row)
    esession.embed(f"{table}.question", embedder, progress=False)
    with conn.cursor() as cur, cur.copy(f"COPY {table} (id, question) FROM STDIN") as copy:
        for i in sorted(late):
            copy.write_row((i, texts[i - 1]))
    esession.vectors.stop_worker()  # the rows are synced here, in the foreground: the test does not wait
    esession.sync_embeddings(f"{table}.question")
    return outlier_id


@pytest.mark.slow
def test_outlier_is_found_first_in_20_fresh_builds(
    esession: Session, conn: psycopg.Connection, schema: str, drop_targets: None
) -> None:
    embedder = FakeEmbedder(dim=64, name="fake-outlier")
    vectors = embedder.embed_batch([QUERY, OUTLIER, *faq_like(3300, 0)])
    cosines = vectors[1:] @ vectors[0]
    assert cosines[0] > 0.5 and cosines[0] > cosines[1:].max() + 0.2  # the outlier is the clear best match
    found = []
    for seed in range(20):
        outlier_id = _build(esession, conn, f"{schema}.faq3k", seed, embedder)
        assert conn.execute(f"SELECT count(*) FROM pgai.{schema}_faq3k_question_embedding").fetchone() == (3300,)
        hits = esession.similar(f"{schema}.faq3k.question", QUERY, k=5)
        assert hits.attrs["search"] == "exact"
        assert hits.iloc[0]["similarity"] == pytest.approx(float(cosines[0]), abs=1e-5)
        found.append(int(hits.iloc[0]["id"]) == outlier_id)
    assert sum(found) == 20


def test_size_and_filter_choose_exact_or_hnsw(
    esession: Session, conn: psycopg.Connection, schema: str, drop_targets: None
) -> None:
    embedder = FakeEmbedder(dim=64, name="fake-outlier")
    texts = faq_like(3000, 1)
    conn.execute(f"CREATE TABLE {schema}.faq3k (id int PRIMARY KEY, question text NOT NULL)")
    with conn.cursor() as cur, cur.copy(f"COPY {schema}.faq3k (id, question) FROM STDIN") as copy:
        for row in enumerate(texts, 1):
            copy.write_row(row)
    conn.execute(f"ANALYZE {schema}.faq3k")  # the planner's statistics tell how many rows a filter keeps
    esession.embed(f"{schema}.faq3k.question", embedder, progress=False)
    column = f"{schema}.faq3k.question"
    query = texts[41]
    assert EXACT_MAX_CHUNKS >= 3000 and esession.similar(column, query, k=3).attrs["search"] == "exact"
    listed = esession.vectors.columns().set_index("column").loc[f"{schema}.faq3k.question", "search"]
    assert listed.startswith("exact (about 3,000 chunks")
    esession.vectors.exact_below = 1000  # as if the table were large: the HNSW index answers
    hits = esession.similar(column, query, k=3)
    assert hits.attrs["search"] == "hnsw" and hits.iloc[0]["id"] == 42
    assert "search: hnsw (about 3,000 chunks, ef_search 200)" in esession.status()["embedded columns"]
    selective = esession.similar(column, query, k=3, where="id BETWEEN 30 AND 60")  # ~31 rows: exact
    assert selective.attrs["search"] == "exact" and selective.iloc[0]["id"] == 42 and len(selective) == 3
    modulo = esession.similar(column, query, k=3, where="id % 100 = 42")  # 30 rows ('%' reaches the planner)
    assert modulo.attrs["search"] == "exact" and modulo.iloc[0]["id"] == 42 and (modulo["id"] % 100 == 42).all()
    broad = esession.similar(column, query, k=3, where="id > 10")  # most rows: HNSW with an iterative scan
    assert broad.attrs["search"] == "hnsw" and broad.iloc[0]["id"] == 42
    both = esession.similar(column, query, k=3, hybrid=True)
    assert both.attrs["search"] == "hnsw + full text" and both.iloc[0]["id"] == 42
    esession.vectors.exact_below = EXACT_MAX_CHUNKS
    both = esession.similar(column, query, k=3, hybrid=True)
    assert both.attrs["search"] == "exact + full text" and both.iloc[0]["id"] == 42
    truth = np.sort(embedder.embed_batch(texts) @ embedder.embed_batch([query])[0])[::-1][:10]
    assert esession.similar(column, query, k=10)["similarity"].to_numpy() == pytest.approx(truth, abs=1e-5)

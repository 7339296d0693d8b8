"""Chunking: windows of the model's tokens with overlap, long texts found by their best chunk, sync of chunks."""

from __future__ import annotations

import psycopg
import pytest

from pgai_magic.datasets import faq
from pgai_magic.embed.base import FakeEmbedder
from pgai_magic.embed.sentence import SentenceTransformerEmbedder
from pgai_magic.errors import ConfigError
from pgai_magic.session import Session
from pgai_magic.vectors.chunking import chunk_sizes, chunk_texts, split

ANSWER = "Refunds are paid back to the original card within 5 business days after we receive the returned item."
QUERY = "How do I get my money back?"


def long_document(sentences: int = 120) -> str:
    """`sentences` FAQ answers about shipping and accounts, then the refund answer last."""
    filler = [answer for category, _, answer, _ in faq.ENTRIES if category in ("shipping", "account")]
    return " ".join((filler * (sentences // len(filler) + 1))[:sentences]) + " " + ANSWER


def test_windows_cover_every_token_with_the_overlap() -> None:
    text = " ".join(f"w{i}" for i in range(25))
    spans = FakeEmbedder(max_tokens=10).token_spans([text])[0]
    chunks = split(text, spans, 10, 3)
    assert [c.text.split()[0] for c in chunks] == ["w0", "w7", "w14", "w21"]  # a new window every 7 tokens
    assert [len(c.text.split()) for c in chunks] == [10, 10, 10, 4]
    assert all(text[c.start : c.end] == c.text and not c.whole for c in chunks)
    assert [c.number for c in chunks] == [0, 1, 2, 3]
    short = split("a b c", FakeEmbedder().token_spans(["a b c"])[0], 10, 3)
    assert [(c.start, c.end, c.text, c.whole) for c in short] == [(0, 5, "a b c", True)]


def test_sizes_default_to_the_window_and_refuse_what_the_model_would_cut(minilm: SentenceTransformerEmbedder) -> None:
    sizes = chunk_sizes(minilm)
    assert (sizes.size, sizes.overlap) == (254, 32)  # MiniLM reads 256 word pieces, 2 are [CLS] / [SEP]
    assert chunk_sizes(minilm, 64).overlap == 16
    with pytest.raises(ConfigError, match="--chunk-tokens 300 must be between 8 and 254"):
        chunk_sizes(minilm, 300)
    with pytest.raises(ConfigError, match="--chunk-overlap 40 must be at least 0 and less than half of 64"):
        chunk_sizes(minilm, 64, 40)
    with pytest.raises(ConfigError, match="cannot count tokens"):
        chunk_sizes(FakeEmbedder(), 64)
    assert chunk_sizes(FakeEmbedder()).size is None


def test_chunks_follow_the_models_tokenizer(minilm: SentenceTransformerEmbedder) -> None:
    document = long_document()
    sizes = chunk_sizes(minilm, 100, 20)
    [chunks] = chunk_texts(minilm, [document], sizes)
    assert len(chunks) > 5 and chunks[-1].text.endswith(ANSWER[-30:])
    counts = [len(minilm.token_spans([c.text])[0]) for c in chunks]
    assert max(counts) <= 100 and counts[0] == 100
    assert chunks[-1].end == len(document)


def test_long_text_is_found_by_its_best_chunk(
    esession: Session, conn: psycopg.Connection, schema: str, drop_targets: None
) -> None:
    document = long_document()
    conn.execute(f"CREATE TABLE {schema}.docs (id int PRIMARY KEY, body text)")
    conn.execute(
        f"INSERT INTO {schema}.docs VALUES (1, %s), (2, 'Standard shipping takes 3 to 5 business days.'), "
        "(3, 'You can change your password in the account settings.')",
        (document,),
    )
    whole = float(
        esession.vectors.embedder.embed_batch([document])[0] @ esession.vectors.embedder.embed_batch([QUERY])[0]
    )
    result = esession.embed(f"{schema}.docs.body", progress=False)
    assert result.chunked_rows == 1 and "1 row longer than a chunk (254 tokens) was split" in result.summary()
    hits = esession.similar(f"{schema}.docs.body", QUERY, k=3)
    assert hits.iloc[0]["id"] == 1 and sorted(hits["id"]) == [1, 2, 3]  # each row once
    assert list(hits.columns) == ["id", "body", "similarity", "chunk"]
    best = hits.iloc[0]
    assert ANSWER in best["chunk"] and best["similarity"] > whole + 0.2  # truncation scored it at `whole`
    assert hits.set_index("id")["chunk"].loc[[2, 3]].isna().all()  # short texts are embedded whole
    stored = conn.execute(
        f"SELECT count(*), max(chunk_end), bool_and(chunk_text IS NOT NULL) FROM pgai.{schema}_docs_body_embedding "
        "WHERE id = 1"
    ).fetchone()
    assert stored[0] >= 9 and stored[1] == len(document) and stored[2]
    status = esession.status()["embedded columns"]
    assert f"{schema}.docs.body (1 row chunked)" in status
    # the text becomes short: its extra chunks go with the next sync
    esession.vectors.stop_worker()  # drain by hand (a batch claimed by the kernel worker would be skipped)
    conn.execute(f"UPDATE {schema}.docs SET body = %s WHERE id = 1", (ANSWER,))
    esession.sync_embeddings(f"{schema}.docs.body")
    chunks = conn.execute(f"SELECT chunk, chunk_text FROM pgai.{schema}_docs_body_embedding WHERE id = 1").fetchall()
    assert chunks == [(0, None)]
    assert "chunk" not in esession.similar(f"{schema}.docs.body", QUERY, k=1).columns


def test_chunk_options_are_kept_and_checked(
    esession: Session, conn: psycopg.Connection, schema: str, drop_targets: None
) -> None:
    conn.execute(f"CREATE TABLE {schema}.docs (id int PRIMARY KEY, body text)")
    conn.execute(f"INSERT INTO {schema}.docs VALUES (1, %s)", (long_document(30),))
    small = esession.embed(f"{schema}.docs.body", chunk_tokens=64, chunk_overlap=8, progress=False)
    again = esession.embed(f"{schema}.docs.body", progress=False)  # the sizes of the first embed stay
    assert (again.target.chunk_tokens, again.target.chunk_overlap) == (64, 8) and again.rows == 0
    count = conn.execute(f"SELECT count(*) FROM pgai.{small.target.store}").fetchone()[0]
    assert count == len(
        chunk_texts(esession.vectors.embedder, [long_document(30)], chunk_sizes(esession.vectors.embedder, 64, 8))[0]
    )
    with pytest.raises(ConfigError, match="--chunk-tokens 1000 must be between 8 and 254"):
        esession.embed(f"{schema}.docs.body", chunk_tokens=1000, progress=False)
    with pytest.raises(ConfigError, match="--language 'klingon' is not a text search configuration"):
        esession.embed(f"{schema}.docs.body", language="klingon", progress=False)

"""Chunking: windows of the model's tokens with overlap, long texts found by their best chunk, sync of chunks."""

from __future__ import annotations

import itertools

import psycopg
import pytest

from pgai_magic.datasets import faq
from pgai_magic.embed.base import FakeEmbedder
from pgai_magic.embed.sentence import SentenceTransformerEmbedder
from pgai_magic.errors import ConfigError
from pgai_magic.session import Session
from pgai_magic.vectors.chunking import DEFAULT_CHUNK_TOKENS, ChunkSizes, chunk_sizes, chunk_texts, split

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
    assert (sizes.size, sizes.overlap, sizes.window) == (DEFAULT_CHUNK_TOKENS, min(32, DEFAULT_CHUNK_TOKENS // 4), 254)
    assert minilm.max_tokens == 254  # MiniLM reads 256 word pieces, 2 are [CLS] / [SEP]
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
    [small] = chunk_texts(minilm, [document], ChunkSizes(100, 20))
    lengths = [len(minilm.token_spans([c.text])[0]) for c in small]
    assert max(lengths) <= 100 and min(lengths[:-1]) > 60  # whole sentences up to 100 tokens
    assert all(c.text.endswith(".") for c in small)
    assert small[-1].text.endswith(ANSWER) and small[-1].end == len(document)
    [large] = chunk_texts(minilm, [document], ChunkSizes(254, 20))
    assert max(len(minilm.token_spans([c.text])[0]) for c in large) <= 254 and len(large) < len(small) / 2
    sizes = chunk_sizes(minilm, 100, 20)
    assert sizes.window == 254  # by default both: the window-sized chunks first, then the small ones
    [both] = chunk_texts(minilm, [document], sizes)
    assert [c.text for c in both] == [c.text for c in large + small]
    assert [c.number for c in both] == list(range(len(both)))


def test_a_long_text_gets_window_sized_chunks_too() -> None:
    sentences = [" ".join(f"s{i}w{j}" for j in range(4)) + "." for i in range(20)]  # 20 sentences of 4 tokens
    text = " ".join(sentences)
    chunks = split(text, FakeEmbedder().token_spans([text])[0], 10, 0, window=30)
    assert [len(c.text.split()) for c in chunks] == [28, 28, 24] + [8] * 10  # 7 sentences per large chunk, 2 per small
    assert [c.number for c in chunks] == list(range(13)) and not any(c.whole for c in chunks)
    assert chunks[0].text == " ".join(sentences[:7]) and chunks[3].text == " ".join(sentences[:2])
    six = " ".join(sentences[:6])  # 24 tokens: within the window, so one large chunk holds it all
    fits = split(six, FakeEmbedder().token_spans([six])[0], 10, 0, window=30)
    assert [c.text for c in fits] == [six, *(" ".join(sentences[i : i + 2]) for i in (0, 2, 4))]


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
    said = f"1 row longer than a chunk ({DEFAULT_CHUNK_TOKENS} tokens) was split"
    assert result.chunked_rows == 1 and said in result.summary()
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
    assert f"{schema}.docs.body (1 row chunked, search: exact (" in status
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


MEMO_FILLER = (
    "The quarterly budget review will take place in the large meeting room on the third floor.",
    "Please submit your travel expense reports by the last Friday of each month.",
    "The cafeteria will serve a vegetarian menu every Wednesday starting next week.",
    "New employees should complete the safety training within their first thirty days.",
    "The parking garage on Elm Street will be closed for repairs during the holidays.",
    "Our annual charity run raised more than twelve thousand dollars for the local food bank.",
    "Remember to lock the filing cabinets before you leave the office in the evening.",
    "The marketing team has moved to the east wing next to the print shop.",
    "Holiday requests for December must be approved by your manager before November.",
    "The fire drill scheduled for Tuesday morning will last about fifteen minutes.",
    "Visitors must sign in at the front desk and wear a badge at all times.",
    "The new coffee machine in the kitchen accepts both beans and capsules.",
    "Quarterly performance reviews will be held one on one with each team lead.",
    "The company newsletter is looking for volunteers to write short articles.",
    "Please keep the shared refrigerator clean and label your food with your name.",
    "The office will be closed on the national holiday and reopen the next morning.",
    "Printer paper and toner can be ordered through the supplies portal.",
    "The wellness program offers free yoga classes on Thursday afternoons.",
    "All contracts above ten thousand dollars need a signature from the finance director.",
    "The recycling bins for paper, glass and plastic are next to the elevators.",
    "Our customer satisfaction survey closes at the end of this month.",
    "The board meeting minutes are available on the intranet for all staff.",
    "Bicycle racks are available behind the building near the loading dock.",
    "Flu vaccinations will be offered by the nurse in room 204 next Monday.",
)
ROUTER = "To reset the router, hold the small button on the back for ten seconds until the lights blink."


def memo(sentences: int = 170, at: int = 97) -> str:
    """An office memo of `sentences` sentences, one of them (the `at`-th) about resetting the router."""
    body = [MEMO_FILLER[i % len(MEMO_FILLER)] for i in range(sentences - 1)]
    body.insert(at, ROUTER)
    return " ".join(body)


def test_sentences_are_kept_whole_with_overlap() -> None:
    sentences = [" ".join(f"s{i}w{j}" for j in range(3 + i % 5)) + "." for i in range(30)]
    text = " ".join(sentences)
    spans = FakeEmbedder(max_tokens=20).token_spans([text])[0]
    chunks = split(text, spans, 20, 6)
    assert chunks[0].start == 0 and chunks[-1].end == len(text)
    for chunk in chunks:  # whole sentences only, at most 20 tokens, the text at its character range
        assert chunk.text == text[chunk.start : chunk.end] and len(chunk.text.split()) <= 20
        assert chunk.text.endswith(".") and any(chunk.text.startswith(s) for s in sentences)
    for before, after in itertools.pairwise(chunks):  # a chunk repeats at most 6 tokens of the one before
        shared = before.text[after.start - before.start :] if after.start < before.end else ""
        assert len(shared.split()) <= 6
    covered = {s for c in chunks for s in sentences if s in c.text}
    assert covered == set(sentences)
    long = "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen."
    cut = split(long + " Short end.", FakeEmbedder().token_spans([long + " Short end."])[0], 8, 2)
    assert [c.text for c in cut] == [
        "one two three four five six seven eight",
        "seven eight nine ten eleven twelve thirteen fourteen",
        "thirteen fourteen fifteen. Short end.",
    ]  # a sentence longer than a chunk is cut into windows of tokens


def test_chinese_text_splits_at_its_full_stops() -> None:
    text = "我的订单在哪里？" * 3 + "如何申请退款。" * 3
    spans = [(i, i + 1) for i in range(len(text))]  # one token per character, as BERT tokenizers do for CJK
    chunks = split(text, spans, 16, 0, "zh")
    assert [c.text for c in chunks] == [
        "我的订单在哪里？我的订单在哪里？",
        "我的订单在哪里？如何申请退款。",
        "如何申请退款。如何申请退款。",
    ]


def test_the_router_sentence_is_found_in_a_long_memo(
    esession: Session, conn: psycopg.Connection, schema: str, drop_targets: None
) -> None:
    document = memo()
    assert document.count(". ") == 169
    others = [long_document(40), *(answer for _, _, answer, _ in faq.ENTRIES[:4])]
    conn.execute(f"CREATE TABLE {schema}.memo (id int PRIMARY KEY, body text)")
    conn.execute(
        f"INSERT INTO {schema}.memo SELECT * FROM unnest(%s::int[], %s::text[])",
        ([1, 2, 3, 4, 5, 6], [document, *others]),
    )
    esession.embed(f"{schema}.memo.body", progress=False)
    query = "how do I reset my router"
    minilm = esession.vectors.embedder
    for hybrid in (False, True):
        best = esession.similar(f"{schema}.memo.body", query, k=3, hybrid=hybrid).iloc[0]
        assert best["id"] == 1 and ROUTER in best["chunk"] and best["similarity"] >= 0.5, (hybrid, best["similarity"])
        shown = minilm.embed_batch([best["chunk"]])[0] @ minilm.embed_batch([query])[0]
        assert best["similarity"] == pytest.approx(float(shown), abs=1e-3)  # the similarity is the shown chunk's

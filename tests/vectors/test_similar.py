"""%pgai similar: paraphrases find their FAQ entry; ranking, filters (iterative index scans) and errors."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import psycopg
import pytest

from pgai_magic.datasets import faq
from pgai_magic.errors import ConfigError
from pgai_magic.session import Session
from pgai_magic.vectors.sync import create_index, install
from pgai_magic.vectors.target import resolve_source


def test_paraphrases_find_their_original_question_and_answer(
    esession: Session, conn: psycopg.Connection, faq_table: Callable[..., str]
) -> None:
    table = faq_table()
    pairs = faq.paraphrases()
    for text, original in pairs[::8]:  # the whole path, query embedding included, on a sample
        best = esession.similar(f"{table}.question", text, k=3).iloc[0]
        _, question, answer, _ = faq.ENTRIES[original - 1]
        assert (best["id"], best["question"], best["answer"]) == (original, question, answer), text
    # every paraphrase, embedded in one batch, against the stored vectors through the HNSW index
    vectors = esession.vectors.embedder.embed_batch([text for text, _ in pairs])
    store = table.replace(".", "_") + "_question_embedding"
    found = conn.execute(
        f"SELECT (SELECT f.id FROM {table} f JOIN pgai.{store} e USING (id) ORDER BY e.question_embedding <=> p.v "
        "LIMIT 1) FROM unnest(%s::vector[]) WITH ORDINALITY AS p(v, n) ORDER BY p.n",
        (list(vectors),),
    ).fetchall()
    assert [r[0] for r in found] == [original for _, original in pairs]


def test_result_shape_and_order(esession: Session, faq_table: Callable[..., str]) -> None:
    table = faq_table()
    hits = esession.similar(f"{table}.question", "I want my money back.", k=5)
    assert list(hits.columns) == ["id", "category", "question", "answer", "similarity"]
    assert len(hits) == 5
    assert hits["similarity"].is_monotonic_decreasing
    assert hits["similarity"].between(-1, 1).all()
    assert hits.iloc[0]["question"] == "How do I get a refund?"
    exact = esession.vectors.embedder.embed_batch(["I want my money back.", "How do I get a refund?"])
    assert hits.iloc[0]["similarity"] == pytest.approx(float(exact[0] @ exact[1]), abs=1e-4)


def test_where_filters_and_still_returns_k(esession: Session, faq_table: Callable[..., str]) -> None:
    table = faq_table()
    hits = esession.similar(f"{table}.question", "I want my money back.", k=3, where="category = 'privacy'")
    assert len(hits) == 3 and set(hits["category"]) == {"privacy"}
    hits = esession.similar(f"{table}.question", "refund", k=4, where="id > 70 AND answer ILIKE '%%e%%'")
    assert len(hits) == 4 and (hits["id"] > 70).all()


def test_selective_filter_uses_iterative_index_scan(
    esession: Session, conn: psycopg.Connection, schema: str, drop_targets: None
) -> None:
    """Half the rows match, but none near the query: a plain HNSW scan (ef_search 40) comes back empty-handed,
    the iterative scan keeps going until it has k rows."""
    minilm = esession.vectors.embedder
    n = 3000
    conn.execute(f"CREATE TABLE {schema}.docs (id integer PRIMARY KEY, kind text, body text)")
    base = minilm.embed_batch([q for _, q, _, _ in faq.ENTRIES])
    rng = np.random.default_rng(7)
    vectors = base[np.arange(n) % len(base)] + rng.normal(0, 0.05, (n, minilm.dim)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    with conn.cursor() as cur:
        with cur.copy(f"COPY {schema}.docs FROM STDIN") as copy:
            for i in range(n):
                topic = i % len(base)
                copy.write_row((i, "far" if topic >= len(base) // 2 else "near", faq.ENTRIES[topic][1]))
        target, _ = install(conn, resolve_source(conn, f"{schema}.docs.body"), minilm.name, minilm.dim)
        with cur.copy(f'COPY pgai."{target.store}" (id, body_embedding) FROM STDIN (FORMAT BINARY)') as copy:
            copy.set_types(["int4", "vector"])
            for i in range(n):
                copy.write_row((i, vectors[i]))
    assert create_index(conn, target, rows=n)
    conn.execute(f"ANALYZE {schema}.docs")
    conn.execute(f'ANALYZE pgai."{target.store}"')
    query = minilm.embed_batch(["Where is my order?"])[0]
    esession.vectors.exact_below = 100  # as if the table were large (3,000 rows are searched exactly)
    hits = esession.similar(f"{schema}.docs.body", "Where is my order?", k=10, where="kind = 'far'")
    assert len(hits) == 10 and set(hits["kind"]) == {"far"} and hits.attrs["search"] == "hnsw"
    assert hits["similarity"].is_monotonic_decreasing
    far = [i for i in range(n) if i % len(base) >= len(base) // 2]
    exact = sorted(far, key=lambda i: -float(vectors[i] @ query))[:10]
    assert len(set(hits["id"]) & set(exact)) >= 9
    plain = (
        f"SELECT d.id FROM (SELECT * FROM {schema}.docs WHERE kind = 'far') d JOIN pgai.\"{target.store}\" e "
        "USING (id) ORDER BY e.body_embedding <=> %s LIMIT 10"
    )
    with conn.transaction():
        conn.execute("SET LOCAL hnsw.iterative_scan = off")
        plan = "\n".join(r[0] for r in conn.execute("EXPLAIN " + plain, (query,)))
        assert "hnsw" in plan, plan  # the planner does use the index for this query...
        assert len(conn.execute(plain, (query,)).fetchall()) < 10  # ...which alone stops short
        conn.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
        assert len(conn.execute(plain, (query,)).fetchall()) == 10


def test_similar_errors(esession: Session, faq_table: Callable[..., str], schema: str) -> None:
    table = faq_table(embed=False)
    with pytest.raises(ConfigError, match=r"not embedded yet: run %pgai embed faq.question"):
        esession.similar(f"{table}.question", "refund")
    esession.embed(f"{table}.question", progress=False)
    with pytest.raises(ConfigError, match="at least 1"):
        esession.similar(f"{table}.question", "refund", k=0)
    with pytest.raises(ConfigError, match="non-empty text"):
        esession.similar(f"{table}.question", "  ")
    with pytest.raises(ConfigError, match="without ';'"):
        esession.similar(f"{table}.question", "refund", where="true; DROP TABLE faq")
    with pytest.raises(ConfigError, match=r"only read|not a valid"):
        esession.similar(f"{table}.question", "refund", where="id IN (DELETE FROM x RETURNING id)")
    from pgai_magic.errors import SQLError

    with pytest.raises(SQLError, match=r'column "no_such_column" does not exist \(in --where\)'):
        esession.similar(f"{table}.question", "refund", where="no_such_column = 1")
    assert len(esession.similar(f"{table}.question", "refund", k=2)) == 2  # the connection is still fine

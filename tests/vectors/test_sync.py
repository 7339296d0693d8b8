"""%pgai embed: side table, registry, HNSW index, triggers that keep vectors in sync, keys and names."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np
import psycopg
import pytest

from pgai_magic.datasets import faq
from pgai_magic.errors import ConfigError
from pgai_magic.session import Session


def store_rows(conn: psycopg.Connection, store: str) -> dict[int, tuple[np.ndarray, int]]:
    rows = conn.execute(f"SELECT id, question_embedding, writes FROM pgai.{store} ORDER BY id").fetchall()
    return {r[0]: (r[1].to_numpy(), r[2]) for r in rows}


def test_embed_backfills_indexes_and_registers(
    esession: Session, conn: psycopg.Connection, schema: str, faq_table: Callable[..., str]
) -> None:
    table = faq_table(embed=False)
    result = esession.embed(f"{table}.question", progress=False)
    store = f"{schema}_faq_question_embedding"
    assert result.rows == len(faq.ENTRIES) and result.target.store == store
    assert f"pgai.{store}" in result.summary() and "pgai.embed(" in result.summary()
    reg = conn.execute(
        "SELECT source_table, source_column, model, dim, key_columns, store_table FROM pgai.embedded_columns "
        "WHERE source_schema = %s",
        (schema,),
    ).fetchall()
    assert reg == [("faq", "question", "sentence-transformers/all-MiniLM-L6-v2", 384, ["id"], store)]
    coltype = conn.execute(
        "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = %s::regclass "
        "AND attname = 'question_embedding'",
        (f"pgai.{store}",),
    ).fetchone()
    assert coltype == ("vector(384)",)
    index = conn.execute(
        "SELECT indexdef FROM pg_indexes WHERE schemaname = 'pgai' AND tablename = %s AND indexdef LIKE '%%hnsw%%'",
        (store,),
    ).fetchone()
    assert index is not None and "vector_cosine_ops" in index[0]
    stored = store_rows(conn, store)
    assert sorted(stored) == list(range(1, len(faq.ENTRIES) + 1))
    assert all(writes == 1 for _, writes in stored.values())
    expected = esession.vectors.embedder.embed_batch([faq.ENTRIES[0][1]])[0]
    assert np.allclose(stored[1][0], expected, atol=1e-5)
    # a second embed is a no-op: nothing queued, nothing rewritten
    again = esession.embed(f"{table}.question", progress=False)
    assert again.rows == 0 and not again.index_built
    assert all(writes == 1 for _, writes in store_rows(conn, store).values())
    assert esession.vectors.columns().query("column == @schema + '.faq.question'").shape[0] == 1


def test_triggers_keep_vectors_in_sync(
    esession: Session, conn: psycopg.Connection, schema: str, faq_table: Callable[..., str]
) -> None:
    table = faq_table()
    store = f"{schema}_faq_question_embedding"
    esession.vectors.stop_worker()  # drain by hand below, to look at the queue in between
    try:
        before = store_rows(conn, store)
        conn.execute(f"ALTER TABLE {table} ALTER question DROP NOT NULL")
        conn.execute(
            f"INSERT INTO {table} VALUES (1001, 'x', 'Do you deliver to Iceland?', 'yes'), "
            f"(1002, 'x', NULL, 'no text'), (1003, 'x', '   ', 'blank')"
        )
        conn.execute(f"UPDATE {table} SET question = 'How do I get my money back?' WHERE id = 2")
        conn.execute(f"UPDATE {table} SET answer = 'changed answer only' WHERE id = 3")
        conn.execute(f"UPDATE {table} SET question = question WHERE id = 4")  # same text
        conn.execute(f"UPDATE {table} SET question = NULL WHERE id = 5")
        conn.execute(f"UPDATE {table} SET question = '' WHERE id = 6")
        conn.execute(f"DELETE FROM {table} WHERE id = 7")
        conn.execute(f"UPDATE {table} SET id = 2007 WHERE id = 8")  # a key change
        queued = {r[0] for r in conn.execute(f"SELECT id FROM pgai.{schema}_faq_question_queue")}
        assert queued == {1001, 2, 5, 6, 7, 8, 2007}
        assert esession.sync_embeddings(f"{table}.question") == len(queued)
        after = store_rows(conn, store)
        assert 1001 in after and after[1001][1] == 1
        assert 1002 not in after and 1003 not in after
        assert after[2][1] == 2 and not np.allclose(after[2][0], before[2][0])
        assert after[3][1] == 1 and after[4][1] == 1  # no re-embedding without a text change
        assert np.array_equal(after[3][0], before[3][0])
        assert 5 not in after and 6 not in after and 7 not in after and 8 not in after
        assert 2007 in after and np.allclose(after[2007][0], before[8][0], atol=1e-5)
        assert conn.execute(f"SELECT count(*) FROM pgai.{schema}_faq_question_queue").fetchone() == (0,)
        conn.execute(f"TRUNCATE {table}")
        assert store_rows(conn, store) == {}
    finally:
        esession.vectors.start_worker()


def test_kernel_worker_embeds_changes_in_the_background(
    esession: Session, conn: psycopg.Connection, schema: str, faq_table: Callable[..., str]
) -> None:
    table = faq_table()
    store = f"{schema}_faq_question_embedding"
    assert esession.vectors.worker is not None and esession.vectors.worker.running
    conn.execute(f"INSERT INTO {table} VALUES (500, 'x', 'Can I pay with crypto?', 'no')")
    conn.execute(f"UPDATE {table} SET question = 'Where is my parcel?' WHERE id = 1")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        rows = store_rows(conn, store)
        if 500 in rows and rows[1][1] == 2:
            break
        time.sleep(0.2)
    else:
        pytest.fail(f"the background worker did not embed the changes: {esession.status().get('embedding worker')}")
    assert rows[500][1] == 1
    assert "running" in esession.status()["embedding worker"]


def test_composite_key_schema_and_quoted_names(
    esession: Session, conn: psycopg.Connection, schema: str, drop_targets: None
) -> None:
    conn.execute(
        f'CREATE TABLE "{schema}"."Support Tickets" (region text, "Ticket No" integer, "Body Text" varchar(200), '
        f'PRIMARY KEY (region, "Ticket No"))'
    )
    conn.execute(
        f"INSERT INTO \"{schema}\".\"Support Tickets\" VALUES ('eu', 1, 'My parcel never arrived'), "
        f"('us', 1, 'How do I reset my password?'), ('eu', 2, 'I was charged twice for one order')"
    )
    result = esession.embed(f'{schema}."Support Tickets"."Body Text"', progress=False)
    target = result.target
    assert (target.keys, target.key_types) == (("region", "Ticket No"), ("text", "integer"))
    assert target.store == f"{schema}_Support Tickets_Body Text_embedding"
    assert target.embedding_column == "Body Text_embedding"
    stored = conn.execute(f'SELECT region, "Ticket No", writes FROM pgai."{target.store}" ORDER BY 1, 2').fetchall()
    assert stored == [("eu", 1, 1), ("eu", 2, 1), ("us", 1, 1)]
    hits = esession.similar(f'{schema}."Support Tickets"."Body Text"', "forgot my login", k=1)
    assert list(hits.columns) == ["region", "Ticket No", "Body Text", "similarity"]
    assert tuple(hits.iloc[0][["region", "Ticket No"]]) == ("us", 1)
    conn.execute(
        f'UPDATE "{schema}"."Support Tickets" SET "Body Text" = \'Where is my refund?\' '
        f"WHERE region = 'us' AND \"Ticket No\" = 1"
    )
    esession.sync_embeddings(f'{schema}."Support Tickets"."Body Text"')
    hits = esession.similar(f'{schema}."Support Tickets"."Body Text"', "money back please", k=1)
    assert hits.iloc[0]["Body Text"] == "Where is my refund?"


@pytest.mark.parametrize(
    ("ddl", "column", "needle"),
    [
        ("CREATE TABLE {s}.nokey (question text)", "nokey.question", "has no primary key"),
        ("CREATE TABLE {s}.nums (id int PRIMARY KEY, n int)", "nums.n", "is integer, not text"),
        ("CREATE TABLE {s}.few (id int PRIMARY KEY, q text)", "few.question", "it has id, q"),
        ("CREATE VIEW {s}.v AS SELECT 1 AS id, 'x'::text AS q", "v.q", "is not a table"),
        ("SELECT 1", "missing_table.q", "does not exist"),
        ("CREATE TABLE {s}.clash (writes int PRIMARY KEY, q text)", "clash.q", "rename that key column"),
    ],
)
def test_bad_targets_are_clear_errors(
    esession: Session, conn: psycopg.Connection, schema: str, ddl: str, column: str, needle: str
) -> None:
    conn.execute(ddl.format(s=schema))
    with pytest.raises(ConfigError, match=needle):
        esession.embed(f"{schema}.{column}", progress=False)


@pytest.mark.parametrize("text", ["faq", "a.b.c.d", "faq.question extra", "faq.*", ""])
def test_malformed_table_column(esession: Session, text: str) -> None:
    with pytest.raises(ConfigError, match=r"TABLE\.COLUMN"):
        esession.embed(text, progress=False)


def test_a_second_model_side_by_side_then_a_recreated_table_resets(
    esession: Session, conn: psycopg.Connection, schema: str, faq_table: Callable[..., str]
) -> None:
    from pgai_magic.embed.base import FakeEmbedder

    table = faq_table()  # MiniLM
    store = f"{schema}_faq_question_embedding"
    before = store_rows(conn, store)
    fake = FakeEmbedder(dim=64, name="fake-64")
    result = esession.embed(f"{table}.question", model=fake, progress=False)
    assert result.rows == len(faq.ENTRIES) and result.target.dim == 64 and result.target.active
    assert result.target.store == f"{schema}_faq_question_fake_64_embedding"
    assert conn.execute(
        f"SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = "
        f"'pgai.{result.target.store}'::regclass AND attname = 'question_embedding'"
    ).fetchone() == ("vector(64)",)
    kept = store_rows(conn, store)  # the first model's vectors stay, side by side
    assert sorted(kept) == sorted(before) and all(np.allclose(kept[k][0], before[k][0]) for k in kept)
    listed = esession.vectors.columns().query("column == @schema + '.faq.question'")
    assert sorted(zip(listed["model"], listed["active"])) == [
        ("fake-64", True),
        ("sentence-transformers/all-MiniLM-L6-v2", False),
    ]
    # compare the two: the active model by default, the other by name (short or full)
    text = "I want my money back"
    mini = esession.similar(f"{table}.question", text, k=3, model="all-MiniLM-L6-v2")
    assert mini.iloc[0]["question"] == "How do I get a refund?"
    assert esession.vectors.target(f"{table}.question").model == "fake-64"
    assert len(esession.similar(f"{table}.question", text, k=3, model="fake-64")) == 3
    with pytest.raises(ConfigError, match="is not embedded with 'sentence-transformers/other-model': it is with"):
        esession.similar(f"{table}.question", text, model="other-model")
    # the table is dropped and created again: old vectors go, every row is embedded anew
    faq.load(esession, "faq", schema=schema)
    conn.execute(f"UPDATE {table} SET question = 'Totally new question' WHERE id = 1")
    again = esession.embed(f"{table}.question", progress=False)  # back to MiniLM, active again
    assert again.rows == len(faq.ENTRIES) and again.target.dim == 384 and again.index_built
    assert esession.vectors.target(f"{table}.question").model == again.target.model
    stored = store_rows(conn, store)
    assert all(w == 1 for _, w in stored.values())
    assert np.allclose(stored[1][0], esession.vectors.embedder.embed_batch(["Totally new question"])[0], atol=1e-5)


def test_a_new_model_takes_over_only_when_complete(
    esession: Session, conn: psycopg.Connection, schema: str, faq_table: Callable[..., str]
) -> None:
    from pgai_magic.embed.base import FakeEmbedder
    from pgai_magic.errors import EmbeddingError

    class Failing(FakeEmbedder):
        calls = 0

        def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
            Failing.calls += 1
            if Failing.calls > 1:
                raise EmbeddingError("out of memory (a test)")
            return super().embed_batch(texts)

    table = faq_table()
    with pytest.raises(EmbeddingError, match="out of memory"):
        esession.embed(f"{table}.question", model=Failing(dim=32, name="failing-32"), batch_size=16, progress=False)
    target = esession.vectors.target(f"{table}.question")
    assert target.model == "sentence-transformers/all-MiniLM-L6-v2"  # the old vectors still answer
    hits = esession.similar(f"{table}.question", "I want my money back", k=1)
    assert hits.iloc[0]["question"] == "How do I get a refund?"


def test_sync_of_every_column_skips_a_table_dropped_without_unembedding(
    esession: Session, conn: psycopg.Connection, schema: str, faq_table: Callable[..., str]
) -> None:
    table = faq_table()
    conn.execute(f"CREATE TABLE {schema}.gone (id int PRIMARY KEY, body text)")
    conn.execute(f"INSERT INTO {schema}.gone VALUES (1, 'a note about parcels')")
    esession.embed(f"{schema}.gone.body", progress=False)
    conn.execute(f"DROP TABLE {schema}.gone")  # its registry entry stays behind
    conn.execute(f"INSERT INTO {table} VALUES (501, 'x', 'Do you ship to Norway?', 'yes')")
    esession.sync_embeddings()  # every embedded column: the dropped table is skipped, not an error
    assert 501 in store_rows(conn, f"{schema}_faq_question_embedding")

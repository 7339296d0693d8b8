"""The generated support tickets (pgai_magic.datasets.tickets): deterministic texts, loaded into a real table."""

from __future__ import annotations

import psycopg

from pgai_magic.datasets import faq, tickets


def test_texts_are_deterministic_per_seed_and_built_on_faq_questions() -> None:
    first = tickets.texts(300, seed=3)
    assert first == tickets.texts(300, seed=3)
    assert first != tickets.texts(300, seed=4)
    assert len(first) == 300 and all(isinstance(t, str) and t.strip() == t and t for t in first)
    cores = [q for _, q, _, _ in faq.ENTRIES] + [p for p, _ in faq.paraphrases()]
    assert all(any(core in text for core in cores) for text in first)  # each ticket carries one FAQ question
    assert len(set(first)) > 250  # dressed differently, so almost all differ


def test_load_creates_the_table_with_the_texts_in_id_order(conn: psycopg.Connection, schema: str) -> None:
    assert tickets.load(conn, 40, table="t", schema=schema, seed=1) == 40
    rows = conn.execute(f'SELECT id, body FROM "{schema}".t ORDER BY id').fetchall()
    assert rows == list(enumerate(tickets.texts(40, seed=1), 1))
    key = conn.execute(
        "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
        "WHERE i.indrelid = %s::regclass AND i.indisprimary",
        (f'"{schema}".t',),
    ).fetchall()
    assert key == [("id",)]


def test_load_replaces_an_existing_table(conn: psycopg.Connection, schema: str) -> None:
    tickets.load(conn, 25, table="t", schema=schema)
    tickets.load(conn, 10, table="t", schema=schema, seed=2)
    assert conn.execute(f'SELECT count(*), min(id), max(id) FROM "{schema}".t').fetchone() == (10, 1, 10)
    body = conn.execute(f'SELECT body FROM "{schema}".t WHERE id = 1').fetchone()
    assert body == (tickets.texts(10, seed=2)[0],)

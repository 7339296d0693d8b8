"""A customer-service FAQ (questions, answers, categories) with held-out paraphrases, for tutorials and tests."""

from __future__ import annotations

from psycopg import sql

from pgai_magic.datasets import LoadTarget, connection_of
from pgai_magic.datasets.faq_entries import ENTRIES

__all__ = ["ENTRIES", "load", "paraphrases", "rows"]


def rows() -> list[tuple[int, str, str, str]]:
    """(id, category, question, answer) for every entry, ids from 1."""
    return [(i, category, question, answer) for i, (category, question, answer, _) in enumerate(ENTRIES, 1)]


def paraphrases() -> list[tuple[str, int]]:
    """(new question, id of the original question it paraphrases) for every held-out paraphrase."""
    return [(text, i) for i, entry in enumerate(ENTRIES, 1) for text in entry[3]]


def load(session_or_conn: LoadTarget, table: str = "faq", *, schema: str | None = None, replace: bool = True) -> int:
    """Create `table` (id primary key, category, question, answer) and fill it; returns the row count.

    Accepts a psycopg connection, a Database or a pgai_magic Session. With `replace`, an existing table is dropped
    first (with its embedding triggers); otherwise rows are added to it.
    """
    conn = connection_of(session_or_conn)
    name = sql.Identifier(schema, table) if schema else sql.Identifier(table)
    with conn.transaction():
        if replace:
            conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(name))
        conn.execute(
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {} (id integer PRIMARY KEY, category text NOT NULL, "
                "question text NOT NULL, answer text NOT NULL)"
            ).format(name)
        )
        with (
            conn.cursor() as cur,
            cur.copy(sql.SQL("COPY {} (id, category, question, answer) FROM STDIN").format(name)) as copy,
        ):
            for row in rows():
                copy.write_row(row)
    return len(ENTRIES)

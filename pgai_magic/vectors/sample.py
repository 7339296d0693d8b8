"""A sample of the texts of an embedded column, and the language check `embed` makes on it."""

from __future__ import annotations

import psycopg
from psycopg import sql

from pgai_magic import catalog
from pgai_magic.embed.base import Embedder
from pgai_magic.embed.language import language_warning
from pgai_magic.vectors.target import Source

__all__ = ["SAMPLE_ROWS", "language_check", "sample_texts"]

SAMPLE_ROWS = 200  # texts the language check reads


def sample_texts(conn: psycopg.Connection, source: Source, rows: int = SAMPLE_ROWS) -> list[str]:
    """About `rows` non-blank texts of `source`, from random pages (TABLESAMPLE SYSTEM) of a large table and all
    of a small one (at most 50 times `rows` rows are estimated to be read)."""
    relation = catalog.find_relation(
        catalog.reader(conn), catalog.quoted_name(source.schema, source.table), source.label
    )
    estimate = relation.reltuples if relation is not None else -1.0
    percent = 100.0 if estimate <= 0 else min(100.0, 100.0 * 50 * rows / estimate)
    query = sql.SQL("SELECT {text} FROM {table} t TABLESAMPLE SYSTEM ({percent}) WHERE btrim({text}) <> '' LIMIT {n}")
    found = conn.execute(
        query.format(
            text=source.text_sql("t"),
            table=source.table_ident,
            percent=sql.Literal(percent),
            n=sql.Literal(rows),
        )
    ).fetchall()
    return [str(r[0]) for r in found]


def language_check(conn: psycopg.Connection, source: Source, embedder: Embedder) -> str | None:
    """A warning when most sampled texts of `source` are in languages `embedder` was not trained on (its
    `languages`, from the model card); None when they are, or when the model's languages are unknown."""
    languages = getattr(embedder, "languages", None)
    if not languages:
        return None
    return language_warning(embedder.name.rstrip("/").rsplit("/", 1)[-1], languages, sample_texts(conn, source))

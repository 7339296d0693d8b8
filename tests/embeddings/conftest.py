"""Fixtures of the embedding tests: the real MiniLM model (loaded once), a session using it, FAQ tables."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import psycopg
import pytest


@pytest.fixture(scope="session")
def minilm():  # type: ignore[no-untyped-def]
    """The packaged all-MiniLM-L6-v2, loaded once for the whole test session (offline)."""
    from pgai_magic.embed.sentence import load_embedder

    return load_embedder()


@pytest.fixture(scope="session")
def esession(pg_dsn: str, session, minilm):  # type: ignore[no-untyped-def]
    """A session of its own (its embedder and kernel worker do not leak into other tests)."""
    from pgai_magic.session import Session

    sess = Session(pg_dsn)
    sess.set_embedder(minilm)
    yield sess
    sess.close()


@pytest.fixture()
def drop_targets(conn: psycopg.Connection, schema: str) -> Iterator[None]:
    """Remove the registry entries and side tables of the test schema's embedded columns afterwards."""
    yield
    from pgai_magic.vectors.sync import drop
    from pgai_magic.vectors.target import list_targets

    for target in list_targets(conn):
        if target.schema == schema:
            drop(conn, target)


@pytest.fixture()
def faq_table(esession, schema: str, drop_targets: None) -> Callable[..., str]:  # type: ignore[no-untyped-def]
    """Create the FAQ table in the test schema and embed its questions; returns 'schema.faq'."""

    def make(embed: bool = True) -> str:
        from pgai_magic.datasets import faq

        faq.load(esession, "faq", schema=schema)
        if embed:
            esession.embed(f"{schema}.faq.question", progress=False)
        return f"{schema}.faq"

    return make

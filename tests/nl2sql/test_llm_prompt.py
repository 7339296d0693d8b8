"""The LLM prompt carries the linked part of a 60-table schema: linked tables, the tables on join paths (declared
and inferred keys), sample values and the joins; the fake backend sees it and its SQL runs."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence

import psycopg
import pytest

from pgai_magic.catalog import Catalog, ForeignKey, load_catalog
from pgai_magic.datasets import wide
from pgai_magic.nl2sql.generator import LLMGenerator, Request, linked_tables
from pgai_magic.nl2sql.llm import FakeBackend, Message
from pgai_magic.nl2sql.schema_link import join_paths, lexical_tables, stems
from pgai_magic.nl2sql.translator import Translator
from pgai_magic.session import Session
from tests.pg_helpers import drop_schema


@pytest.fixture(scope="module")
def wide_schema(pg_dsn: str, session: Session) -> Iterator[str]:
    name = f"wide_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        wide.load(conn, schema=name, seed=1, rows=30)
    yield name
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        drop_schema(conn, name)
        conn.execute("DELETE FROM pgai.questions WHERE scope = %s", (name,))


def _catalog(session: Session, schema: str, *, inferred: bool) -> Catalog:
    """The schema's catalog with its declared keys only; with `inferred`, the name-implied keys added as inferred
    foreign keys (as the catalog's own inference adds them)."""
    catalog = load_catalog(session.db.control, [schema])
    for t in catalog.tables.values():
        t.foreign_keys = [fk for fk in t.foreign_keys if not fk.inferred]
        for col in t.columns:
            if col.foreign_key is not None and col.foreign_key.inferred:
                col.foreign_key = None
    if inferred:
        for table, column, ref in wide.UNDECLARED:
            t, target = catalog.tables[f"{schema}.{table}"], catalog.tables[f"{schema}.{ref}"]
            fk = ForeignKey(t.key, (column,), target.key, target.primary_key, inferred=True)
            t.foreign_keys.append(fk)
            col = t.column(column)
            assert col is not None and col.foreign_key is None
            col.foreign_key = fk
    return catalog


def _prompt(catalog: Catalog, session: Session, question: str) -> str:
    analysis = Translator(catalog, conn=session.db.control).analyze(question)
    messages = LLMGenerator(FakeBackend(["SELECT 1"])).messages(Request(question, catalog, lambda s: None, analysis))
    return "\n".join(m["content"] for m in messages)


def _described(prompt: str) -> set[str]:
    return {block.split("(", 1)[0].strip().rsplit(".", 1)[-1] for block in prompt.split("CREATE TABLE ")[1:]}


def test_the_prompt_carries_the_join_path_with_inferred_keys(session: Session, wide_schema: str) -> None:
    catalog = _catalog(session, wide_schema, inferred=True)
    prompt = _prompt(catalog, session, "total card spending per client")
    tables = _described(prompt)
    assert {"card_transactions", "cards", "bank_accounts", "clients"} <= tables
    assert not tables & {"hospitals", "students", "shipments", "employees"}  # other domains stay out
    assert f"{wide_schema}.card_transactions.card_id = {wide_schema}.cards.card_id (inferred)" in prompt
    declared = f"{wide_schema}.cards.bank_account_id = {wide_schema}.bank_accounts.bank_account_id"
    assert declared + "\n" in prompt and declared + " (inferred)" not in prompt
    assert len(prompt) < len(catalog.describe()) / 4  # much smaller than the whole schema


def test_without_inferred_keys_no_join_is_marked_inferred(session: Session, wide_schema: str) -> None:
    prompt = _prompt(_catalog(session, wide_schema, inferred=False), session, "total card spending per client")
    assert not [line for line in prompt.splitlines() if line.endswith("(inferred)")]
    assert f"{wide_schema}.card_transactions.card_id = {wide_schema}.cards.card_id" not in prompt  # not declared


def test_words_the_translator_does_not_link_still_bring_their_tables(session: Session, wide_schema: str) -> None:
    catalog = _catalog(session, wide_schema, inferred=True)
    prompt = _prompt(catalog, session, "unpaid invoices issued in 2024")
    assert "patient_invoices" in _described(prompt)
    prompt = _prompt(catalog, session, "total withdrawals in 2024")
    assert "transactions" in _described(prompt)
    assert "'withdrawal'" in prompt  # the sample values of the linked table's columns


def test_lexical_linking_and_join_paths() -> None:
    assert stems("Unpaid invoices per categories, the total number") == {"unpaid", "invoice", "category"}
    catalog = Catalog(schemas=("s",), tables={}, fingerprint="x")
    assert lexical_tables(catalog, "anything") == [] and join_paths(catalog, ["s.a"]) == []


@pytest.mark.slow
def test_a_fake_llm_gets_the_linked_schema_and_its_sql_runs(session: Session, wide_schema: str) -> None:
    seen: list[Sequence[Message]] = []

    def reply(messages: Sequence[Message]) -> str:
        seen.append(messages)
        return (
            f"```sql\nSELECT c.client_id, sum(t.amount) AS spent FROM {wide_schema}.card_transactions t "
            f"JOIN {wide_schema}.cards k ON k.card_id = t.card_id JOIN {wide_schema}.bank_accounts a "
            f"ON a.bank_account_id = k.bank_account_id JOIN {wide_schema}.clients c ON c.client_id = a.client_id "
            "GROUP BY c.client_id ORDER BY 1\n```"
        )

    session.questions.use_llm(FakeBackend(reply))
    try:
        frame = session.ask("total card spending per client", schema=wide_schema, generator="llm", remember=False)
    finally:
        session.questions.use_llm(None)
    assert frame.attrs["source"] == "LLM" and len(frame) > 0 and list(frame.columns) == ["client_id", "spent"]
    system = seen[0][0]["content"]
    assert {"card_transactions", "cards", "clients"} <= _described(system)
    named = linked_tables(
        _catalog(session, wide_schema, inferred=False), None, question="total card spending per client"
    )
    assert f"{wide_schema}.card_transactions" in named and f"{wide_schema}.clients" in named

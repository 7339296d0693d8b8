"""Query-time embedding in SQL cells, the pgai.embed() placeholder function, and the %pgai commands."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psycopg
import pytest

from pgai_magic.commands import COMMANDS, Context, Settings
from pgai_magic.errors import ConfigError, ParameterError, SQLError
from pgai_magic.session import Session


def test_pgai_embed_in_sql_orders_by_meaning(esession: Session, faq_table: Callable[..., str]) -> None:
    table = faq_table()
    store = table.replace(".", "_") + "_question_embedding"
    frame = esession.sql(
        f"SELECT id, question FROM {table} JOIN pgai.{store} USING (id) "
        "ORDER BY question_embedding <=> pgai.embed('I want my money back.') LIMIT 3"
    )
    assert frame.iloc[0]["question"] == "How do I get a refund?"
    frame = esession.sql(
        f"SELECT question, 1 - (question_embedding <=> pgai.embed(:q)) AS score FROM {table} "
        f"JOIN pgai.{store} USING (id) WHERE category = :cat ORDER BY score DESC LIMIT 1",
        q="Stop sending me promotional newsletters.",
        cat="account",
    )
    assert frame.iloc[0]["question"] == "How do I unsubscribe from marketing emails?"
    assert 0.5 < frame.iloc[0]["score"] <= 1.0


def test_several_statements_and_the_model_argument(esession: Session, faq_table: Callable[..., str]) -> None:
    faq_table(embed=False)
    result = esession.execute(
        "SELECT 1; SELECT pgai.embed('a') <=> pgai.embed('a', 'all-MiniLM-L6-v2') AS same, "
        "pgai.embed('refund') <=> pgai.embed('reimbursement') AS near, "
        "pgai.embed('refund') <=> pgai.embed('giraffe') AS far",
        {},
    )
    row = result.value.iloc[0]
    assert abs(row["same"]) < 1e-6 and row["near"] < row["far"]


def test_error_caret_maps_to_the_typed_text(esession: Session) -> None:
    cell = "SELECT 1;\nSELECT :n, pgai.embed('late delivery') <=> pgai.embed(:q), no_such_column"
    with pytest.raises(SQLError) as err:
        esession.execute(cell, {"n": 1, "q": "where is my parcel"})
    assert err.value.position is not None
    assert err.value.statement is not None
    assert err.value.statement[err.value.position - 1 :].startswith("no_such_column")


def test_non_literal_argument_explains_how_to_embed_a_column(esession: Session, faq_table: Callable[..., str]) -> None:
    table = faq_table(embed=False)
    with pytest.raises(ParameterError, match=r"%pgai embed table.column"):
        esession.sql(f"SELECT pgai.embed(question) FROM {table}")


def test_the_sql_function_explains_itself_outside_cells(conn: psycopg.Connection) -> None:
    with pytest.raises(psycopg.errors.FeatureNotSupported) as err:
        conn.execute("SELECT pgai.embed('hello')")
    assert "only works in pgai_magic cells" in str(err.value)
    assert "%pgai embed table.column" in (err.value.diag.message_hint or "")


def make_context(session: Session, namespace: dict[str, Any]) -> tuple[Context, list[str]]:
    said: list[str] = []
    ctx = Context(
        get_session=lambda: session,
        set_session=lambda s: None,
        namespace=namespace,
        settings=Settings(),
        show_html=said.append,
        show=said.append,
        say=said.append,
    )
    return ctx, said


def test_magic_commands_embed_and_similar(esession: Session, faq_table: Callable[..., str], schema: str) -> None:
    table = faq_table(embed=False)
    ns: dict[str, Any] = {}
    ctx, said = make_context(esession, ns)
    assert COMMANDS["embed"].run(ctx, f"{table}.question --batch-size 32", None) is None
    assert said[-1].startswith("embedded 80 rows of") and f"pgai.{schema}_faq_question_embedding" in said[-1]
    frame = COMMANDS["similar"].run(ctx, f'{table}.question "I forgot my password" --k 2 --out hits', None)
    assert len(frame) == 2 and frame.iloc[0]["question"] == "How do I reset my password?"
    assert ns["hits"] is frame
    frame = COMMANDS["similar"].run(
        ctx, f"{table}.question --k 3 --where \"category = 'billing'\" my card was refused", None
    )
    assert list(frame["category"]) == ["billing"] * 3 and frame.iloc[0]["question"] == "Why was my card declined?"
    frame = COMMANDS["similar"].run(ctx, f"{table}.question", "where is my parcel")  # text in the cell body
    assert frame.iloc[0]["question"] == "Where is my order?"
    with pytest.raises(ConfigError, match="give the text"):
        COMMANDS["similar"].run(ctx, f"{table}.question", None)
    with pytest.raises(ConfigError, match="invalid int value"):
        COMMANDS["embed"].run(ctx, f"{table}.question --batch-size many", None)
    info = COMMANDS["status"].run(ctx, "", None)
    assert (
        info["embedder"] == "sentence-transformers/all-MiniLM-L6-v2"
        and f"{schema}.faq.question" in info["embedded columns"]
    )


def test_help_lists_the_commands() -> None:
    from pgai_magic.commands.base import help_text

    text = help_text()
    assert '%pgai embed TABLE.COLUMN | TABLE --template "{a}: {b}" [--name N]' in text
    assert "[--chunk-tokens N] [--chunk-overlap N]" in text
    assert '%pgai similar TABLE.COLUMN "text" [--k 5] [--where SQL] [--hybrid] [--model M]' in text


def test_through_ipython(esession: Session, faq_table: Callable[..., str]) -> None:
    from IPython.core.interactiveshell import InteractiveShell

    from pgai_magic.magic import Pgai

    table = faq_table()
    shell = InteractiveShell.instance()
    magics = Pgai(shell)
    shell.register_magics(magics)
    magics.connections.add("default", esession)
    try:
        shell.user_ns["q"] = "my parcel was delivered damaged"
        frame = shell.run_cell_magic(
            "pgai",
            "",
            f"SELECT id FROM {table} JOIN pgai.{table.replace('.', '_')}_question_embedding USING (id) "
            "ORDER BY question_embedding <=> pgai.embed(:q) LIMIT 1",
        )
        assert list(frame["id"]) == [6]
        hits = shell.run_line_magic("pgai", f'similar {table}.question "I want my money back." --k 1')
        assert hits.iloc[0]["question"] == "How do I get a refund?"
    finally:
        magics.connections.detach("default")  # the fixture's session stays open for other tests

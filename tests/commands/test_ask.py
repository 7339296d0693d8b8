"""%pgai ask / %%pgai ask: the question exactly as typed, SQL shown with its source, options, teach, history."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pgai_magic.commands import COMMANDS, Context, Settings
from pgai_magic.commands.ask import split_flags
from pgai_magic.display import ResultFrame
from pgai_magic.errors import ConfigError, PgaiError
from pgai_magic.session import Session

SHOP_SEED = 6  # the sales data of the `shop` fixture (tests/conftest.py)
SHOP_SCALE = 0.2


class Shown:
    def __init__(self) -> None:
        self.html: list[str] = []
        self.said: list[str] = []


def _ctx(session: Session, shown: Shown) -> Context:
    return Context(
        get_session=lambda: session,
        set_session=lambda s: None,
        namespace={},
        settings=Settings(),
        show_html=shown.html.append,
        show=lambda value: shown.html.append(value._repr_html_() if hasattr(value, "_repr_html_") else repr(value)),
        say=shown.said.append,
    )


def ask(session: Session, rest: str, cell: str | None = None) -> tuple[Any, Shown, Context]:
    shown = Shown()
    ctx = _ctx(session, shown)
    return COMMANDS["ask"].run(ctx, rest, cell), shown, ctx


def test_flags_lead_and_the_rest_is_the_question_verbatim() -> None:
    opts, question = split_flags('--dry-run --schema s1 What\'s the "best" product -- by revenue?  ')
    assert opts == {"--dry-run": True, "--schema": "s1"}
    assert question == 'What\'s the "best" product -- by revenue?'
    opts, rest = split_flags('--teach "which customer\'s orders \\"vanished\\"?" --schema=x')
    assert opts == {"--teach": 'which customer\'s orders "vanished"?', "--schema": "x"}
    assert rest == ""
    assert split_flags("-- --looks-like-a-flag?") == ({}, "--looks-like-a-flag?")
    with pytest.raises(ConfigError, match="unknown option --verbose"):
        split_flags("--verbose how many orders")
    with pytest.raises(ConfigError, match="no closing"):
        split_flags('--teach "unfinished question')


def test_options_may_follow_the_question() -> None:
    assert split_flags("how many orders --dry-run --schema s1") == (
        {"--dry-run": True, "--schema": "s1"},
        "how many orders",
    )
    assert split_flags("how many  --no-memory orders in 2024") == ({"--no-memory": True}, "how many orders in 2024")
    assert split_flags('orders with status "--dry-run" --limit 5') == (
        {"--limit": "5"},
        'orders with status "--dry-run"',
    )
    assert split_flags("what's new --frob") == ({}, "what's new --frob")  # not an option of ask: a word
    assert split_flags("how many orders -h") == ({"--help": True}, "how many orders")


def test_help_prints_the_usage_and_asks_nothing(session: Session) -> None:
    for line in ("-h", "--help", "how many orders -h"):
        value, shown, _ = ask(session, line)
        assert value is None and not shown.html
        assert shown.said and shown.said[0].startswith("usage: %pgai ask")


def test_line_ask_shows_sql_and_source_and_returns_the_frame(session: Session, shop: str) -> None:
    value, shown, ctx = ask(session, f"--schema {shop} --out top What's the most expensive 'Electronics' product?")
    assert isinstance(value, ResultFrame) and len(value) == 1
    assert "category = 'Electronics'" in value.attrs["sql"] and value.attrs["source"] == "built-in translator"
    assert ctx.namespace["top"] is value
    assert len(shown.html) == 1 and "built-in translator" in shown.html[0] and "Electronics" in shown.html[0]
    history = session.questions.history(limit=500)
    assert "What's the most expensive 'Electronics' product?" in set(history["question"])


def test_dry_run_returns_the_sql_only(session: Session, shop: str) -> None:
    value, shown, _ = ask(session, f"--dry-run --schema {shop} 每个国家有多少客户？")
    assert isinstance(value, str) and "GROUP BY" in value and "country" in value
    assert shown.html and "GROUP" in shown.html[0]


def test_cell_ask_teach_accept_and_history(session: Session, shop: str) -> None:
    value, _, _ = ask(session, f"--schema {shop}", "How many orders\nwere cancelled?\n")
    assert value.attrs["question"] == "How many orders\nwere cancelled?"
    _, shown, _ = ask(session, "--accept")
    assert "verified" in shown.said[0]
    _, shown, _ = ask(
        session,
        f'--schema {shop} --teach "how many brands do we carry?"',
        f"SELECT count(DISTINCT brand) AS brands FROM {shop}.products",
    )
    assert "remembered question" in shown.said[0]
    value, shown, _ = ask(session, f"--schema {shop} how many brands do we carry?")
    assert value.attrs["source"] == "question memory" and "question memory" in shown.html[0]
    history, _, _ = ask(session, "--history --limit 3")
    assert isinstance(history, ResultFrame) and len(history) == 3
    assert {"question", "sql", "source", "verified"} <= set(history.columns)
    with pytest.raises(ConfigError, match="cell body"):
        ask(session, f"--schema {shop} also a question on the line", "and one in the body")
    with pytest.raises(ConfigError, match="needs a question"):
        ask(session, "--dry-run")


def test_through_the_ipython_magic(session: Session, shop: str) -> None:
    from IPython.core.interactiveshell import InteractiveShell

    from pgai_magic.magic import Pgai

    shell = InteractiveShell.instance()
    magics = Pgai(shell)
    magics.connections.add("default", session)
    shell.register_magics(magics)
    city = session.sql(f"SELECT city FROM {shop}.customers ORDER BY city LIKE 'S%' DESC, city LIMIT 1")["city"][0]
    sql = shell.run_line_magic("pgai", f"ask --dry-run --schema {shop} how many customers are in '{city}'?")
    assert isinstance(sql, str) and f"city = '{city}'" in sql
    frame = shell.run_cell_magic("pgai", f"ask --schema {shop}", "Total sales by channel")
    assert "channel" in frame.columns and "SUM(" in frame.attrs["sql"]


PIECES = st.one_of(
    st.sampled_from(
        [
            "--dry-run",
            "--accept",
            "--history",
            "--no-memory",
            "--teach",
            "--schema",
            "--generator",
            "--out",
            "--limit",
            "--forget",
            "--",
            "-",
            "=",
            "'",
            '"',
            "\\",
            "1",
            "-5",
            "1e309",
            "nan",
            "llm",
            "translator",
            "how many",
            "orders",
            "top 3",
            "in 2024",
            "delete",
            "每个国家",
            "customers",
            "Germany",
            "SELECT 1",
            "DROP TABLE x",
        ]
    ),
    st.text(max_size=8),
)


@pytest.mark.slow
@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
@given(words=st.lists(PIECES, max_size=8), body=st.one_of(st.none(), st.text(max_size=20)))
def test_fuzzed_ask_lines_give_answers_or_clear_errors(
    session: Session, shop: str, words: list[str], body: str | None
) -> None:
    # --schema points at this test's data; --forget at no real question (other tests' questions stay)
    line = " ".join(words).replace("--schema", f"--schema {shop}").replace("--forget", "--forget 987654321")
    try:
        ask(session, line, body)
    except PgaiError as err:
        assert str(err)

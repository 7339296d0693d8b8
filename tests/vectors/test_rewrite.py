"""Query-time embedding rewrite: pgai.embed(...) found by tokens, bound as vectors, error carets still mapped."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pgai_magic.embed.base import FakeEmbedder
from pgai_magic.errors import ParameterError
from pgai_magic.sqltext import Statement, bind_parameters, split_statements
from pgai_magic.vectors.rewrite import find_embed_calls, replace_spans, rewrite_embed_calls, vector_literal
from pgai_magic.vectors.search import validate_where

FAKE = FakeEmbedder(dim=8)
NS = {"a": 1, "b": "two", "q": "refund please", "n": 5}


def prepare(cell: str, ns: dict | None = None) -> list[Statement]:
    """What Session.prepare does with this preprocessor in the list."""
    out = []
    for stmt in split_statements(cell):
        stmt = rewrite_embed_calls(stmt, ns if ns is not None else NS, lambda texts, model: FAKE.embed_batch(texts))
        out.append(bind_parameters(stmt, ns if ns is not None else NS))
    return out


def test_literal_is_replaced_by_a_cast_parameter() -> None:
    (stmt,) = prepare("SELECT id FROM faq ORDER BY e <=> pgai.embed('refund please') LIMIT 5")
    assert stmt.text == "SELECT id FROM faq ORDER BY e <=> CAST($1 AS vector) LIMIT 5"
    assert stmt.params == [vector_literal(FAKE.embed_batch(["refund please"])[0])]
    assert stmt.params[0].startswith("[") and stmt.params[0].count(",") == 7


def test_variants_quoting_case_dollar_quotes_and_names() -> None:
    cell = "select PGAI.Embed('it''s late'), \"pgai\".\"embed\"($$x y$$), pgai . embed ( :q ), :a, pgai.embed(:q)"
    (stmt,) = prepare(cell)
    assert stmt.text == "select CAST($1 AS vector), CAST($2 AS vector), CAST($3 AS vector), $4, CAST($3 AS vector)"
    vectors = FAKE.embed_batch(["it's late", "x y", "refund please"])
    assert stmt.params == [vector_literal(v) for v in vectors] + [1]


def test_strings_comments_and_other_schemas_are_left_alone() -> None:
    cell = "select 'pgai.embed(''x'')', other.embed('x') -- pgai.embed('y')\n, \"PGAI\".embed('z')"
    assert find_embed_calls(cell, NS) == []
    (stmt,) = prepare(cell)
    assert stmt.text == cell and stmt.params == []


@pytest.mark.parametrize(
    ("call", "needle"),
    [
        ("pgai.embed(question)", "'question'"),
        ("pgai.embed('a' || 'b')", "'a' || 'b'"),
        ("pgai.embed(lower('x'))", "lower('x')"),
        ("pgai.embed()", "needs the text"),
    ],
)
def test_non_literal_argument_explains_how_to_embed_a_column(call: str, needle: str) -> None:
    with pytest.raises(ParameterError) as err:
        prepare(f"SELECT 1 FROM t ORDER BY e <=> {call}")
    message = str(err.value)
    assert needle in message
    if "needs" not in needle:
        assert "%pgai embed table.column" in message


def test_name_argument_must_exist_and_be_text() -> None:
    with pytest.raises(ParameterError, match="missing"):
        prepare("select pgai.embed(:missing)")
    with pytest.raises(ParameterError, match="must be a str"):
        prepare("select pgai.embed(:n)")


def _check_mapping(cell: str, stmt: Statement) -> None:
    """Every character outside an edit maps back to the same character of the cell; edits to their start."""
    inside = set()
    for at, n, _ in stmt.edits:
        inside.update(range(at, at + n))
    for i, ch in enumerate(stmt.text):
        orig = stmt.original_position(i + 1) - 1
        if i not in inside:
            assert cell[orig] == ch, (cell, stmt.text, i)
        else:
            assert cell[orig] in ':p"P', (cell, stmt.text, i)  # the start of :name or pgai.embed


def test_error_positions_map_back_around_embed_calls_and_names() -> None:
    cell = "select 1;\n  SELECT :a, pgai.embed(:q) <=> e, :b, pgai.embed('xyz'), :a FROM nowhere"
    stmts = prepare(cell)
    assert len(stmts) == 2
    stmt = stmts[1]
    assert stmt.text == "SELECT $3, CAST($1 AS vector) <=> e, $4, CAST($2 AS vector), $3 FROM nowhere"
    _check_mapping(cell, stmt)
    caret = stmt.text.index("nowhere") + 1
    assert cell[stmt.original_position(caret) - 1 :].startswith("nowhere")


PIECES = ["select", "x", ":a", ":b", "pgai.embed('t1')", "pgai.embed(:q)", "'s'", "+", "(", ")", "e <=>", "::int", "1"]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(PIECES), min_size=1, max_size=14), st.booleans())
def test_mapping_is_consistent_for_any_mix(pieces: list[str], leading: bool) -> None:
    cell = ("select 0;  " if leading else "") + " ".join(pieces)
    for stmt in prepare(cell):
        _check_mapping(cell, stmt)


def test_replace_spans_folds_earlier_edits() -> None:
    cell = "select :a + :b"
    bound = bind_parameters(split_statements(cell)[0], NS)  # select $1 + $2
    out = replace_spans(bound, [(7, 14, "[both]")], bound.params)  # "$1 + $2" -> "[both]"
    assert out.text == "select [both]"
    assert out.edits == [(7, 6, 7)]
    assert out.original_position(8) == 8 and out.original_position(len(out.text)) == 8


def test_vector_literal_round_trips_float32() -> None:
    v = np.random.default_rng(1).standard_normal(16).astype(np.float32)
    back = np.array([float(x) for x in vector_literal(v)[1:-1].split(",")], dtype=np.float32)
    assert np.array_equal(v, back)


@pytest.mark.parametrize(
    "where",
    [
        "category = 'billing'",
        "price > 3 AND note ILIKE '%late%'",
        "(a IS NULL)",
        "id IN (SELECT id FROM other WHERE ok)",
        "tags @> ARRAY['x']",
        "flag",
    ],
)
def test_where_accepts_conditions(where: str) -> None:
    assert validate_where(f"  {where} ") == where


@pytest.mark.parametrize(
    ("where", "needle"),
    [
        ("1=1; DROP TABLE faq", "without ';'"),
        ("a = 1) OR (1=1", "not a valid"),
        ("price * 2", "true/false"),
        ("'text'", "true/false"),
        ("DELETE FROM faq", "only read"),
        ("", "empty"),
    ],
)
def test_where_rejects_statements_and_non_conditions(where: str, needle: str) -> None:
    from pgai_magic.errors import ConfigError

    with pytest.raises(ConfigError, match=needle):
        validate_where(where)


def test_optional_model_argument_is_passed_on() -> None:
    seen: list[tuple[list[str], str | None]] = []

    def embed(texts: list[str], model: str | None) -> np.ndarray:
        seen.append((texts, model))
        return FAKE.embed_batch(texts)

    stmt = rewrite_embed_calls(
        split_statements("select pgai.embed('a', 'my-model'), pgai.embed('a'), pgai.embed('a', 'my-model')")[0],
        NS,
        embed,
    )
    assert stmt.text == "select CAST($1 AS vector), CAST($2 AS vector), CAST($1 AS vector)"
    assert seen == [(["a"], "my-model"), (["a"], None)]
    with pytest.raises(ParameterError, match="optionally, a model"):
        prepare("select pgai.embed('a', 'b', 'c')")

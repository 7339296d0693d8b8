"""Statement splitting and `:name` binding (pure logic, no server)."""

from __future__ import annotations

import pytest

from pgai_magic.errors import ParameterError
from pgai_magic.sqltext import Statement, bind_parameters, parameter_names, split_statements


def test_split_respects_strings_comments_and_dollar_quotes() -> None:
    cell = """
    select ';' as a; -- a comment; with semicolons
    create function f() returns int as $body$ select 1; $body$ language sql;
    /* ; */ select 2;;
    -- trailing comment only
    """
    statements = [s.text for s in split_statements(cell)]
    assert statements[0] == "select ';' as a"
    assert statements[1].startswith("-- a comment; with semicolons\n")
    assert "$body$ select 1; $body$" in statements[1]
    assert statements[2].endswith("select 2")
    assert len(statements) == 3


def test_offsets_point_into_the_cell() -> None:
    cell = "select 1;\n  select 2"
    second = split_statements(cell)[1]
    assert cell[second.offset : second.offset + len(second.text)] == "select 2"


def test_colon_names_skip_casts_assignments_strings_comments_and_slices() -> None:
    text = "select a::int, ':x', f(p := 1), arr[lo:hi], :name -- :c\n /* :d */ from t where e = :e"
    names = [n for _, _, n in parameter_names(text)]
    assert names == ["name", "e"]


def test_bind_numbers_each_name_once_and_maps_positions_back() -> None:
    stmt = Statement("select :a, :bb, :a + 1 from t where x = :bb")
    bound = bind_parameters(stmt, {"a": 1, "bb": "two"})
    assert bound.text == "select $1, $2, $1 + 1 from t where x = $2"
    assert bound.params == [1, "two"]
    where = bound.text.index("x = $2") + 1
    assert bound.original_position(where) == stmt.text.index("x = :bb") + 1


def test_missing_parameter_is_a_clear_error() -> None:
    with pytest.raises(ParameterError, match=r":nope has no value"):
        bind_parameters(Statement("select :nope"), {})


def test_keyword_names_are_parameters() -> None:
    bound = bind_parameters(Statement("select * from t limit :limit"), {"limit": 5})
    assert bound.text.endswith("limit $1") and bound.params == [5]

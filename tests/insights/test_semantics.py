"""Column roles and time grains from what pg_stats knows (pure logic on ColumnInfo)."""

from __future__ import annotations

import pytest

from pgai_magic.insights.model import ColumnInfo
from pgai_magic.insights.semantics import column_role, name_words, time_grain


def _num(
    name: str, lo: float, hi: float, *, type_: str = "integer", nd: float = 50.0, unique: bool = False
) -> ColumnInfo:
    return ColumnInfo(name, type_, "numeric", n_distinct=nd, hist=[lo, float((lo + hi) // 2), hi], unique=unique)


@pytest.mark.parametrize(
    ("col", "role"),
    [
        (_num("month", 1, 12), "calendar"),
        (_num("hour", 0, 23), "calendar"),
        (_num("year", 1952, 2007), "calendar"),
        (_num("month", 1, 40), "measure"),  # named month but not 1..12: not a calendar part
        (_num("sched_dep_time", 106, 2359), "clock"),
        (_num("dep_time", 1, 2400, type_="double precision"), "clock"),
        (_num("flight", 1, 8500), "code"),
        (_num("customer_id", 1, 900), "code"),
        (_num("row_number_pk", 1, 1000, nd=1000, unique=True), "key"),
        (_num("pop", 60000, 1.3e9, type_="bigint", nd=1704, unique=True), "measure"),  # unique, not a key
        (_num("revenue", 0, 900, type_="numeric"), "amount"),
        (_num("unit_price", 1, 90, type_="numeric"), "measure"),
        (_num("lifeExp", 23, 83, type_="double precision"), "measure"),
        (_num("precipitation", 0, 55, type_="double precision"), "amount"),
        (_num("conversion_rate", 0, 1, type_="double precision"), "ratio"),
        (_num("year", 63, 92), "calendar"),  # a year in two digits (1963..1992)
        (_num("year", 1.0, 1.0), "measure"),  # one value in 0..99 is no span of years
        (_num("state", 1, 51, nd=46), "code"),  # an entity's number
        (_num("region", 1, 9, nd=9, type_="double precision"), "code"),
        (_num("households", 1, 9, nd=9), "measure"),  # a count of entities is a quantity
        (ColumnInfo("period", "integer", "numeric", n_distinct=24, hist=[201901, 201907, 202012]), "calendar"),
        (ColumnInfo("period", "integer", "numeric", n_distinct=24, hist=[201901, 201957, 202012]), "measure"),
    ],
)
def test_column_roles(col: ColumnInfo, role: str) -> None:
    assert column_role(col, 1000.0) == role


def test_name_words_split_snake_and_camel_case() -> None:
    assert name_words("sched_dep_time") == ["sched", "dep", "time"]
    assert name_words("Miles_per_Gallon") == ["miles", "per", "gallon"]
    assert name_words("lifeExp") == ["life", "exp"]


@pytest.mark.parametrize(
    ("values", "type_", "grain"),
    [
        (["1970-01-01", "1975-01-01", "1982-01-01"], "date", "year"),
        (["2000-01-01", "2004-08-01", "2010-03-01"], "date", "month"),
        (["2012-01-01", "2013-07-19"], "date", "day"),
        (["2013-01-01 05:00:00+00", "2013-06-01 14:00:00+00"], "timestamp with time zone", None),
    ],
)
def test_time_grain_from_the_values_pg_stats_saw(values: list[str], type_: str, grain: str | None) -> None:
    col = ColumnInfo("t", type_, "time", hist_text=values)
    assert time_grain(col) == grain

"""Shapes of real tables the engine must read right with no options: wide tables, tables that are time series
(every column a series, levels that share a trend), panels with two-digit years and numbered entities.

Small tables built in PostgreSQL with hash-based noise (deterministic, no random seed to drift).
"""

from __future__ import annotations

import re
import zlib

import pandas as pd
import psycopg
import pytest

from pgai_magic.insights import find_insights
from pgai_magic.insights.identities import echo_of, near, near_clusters
from pgai_magic.insights.profile import MAX_TARGETS
from pgai_magic.insights.words import pct

WIDE_COLUMNS = 40  # 780 pairs of measures, each with six sums when both sides may be NULL: beyond 1664 targets


def _noise(seed: str) -> str:
    """Uniform noise in [-0.5, 0.5) from the row number g, one stream per seed."""
    return f"((hashint4(g + {zlib.crc32(seed.encode()) % 100000}) & 65535) / 65536.0 - 0.5)"


@pytest.fixture(scope="module")
def wide(pconn: psycopg.Connection, module_schema: str) -> str:
    table = f"{module_schema}.wide"
    cols = ["round((10 * " + _noise("c0") + ")::numeric, 3)::float8 AS c0"]
    cols.append("round((20 * " + _noise("c0") + " + 0.01 * " + _noise("c1") + ")::numeric, 3)::float8 AS c1")
    cols.append("round((30 * " + _noise("c0") + " + 0.01 * " + _noise("c2") + ")::numeric, 3)::float8 AS c2")
    cols.append("round((10 * " + _noise("c0") + " + 10 * " + _noise("c3") + ")::numeric, 3)::float8 AS c3")
    cols += [f"round((10 * {_noise(f'c{i}')})::numeric, 3)::float8 AS c{i}" for i in range(4, WIDE_COLUMNS)]
    pconn.execute(f"CREATE TABLE {table} AS SELECT {', '.join(cols)} FROM generate_series(1, 300) g")
    pconn.execute(f"ANALYZE {table}")
    return table


def test_a_wide_table_of_nullable_measures_is_analysed(pconn: psycopg.Connection, wide: str) -> None:
    assert WIDE_COLUMNS * (WIDE_COLUMNS - 1) // 2 * 6 > MAX_TARGETS  # the pair sums cannot share one statement
    found = find_insights(pconn, table=wide)
    overview = found["summary"].iloc[0]
    # c1 = 2 × c0, c2 = 3 × c0 (plus a little noise): known only from the pair sums of the extra pass
    assert re.search(r"c0, c1 and c2 are nearly one quantity", overview), overview
    assert not any(set(cols) <= {"c0", "c1", "c2"} for cols in found["columns"] if cols and len(cols) == 2)
    # c3 follows c0 half-way (r ≈ 0.7): with each of the three it is one correlation, said once
    with_c3 = found[(found["kind"] == "correlation") & found["columns"].map(lambda c: "c3" in c)]
    assert len(with_c3) == 1, found["summary"].tolist()
    assert "the same for" in with_c3["summary"].iloc[0], with_c3["summary"].iloc[0]


# 120 months: two levels that both grow with their own noise (their changes are unrelated), a curve growing
# exponentially, and a level that falls; one row per month: a time series
SERIES = """
CREATE TABLE {t} AS
SELECT (DATE '2006-01-01' + make_interval(months => g - 1))::date AS month,
       round((100 + g + 40 * {a})::numeric, 2)::float8 AS level_a,
       round((500 + 3 * g + 120 * {b})::numeric, 2)::float8 AS level_b,
       round((5 * exp(g / 20.0) + {c})::numeric, 2)::float8 AS curve,
       round((900 - 4 * g + 30 * {d})::numeric, 2)::float8 AS falling
FROM generate_series(1, 120) g
"""


@pytest.fixture(scope="module")
def series(pconn: psycopg.Connection, module_schema: str) -> pd.DataFrame:
    table = f"{module_schema}.series"
    pconn.execute(SERIES.format(t=table, a=_noise("a"), b=_noise("b"), c=_noise("c"), d=_noise("d")))
    pconn.execute(f"ANALYZE {table}")
    return find_insights(pconn, table=table)


def test_levels_that_only_share_a_trend_are_no_finding(series: pd.DataFrame) -> None:
    pairs = [set(c) for k, c in zip(series["kind"], series["columns"], strict=True) if k == "correlation"]
    assert {"level_a", "level_b"} not in pairs, series["summary"].tolist()
    overview = series["summary"].iloc[0]
    assert "correlate only through their trends over time" in overview, overview
    assert "level_a and level_b are nearly one quantity" not in overview, overview


def test_every_column_of_a_time_series_is_read_over_time(series: pd.DataFrame) -> None:
    timed = series[series["kind"].isin(["trend", "change_point"])]
    # not only the first (primary) measure: trends of one direction are one card naming the others
    assert "falling" in set(timed["measure"]), series["summary"].tolist()
    assert any("level_b follows a similar pattern" in s for s in timed["summary"]), series["summary"].tolist()
    down = timed[timed["measure"] == "falling"]
    assert (down["direction"] == "down").all(), down["summary"].tolist()


def test_a_trend_quotes_values_the_data_took(series: pd.DataFrame) -> None:
    curve = series[(series["kind"] == "trend") & (series["measure"] == "curve")]
    for summary in curve["summary"]:
        start = float(re.search(r"from about (-?[0-9.,]+)", summary).group(1).replace(",", ""))  # type: ignore[union-attr]
        assert start > 0, summary  # the curve is 5 × e^(g/20) > 5: a line through it starts below zero


# 20 numbered states × 30 years written 60..89: price grows with the year, state 7 smokes twice as much
PANEL = """
CREATE TABLE {t} AS
SELECT s AS state, y AS year, round((20 + 3 * (y - 60) + 4 * {n})::numeric, 1)::float8 AS price,
       round((100 + CASE WHEN s = 7 THEN 100 ELSE 0 END + 10 * {m})::numeric, 1)::float8 AS sales
FROM generate_series(1, 20) s, generate_series(60, 89) y, LATERAL (SELECT s * 100 + y AS g) k
"""


@pytest.fixture(scope="module")
def panel(pconn: psycopg.Connection, module_schema: str) -> pd.DataFrame:
    table = f"{module_schema}.panel"
    pconn.execute(PANEL.format(t=table, n=_noise("n"), m=_noise("m")))
    pconn.execute(f"ANALYZE {table}")
    return find_insights(pconn, table=table)


def test_two_digit_years_and_numbered_states_are_no_measures(panel: pd.DataFrame) -> None:
    overview = panel["summary"].iloc[0]
    assert "calendar parts: year" in overview and "codes and keys: state" in overview, overview
    for row in panel.iloc[1:].itertuples():
        assert row.measure not in ("year", "state"), row.summary
        if row.kind == "correlation":
            assert not {"year", "state"} & set(row.columns), row.summary
    assert not re.search(r"\b(year|state) (total|mean)\b", overview), overview


def test_a_numbered_entity_is_a_dimension(panel: pd.DataFrame) -> None:
    by_state = panel[panel["columns"].map(lambda c: "state" in c and "sales" in c)]
    assert any("'7'" in s for s in by_state["summary"]), panel["summary"].tolist()


def test_a_share_prints_as_all_or_none_only_when_it_is() -> None:
    assert pct(0.9988) == "99.9%" and pct(0.9999994) == "99.9999%"
    assert pct(0.0003) == "0.03%" and pct(0.0) == "0%" and pct(1.0) == "100%" and pct(0.4012) == "40%"


def test_near_identities_group_transitively() -> None:
    pairs = [("radius", "perimeter", 0.998), ("area", "worst_area", 0.96), ("perimeter", "area", 0.987)]
    assert near_clusters(pairs) == [["radius", "perimeter", "area", "worst_area"]]
    wide = {"near": pairs}
    assert near(wide, "radius", "worst_area") == 0.96  # no pair of its own: the weakest link of its group
    assert near(wide, "radius", "texture") is None
    assert echo_of(wide, "radius") is None and echo_of(wide, "worst_area") == "radius"


def test_a_single_row_has_no_constant_columns(pconn: psycopg.Connection, module_schema: str) -> None:
    table = f"{module_schema}.one_row"
    pconn.execute(f"CREATE TABLE {table} AS SELECT 1.5::float8 AS a, 'x'::text AS b, now() AS t")
    pconn.execute(f"ANALYZE {table}")
    found = find_insights(pconn, table=table)
    assert found["kind"].tolist() == ["overview"], found["summary"].tolist()
    assert ": 1 row" in found["summary"].iloc[0], found["summary"].iloc[0]

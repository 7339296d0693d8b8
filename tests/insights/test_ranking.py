"""Ranking by impact × surprise × confidence: what follows from a definition, a share one item explains and a
month-of-year peak one spike makes are not ranked as separate news (pure logic, and one table in PostgreSQL)."""

from __future__ import annotations

import re

import psycopg
import pytest

from pgai_magic.insights import find_insights, scoring
from pgai_magic.insights.identities import defined_by
from pgai_magic.insights.model import Insight


def _contributor(column: str, value: str, share: float, **evidence: object) -> Insight:
    c = Insight(
        "top_contributor",
        f"revenue by {column}",
        f"{column} = '{value}' accounts for {share:.0%} of revenue.",
        impact=share,
        p_value=1e-9,
        columns=(column,),
        measure="revenue",
        focus=(value,),
        evidence={"effect": share, "share": share, "of": "revenue", **evidence},
    )
    c.score = share
    return c


def test_a_group_share_one_item_inside_it_explains_is_folded_into_the_item() -> None:
    product = _contributor("product", "P-7", 0.68, within={"category": "electronics"})
    category = _contributor("category", "electronics", 0.71)
    other = _contributor("region", "west", 0.4)  # the item does not lie in one region: kept
    kept = scoring.fold_nested_contributors([product, category, other])
    assert kept == [product, other]
    assert "category = 'electronics'" in product.summary and "96%" in product.summary
    assert product.score == pytest.approx(0.71) and product.explains == [category.summary]
    # an item making up only a small part of its group's share explains nothing
    small = _contributor("product", "P-1", 0.2, within={"category": "electronics"})
    assert scoring.fold_nested_contributors([small, _contributor("category", "electronics", 0.71)])[0] is small
    assert len(scoring.fold_nested_contributors([small, _contributor("category", "electronics", 0.71)])) == 2


def _month_pattern(march: float) -> Insight:
    ys = [10.0, 10.5, march, 9.8, 10.2, 10.1, 9.9, 10.0, 10.3, 9.7, 10.0, 10.1]
    hi, lo = max(range(12), key=lambda i: ys[i]), min(range(12), key=lambda i: ys[i])
    names = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    return Insight(
        "calendar",
        "revenue by month of year",
        "Revenue by month of year: highest in March.",
        impact=0.2,
        p_value=1e-6,
        measure="revenue",
        focus=(names[hi], names[lo]),
        evidence={"grain": "month", "phases": list(range(1, 13)), "y": ys, "occurrences": [93.0] * 12},
    )


def test_a_month_of_year_peak_that_one_spike_makes_is_folded_into_the_spike() -> None:
    spike = Insight(
        "spike", "revenue", "revenue spikes in 2025-03.", 0.4, 1e-9, measure="revenue", when="2025-03-01",
        direction="up", evidence={"delta": 465.0},
    )  # fmt: skip
    made = _month_pattern(15.0)  # 15 − 465 / 93 = 10.0: not above the other months without the spike
    assert scoring.fold_calendar_into_spikes([spike, made]) == [spike]
    assert "it alone makes Mar the highest month of the year for revenue" in spike.summary
    assert spike.explains == [made.summary]
    seasonal = _month_pattern(25.0)  # a March far above what the spike adds: a real seasonal peak, kept
    assert len(scoring.fold_calendar_into_spikes([spike, seasonal])) == 2
    elsewhere = Insight("spike", "revenue", "x.", 0.4, 1e-9, measure="revenue", when="2025-07-01", direction="up")
    assert len(scoring.fold_calendar_into_spikes([elsewhere, _month_pattern(15.0)])) == 2


def test_surprise_multiplies_the_score() -> None:
    plain = Insight("skew", "a", "a.", 0.5, 1e-9, evidence={"effect": 0.5})
    expected = Insight("skew", "b", "b.", 0.5, 1e-9, evidence={"effect": 0.5, "surprise": 0.5})
    scoring.score([plain, expected], tests=2)
    assert expected.score == pytest.approx(plain.score * 0.5)


def test_defined_by_names_the_identity() -> None:
    wide = {"identities": {"revenue": {"a": "units", "b": "unit_price", "op": "×", "share": 1.0}}}
    assert defined_by(wide, "unit_price", "revenue") == "revenue = units × unit_price in 100.0% of rows"
    assert defined_by(wide, "revenue", "units") is not None
    assert defined_by(wide, "weight", "revenue") is None and defined_by(None, "a", "b") is None


# revenue = units × unit_price row by row (rounded to cents), weight ~ cost by a planted relation, amounts ≥ 0
SALES = """
CREATE TABLE {t} AS
SELECT g AS id, 1 + (hashint4(g) & 7) AS units,
       round((5 + ((hashint4(g + 1) & 65535) / 65536.0) * 95)::numeric, 2) AS unit_price,
       round((((hashint4(g + 2) & 65535) / 65536.0) * 10)::numeric, 3) AS weight_kg,
       TIMESTAMP '2024-01-01' + (g % 300) * interval '1 day' AS sold_at,
       'r' || (g % 4) AS region
FROM generate_series(1, 20000) g
"""


@pytest.fixture(scope="module")
def sales(pconn: psycopg.Connection, module_schema: str) -> tuple[psycopg.Connection, str]:
    name = module_schema
    pconn.execute(SALES.format(t=f"{name}.s"))
    pconn.execute(f"ALTER TABLE {name}.s ADD COLUMN revenue numeric, ADD COLUMN shipping numeric")
    pconn.execute(f"UPDATE {name}.s SET revenue = round(units * unit_price, 2), shipping = 2 * weight_kg + 1")
    pconn.execute(f"ANALYZE {name}.s")
    return pconn, f"{name}.s"


def test_a_measure_computed_from_others_is_stated_once_not_ranked_as_correlations(
    sales: tuple[psycopg.Connection, str],
) -> None:
    conn, table = sales
    found = find_insights(conn, table=table, top=40)
    overview = found[found["kind"] == "overview"]["summary"].iloc[0]
    assert "revenue = units × unit_price (in 100.0% of rows)" in overview, overview
    pairs = [frozenset(c) for c in found[found["kind"] == "correlation"]["columns"]]
    assert frozenset({"unit_price", "revenue"}) not in pairs and frozenset({"units", "revenue"}) not in pairs
    # shipping = 2 × weight_kg + 1 is one quantity, not a product or a sum of two others: stated once, in the overview
    assert frozenset({"weight_kg", "shipping"}) not in pairs, found["summary"].tolist()
    assert re.search(r"(weight_kg and shipping|shipping and weight_kg) are nearly one quantity \(r = 1\.00\)", overview)

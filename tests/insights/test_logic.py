"""Pure logic of the insight engine: complete periods, natural chart order, ANOVA from sums."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pgai_magic.insights.breakdowns import complete_range, cuts
from pgai_magic.insights.model import ColumnInfo
from pgai_magic.insights.render import natural_order
from pgai_magic.insights.rules.calendar import occurrences
from pgai_magic.insights.stats import anova_from_sums, anova_pvalue


def test_complete_range_drops_partial_edge_months_and_keeps_nearly_complete_ones() -> None:
    lo, hi, unit = complete_range("2023-01-15 08:00", "2025-12-09 17:00")  # type: ignore[misc]
    assert (lo, hi, unit) == (pd.Timestamp("2023-02-01"), pd.Timestamp("2025-12-01"), "month")
    lo, hi, unit = complete_range("2013-01-01 05:00", "2013-12-31 23:59")  # type: ignore[misc]
    assert (lo, hi) == (pd.Timestamp("2013-01-01"), pd.Timestamp("2014-01-01"))
    lo, hi, unit = complete_range("2024-03-03 10:00", "2024-03-20 12:00")  # type: ignore[misc]
    assert (lo, hi, unit) == (pd.Timestamp("2024-03-04"), pd.Timestamp("2024-03-20"), "day")
    assert complete_range(None, "2024-01-01") is None


def test_occurrences_count_each_weekday_and_month_day() -> None:
    occ = occurrences("dow", pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-15"))  # two whole weeks
    assert occ == {d: 2.0 for d in range(1, 8)}
    months = occurrences("month", pd.Timestamp("2024-01-01"), pd.Timestamp("2024-03-01"))
    assert months == {1: 31.0, 2: 29.0}


def test_natural_order_of_chart_labels() -> None:
    months = ["March", "January", "February"]
    assert [months[i] for i in natural_order(months)] == ["January", "February", "March"]
    hours = ["20h", "5h", "13h"]
    assert [hours[i] for i in natural_order(hours)] == ["5h", "13h", "20h"]
    dates = ["2024-03-01", "2024-01-01"]
    assert [dates[i] for i in natural_order(dates)] == ["2024-01-01", "2024-03-01"]
    names = ["west", "east", "north"]
    assert natural_order(names) == [0, 1, 2]  # no natural order: as given (ranked)


def test_anova_from_sums_matches_the_raw_anova() -> None:
    rng = np.random.default_rng(3)
    groups = [rng.normal(mu, 1.0, n) for mu, n in ((0.0, 50), (0.3, 80), (0.8, 40))]
    center = 0.25
    n = np.array([len(g) for g in groups], dtype=float)
    s = np.array([(g - center).sum() for g in groups])
    q = np.array([((g - center) ** 2).sum() for g in groups])
    p_sums, eta_sums = anova_from_sums(n, s, q)
    p_raw, eta_raw = anova_pvalue(groups)
    assert p_sums == pytest.approx(p_raw, rel=1e-6) and eta_sums == pytest.approx(eta_raw, rel=1e-9)
    assert anova_from_sums(np.array([5.0]), np.array([1.0]), np.array([2.0])) == (1.0, 0.0)


def test_driver_bins_split_a_dominant_value_from_the_rest() -> None:
    rain = ColumnInfo("precip", "double precision", "numeric", mcv=["0"], mcf=[0.9], hist=[0.01, 0.1, 0.5, 1.2])
    bounds = cuts(rain)
    assert len(bounds) == 2 and bounds[0] < 0 < bounds[1] + 1e-12 and bounds[1] == 0.0
    small = ColumnInfo("items", "integer", "numeric", mcv=["1", "2", "3"], mcf=[0.4, 0.35, 0.25])
    assert cuts(small) == [1.0, 2.0]

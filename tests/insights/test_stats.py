"""Unit tests of the insight engine's pure parts: statistics, ranking, rules over hand-made frames, words."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pgai_magic.insights import scoring, stats
from pgai_magic.insights.model import COUNT, TIME, ColumnInfo, Frames, Insight, Measure, Profile
from pgai_magic.insights.rules import run_rules
from pgai_magic.insights.words import num, period, pval


def test_bh_qvalues_match_the_textbook_procedure() -> None:
    p = [0.01, 0.04, 0.03, 0.005]
    q = stats.bh_qvalues(p)
    # sorted: 0.005, 0.01, 0.03, 0.04 -> 0.02, 0.02, 0.04, 0.04 (monotone from the top)
    assert q.tolist() == pytest.approx([0.02, 0.04, 0.04, 0.02])
    # tests that were run but not reported count too (as p = 1): more hypotheses, larger q
    assert stats.bh_qvalues(p, extra_tests=4).tolist() == pytest.approx([0.04, 0.08, 0.08, 0.04])


def test_corr_pvalue_grows_with_weaker_r_and_fewer_rows() -> None:
    assert stats.corr_pvalue(0.9, 1000) < 1e-100
    assert stats.corr_pvalue(0.1, 30) > 0.5
    assert stats.corr_pvalue(0.3, 30) > stats.corr_pvalue(0.3, 300)


def test_fit_step_finds_the_level_shift_and_the_line_the_trend() -> None:
    rng = np.random.default_rng(1)
    step = np.r_[np.full(18, 100.0), np.full(18, 40.0)] + rng.normal(0, 3, 36)
    fit = stats.fit_step(step)
    assert fit is not None and fit.index == 18 and fit.pvalue < 1e-10
    assert fit.before == pytest.approx(100, abs=3) and fit.after == pytest.approx(40, abs=3)
    line = stats.fit_line(10 + 2.0 * np.arange(36) + rng.normal(0, 1, 36))
    assert line.slope == pytest.approx(2.0, abs=0.1) and line.r2 > 0.95 and line.pvalue < 1e-10
    flat = stats.fit_line(rng.normal(0, 1, 36))
    assert flat.pvalue > 0.01


def test_powerlaw_top_flags_an_outstanding_first_value_only() -> None:
    decay = [1000.0 / (i + 1) ** 0.8 for i in range(30)]
    assert stats.powerlaw_top_pvalue(decay) > 0.05
    outstanding = [50_000.0, *decay[1:]]
    assert stats.powerlaw_top_pvalue(outstanding) < 1e-6
    assert stats.powerlaw_top_pvalue([3.0, 2.0, 1.0]) is None


def test_anova_and_chi2() -> None:
    rng = np.random.default_rng(2)
    p, eta2 = stats.anova_pvalue([rng.normal(m, 1, 20) for m in (0, 0, 5)])
    assert p < 1e-10 and eta2 > 0.7
    assert stats.chi2_pvalue(np.array([[50, 50], [50, 50]])) == pytest.approx(1.0)
    assert stats.chi2_pvalue(np.array([[90, 10], [10, 90]])) < 1e-10


def _insight(kind: str, impact: float, p: float | None = None, **kw: object) -> Insight:
    return Insight(kind, kw.pop("subject", kind), f"{kind}.", impact, p, **kw)  # type: ignore[arg-type]


def test_score_is_impact_times_significance_and_drops_what_bh_rejects() -> None:
    strong = _insight("trend", 0.5, 1e-8)
    weak = _insight("trend", 0.9, 0.04)  # significant alone, not after correcting for 100 tests
    fact = _insight("missing", 0.4)
    kept = scoring.score([strong, weak, fact], tests=100)
    assert strong in kept and fact in kept and weak not in kept
    assert strong.score == pytest.approx(0.5 * (1 - strong.q_value))  # type: ignore[operator]
    assert fact.score == pytest.approx(0.4) and fact.q_value is None


def test_merge_keeps_the_most_specific_spike_and_explains_the_overall_one() -> None:
    overall = _insight(
        "spike",
        0.4,
        1e-9,
        when="2025-03-01",
        direction="up",
        measure="revenue",
        evidence={"effect": 0.4, "delta": 100.0},
    )
    west = _insight(
        "spike",
        0.3,
        1e-9,
        when="2025-03-01",
        direction="up",
        measure="revenue",
        filters={"region": "west"},
        evidence={"effect": 0.75, "delta": 95.0},
    )
    other = _insight(
        "spike",
        0.1,
        1e-4,
        when="2025-03-01",
        direction="up",
        measure="revenue",
        filters={"category": "home"},
        evidence={"effect": 0.5, "delta": 20.0},
    )
    for c in (overall, west, other):
        c.score = c.impact
    merged = scoring.merge_events([overall, west, other])
    assert merged == [west]
    assert west.score == pytest.approx(0.4) and "95% of the overall change" in west.summary


def test_select_discounts_repeated_kinds_and_topics() -> None:
    a, b = _insight("skew", 0.5, columns=("x",)), _insight("skew", 0.45, columns=("y",))
    c = _insight("missing", 0.4, columns=("z",))
    for i in (a, b, c):
        i.score = i.impact
    chosen = scoring.select([a, b, c], top=3)
    assert [i.subject for i in chosen] == ["skew", "missing", "skew"]
    assert chosen[2].score == pytest.approx(0.45 * scoring.SAME_KIND_DECAY)
    assert [i.score for i in chosen] == sorted((i.score for i in chosen), reverse=True)


def _frames_with_series(values: list[float], filters: dict[str, str] | None = None) -> Frames:
    """Hand-made cube output: monthly rows of one dimension value, as profile_scan returns them."""
    months = pd.date_range("2023-01-01", periods=len(values), freq="MS")
    col = ColumnInfo("region", "text", "text", n_distinct=2)
    prof = Profile("t", [col, ColumnInfo("d", "date", "time")], 2000.0, time="d", bucket="month", dims=["region"])
    by_t = pd.DataFrame({"region": "west", TIME: months, COUNT: values})
    other = by_t.assign(region="east", n=100.0)
    both = pd.concat([by_t, other])
    frames = Frames(prof)
    frames.sets = {
        (): pd.DataFrame({COUNT: [both[COUNT].sum()]}),
        ("region",): both.groupby("region", as_index=False)[COUNT].sum(),
        (TIME,): both.groupby(TIME, as_index=False)[COUNT].sum(),
        ("region", TIME): both,
    }
    return frames


def test_time_rules_find_a_spike_in_a_subspace_and_a_drop() -> None:
    rng = np.random.default_rng(3)
    base = 100 + rng.normal(0, 3, 36)
    spiky = base.copy()
    spiky[26] *= 4
    found, tests = run_rules(_frames_with_series(spiky.tolist()), kinds=["spike"])
    hits = [i for i in found if i.filters == {"region": "west"}]
    assert tests > 0 and hits and hits[0].when == "2025-03-01" and hits[0].direction == "up"
    dropped = np.r_[base[:18], base[18:] * 0.35]
    found, _ = run_rules(_frames_with_series(dropped.tolist()), kinds=["change_point", "trend"])
    kinds = {(i.kind, i.when) for i in found if i.filters == {"region": "west"}}
    assert ("change_point", "2024-07-01") in kinds and not any(k == "trend" for k, _ in kinds)


def test_measure_quantiles_from_pg_stats() -> None:
    col = ColumnInfo("x", "integer", "numeric", mcv=["1", "2"], mcf=[0.3, 0.2], hist=[3, 4, 5, 6, 7])
    assert col.quantile(0.1) == 1.0
    assert col.quantile(0.4) == 2.0
    assert 3 <= col.quantile(0.9) <= 7  # type: ignore[operator]
    prof = Profile("t", [col], 10.0, measures=[Measure("x", "sum")])
    assert prof.measure("x").agg == "sum"


def test_words() -> None:
    assert num(1_234_567) == "1.23M" and num(42.0) == "42" and num(12_345) == "12.3k" and num(0.5) == "0.5"
    assert pval(1e-12) == "p < 1e-10" and pval(0.0123) == "p = 0.012" and pval(None) == ""
    assert period(pd.Timestamp("2025-03-01"), "month") == "2025-03"
    assert period(pd.Timestamp("2025-04-01"), "quarter") == "2025-Q2"

"""KS and chi-square drift tests: the statistics computed from SQL aggregates, and p-values equal to scipy's
ks_2samp (exact and asymptotic, as scipy chooses) and chi2_contingency to 1e-9, on data with ties, NULLs, NaN,
integer columns, unseen categories and two-category features (Yates' correction)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import chi2_contingency, ks_2samp
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder
from sklearn.tree import DecisionTreeClassifier

from pgai_magic.inference.drift import chi2_test, ks_test
from pgai_magic.session import Session

TOL = 1e-9


def _d_and_counts(a: np.ndarray, b: np.ndarray) -> tuple[float, int, int]:
    """scipy's D and the cumulative counts where it is reached (what the SQL returns)."""
    a, b = np.sort(a), np.sort(b)
    both = np.concatenate([a, b])
    c1, c2 = np.searchsorted(a, both, side="right"), np.searchsorted(b, both, side="right")
    diffs = c1 / len(a) - c2 / len(b)
    hi, lo = int(np.argmax(diffs)), int(np.argmin(diffs))
    max_s, min_s = diffs[hi], np.clip(-diffs[lo], 0, 1)
    at = lo if min_s > max_s else hi
    return float(min_s if min_s > max_s else max_s), int(c1[at]), int(c2[at])


@pytest.mark.filterwarnings("ignore:ks_2samp. Exact calculation unsuccessful")  # scipy's own fallback
@settings(max_examples=200, deadline=None)
@given(
    a=st.lists(st.integers(-30, 30), min_size=1, max_size=60),
    b=st.lists(st.integers(-30, 30), min_size=1, max_size=60),
    scale=st.sampled_from([1.0, 0.1, 1e6]),
)
def test_ks_test_equals_scipy_from_the_statistic_and_sizes(a: list[int], b: list[int], scale: float) -> None:
    x, y = np.asarray(a, float) * scale, np.asarray(b, float) * scale
    d, s1, s2 = _d_and_counts(x, y)
    expected = ks_2samp(x, y)
    assert abs(d - float(expected.statistic)) <= TOL
    assert ks_test(d, len(x), len(y), s1, s2) == (float(expected.statistic), float(expected.pvalue))


def test_ks_test_takes_scipys_asymptotic_path_for_large_samples() -> None:
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=12_000).round(2), rng.normal(0.05, size=15_000).round(2)  # > 10,000: asymptotic
    d, s1, s2 = _d_and_counts(x, y)
    expected = ks_2samp(x, y)
    assert ks_test(d, len(x), len(y), s1, s2) == (float(expected.statistic), float(expected.pvalue))


def test_chi2_test_is_chi2_contingency_and_says_nan_for_an_empty_side() -> None:
    table = np.array([[30, 12, 0], [25, 30, 7]])
    expected = chi2_contingency(table)
    statistic, p = chi2_test(table[0], table[1])
    assert (statistic, p) == (float(expected.statistic), float(expected.pvalue))
    two = np.array([[40, 10], [30, 25]])  # 2 x 2: scipy applies Yates' correction
    assert chi2_test(two[0], two[1])[1] == float(chi2_contingency(two).pvalue)
    assert all(np.isnan(v) for v in chi2_test([3, 4], [0, 0]))


def _frame(n: int, seed: int, shift: float) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    spend = np.round(rng.gamma(2.0, 20 + 10 * shift, n), 1)  # rounded: many ties
    spend[rng.random(n) < 0.05] = np.nan
    visits = rng.poisson(3 + 2 * shift, n).astype(float)
    plans = ["basic", "plus", "pro"] + (["enterprise"] if shift else [])  # a category training never saw
    plan = rng.choice(plans, n).astype(object)
    plan[rng.random(n) < 0.03] = None
    promo = rng.random(n) < 0.4 + 0.2 * shift
    churned = rng.random(n) < 0.3
    return pd.DataFrame({"spend": spend, "visits": visits, "plan": plan, "promo": promo, "churned": churned})


def _deploy(session: Session, name: str, data: pd.DataFrame) -> None:
    fill = SimpleImputer(strategy="constant", fill_value="?")
    categories = make_pipeline(fill, OneHotEncoder(handle_unknown="ignore"))
    prep = ColumnTransformer([
        ("num", SimpleImputer(strategy="median"), ["spend", "visits"]),
        ("cat", categories, ["plan"]),
        ("flag", "passthrough", ["promo"]),
    ])  # fmt: skip
    model = Pipeline([("prep", prep), ("tree", DecisionTreeClassifier(max_depth=3, random_state=0))])
    X = data[["spend", "visits", "plan", "promo"]]
    model.fit(X, data["churned"])
    session.deploy(model, name, data=data, target="churned")


@pytest.mark.parametrize(("n_train", "n_now"), [(900, 700), (11_000, 10_500)], ids=["exact", "asymptotic"])
def test_monitor_shows_ks_and_chi2_equal_to_scipy(
    session: Session, schema: str, model_name: str, n_train: int, n_now: int
) -> None:
    train, now = _frame(n_train, 1, 0.0), _frame(n_now, 2, 0.4)
    _deploy(session, model_name, train)
    session.persist(now.assign(visits=now["visits"].astype("int64")), "now_rows", schema=schema)  # integers in SQL
    report = session.models.monitor(model_name, f"SELECT *, churned AS actual FROM {schema}.now_rows", record=False)
    tests = report.drift.set_index("feature")
    for feature in ("spend", "visits"):
        a, b = train[feature].dropna().to_numpy(), now[feature].dropna().to_numpy()
        expected = ks_2samp(a, b)
        assert tests.loc[feature, "test"] == "KS"
        assert abs(tests.loc[feature, "statistic"] - float(expected.statistic)) <= TOL
        assert abs(tests.loc[feature, "p_value"] - float(expected.pvalue)) <= TOL
    for feature in ("plan", "promo"):
        both = pd.concat([train[feature].dropna().astype(str).str.lower().to_frame().assign(side=0),
                          now[feature].dropna().astype(str).str.lower().to_frame().assign(side=1)])  # fmt: skip
        expected = chi2_contingency(pd.crosstab(both["side"], both[feature]).to_numpy())
        assert tests.loc[feature, "test"] == "chi2"
        assert abs(tests.loc[feature, "statistic"] - float(expected.statistic)) <= TOL
        assert abs(tests.loc[feature, "p_value"] - float(expected.pvalue)) <= TOL
    assert "smallest p:" in report.summary()
    lines = {line.split()[0]: line for line in report.feature_lines()}
    assert "PSI" in lines["spend"] and "KS" in lines["spend"] and "p = " in lines["spend"]
    assert "chi2" in lines["plan"]

"""Missing values: NULL and float8 'NaN' both mean "missing"; every compiled estimator follows scikit-learn's rule."""

from __future__ import annotations

import numpy as np
import pandas as pd
import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.impute import SimpleImputer
from sklearn.linear_model import ElasticNet, Lasso, LinearRegression, LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import (
    KBinsDiscretizer,
    MaxAbsScaler,
    MinMaxScaler,
    OneHotEncoder,
    OrdinalEncoder,
    RobustScaler,
    StandardScaler,
)
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor, ExtraTreeClassifier, ExtraTreeRegressor

from tests.inference.helpers import check_model, sql_scores

PROPERTY = settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
MISSING = st.sampled_from(["null", "nan", "mixed"])

# name -> (factory, accepts NaN in training)
REGRESSORS = {
    "ols": (LinearRegression, False), "ridge": (lambda: Ridge(alpha=0.5), False),
    "lasso": (lambda: Lasso(alpha=0.05), False), "enet": (lambda: ElasticNet(alpha=0.1), False),
    "dt": (lambda: DecisionTreeRegressor(max_depth=4, random_state=0), True),
    "et1": (lambda: ExtraTreeRegressor(max_depth=4, random_state=0), True),
    "rf": (lambda: RandomForestRegressor(n_estimators=3, max_depth=4, random_state=0), True),
    "et": (lambda: ExtraTreesRegressor(n_estimators=3, max_depth=4, random_state=0), True),
    "gb": (lambda: GradientBoostingRegressor(n_estimators=4, max_depth=2, random_state=0), False),
    "hgb": (lambda: HistGradientBoostingRegressor(max_iter=6, max_leaf_nodes=7, random_state=0), True),
}  # fmt: skip
CLASSIFIERS = {
    "logistic": (lambda: LogisticRegression(max_iter=500), False),
    "dt": (lambda: DecisionTreeClassifier(max_depth=4, random_state=0), True),
    "et1": (lambda: ExtraTreeClassifier(max_depth=4, random_state=0), True),
    "rf": (lambda: RandomForestClassifier(n_estimators=3, max_depth=4, random_state=0), True),
    "et": (lambda: ExtraTreesClassifier(n_estimators=3, max_depth=4, random_state=0), True),
    "gb": (lambda: GradientBoostingClassifier(n_estimators=4, max_depth=2, random_state=0), False),
    "hgb": (lambda: HistGradientBoostingClassifier(max_iter=6, max_leaf_nodes=7, random_state=0), True),
}  # fmt: skip


def _frame(seed: int, n: int, k: int, nan_rate: float) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(np.round(rng.normal(size=(n, k)) * 3, 1), columns=[f"f{i}" for i in range(k)])
    if nan_rate:
        X = X.mask(rng.random(size=X.shape) < nan_rate)
    return X


def _test_rows(X: pd.DataFrame, seed: int) -> pd.DataFrame:
    """The training rows, fresh rows with missing values in every column, and rows missing everywhere."""
    fresh = _frame(seed + 1, 40, X.shape[1], 0.3)
    empty = pd.DataFrame(np.nan, index=range(2), columns=X.columns)
    return pd.concat([X, fresh, empty], ignore_index=True)


@given(st.integers(0, 10_000), st.sampled_from(sorted(REGRESSORS)), st.integers(1, 4), MISSING, st.booleans())
@PROPERTY
def test_regressors_follow_sklearn_on_missing_values(
    conn: psycopg.Connection, schema: str, seed: int, kind: str, k: int, missing: str, train_nan: bool
) -> None:
    factory, accepts = REGRESSORS[kind]
    X = _frame(seed, 80, k, 0.15 if train_nan and accepts else 0.0)  # trees learn a missing route, or not
    y = X["f0"].fillna(-5).to_numpy() * 2 + np.arange(len(X)) % 3
    est = factory().fit(X, y)
    result = check_model(conn, schema, est, _test_rows(X, seed), missing)
    assert (result["refused"] > 0) == (not accepts)  # the rest: NULL exactly where sklearn raises


@given(st.integers(0, 10_000), st.sampled_from(sorted(CLASSIFIERS)), st.sampled_from([2, 3]), MISSING, st.booleans())
@PROPERTY
def test_classifiers_follow_sklearn_on_missing_values(
    conn: psycopg.Connection, schema: str, seed: int, kind: str, n_classes: int, missing: str, train_nan: bool
) -> None:
    factory, accepts = CLASSIFIERS[kind]
    X = _frame(seed, 90, 3, 0.15 if train_nan and accepts else 0.0)
    y = np.array(["a", "b", "c"])[((X["f0"].fillna(9) > 0).to_numpy() + np.arange(len(X)) % 2) % n_classes]
    est = factory().fit(X, y)
    result = check_model(conn, schema, est, _test_rows(X, seed), missing)
    assert (result["refused"] > 0) == (not accepts)


@given(
    st.integers(0, 10_000),
    st.sampled_from(["impute_mean", "impute_marker", "standard", "minmax", "maxabs", "robust", "kbins", "kbins_hot"]),
    st.sampled_from(["ridge", "dt", "hgb"]),
    MISSING,
)
@PROPERTY
def test_preprocessing_follows_sklearn_on_missing_values(
    conn: psycopg.Connection, schema: str, seed: int, step: str, final: str, missing: str
) -> None:
    X = _frame(seed, 100, 3, 0.0)
    if step == "impute_marker":
        X.iloc[::4, 0] = -1.0  # the imputer's own marker; NaN is then refused by sklearn
    prep = {
        "impute_mean": SimpleImputer(), "impute_marker": SimpleImputer(missing_values=-1.0, strategy="median"),
        "standard": StandardScaler(), "minmax": MinMaxScaler(clip=seed % 2 == 0), "maxabs": MaxAbsScaler(),
        "robust": RobustScaler(quantile_range=(10.0, 80.0)),
        "kbins": KBinsDiscretizer(n_bins=4, encode="ordinal", quantile_method="averaged_inverted_cdf"),
        "kbins_hot": KBinsDiscretizer(n_bins=3, encode="onehot-dense", strategy="uniform"),
    }[step]  # fmt: skip
    model = {"ridge": Ridge(), "dt": DecisionTreeRegressor(max_depth=4, random_state=0),
             "hgb": HistGradientBoostingRegressor(max_iter=5, random_state=0)}[final]  # fmt: skip
    est = make_pipeline(prep, model).fit(X, X["f1"].to_numpy() + (X["f0"] > 0).to_numpy())
    test = _test_rows(X, seed)
    test.iloc[::9, 0] = -1.0
    result = check_model(conn, schema, est, test, missing)
    nan_passes = step in ("standard", "minmax", "maxabs", "robust") and final != "ridge"
    assert (result["refused"] == 0) == (step == "impute_mean" or nan_passes)


@pytest.mark.slow
@given(st.integers(0, 10_000), st.sampled_from(["onehot", "ordinal"]), st.sampled_from(["ignore", "error"]))
@PROPERTY
def test_encoders_with_unknown_and_missing_categories(
    conn: psycopg.Connection, schema: str, seed: int, encoder: str, unknown: str
) -> None:
    rng = np.random.default_rng(seed)
    n = 90
    codes = rng.choice(["lo", "mid", "hi"], size=n).astype(object)
    X = pd.DataFrame({"c": codes, "x": np.round(rng.normal(size=n), 1)})
    y = (X["c"] == "hi").to_numpy() * 2.0 + X["x"].to_numpy()
    if encoder == "onehot":
        enc = OneHotEncoder(handle_unknown=unknown)
    else:
        enc = (
            OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1)
            if unknown == "ignore"
            else OrdinalEncoder()
        )
    prep = ColumnTransformer([("c", enc, ["c"])], remainder="passthrough")
    est = make_pipeline(prep, DecisionTreeRegressor(max_depth=4, random_state=0)).fit(X, y)
    test = X.copy()
    test.loc[test.index[:5], "c"] = "never-seen"
    test.loc[test.index[5:9], "c"] = None  # missing: never seen in training either
    test.loc[test.index[9:12], "x"] = np.nan
    result = check_model(conn, schema, est, test, "mixed", probe_all=True)
    assert (result["refused"] >= 9) == (unknown == "error")


def test_nan_and_null_take_the_same_branch(conn: psycopg.Connection, schema: str) -> None:
    """The reported case: a float8 NaN used to take the `>` branch (PostgreSQL orders NaN above every number)."""
    X = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0, np.nan, 5.0] * 10})
    y = np.array([0, 0, 1, 1, 0, 1] * 10)
    tree = DecisionTreeClassifier(random_state=0).fit(X, y)
    row = pd.DataFrame({"a": [np.nan]})
    expected = int(tree.predict(row)[0])
    for missing in ("null", "nan"):
        labels, proba, _ = sql_scores(conn, schema, tree, row, missing)
        assert labels == [expected] and proba == [tree.predict_proba(row)[0, 1]]
    plain = LinearRegression().fit(X.fillna(0), y)
    for missing in ("null", "nan"):
        labels, _, _ = sql_scores(conn, schema, plain, row, missing)
        assert labels == [None]  # sklearn raises on NaN: documented as NULL


def test_unknown_category_encoded_as_nan_follows_the_final_estimator(conn: psycopg.Connection, schema: str) -> None:
    """OrdinalEncoder(unknown_value=NaN): trees that take NaN route it; GradientBoosting refuses it (NULL)."""
    rng = np.random.default_rng(4)
    X = pd.DataFrame({"c": rng.choice(["a", "b", "c"], size=120).astype(object), "x": rng.normal(size=120)})
    y = ((X["c"] == "b") | (X["x"] > 0.5)).astype(int)
    enc = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=np.nan)
    test = X.copy()
    test.loc[test.index[:6], "c"] = "zzz"
    for model, refused in (
        (DecisionTreeClassifier(max_depth=3, random_state=0), 0),
        (GradientBoostingClassifier(n_estimators=3), 6),
    ):
        est = make_pipeline(ColumnTransformer([("c", enc, ["c"])], remainder="passthrough"), model).fit(X, y)
        assert check_model(conn, schema, est, test, probe_all=True)["refused"] == refused

"""HistGradientBoosting compiled to SQL: exact to 1e-9 against scikit-learn, with missing values and categories."""

from __future__ import annotations

import numpy as np
import pandas as pd
import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

from pgai_magic.errors import ModelError
from pgai_magic.inference import compile_model
from tests.inference.helpers import check_model

PROPERTY = settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)


def _frame(rng: np.random.Generator, n: int, k: int, nan_rate: float, categories: bool) -> pd.DataFrame:
    X = pd.DataFrame(rng.normal(size=(n, k)) * 10, columns=[f"f{i}" for i in range(k)])
    if nan_rate:
        X = X.mask(rng.random(size=X.shape) < nan_rate)
    if categories:
        values = rng.choice(["north", "south", "east", "west", "o'hare"], size=n).astype(object)
        values[rng.random(size=n) < nan_rate] = None
        X.insert(1, "region", pd.Categorical(values))
    return X


def _signal(X: pd.DataFrame) -> np.ndarray:
    base = np.nan_to_num(X["f0"].to_numpy(dtype=float), nan=15.0)
    if "region" in X.columns:
        base = base + X["region"].isin(["north", "o'hare"]).to_numpy() * 12.0
    return base


@given(
    st.integers(0, 10_000),
    st.sampled_from([2, 3, 4]),
    st.sampled_from([0.0, 0.2]),
    st.booleans(),
    st.sampled_from(["null", "nan", "mixed"]),
)
@PROPERTY
def test_classifier_matches(
    conn: psycopg.Connection, schema: str, seed: int, n_classes: int, nan_rate: float, categories: bool, missing: str
) -> None:
    rng = np.random.default_rng(seed)
    X = _frame(rng, 160, 3, nan_rate, categories)
    codes = (np.digitize(_signal(X), [-5.0, 5.0, 14.0]) + rng.integers(0, 2, len(X))) % n_classes
    y = np.array(["low", "mid", "high", "top"])[codes] if seed % 2 else codes * 10
    est = HistGradientBoostingClassifier(max_iter=8, max_leaf_nodes=9, learning_rate=0.3, random_state=seed).fit(X, y)
    test = pd.concat([X, _frame(rng, 40, 3, 0.3, categories)], ignore_index=True)
    if categories:
        test["region"] = test["region"].cat.add_categories(["atlantis"])
        test.loc[test.index[:3], "region"] = "atlantis"  # unknown: sklearn routes it as missing
    result = check_model(conn, schema, est, test, missing)
    assert result["refused"] == 0
    assert dict(result["compiled"].features).get("region", "text") == "text"


@given(
    st.integers(0, 10_000),
    st.sampled_from(["squared_error", "absolute_error", "poisson", "quantile"]),
    st.sampled_from([0.0, 0.25]),
    st.booleans(),
)
@PROPERTY
def test_regressor_matches(
    conn: psycopg.Connection, schema: str, seed: int, loss: str, nan_rate: float, categories: bool
) -> None:
    rng = np.random.default_rng(seed)
    X = _frame(rng, 150, 2, nan_rate, categories)
    y = _signal(X) + rng.normal(size=len(X))
    if loss == "poisson":
        y = np.abs(y) / 4.0
    extra = {"quantile": 0.8} if loss == "quantile" else {}
    est = HistGradientBoostingRegressor(loss=loss, max_iter=10, max_depth=4, random_state=seed, **extra).fit(X, y)
    test = pd.concat([X, _frame(rng, 40, 2, 0.3, categories)], ignore_index=True)
    check_model(conn, schema, est, test, "mixed")


def test_numeric_categorical_mask_and_many_iterations(conn: psycopg.Connection, schema: str) -> None:
    rng = np.random.default_rng(7)
    n = 400
    X = pd.DataFrame({"code": rng.integers(0, 12, n).astype(float), "x": rng.normal(size=n)})
    X.loc[X.index[::10], "code"] = np.nan
    y = np.isin(X["code"], [1, 4, 7, 10]).astype(int) + (X["x"] > 0.5)
    est = HistGradientBoostingClassifier(categorical_features=[0], max_iter=25, random_state=0).fit(X, y)
    test = pd.concat([X, pd.DataFrame({"code": [99.0, -3.0, 2.5], "x": [0.0, 1.0, 2.0]})], ignore_index=True)
    result = check_model(conn, schema, est, test, "nan")
    assert result["compiled"].features == [("code", "float8"), ("x", "float8")]


def test_unsupported_loss_is_named() -> None:
    X = np.random.default_rng(0).normal(size=(60, 2))
    est = HistGradientBoostingRegressor(loss="gamma", max_iter=3).fit(X, np.exp(X[:, 0]))
    assert compile_model(est).predict_sql.startswith("exp(")
    est.loss = "other"
    est._loss = object()
    with pytest.raises(ModelError, match="object loss"):
        compile_model(est)

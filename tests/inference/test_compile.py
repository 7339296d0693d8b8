"""scikit-learn → SQL: property tests that SQL and sklearn agree exactly, on random data and random models."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.impute import SimpleImputer
from sklearn.linear_model import ElasticNet, Lasso, LinearRegression, LogisticRegression, Ridge
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import MinMaxScaler, OneHotEncoder, StandardScaler
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from pgai_magic.errors import ModelError
from pgai_magic.inference import compile_model
from pgai_magic.inference.sqlexpr import le32_split, le32_splits
from tests.inference.helpers import check_model, sql_scores

PROPERTY = settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
CATS = ["red", "green", "blue", "it's", "grün"]


def _numeric_frame(rng: np.random.Generator, n: int, k: int, scale: float, ties: bool) -> pd.DataFrame:
    X = rng.normal(size=(n, k)) * scale
    if ties:
        X = np.round(X, 1)  # many equal values: thresholds fall between float32 neighbours
    return pd.DataFrame(X, columns=[f"f{i}" for i in range(k)])


def _boundary_rows(est_trees: list, X: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Rows sitting exactly on, and one float8 step around, the float32 rounding boundary of thresholds."""
    rows = []
    for tree in est_trees[:3]:
        t = tree.tree_
        for node in np.flatnonzero((t.children_left != -1) & np.isfinite(t.threshold))[:6]:
            _, bound = le32_split(float(t.threshold[node]))
            for value in (bound, math.nextafter(bound, math.inf), math.nextafter(bound, -math.inf), t.threshold[node]):
                row = X.iloc[int(rng.integers(len(X)))].copy()
                row.iloc[int(t.feature[node])] = value
                rows.append(row)
    return pd.DataFrame(rows, columns=X.columns) if rows else X.iloc[:0]


@st.composite
def data_params(draw: st.DrawFn) -> dict:
    return {
        "seed": draw(st.integers(0, 2**31 - 1)),
        "n": draw(st.integers(40, 160)),
        "k": draw(st.integers(1, 5)),
        "scale": draw(st.sampled_from([1.0, 10.0, 1000.0])),
        "ties": draw(st.booleans()),
    }


# -- float32 threshold mapping (pure) -----------------------------------------------
@given(st.floats(allow_nan=False, allow_infinity=False, width=64), st.floats(allow_nan=False, width=64))
@settings(max_examples=400, deadline=None)
def test_le32_split_matches_float32_comparison(threshold: float, x: float) -> None:
    op, bound = le32_split(threshold)
    with np.errstate(over="ignore"):
        expected = float(np.float32(x)) <= threshold
    got = x <= bound if op == "<=" else x < bound
    assert got == expected


@given(st.floats(allow_nan=False, allow_infinity=False, width=32))
@settings(max_examples=200, deadline=None)
def test_le32_split_around_float32_values(value: float) -> None:
    f = np.float32(value)
    with np.errstate(over="ignore"):
        upper = float(np.nextafter(f, np.float32(np.inf)))
    for threshold in (float(f), upper / 2 + float(f) / 2):
        op, bound = le32_split(threshold)
        for x in (bound, math.nextafter(bound, math.inf), math.nextafter(bound, -math.inf)):
            with np.errstate(over="ignore"):
                expected = float(np.float32(x)) <= threshold
            assert (x <= bound if op == "<=" else x < bound) == expected


@given(st.lists(st.floats(allow_nan=False, width=64), min_size=1, max_size=40))
@settings(max_examples=200, deadline=None)
def test_le32_splits_is_le32_split_for_a_whole_array(thresholds: list[float]) -> None:
    edges = [np.inf, -np.inf, 3.4028234663852886e38, 3.5e38, -3.5e38, 0.0, -0.0, 1e-46]
    values = np.array(thresholds + edges)
    le, bounds = le32_splits(values)
    for t, is_le, bound in zip(values, le, bounds):
        assert le32_split(float(t)) == ("<=" if is_le else "<", float(bound))


# -- linear models -------------------------------------------------------------------
@given(data_params(), st.sampled_from(["ols", "ridge", "lasso", "enet"]), st.sampled_from(["none", "std", "minmax"]))
@PROPERTY
def test_linear_regressors_match(conn: psycopg.Connection, schema: str, params: dict, kind: str, scaler: str) -> None:
    rng = np.random.default_rng(params["seed"])
    X = _numeric_frame(rng, params["n"], params["k"], min(params["scale"], 100.0), params["ties"])
    y = X.to_numpy() @ rng.normal(size=params["k"]) + rng.normal(size=params["n"])
    model = {
        "ols": LinearRegression(),
        "ridge": Ridge(alpha=0.5),
        "lasso": Lasso(alpha=0.05),
        "enet": ElasticNet(alpha=0.1),
    }[kind]
    steps = {"none": [], "std": [StandardScaler()], "minmax": [MinMaxScaler(clip=bool(params["seed"] % 2))]}[scaler]
    est = make_pipeline(*steps, model).fit(X, y)
    test = pd.concat([X, _numeric_frame(rng, 30, params["k"], 100.0, False)], ignore_index=True)
    test.iloc[::7, 0] = np.nan  # NULL propagates: sklearn refuses NaN here
    result = check_model(conn, schema, est, test)
    assert result["refused"] > 0


@given(
    data_params(),
    st.sampled_from([2, 3, 4]),
    st.sampled_from(["int", "str", "bool"]),
    st.sampled_from([0.1, 1.0, 50.0]),
)
@PROPERTY
def test_logistic_regression_matches(
    conn: psycopg.Connection, schema: str, params: dict, n_classes: int, labels: str, C: float
) -> None:
    rng = np.random.default_rng(params["seed"])
    X = _numeric_frame(rng, params["n"], params["k"], min(params["scale"], 10.0), params["ties"])
    n_classes = 2 if labels == "bool" else n_classes
    codes = (np.arange(params["n"]) % n_classes)[rng.permutation(params["n"])]
    X.iloc[:, 0] += codes * 0.8  # learnable but noisy
    y = {"int": codes * 3 - 1, "str": np.array(["no", "yes", "maybe", "later"])[codes], "bool": codes == 1}[labels]
    est = make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=500)).fit(X, y)
    test = pd.concat([X, _numeric_frame(rng, 20, params["k"], 10.0, False)], ignore_index=True)
    test.iloc[3, -1] = np.nan
    result = check_model(conn, schema, est, test)
    assert result["compiled"].proba_type == ("float8" if n_classes == 2 else "float8[]")


# -- trees ---------------------------------------------------------------------------
@given(data_params(), st.sampled_from(["dt", "rf", "gb"]), st.integers(1, 6), st.booleans())
@PROPERTY
def test_tree_regressors_match(
    conn: psycopg.Connection, schema: str, params: dict, kind: str, depth: int, nan: bool
) -> None:
    rng = np.random.default_rng(params["seed"])
    X = _numeric_frame(rng, params["n"], params["k"], params["scale"], params["ties"])
    y = np.sin(X.iloc[:, 0].to_numpy() / params["scale"] * 3) + rng.normal(size=params["n"]) * 0.1
    if nan and kind != "gb":
        X.iloc[::5, 0] = np.nan  # trees that learn a route for missing values
    seed = params["seed"] % 1000
    est = {
        "dt": DecisionTreeRegressor(max_depth=depth, random_state=seed),
        "rf": RandomForestRegressor(n_estimators=4, max_depth=depth, random_state=seed),
        "gb": GradientBoostingRegressor(n_estimators=8, max_depth=min(depth, 3), learning_rate=0.3, random_state=seed),
    }[kind].fit(X, y)
    trees = [est] if kind == "dt" else list(np.ravel(est.estimators_))
    test = pd.concat([X, _boundary_rows(trees, X.fillna(0.0), rng)], ignore_index=True)
    test.iloc[1, -1] = np.nan
    check_model(conn, schema, est, test)


@given(data_params(), st.sampled_from(["dt", "rf", "gb", "gb_exp"]), st.sampled_from([2, 3]), st.integers(1, 5))
@PROPERTY
def test_tree_classifiers_match(
    conn: psycopg.Connection, schema: str, params: dict, kind: str, n_classes: int, depth: int
) -> None:
    rng = np.random.default_rng(params["seed"])
    X = _numeric_frame(rng, params["n"], params["k"], params["scale"], params["ties"])
    n_classes = 2 if kind == "gb_exp" else n_classes
    codes = ((X.iloc[:, 0].to_numpy() > 0).astype(int) + rng.integers(0, 2, params["n"])) % n_classes
    y = np.array(["a", "b", "c"])[codes] if params["seed"] % 2 else codes + 10
    seed = params["seed"] % 1000
    est = {
        "dt": DecisionTreeClassifier(max_depth=depth, random_state=seed),
        "rf": RandomForestClassifier(n_estimators=4, max_depth=depth, random_state=seed),
        "gb": GradientBoostingClassifier(n_estimators=6, max_depth=min(depth, 3), random_state=seed),
        "gb_exp": GradientBoostingClassifier(n_estimators=6, max_depth=2, loss="exponential", random_state=seed),
    }[kind].fit(X, y)
    trees = [est] if kind == "dt" else list(np.ravel(est.estimators_))
    test = pd.concat([X, _boundary_rows(trees, X, rng)], ignore_index=True)
    test.iloc[2, 0] = np.nan
    check_model(conn, schema, est, test)


# -- pipelines with text columns ------------------------------------------------------
@pytest.mark.slow
@given(
    data_params(),
    st.sampled_from(["logistic", "gb", "rf", "dt", "ridge"]),
    st.sampled_from([None, "first", "if_binary"]),
    st.booleans(),
)
@PROPERTY
def test_pipelines_with_categories_match(
    conn: psycopg.Connection, schema: str, params: dict, final: str, drop: str | None, impute_text: bool
) -> None:
    rng = np.random.default_rng(params["seed"])
    n = params["n"]
    X = _numeric_frame(rng, n, params["k"], params["scale"], params["ties"])
    X["color"] = rng.choice(CATS[:4], size=n).astype(object)
    X["size"] = rng.choice(["S", "M"], size=n).astype(object)
    X.loc[X.index[::9], "f0"] = np.nan
    if impute_text:
        X.loc[X.index[::11], "color"] = np.nan
    signal = X["f0"].fillna(0).to_numpy() + (X["color"] == "red").to_numpy() * 2.0
    classifier = final in ("logistic", "gb", "rf", "dt")
    y = (signal > np.median(signal)).astype(int) if classifier else signal + rng.normal(size=n)
    numbers = [c for c in X.columns if c.startswith("f")]
    text_steps = [SimpleImputer(strategy="most_frequent")] if impute_text else []
    handle = "ignore" if drop is None else "infrequent_if_exist"
    prep = ColumnTransformer([
        ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numbers),
        ("cat", make_pipeline(*text_steps, OneHotEncoder(handle_unknown=handle, drop=drop)), ["color", "size"]),
    ])  # fmt: skip
    model = {
        "logistic": LogisticRegression(max_iter=500), "gb": GradientBoostingClassifier(n_estimators=5, max_depth=2),
        "rf": RandomForestClassifier(n_estimators=3, max_depth=4, random_state=0),
        "dt": DecisionTreeClassifier(max_depth=4, random_state=0), "ridge": Ridge(),
    }[final]  # fmt: skip
    est = Pipeline([("prep", prep), ("model", model)]).fit(X, y)
    test = X.copy()
    test.loc[test.index[:3], "color"] = "purple"  # unknown category: all-zero indicators
    test.loc[test.index[3:5], "f0"] = np.nan  # the numeric imputer fills it
    result = check_model(conn, schema, est, test)
    assert dict(result["compiled"].features)["color"] == "text"
    assert result["refused"] == 0 or not impute_text


def test_features_reorder_and_rename(conn: psycopg.Connection, schema: str) -> None:
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(50, 3)), columns=["a", "b", "c"])
    est = LinearRegression().fit(X, X["a"] * 2 - X["c"])
    cm = compile_model(est, features=["c", "a", "b"])
    assert [n for n, _ in cm.features] == ["c", "a", "b"]
    check_model(conn, schema, est, X, features=["c", "a", "b"])
    bare = LinearRegression().fit(X.to_numpy(), X["a"])
    assert [n for n, _ in compile_model(bare).features] == ["x0", "x1", "x2"]
    with pytest.raises(ModelError, match=r"\['a', 'b', 'c'\]"):
        compile_model(est, features=["a", "b", "zzz"])
    with pytest.raises(ModelError, match="takes 3 features"):
        compile_model(est, features=["a", "b"])


def test_unsupported_estimators_name_what_is_supported() -> None:
    X = np.random.default_rng(0).normal(size=(30, 2))
    y = (X[:, 0] > 0).astype(int)
    with pytest.raises(ModelError, match=r"cannot compile SVC.*GradientBoostingClassifier"):
        compile_model(SVC().fit(X, y))
    from sklearn.preprocessing import PolynomialFeatures

    with pytest.raises(ModelError, match=r"PolynomialFeatures.*StandardScaler"):
        compile_model(make_pipeline(PolynomialFeatures(), LinearRegression()).fit(X, y))
    with pytest.raises(ModelError, match="not fitted"):
        compile_model(LinearRegression())


def test_functions_are_inlined_immutable_parallel_safe(conn: psycopg.Connection, schema: str) -> None:
    rng = np.random.default_rng(1)
    X = pd.DataFrame({"a": rng.normal(size=80), "b": rng.choice(["x", "y"], size=80)})
    y = (X["a"] > 0).astype(int)
    prep = ColumnTransformer([("n", StandardScaler(), ["a"]), ("c", OneHotEncoder(handle_unknown="ignore"), ["b"])])
    est = make_pipeline(prep, GradientBoostingClassifier(n_estimators=3, max_depth=2)).fit(X, y)
    labels, _, _ = sql_scores(conn, schema, est, X)
    assert labels == [int(v) for v in est.predict(X)]
    rows = conn.execute(
        """SELECT p.proname, p.provolatile, p.proparallel, l.lanname, p.proisstrict, p.proconfig
           FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
           WHERE p.pronamespace = %s::regnamespace""",
        (schema,),
    ).fetchall()
    assert len(rows) == 2
    assert all(r[1:] == ("i", "s", "sql", False, None) for r in rows)
    conn.execute(
        f"CREATE TABLE \"{schema}\".t AS SELECT random() AS a, (ARRAY['x','y'])[1 + (random() > 0.5)::int] AS b"
    )
    for name, *_ in rows:
        plan = "\n".join(
            r[0] for r in conn.execute(f'EXPLAIN VERBOSE SELECT "{schema}"."{name}"(a, b) FROM "{schema}".t')
        )
        assert name not in plan, plan  # the call was replaced by its expression
        assert "CASE WHEN" in plan


def test_null_semantics(conn: psycopg.Connection, schema: str) -> None:
    X = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0, np.nan, 5.0] * 10, "b": [1.0, 0.0] * 30})
    y = np.array([0, 0, 1, 1, 1, 1] * 10)
    imputed = make_pipeline(SimpleImputer(), LogisticRegression()).fit(X, y)
    labels, proba, _ = sql_scores(conn, schema, imputed, pd.DataFrame({"a": [np.nan], "b": [1.0]}))
    assert labels[0] == int(imputed.predict(pd.DataFrame({"a": [np.nan], "b": [1.0]}))[0])
    plain = LogisticRegression().fit(X.fillna(0), y)
    labels, proba, _ = sql_scores(conn, schema, plain, pd.DataFrame({"a": [np.nan], "b": [1.0]}))
    assert labels == [None] and proba == [None]
    tree = DecisionTreeClassifier(random_state=0).fit(X, y)  # learnt where missing values go
    row = pd.DataFrame({"a": [np.nan], "b": [0.0]})
    labels, proba, _ = sql_scores(conn, schema, tree, row)
    assert labels[0] == int(tree.predict(row)[0]) and proba[0] == tree.predict_proba(row)[0, 1]


@pytest.mark.slow
@given(data_params(), st.booleans())
@PROPERTY
def test_ordinal_encoder_pipelines_match(conn: psycopg.Connection, schema: str, params: dict, missing: bool) -> None:
    from sklearn.preprocessing import OrdinalEncoder

    rng = np.random.default_rng(params["seed"])
    n = params["n"]
    X = _numeric_frame(rng, n, params["k"], params["scale"], params["ties"])
    X["grade"] = rng.choice(["low", "mid", "high"], size=n).astype(object)
    if missing:
        X.loc[X.index[::6], "grade"] = np.nan  # a learnt category: encoded as NaN, routed like a missing value
    y = (X["grade"] == "high").to_numpy() * 2.0 + X["f0"].to_numpy() / params["scale"]
    encoder = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1)
    prep = ColumnTransformer([("ord", encoder, ["grade"])], remainder="passthrough")
    est = make_pipeline(prep, DecisionTreeRegressor(max_depth=4, random_state=0)).fit(X, y)
    test = X.copy()
    test.loc[test.index[:4], "grade"] = "unheard-of"  # unknown: encoded -1
    result = check_model(conn, schema, est, test)
    assert dict(result["compiled"].features)["grade"] == "text"


def test_one_hot_learnt_missing_category(conn: psycopg.Connection, schema: str) -> None:
    rng = np.random.default_rng(3)
    X = pd.DataFrame({"c": rng.choice(["a", "b", None], size=120).astype(object), "x": rng.normal(size=120)})
    y = (X["c"].isna() | (X["x"] > 1)).astype(int)
    prep = ColumnTransformer([("c", OneHotEncoder(), ["c"])], remainder="passthrough")
    est = make_pipeline(prep, LogisticRegression()).fit(X, y)
    learnt = est[0].named_transformers_["c"].categories_[0]
    assert any(v is None or (isinstance(v, float) and np.isnan(v)) for v in learnt)
    result = check_model(conn, schema, est, X)
    assert result["refused"] == 0  # a NULL category is a category: no NULL result

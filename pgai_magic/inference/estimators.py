"""Final estimators compiled to SQL: linear models and tree ensembles, bit-compatible with scikit-learn."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from pgai_magic.errors import ModelError
from pgai_magic.inference.sqlexpr import (
    Col,
    argmax_sql,
    array_lit,
    expit_sql,
    f8,
    label_lit,
    label_type,
    le32_splits,
    sum_sql,
)

__all__ = [
    "MAX_NODES",
    "SUPPORTED_ESTIMATORS",
    "Output",
    "accepts_missing",
    "classes_of",
    "compile_estimator",
    "pick_label",
]

LINEAR_REGRESSORS = ("LinearRegression", "Ridge", "RidgeCV", "Lasso", "LassoCV", "ElasticNet", "ElasticNetCV")
LINEAR_CLASSIFIERS = ("LogisticRegression", "LogisticRegressionCV")
TREES = ("DecisionTreeClassifier", "DecisionTreeRegressor", "ExtraTreeClassifier", "ExtraTreeRegressor")
FORESTS = ("RandomForestClassifier", "RandomForestRegressor", "ExtraTreesClassifier", "ExtraTreesRegressor")
BOOSTING = ("GradientBoostingClassifier", "GradientBoostingRegressor")
HIST = ("HistGradientBoostingClassifier", "HistGradientBoostingRegressor")  # compiled in hist.py
SUPPORTED_ESTIMATORS = ", ".join(LINEAR_REGRESSORS + LINEAR_CLASSIFIERS + TREES + FORESTS + BOOSTING + HIST)
MAX_NODES = 400_000


@dataclass
class Output:
    """The compiled prediction: SQL for the label/value and (classifiers) the probability."""

    task: str
    predict: str
    predict_type: str
    proba: str | None = None
    proba_type: str | None = None
    classes: list[Any] | None = None


def _guard(cols: Sequence[Col], expr: str, names: Sequence[str]) -> str:
    """NULL when an input that sklearn would refuse as missing is NULL (CASE keeps inlining possible)."""
    sources = sorted(set().union(*(c.nulls for c in cols))) if cols else []
    if not sources:
        return expr
    test = " OR ".join(f"{names[i]} IS NULL" for i in sources)
    return f"(CASE WHEN {test} THEN NULL ELSE {expr} END)"


def classes_of(est: Any) -> tuple[list[Any], str]:
    classes = list(est.classes_)
    if len(classes) < 2:
        raise ModelError(f"the classifier was fitted on a single class ({classes!r}): it cannot be deployed")
    return classes, label_type(classes)


def pick_label(index_sql: str, classes: list[Any], ltype: str) -> str:
    items = ", ".join(label_lit(c, ltype) for c in classes)
    return f"(ARRAY[{items}])[{index_sql}]"


# -- linear models ------------------------------------------------------------------
def _linear(coef: np.ndarray, intercept: float, cols: Sequence[Col]) -> str:
    # sklearn: X @ coef_ + intercept_
    terms = [f"({col.sql} * {f8(c)})" for c, col in zip(coef, cols)]
    return f"({sum_sql(terms)} + {f8(intercept)})"


def _linear_regressor(est: Any, cols: Sequence[Col], names: Sequence[str]) -> Output:
    coef = np.asarray(est.coef_, dtype=float)
    if coef.ndim > 1 and coef.shape[0] != 1:
        raise ModelError(f"{type(est).__name__} with several targets cannot be compiled: fit one model per target")
    intercept = float(np.ravel(est.intercept_)[0]) if np.ndim(est.intercept_) else float(est.intercept_)
    return Output("regression", _linear(coef.ravel(), intercept, cols), "float8")


def _logistic(est: Any, cols: Sequence[Col], names: Sequence[str]) -> Output:
    classes, ltype = classes_of(est)
    coef = np.asarray(est.coef_, dtype=float)
    intercept = np.ravel(np.asarray(est.intercept_, dtype=float))
    if len(classes) == 2:
        z = _linear(coef[0], float(intercept[0]), cols)
        label = (
            f"(CASE WHEN {z} > {f8(0.0)} THEN {label_lit(classes[1], ltype)} ELSE {label_lit(classes[0], ltype)} END)"
        )
        proba = _guard(cols, expit_sql(z), names)  # GREATEST/LEAST in the clamp skip NULLs
        return Output("classification", _guard(cols, label, names), ltype, proba, "float8", classes)
    scores = [_linear(coef[k], float(intercept[k]), cols) for k in range(len(classes))]
    label = pick_label(argmax_sql(scores), classes, ltype)
    proba = f"pgai.softmax(ARRAY[{', '.join(scores)}])"
    return Output("classification", _guard(cols, label, names), ltype, proba, "float8[]", classes)


# -- trees ----------------------------------------------------------------------------
def accepts_missing(est: Any) -> bool:
    """Whether sklearn itself predicts on NaN input for this model (then NULL follows the NaN route)."""
    probe = np.full((1, int(est.n_features_in_)), np.nan)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est.predict(probe)
    except ValueError:
        return False
    return True


def tree_sql(tree: Any, cols: Sequence[Col], leaf: Callable[[int], str], missing: bool) -> str:
    """Nested CASE for one fitted sklearn tree; `leaf(node)` gives the SQL of a leaf."""
    t = tree.tree_
    left, right, feature = t.children_left, t.children_right, t.feature
    go_left = getattr(t, "missing_go_to_left", None) if missing else None
    if t.max_depth > 400:
        raise ModelError(f"a tree of depth {t.max_depth} is too deep to compile: refit with max_depth set")
    inner = left != -1
    le, bounds = le32_splits(np.where(inner, t.threshold, 0.0))  # every test at once (leaves get a dummy)

    def node(i: int) -> str:
        if left[i] == -1:
            return leaf(i)
        lsql, rsql = node(int(left[i])), node(int(right[i]))
        if lsql == rsql:
            return lsql
        col = cols[int(feature[i])]
        op, bound = ("<=" if le[i] else "<"), float(bounds[i])
        if col.indicator is not None:  # a 0/1 column: decide both values at compile time
            zero_left = 0.0 < bound or (op == "<=" and bound == 0.0)
            one_left = 1.0 < bound or (op == "<=" and bound == 1.0)
            if zero_left == one_left:
                return lsql if zero_left else rsql
            if one_left:
                return f"CASE WHEN {col.indicator} THEN {lsql} ELSE {rsql} END"
            return f"CASE WHEN {col.indicator} THEN {rsql} ELSE {lsql} END"
        if go_left is not None and go_left[i]:  # NULL (missing) goes left: test for right
            neg = ">" if op == "<=" else ">="
            return f"CASE WHEN {col.sql} {neg} {f8(bound)} THEN {rsql} ELSE {lsql} END"
        return f"CASE WHEN {col.sql} {op} {f8(bound)} THEN {lsql} ELSE {rsql} END"

    return "(" + node(0) + ")"


def _leaf(tree: Any, value_sql: Callable[[np.ndarray], str]) -> Callable[[int], str]:
    """Leaf SQL of `tree` from the leaf's value row (tree_.value[node, 0])."""
    values = tree.tree_.value

    def leaf(i: int) -> str:
        return value_sql(values[i, 0])

    return leaf


def _class_value(k: int, v: np.ndarray) -> str:
    return f8(v[k])


def _scaled(scale: float, v: np.ndarray) -> str:
    return f8(scale * float(v[0]))  # sklearn: out += learning_rate * value, the product rounded once


def _argmax_label(classes: list[Any], ltype: str, v: np.ndarray) -> str:
    return label_lit(classes[int(np.argmax(v))], ltype)  # sklearn: classes_.take(argmax(proba))


def _check_size(trees: Sequence[Any]) -> None:
    nodes = sum(int(t.tree_.node_count) for t in trees)
    if nodes > MAX_NODES:
        raise ModelError(
            f"the model has {nodes:,} tree nodes, too many for one SQL function (limit {MAX_NODES:,}): "
            "use fewer or shallower trees (n_estimators, max_depth)"
        )


def _tree_model(est: Any, cols: Sequence[Col], names: Sequence[str]) -> Output:
    is_forest = type(est).__name__ in FORESTS
    trees = list(est.estimators_) if is_forest else [est]
    _check_size(trees)
    missing = accepts_missing(est)
    n = float(len(trees))

    def ensemble(leaf_of: Callable[[np.ndarray], str]) -> str:
        parts = [tree_sql(t, cols, _leaf(t, leaf_of), missing) for t in trees]
        return f"({sum_sql(parts)} / {f8(n)})" if is_forest else parts[0]

    def finish(expr: str) -> str:
        return expr if missing else _guard(cols, expr, names)

    if not hasattr(est, "classes_"):
        if est.n_outputs_ != 1:
            raise ModelError("trees with several outputs cannot be compiled: fit one model per target")
        return Output("regression", finish(ensemble(partial(_class_value, 0))), "float8")
    classes, ltype = classes_of(est)
    if is_forest:
        # sklearn: the mean of the trees' probabilities, then argmax (first class on ties)
        sums = [ensemble(partial(_class_value, k)) for k in range(len(classes))]
        label = (
            pick_label(argmax_sql(sums), classes, ltype)
            if len(classes) > 2
            else (
                f"(CASE WHEN {sums[1]} > {sums[0]} THEN {label_lit(classes[1], ltype)} "
                f"ELSE {label_lit(classes[0], ltype)} END)"
            )
        )
        proba = sums[1] if len(classes) == 2 else f"ARRAY[{', '.join(sums)}]"
    else:
        label = tree_sql(est, cols, _leaf(est, partial(_argmax_label, classes, ltype)), missing)
        value_sql: Callable[[np.ndarray], str] = partial(_class_value, 1) if len(classes) == 2 else array_lit
        proba = tree_sql(est, cols, _leaf(est, value_sql), missing)
    ptype = "float8" if len(classes) == 2 else "float8[]"
    return Output("classification", finish(label), ltype, finish(proba), ptype, classes)


def _boosting(est: Any, cols: Sequence[Col], names: Sequence[str]) -> Output:
    init = est.init_
    if not (isinstance(init, str) and init == "zero") and type(init).__name__ not in (
        "DummyClassifier",
        "DummyRegressor",
    ):
        raise ModelError(f"gradient boosting with init={type(init).__name__} cannot be compiled: use the default init")
    stages = est.estimators_
    _check_size([t for row in stages for t in row])
    missing = accepts_missing(est)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = est._raw_predict_init(np.zeros((1, int(est.n_features_in_)), dtype=np.float32))[0]
    lr = float(est.learning_rate)
    raws = []
    for k in range(stages.shape[1]):
        # sklearn: raw[k] = init[k]; for each stage: raw[k] += learning_rate * leaf value
        parts = [f8(start[k])]
        for row in stages:
            tree = row[k]
            parts.append(tree_sql(tree, cols, _leaf(tree, partial(_scaled, lr)), missing))
        raws.append(sum_sql(parts))

    def finish(expr: str) -> str:
        return expr if missing else _guard(cols, expr, names)

    if not hasattr(est, "classes_"):
        return Output("regression", finish(raws[0]), "float8")
    classes, ltype = classes_of(est)
    if len(classes) == 2:
        factor = 2.0 if type(est._loss).__name__ == "ExponentialLoss" else 1.0
        z = raws[0] if factor == 1.0 else f"({f8(factor)} * {raws[0]})"
        label = (
            f"(CASE WHEN {raws[0]} >= {f8(0.0)} THEN {label_lit(classes[1], ltype)} "
            f"ELSE {label_lit(classes[0], ltype)} END)"
        )
        return Output("classification", finish(label), ltype, finish(expit_sql(z)), "float8", classes)
    label = pick_label(argmax_sql(raws), classes, ltype)
    proba = f"pgai.softmax(ARRAY[{', '.join(raws)}])"
    return Output("classification", finish(label), ltype, finish(proba), "float8[]", classes)


def compile_estimator(est: Any, cols: Sequence[Col], names: Sequence[str]) -> Output:
    """SQL for the final estimator of a pipeline over `cols` (numeric columns)."""
    kind = type(est).__name__
    if kind in LINEAR_REGRESSORS:
        return _linear_regressor(est, cols, names)
    if kind in LINEAR_CLASSIFIERS:
        return _logistic(est, cols, names)
    if kind in TREES or kind in FORESTS:
        return _tree_model(est, cols, names)
    if kind in BOOSTING:
        return _boosting(est, cols, names)
    raise ModelError(f"cannot compile {kind} to SQL; supported estimators: {SUPPORTED_ESTIMATORS}")

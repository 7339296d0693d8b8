"""Training in the kernel: feature typing, a default pipeline per algorithm, a held-out split and metrics."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from pgai_magic.errors import ModelError
from pgai_magic.inference.monitor import classification_metrics, regression_metrics

__all__ = ["ALGORITHMS", "TrainResult", "build", "evaluate", "feature_types", "fit", "infer_task", "prepare_frame"]

# name -> (classifier, regressor, scale numbers?)
ALGORITHMS: dict[str, tuple[str, str, bool]] = {
    "gradient_boosting": ("GradientBoostingClassifier", "GradientBoostingRegressor", False),
    "random_forest": ("RandomForestClassifier", "RandomForestRegressor", False),
    "decision_tree": ("DecisionTreeClassifier", "DecisionTreeRegressor", False),
    "linear": ("LogisticRegression", "Ridge", True),
    "logistic_regression": ("LogisticRegression", "", True),
    "linear_regression": ("", "LinearRegression", True),
    "ridge": ("", "Ridge", True),
    "lasso": ("", "Lasso", True),
    "elastic_net": ("", "ElasticNet", True),
}
_DEFAULT_PARAMS: dict[str, dict[str, Any]] = {
    "GradientBoostingClassifier": {"n_estimators": 100, "max_depth": 3, "random_state": 0},
    "GradientBoostingRegressor": {"n_estimators": 100, "max_depth": 3, "random_state": 0},
    "RandomForestClassifier": {"n_estimators": 50, "max_depth": 8, "random_state": 0},
    "RandomForestRegressor": {"n_estimators": 50, "max_depth": 8, "random_state": 0},
    "DecisionTreeClassifier": {"max_depth": 6, "random_state": 0},
    "DecisionTreeRegressor": {"max_depth": 6, "random_state": 0},
    "LogisticRegression": {"max_iter": 2000},
}


@dataclass
class TrainResult:
    """A fitted pipeline with its held-out metrics and the training frame it saw."""

    estimator: Any
    task: str
    algorithm: str
    features: list[tuple[str, str]]
    metrics: dict[str, Any]
    train_frame: pd.DataFrame


def feature_types(frame: pd.DataFrame) -> list[tuple[str, str]]:
    """SQL argument type per column: float8 for numbers, boolean, text for strings and categories."""
    out = []
    for name in frame.columns:
        dtype = frame[name].dtype
        if pd.api.types.is_bool_dtype(dtype):
            out.append((str(name), "boolean"))
        elif pd.api.types.is_numeric_dtype(dtype):
            out.append((str(name), "float8"))
        elif pd.api.types.is_datetime64_any_dtype(dtype) or pd.api.types.is_timedelta64_dtype(dtype):
            raise ModelError(
                f"column {name!r} is a date/time ({dtype}): turn it into a number in the query "
                f"(e.g. extract(epoch FROM {name}) or current_date - {name})"
            )
        else:
            sample = frame[name].dropna().head(50)
            if any(isinstance(v, (list, dict, np.ndarray, bytes)) for v in sample):
                raise ModelError(f"column {name!r} holds {type(sample.iloc[0]).__name__} values: select scalar columns")
            out.append((str(name), "text"))
    return out


def prepare_frame(frame: pd.DataFrame, types: list[tuple[str, str]]) -> pd.DataFrame:
    """Numbers as float64 (NULL → NaN), booleans as 0/1 floats, text as str objects with NaN for NULL."""
    data = {}
    for name, sqltype in types:
        col = frame[name]
        if sqltype == "text":
            data[name] = col.astype(object).map(lambda v: np.nan if pd.isna(v) else str(v))
        else:
            data[name] = pd.to_numeric(col.astype("Float64"), errors="coerce").astype(float)
    return pd.DataFrame(data, index=frame.index)


def infer_task(target: pd.Series) -> str:
    """classification for text, boolean or few distinct integers; regression otherwise."""
    values = target.dropna()
    if pd.api.types.is_bool_dtype(values.dtype) or not pd.api.types.is_numeric_dtype(values.dtype):
        return "classification"
    if pd.api.types.is_integer_dtype(values.dtype) or bool(np.all(np.mod(values.to_numpy(dtype=float), 1) == 0)):
        return "classification" if values.nunique() <= 20 else "regression"
    return "regression"


def _estimator(algorithm: str, task: str, params: dict[str, Any] | None) -> tuple[Any, bool]:
    import sklearn.ensemble as ens
    import sklearn.linear_model as lin
    import sklearn.tree as tree

    if algorithm not in ALGORITHMS:
        raise ModelError(f"unknown algorithm {algorithm!r}: use one of {', '.join(ALGORITHMS)}")
    clf, reg, scale = ALGORITHMS[algorithm]
    cls_name = clf if task == "classification" else reg
    if not cls_name:
        raise ModelError(f"algorithm {algorithm!r} does not do {task}: use one of {', '.join(ALGORITHMS)}")
    cls = next(getattr(mod, cls_name) for mod in (ens, lin, tree) if hasattr(mod, cls_name))
    kwargs = {**_DEFAULT_PARAMS.get(cls_name, {}), **(params or {})}
    try:
        return cls(**kwargs), scale
    except TypeError as exc:
        raise ModelError(f"bad parameters for {cls_name}: {exc}") from None


def build(types: list[tuple[str, str]], algorithm: str, task: str, params: dict[str, Any] | None = None) -> Any:
    """Imputer (+ scaler for linear models) on numbers, imputer + one-hot on text, then the estimator."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    estimator, scale = _estimator(algorithm, task, params)
    numbers = [n for n, t in types if t != "text"]
    texts = [n for n, t in types if t == "text"]
    parts = []
    if numbers:
        steps = [("impute", SimpleImputer(strategy="median"))] + ([("scale", StandardScaler())] if scale else [])
        parts.append(("num", Pipeline(steps), numbers))
    if texts:
        encode = [("impute", SimpleImputer(strategy="constant", fill_value="(missing)")),
                  ("onehot", OneHotEncoder(handle_unknown="ignore"))]  # fmt: skip
        parts.append(("cat", Pipeline(encode), texts))
    return Pipeline([("prepare", ColumnTransformer(parts, sparse_threshold=0.0)), ("model", estimator)])


def evaluate(estimator: Any, X: Any, y: Any, task: str) -> dict[str, Any]:
    """Metrics of a fitted estimator on (X, y) computed by scikit-learn in the kernel."""
    pred = estimator.predict(X)
    if task == "regression":
        return regression_metrics(y, pred)
    proba = estimator.predict_proba(X)
    classes = list(estimator.classes_)
    scores = proba[:, 1] if len(classes) == 2 else list(proba)
    return classification_metrics(y, pred, scores, classes)


def fit(
    frame: pd.DataFrame,
    target: str,
    *,
    algorithm: str | None = None,
    task: str | None = None,
    test_size: float = 0.2,
    random_state: int = 0,
    params: dict[str, Any] | None = None,
) -> TrainResult:
    """Fit on a random (stratified for classes) split and measure on the held-out part."""
    from sklearn.model_selection import train_test_split

    if target not in frame.columns:
        raise ModelError(f"target column {target!r} is not in the query result ({list(frame.columns)})")
    if not 0.0 < test_size < 1.0:
        raise ModelError(f"--test-size must be between 0 and 1, not {test_size}")
    data = frame[frame[target].notna()]
    if len(data) < 10:
        raise ModelError(f"only {len(data)} rows have a {target!r} value: need at least 10 to train and test")
    features = feature_types(data.drop(columns=[target]))
    if not features:
        raise ModelError("the query returns no feature columns besides the target")
    X = prepare_frame(data, features)
    y = data[target]
    task = task or infer_task(y)
    if task not in ("classification", "regression"):
        raise ModelError(f"task must be classification or regression, not {task!r}")
    if task == "classification":
        y = y.astype(bool) if pd.api.types.is_bool_dtype(y.dtype) else y
        y = y.astype(np.int64) if pd.api.types.is_integer_dtype(y.dtype) else y
        y = (
            y.astype(object).map(str)
            if not (pd.api.types.is_bool_dtype(y.dtype) or pd.api.types.is_integer_dtype(y.dtype))
            else y
        )
    else:
        y = pd.to_numeric(y).astype(float)
    algorithm = algorithm or "gradient_boosting"
    pipeline = build(features, algorithm, task, params)
    counts = y.value_counts() if task == "classification" else None
    stratify = y if counts is not None and counts.min() >= 2 else None
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=test_size, random_state=random_state, stratify=stratify
    )
    pipeline.fit(X_train, y_train)
    metrics = evaluate(pipeline, X_test, y_test, task)
    metrics = {**metrics, "split": "holdout", "test_size": test_size, "n_train": len(X_train), "n_test": len(X_test)}
    metrics.pop("n", None)
    return TrainResult(pipeline, task, algorithm, features, metrics, X_train)

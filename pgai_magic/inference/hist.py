"""HistGradientBoostingClassifier / Regressor compiled to SQL: float64 thresholds, learnt missing routes, categories."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from pgai_magic.errors import ModelError
from pgai_magic.inference.estimators import HIST, MAX_NODES, Output, classes_of, pick_label
from pgai_magic.inference.sqlexpr import Col, argmax_sql, expit_sql, f8, label_lit, sum_sql
from pgai_magic.inference.transforms import Context, transform

__all__ = ["HIST", "compile_hist", "hist_inputs"]

_IDENTITY_LOSSES = ("HalfSquaredError", "AbsoluteError", "PinballLoss")
_LOG_LOSSES = ("HalfPoissonLoss", "HalfGammaLoss", "HalfTweedieLoss", "HalfTweedieLossIdentity")


def hist_inputs(est: Any, cols: list[Col], ctx: Context) -> list[Col]:
    """The columns the trees see: sklearn's own ordinal encoding of categorical features first (when any).

    sklearn fits `_preprocessor` = ColumnTransformer([OrdinalEncoder (unknown and missing → NaN) on the
    categorical columns, a validating FunctionTransformer on the others]) and predicts on its output.
    """
    pre = getattr(est, "_preprocessor", None)
    if pre is None:
        return cols
    indices = pre._transformer_to_input_indices
    encoded = transform(pre.named_transformers_["encoder"], [cols[i] for i in indices["encoder"]], ctx)
    return encoded + [cols[i] for i in indices["numerical"]]


def _bits(bitset: np.ndarray) -> list[int]:
    """The small integers set in one sklearn bitset row (8 × uint32: value v is bit v % 32 of word v // 32)."""
    return [v for v in range(32 * len(bitset)) if (int(bitset[v // 32]) >> (v % 32)) & 1]


def _tree_sql(predictor: Any, cols: Sequence[Col], known: np.ndarray, f_idx: np.ndarray) -> str:
    """Nested CASE of one TreePredictor, following sklearn's _predict_one_from_raw_data branch for branch."""
    nodes = predictor.nodes
    left_sets = predictor.raw_left_cat_bitsets

    def node(i: int) -> str:
        n = nodes[i]
        if n["is_leaf"]:
            return f8(float(n["value"]))
        lsql, rsql = node(int(n["left"])), node(int(n["right"]))
        if lsql == rsql:
            return lsql
        col = cols[int(n["feature_idx"])]
        to_left = bool(n["missing_go_to_left"])
        if n["is_categorical"]:
            # sklearn: NaN → missing route; in the left bitset → left; known → right; unknown → missing route
            # (the column is sklearn's own ordinal code: 0..k-1, NULL for missing or unknown)
            goes_left = _bits(left_sets[int(n["bitset_idx"])])
            seen = set(_bits(known[int(f_idx[int(n["feature_idx"])])]))
            goes_right = sorted(seen - set(goes_left))
            chosen, then, other = (goes_right, rsql, lsql) if to_left else (goes_left, lsql, rsql)
            if not chosen:
                return other
            values = ", ".join(f8(float(v)) for v in chosen)
            return f"CASE WHEN {col.sql} IN ({values}) THEN {then} ELSE {other} END"  # codes 0..k-1, or NULL
        bound = f8(float(n["num_threshold"]))  # compared in float64: no float32 rounding here
        if to_left:  # NULL fails the test, so it takes the ELSE (left) branch
            return f"CASE WHEN {col.sql} > {bound} THEN {rsql} ELSE {lsql} END"
        return f"CASE WHEN {col.sql} <= {bound} THEN {lsql} ELSE {rsql} END"

    return "(" + node(0) + ")"


def compile_hist(est: Any, cols: Sequence[Col], names: Sequence[str]) -> Output:
    """SQL of a fitted HistGradientBoosting model over the columns from `hist_inputs`.

    sklearn: raw[k] = baseline[k], then raw[k] += leaf value of each iteration's k-th tree (the
    leaves already hold the learning rate); the loss's inverse link gives values and probabilities.
    """
    predictors = est._predictors
    nodes = sum(len(p.nodes) for row in predictors for p in row)
    if nodes > MAX_NODES:
        raise ModelError(
            f"the model has {nodes:,} tree nodes, too many for one SQL function (limit {MAX_NODES:,}): "
            "use fewer iterations or leaves (max_iter, max_leaf_nodes)"
        )
    known, f_idx = est._bin_mapper.make_known_categories_bitsets()
    baseline = np.ravel(est._baseline_prediction)
    raws = []
    for k in range(int(est.n_trees_per_iteration_)):
        parts = [f8(0.0 + float(baseline[k]))] + [_tree_sql(row[k], cols, known, f_idx) for row in predictors]
        raws.append(sum_sql(parts))
    loss = type(est._loss).__name__
    if not hasattr(est, "classes_"):
        if loss in _IDENTITY_LOSSES:
            return Output("regression", raws[0], "float8")
        if loss in _LOG_LOSSES and type(est._loss.link).__name__ == "LogLink":
            return Output("regression", f"exp({raws[0]})", "float8")
        raise ModelError(f"HistGradientBoostingRegressor with the {loss} loss cannot be compiled yet")
    classes, ltype = classes_of(est)
    if len(classes) == 2:
        # sklearn: classes_[raw > 0]; probability expit(raw)
        yes, no = label_lit(classes[1], ltype), label_lit(classes[0], ltype)
        label = f"(CASE WHEN {raws[0]} > {f8(0.0)} THEN {yes} ELSE {no} END)"
        return Output("classification", label, ltype, expit_sql(raws[0]), "float8", classes)
    label = pick_label(argmax_sql(raws), classes, ltype)
    proba = f"pgai.softmax(ARRAY[{', '.join(raws)}])"
    return Output("classification", label, ltype, proba, "float8[]", classes)

"""Preprocessing steps compiled to SQL: Pipeline, ColumnTransformer, scalers, imputer, encoders."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pgai_magic.errors import ModelError
from pgai_magic.inference.sqlexpr import Col, f8, text_lit

__all__ = ["SUPPORTED_TRANSFORMERS", "Context", "transform"]

SUPPORTED_TRANSFORMERS = (
    "StandardScaler, MinMaxScaler, MaxAbsScaler, RobustScaler, KBinsDiscretizer, SimpleImputer, OneHotEncoder, "
    "OrdinalEncoder, ColumnTransformer, Pipeline, 'passthrough'"
)


@dataclass
class Context:
    """What the compiler learns while walking the model: the SQL kind each input needs.

    `refuse` collects the inputs whose missing value (NULL or NaN) scikit-learn refuses at some step
    (an imputer for another marker, a discretizer, an encoder with handle_unknown='error'): the
    compiled model returns NULL for them, whatever the final estimator would do with a missing value;
    `refuse_when` holds further conditions (an unknown category where sklearn raises) that give NULL;
    `unknown_missing` the conditions under which an encoder turns a known input into NaN (an unknown
    category encoded as NaN): NULL too when the final estimator refuses missing values.
    """

    names: list[str]
    kinds: list[str | None]
    refuse: set[int] = field(default_factory=set)
    refuse_when: list[str] = field(default_factory=list)
    unknown_missing: list[str] = field(default_factory=list)

    def require(self, col: Col, kind: str, why: str) -> None:
        """Record that raw input `col.source` must be of `kind` ('num' or 'text')."""
        if col.source is None:
            if col.kind != kind:
                raise ModelError(f"{why} needs {kind} input but gets a computed {col.kind} column")
            return
        known = self.kinds[col.source]
        if known is None:
            self.kinds[col.source] = kind
        elif known != kind:
            raise ModelError(
                f"feature {self.names[col.source]!r} is used as {known} and as {kind} ({why}): give its type explicitly"
            )


def _name(obj: Any) -> str:
    return type(obj).__name__


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _is_text_array(values: Any) -> bool:
    arr = np.asarray(values)
    if arr.dtype.kind in "OUS":
        return any(isinstance(v, str) for v in arr.ravel())
    return False


def _numeric(ctx: Context, cols: list[Col], why: str) -> None:
    for col in cols:
        ctx.require(col, "num", why)


def _standard_scaler(step: Any, cols: list[Col], ctx: Context) -> list[Col]:
    _numeric(ctx, cols, "StandardScaler")
    out = []
    for j, col in enumerate(cols):
        expr = col.sql
        # sklearn: X -= mean_; X /= scale_ (in this order, in float64)
        if step.with_mean:
            expr = f"({expr} - {f8(step.mean_[j])})"
        if step.with_std and step.scale_ is not None:
            expr = f"({expr} / {f8(step.scale_[j])})"
        out.append(Col(expr, "num", None, col.nulls))
    return out


def _minmax_scaler(step: Any, cols: list[Col], ctx: Context) -> list[Col]:
    _numeric(ctx, cols, "MinMaxScaler")
    out = []
    lo, hi = step.feature_range
    for j, col in enumerate(cols):
        # sklearn: X *= scale_; X += min_; then optional clip
        expr = f"(({col.sql} * {f8(step.scale_[j])}) + {f8(step.min_[j])})"
        if getattr(step, "clip", False):
            expr = f"(CASE WHEN {expr} < {f8(lo)} THEN {f8(lo)} WHEN {expr} > {f8(hi)} THEN {f8(hi)} ELSE {expr} END)"
        out.append(Col(expr, "num", None, col.nulls))
    return out


def _simple_imputer(step: Any, cols: list[Col], ctx: Context) -> list[Col]:
    if getattr(step, "add_indicator", False):
        raise ModelError("SimpleImputer(add_indicator=True) is not supported: add a MissingIndicator-free pipeline")
    stats = step.statistics_
    missing = step.missing_values
    text = stats.dtype.kind in "OUS" and any(isinstance(s, str) for s in stats)
    out = []
    for j, col in enumerate(cols):
        value = stats[j]
        if _is_missing(value) and not getattr(step, "keep_empty_features", False):
            continue  # sklearn drops features whose statistic could not be computed
        if text:
            ctx.require(col, "text", "SimpleImputer with text statistics")
            fill = text_lit(str(value))
            kind = "text"
        else:
            ctx.require(col, "num", "SimpleImputer")
            fill = f8(0.0 if _is_missing(value) else float(value))
            kind = "num"
        if _is_missing(missing):
            out.append(Col(f"COALESCE({col.sql}, {fill})", kind, col.source, frozenset()))
            continue
        # another marker: sklearn replaces it and refuses NaN / None outright
        ctx.refuse |= col.nulls
        marker = text_lit(str(missing)) if kind == "text" else f8(float(missing))
        out.append(Col(f"(CASE WHEN {col.sql} = {marker} THEN {fill} ELSE {col.sql} END)", kind, col.source, col.nulls))
    return out


def _robust_scaler(step: Any, cols: list[Col], ctx: Context) -> list[Col]:
    _numeric(ctx, cols, "RobustScaler")
    out = []
    for j, col in enumerate(cols):
        expr = col.sql
        # sklearn: X -= center_; X /= scale_ (NaN passes through, as NULL does here)
        if step.with_centering:
            expr = f"({expr} - {f8(step.center_[j])})"
        if step.with_scaling:
            expr = f"({expr} / {f8(step.scale_[j])})"
        out.append(Col(expr, "num", None, col.nulls))
    return out


def _maxabs_scaler(step: Any, cols: list[Col], ctx: Context) -> list[Col]:
    _numeric(ctx, cols, "MaxAbsScaler")
    # sklearn: X /= scale_
    return [Col(f"({col.sql} / {f8(step.scale_[j])})", "num", None, col.nulls) for j, col in enumerate(cols)]


def _kbins(step: Any, cols: list[Col], ctx: Context) -> list[Col]:
    _numeric(ctx, cols, "KBinsDiscretizer")
    if step.dtype is not None and np.dtype(step.dtype) != np.float64:
        raise ModelError(f"KBinsDiscretizer(dtype={np.dtype(step.dtype).name}) bins in float32: refit with dtype=None")
    out = []
    for j, col in enumerate(cols):
        ctx.refuse |= col.nulls  # sklearn refuses NaN
        inner = [float(e) for e in step.bin_edges_[j][1:-1]]
        # sklearn: searchsorted(edges[1:-1], x, side='right') = the number of inner edges <= x
        whens = " ".join(f"WHEN {col.sql} < {f8(e)} THEN {f8(float(k))}" for k, e in enumerate(inner))
        code = f"(CASE {whens} ELSE {f8(float(len(inner)))} END)" if inner else f8(0.0)
        if step.encode == "ordinal":
            out.append(Col(code, "num", None, col.nulls))
            continue
        for k in range(len(inner) + 1):
            cond = f"({code} = {f8(float(k))})"
            out.append(Col(f"(CASE WHEN {cond} THEN {f8(1.0)} ELSE {f8(0.0)} END)", "num", None, frozenset(), cond))
    return out


def _category_test(col: Col, category: Any, kind: str) -> str:
    if _is_missing(category):
        return f"({col.sql} IS NULL)"
    if kind == "text":
        return f"({col.sql} = {text_lit(str(category))})"
    return f"({col.sql} = {f8(float(category))})"


def _check_categories(ctx: Context, step: Any, col: Col, cats: Any) -> str:
    kind = "text" if _is_text_array(cats) else "num"
    ctx.require(col, kind, _name(step))
    return kind


def _one_hot(step: Any, cols: list[Col], ctx: Context) -> list[Col]:
    if getattr(step, "_infrequent_enabled", False):
        raise ModelError("OneHotEncoder with min_frequency / max_categories (infrequent categories) is not supported")
    drop_idx = getattr(step, "drop_idx_", None)
    ignore = step.handle_unknown != "error"
    out = []
    for j, col in enumerate(cols):
        cats = step.categories_[j]
        kind = _check_categories(ctx, step, col, cats)
        dropped = None if drop_idx is None or drop_idx[j] is None else int(drop_idx[j])
        has_missing = any(_is_missing(c) for c in cats)
        for k, cat in enumerate(cats):
            if k == dropped:
                continue
            cond = _category_test(col, cat, kind)
            sql = f"(CASE WHEN {cond} THEN {f8(1.0)} ELSE {f8(0.0)} END)"
            out.append(Col(sql, "num", None, frozenset(), indicator=cond))
        if not ignore:  # handle_unknown='error': sklearn raises on an unknown category (and on an unseen missing)
            ctx.refuse_when.append(f"({_known_test(col, cats, kind, has_missing)}) IS NOT TRUE")
    return out


def _known_test(col: Col, cats: Any, kind: str, has_missing: bool) -> str:
    """A condition that is TRUE exactly when the column holds one of the fitted categories."""
    known = [c for c in cats if not _is_missing(c)]
    lits = ", ".join(text_lit(str(c)) if kind == "text" else f8(float(c)) for c in known)
    test = f"{col.sql} IN ({lits})" if known else "false"
    return f"{col.sql} IS NULL OR {test}" if has_missing else test


def _ordinal(step: Any, cols: list[Col], ctx: Context) -> list[Col]:
    if getattr(step, "_infrequent_enabled", False):
        raise ModelError("OrdinalEncoder with infrequent categories is not supported")
    unknown = step.unknown_value if step.handle_unknown == "use_encoded_value" else None
    enc_missing = getattr(step, "encoded_missing_value", np.nan)
    out = []
    for j, col in enumerate(cols):
        cats = step.categories_[j]
        kind = _check_categories(ctx, step, col, cats)
        whens = []
        missing_code: str | None = None
        for k, cat in enumerate(cats):
            if _is_missing(cat):
                missing_code = "NULL" if _is_missing(enc_missing) else f8(float(enc_missing))
                continue
            whens.append(f"WHEN {_category_test(col, cat, kind)} THEN {f8(float(k))}")
        if missing_code is not None:  # the learnt missing category, before any other test
            whens.insert(0, f"WHEN {col.sql} IS NULL THEN {missing_code}")
        other = "NULL" if unknown is None or _is_missing(unknown) else f8(float(unknown))
        if unknown is None:  # handle_unknown='error': sklearn raises on an unknown category
            ctx.refuse_when.append(f"({_known_test(col, cats, kind, missing_code is not None)}) IS NOT TRUE")
        elif other == "NULL":  # unknown → NaN: a missing value for the final estimator, which may refuse it
            ctx.unknown_missing.append(f"({_known_test(col, cats, kind, True)}) IS NOT TRUE")
        null_out = missing_code == "NULL" if missing_code is not None else other == "NULL"
        nulls = col.nulls if null_out else frozenset()
        out.append(Col(f"(CASE {' '.join(whens)} ELSE {other} END)", "num", None, nulls))
    return out


def _passthrough(step: Any, cols: list[Col], ctx: Context) -> list[Col]:
    return cols


def _function_transformer(step: Any, cols: list[Col], ctx: Context) -> list[Col]:
    if step.func is None and step.inverse_func is None:
        return cols
    raise ModelError("FunctionTransformer with a function cannot be compiled to SQL")


def _pipeline(step: Any, cols: list[Col], ctx: Context) -> list[Col]:
    for _, sub in step.steps:
        cols = transform(sub, cols, ctx)
    return cols


def _column_transformer(step: Any, cols: list[Col], ctx: Context) -> list[Col]:
    indices = getattr(step, "_transformer_to_input_indices", None)
    if indices is None:
        raise ModelError("this ColumnTransformer has no resolved column indices: refit it with scikit-learn >= 1.2")
    out: list[Col] = []
    for name, trans, _columns in step.transformers_:
        idx = list(indices.get(name, []))
        if trans == "drop" or not idx:
            continue
        part = [cols[i] for i in idx]
        out.extend(part if trans == "passthrough" else transform(trans, part, ctx))
    return out


_STEPS: dict[str, Callable[[Any, list[Col], Context], list[Col]]] = {
    "StandardScaler": _standard_scaler,
    "MinMaxScaler": _minmax_scaler,
    "MaxAbsScaler": _maxabs_scaler,
    "RobustScaler": _robust_scaler,
    "KBinsDiscretizer": _kbins,
    "SimpleImputer": _simple_imputer,
    "OneHotEncoder": _one_hot,
    "OrdinalEncoder": _ordinal,
    "FunctionTransformer": _function_transformer,
    "Pipeline": _pipeline,
    "ColumnTransformer": _column_transformer,
}


def transform(step: Any, cols: list[Col], ctx: Context) -> list[Col]:
    """The SQL columns that `step` outputs for input columns `cols`."""
    if step is None or (isinstance(step, str) and step == "passthrough"):
        return cols
    handler = _STEPS.get(_name(step))
    if handler is None:
        raise ModelError(
            f"cannot compile the preprocessing step {_name(step)} to SQL; supported: {SUPPORTED_TRANSFORMERS}"
        )
    return handler(step, cols, ctx)

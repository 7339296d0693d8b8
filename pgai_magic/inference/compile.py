"""Compile a fitted scikit-learn estimator or Pipeline into inlinable SQL functions."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from psycopg import sql

from pgai_magic.errors import ModelError
from pgai_magic.inference.estimators import SUPPORTED_ESTIMATORS, accepts_missing, compile_estimator
from pgai_magic.inference.hist import HIST, compile_hist, hist_inputs
from pgai_magic.inference.sqlexpr import Col, f8
from pgai_magic.inference.transforms import SUPPORTED_TRANSFORMERS, Context, transform

__all__ = ["SUPPORTED", "CompiledModel", "compile_model", "normalize_type"]

SUPPORTED = f"estimators: {SUPPORTED_ESTIMATORS}; in a Pipeline with: {SUPPORTED_TRANSFORMERS}"
_TYPE_ALIASES = {
    "float8": "float8", "double precision": "float8", "float": "float8", "numeric": "float8", "num": "float8",
    "number": "float8", "int": "float8", "integer": "float8", "bigint": "float8", "real": "float8",
    "text": "text", "str": "text", "string": "text", "category": "text", "varchar": "text",
    "boolean": "boolean", "bool": "boolean",
}  # fmt: skip


def normalize_type(name: str, value: str) -> str:
    """The SQL argument type for a feature type name (float8, text or boolean)."""
    found = _TYPE_ALIASES.get(str(value).strip().lower())
    if found is None:
        raise ModelError(f"feature {name!r} has type {value!r}: use float8 (numbers), text or boolean")
    return found


@dataclass
class CompiledModel:
    """The SQL of a compiled model: argument list, predict expression and (classifiers) probability."""

    features: list[tuple[str, str]]
    task: str
    algorithm: str
    pipeline: str
    predict_sql: str
    predict_type: str
    proba_sql: str | None = None
    proba_type: str | None = None
    classes: list[Any] | None = None

    @property
    def signature(self) -> list[str]:
        return [t for _, t in self.features]

    def args_sql(self) -> sql.Composable:
        return sql.SQL(", ").join(sql.SQL("{} {}").format(sql.Identifier(n), sql.SQL(t)) for n, t in self.features)

    def create_function(self, schema: str, fname: str, which: str = "predict") -> sql.Composed:
        """CREATE FUNCTION schema.fname(features) for 'predict' or 'predict_proba'."""
        body, rettype = (
            (self.predict_sql, self.predict_type) if which == "predict" else (self.proba_sql, self.proba_type)
        )
        if body is None or rettype is None:
            raise ModelError(f"a {self.task} model has no {which} function")
        return function_ddl(schema, fname, self.args_sql(), rettype, "SELECT " + body)


def function_ddl(
    schema: str, fname: str, args: sql.Composable, rettype: str, body: str, replace: bool = False
) -> sql.Composed:
    """An inlinable SQL function: LANGUAGE sql, IMMUTABLE, PARALLEL SAFE, no SET clause, not STRICT."""
    return sql.SQL("CREATE {}FUNCTION {}.{}({}) RETURNS {} LANGUAGE sql IMMUTABLE PARALLEL SAFE AS {}").format(
        sql.SQL("OR REPLACE " if replace else ""),
        sql.Identifier(schema),
        sql.Identifier(fname),
        args,
        sql.SQL(rettype),
        sql.Literal(body),
    )


def _describe(est: Any) -> str:
    name = type(est).__name__
    if name == "Pipeline":
        return " → ".join(_describe(step) for _, step in est.steps if step not in (None, "passthrough"))
    if name == "ColumnTransformer":
        parts = []
        for _, trans, columns in est.transformers_:
            if isinstance(trans, str) and trans == "drop":
                continue
            width = 1 if isinstance(columns, (str, int)) else len(columns) if hasattr(columns, "__len__") else "?"
            parts.append(f"{_describe(trans)}({width})")
        return "ColumnTransformer[" + ", ".join(parts) + "]"
    if isinstance(est, str):
        return est
    return name


def _input_names(est: Any, features: Sequence[str] | None) -> tuple[list[str], list[int]]:
    """Names of the model's inputs (in fit order) and the SQL argument position of each."""
    n = getattr(est, "n_features_in_", None)
    if n is None:
        raise ModelError(f"{type(est).__name__} is not fitted (it has no n_features_in_): fit it before deploying")
    fitted = getattr(est, "feature_names_in_", None)
    fitted_names = [str(x) for x in fitted] if fitted is not None else None
    if features is None:
        names = fitted_names or [f"x{i}" for i in range(int(n))]
        return names, list(range(1, len(names) + 1))
    features = [str(f).strip() for f in features]
    if len(set(features)) != len(features):
        raise ModelError(f"feature names repeat: {features}")
    if len(features) != n:
        raise ModelError(f"the model takes {n} features but {len(features)} were given: {features}")
    if fitted_names is None:
        return features, list(range(1, n + 1))
    missing = [f for f in fitted_names if f not in features]
    if missing:
        raise ModelError(f"the model was fitted on {fitted_names}; {missing} not among the given features {features}")
    return fitted_names, [features.index(f) + 1 for f in fitted_names]


def _placeholder(pos: int) -> str:
    """A stand-in for argument `pos` until its SQL type is known (NUL never occurs in a literal: see text_lit)."""
    return f"\x00{pos}\x00"


def _bind_inputs(expr: str, types_at: Mapping[int, str]) -> str:
    """Replace the stand-ins by $N; a float8 argument reads NaN as NULL (both mean "missing" to scikit-learn).

    PostgreSQL orders NaN above every number (and NaN = NaN), so without this a NaN would take the
    `>` branch of a tree and survive COALESCE; NULLIF(x, 'NaN') makes every later test see NULL.
    """
    parts = expr.split("\x00")
    for i in range(1, len(parts), 2):
        pos = int(parts[i])
        parts[i] = f"NULLIF(${pos}, {f8(math.nan)})" if types_at[pos] == "float8" else f"${pos}"
    return "".join(parts)


def compile_model(
    estimator: Any,
    features: Sequence[str] | None = None,
    types: Mapping[str, str] | None = None,
) -> CompiledModel:
    """Compile a fitted estimator or Pipeline; `features` orders (and names) the SQL arguments."""
    names, positions = _input_names(estimator, features)
    for name in names:
        if not name or "\x00" in name or len(name.encode()) > 63:
            raise ModelError(f"feature name {name!r} cannot be a SQL argument name (1 to 63 bytes, no NUL)")
    given = {str(k): normalize_type(str(k), v) for k, v in (types or {}).items()}
    unknown = sorted(set(given) - set(names))
    if unknown:
        raise ModelError(f"types given for {unknown}, which are not features of the model ({names})")
    kinds: list[str | None] = []
    cols = []
    for i, (name, pos) in enumerate(zip(names, positions)):
        sqltype = given.get(name)
        ref = _placeholder(pos) if sqltype != "boolean" else f"({_placeholder(pos)})::integer::float8"
        kinds.append(None if sqltype is None else ("text" if sqltype == "text" else "num"))
        cols.append(Col(ref, kinds[-1] or "num", i, frozenset([i])))
    ctx = Context(names=names, kinds=kinds)
    steps: list[Any] = [step for _, step in estimator.steps] if type(estimator).__name__ == "Pipeline" else [estimator]
    final = steps[-1]
    if final is None or isinstance(final, str):
        raise ModelError("the pipeline ends without an estimator: nothing to predict with")
    for step in steps[:-1]:
        cols = transform(step, cols, ctx)
    width = getattr(final, "n_features_in_", len(cols))
    hist = type(final).__name__ in HIST
    if hist and len(cols) == width:
        cols = hist_inputs(final, cols, ctx)  # sklearn's own encoding of categorical features
    if width != len(cols):
        raise ModelError(f"the preprocessing yields {len(cols)} columns but {type(final).__name__} expects {width}")
    refs = [_placeholder(pos) for pos in positions]
    for col in cols:
        if col.kind != "num":
            raise ModelError(f"{type(final).__name__} receives a text column ({col.sql}): encode it in the pipeline")
    out = compile_hist(final, cols, refs) if hist else compile_estimator(final, cols, refs)
    refused = [f"{refs[i]} IS NULL" for i in sorted(ctx.refuse)] + ctx.refuse_when
    if ctx.unknown_missing and not (hist or accepts_missing(final)):
        refused += ctx.unknown_missing
    if refused:  # NULL where scikit-learn raises (a missing value or unknown category some step refuses)
        test = " OR ".join(refused)
        out.predict = f"(CASE WHEN {test} THEN NULL ELSE {out.predict} END)"
        out.proba = None if out.proba is None else f"(CASE WHEN {test} THEN NULL ELSE {out.proba} END)"
    by_position = sorted(zip(positions, names, ctx.kinds, [given.get(n) for n in names]))
    feats = [(n, g or ("text" if k == "text" else "float8")) for _, n, k, g in by_position]
    types_at = {pos: t for pos, (_, t) in zip(sorted(positions), feats)}
    return CompiledModel(
        features=feats,
        task=out.task,
        algorithm=type(final).__name__,
        pipeline=_describe(estimator),
        predict_sql=_bind_inputs(out.predict, types_at),
        predict_type=out.predict_type,
        proba_sql=None if out.proba is None else _bind_inputs(out.proba, types_at),
        proba_type=out.proba_type,
        classes=out.classes,
    )

"""What the model verbs do on a `Database`: deploy, train, monitor, split (the database work goes through the
registry)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
from psycopg import sql

from pgai_magic import catalog
from pgai_magic.cell import convert
from pgai_magic.db import Database
from pgai_magic.errors import ModelError
from pgai_magic.inference import registry
from pgai_magic.inference.abtest import compare_variants
from pgai_magic.inference.check import check, outcome_column
from pgai_magic.inference.compile import compile_model
from pgai_magic.inference.drift import reference, store_reference
from pgai_magic.inference.monitor import MonitorReport, profile
from pgai_magic.inference.request import TrainRequest
from pgai_magic.inference.splits import Split, create_split, get_split
from pgai_magic.inference.train import evaluate, feature_types, fit
from pgai_magic.sqltext import Statement, check_read_query

__all__ = ["deploy", "monitor", "monitor_variants", "split", "train"]


def deploy(
    db: Database,
    estimator: Any,
    name: str,
    features: Sequence[str] | None = None,
    *,
    data: pd.DataFrame | None = None,
    target: str | None = None,
    metrics: Mapping[str, Any] | None = None,
    types: Mapping[str, str] | None = None,
    strategy: str = "newest",
) -> registry.ModelVersion:
    """Compile, register as the next version, and swap pgai.predict_NAME to it as `strategy` decides.

    strategy: 'newest' (default here: the user chose this estimator), 'best' or 'never' (see
    strategy.decide); the version's `decision` says which version is active and why.
    """
    registry.validate_name(name)
    if isinstance(features, str):
        features = [f.strip() for f in features.split(",") if f.strip()]
    names = list(features) if features is not None else None
    given = dict(types or {})
    if data is not None:
        cols = names or [str(c) for c in getattr(estimator, "feature_names_in_", [])]
        missing = [c for c in cols if c not in data.columns]
        if missing:
            raise ModelError(f"the data has no column(s) {missing} (features of the model)")
        inferred = dict(feature_types(data[cols])) if cols else {}
        given = {**inferred, **given}
    try:
        compiled = compile_model(estimator, names, given or None)
    except ModelError:
        raise
    except (AttributeError, TypeError, ValueError, IndexError) as exc:
        raise ModelError(f"cannot compile {type(estimator).__name__}: {exc}") from None
    snapshot = None
    stored: dict[str, Any] = dict(metrics or {})
    if data is not None:
        feats = compiled.features
        snapshot = profile(data, feats)
        if target is not None:
            if target not in data.columns:
                raise ModelError(f"target column {target!r} is not in the data")
            known = data[data[target].notna()]
            fitted = getattr(estimator, "feature_names_in_", None)
            X: Any = known[[str(f) for f in fitted]] if fitted is not None else known[[n for n, _ in feats]].to_numpy()
            stored = {**evaluate(estimator, X, known[target], compiled.task), "split": "deploy data", **stored}
    refs = reference(data, compiled.features) if data is not None else []
    mv = registry.deploy(
        db.control, compiled, estimator, name, target=target, metrics=stored, profile=snapshot,
        strategy=strategy, reference=lambda conn, version: store_reference(conn, name, version, refs, []),
    )  # fmt: skip
    return _advised(mv, estimator)


def _advised(mv: registry.ModelVersion, estimator: Any) -> registry.ModelVersion:
    """The version with deploy's advice on where to score it (a model too large for SQL: the python engine)."""
    from pgai_magic.inference.score import sql_advice

    advice = sql_advice(estimator)
    if advice:
        mv.notes.append(advice.replace("NAME", mv.name))
    return mv


def train(db: Database, request: TrainRequest) -> registry.ModelVersion:
    """Fetch the request's query, fit with a held-out split, store the metrics and the profile, deploy.

    strategy 'best' (default) activates the new version only when its held-out metric beats the
    active version's; 'newest' always; 'never' stores it inactive.
    """
    name, target = registry.validate_name(request.name), request.target
    read = db.read(request.query, what="the training query", error=ModelError)  # READ ONLY, with a timeout
    frame = convert.to_pandas(read.table) if read.table is not None else pd.DataFrame()
    if frame.empty:
        raise ModelError("the training query returned no rows")
    result = fit(frame, target, algorithm=request.algorithm, task=request.task, test_size=request.test_size,
                 random_state=request.random_state, params=dict(request.params or {}))  # fmt: skip
    compiled = compile_model(result.estimator, None, dict(result.features))
    trained_on = frame.loc[result.train_frame.index]
    snapshot = profile(trained_on, compiled.features)
    refs = reference(trained_on, compiled.features)
    sources = _sources(db, request.query)  # who may see this version: the roles that may read what it learnt from
    mv = registry.deploy(
        db.control, compiled, result.estimator, name, target=target, metrics=result.metrics, profile=snapshot,
        strategy=request.strategy, sources=sources, lineage=dict(request.lineage) if request.lineage else None,
        reference=lambda conn, version: store_reference(conn, name, version, refs, sources),
    )  # fmt: skip
    return _advised(mv, result.estimator)


def _sources(db: Database, query: str) -> list[int]:
    """The relations `query` reads as the read-only path resolves them (pg_class oids)."""
    return catalog.query_sources(catalog.reader(db.control), query, db.search_path())


def monitor(db: Database, name: str, query: str, *, actual: str | None = None, record: bool = True) -> MonitorReport:
    """Score `query` with the deployed SQL function in the database; compare metrics and distributions (check.check);
    kept in pgai.model_monitoring unless `record` is False."""
    report = check(db, name, query, actual=actual)
    if record:
        drift = [{str(k): v for k, v in r.items()} for r in report.drift.to_dict(orient="records")]
        sources = _sources(db, query)
        registry.record_check(db.control, report.name, report.version, report.n_rows, report.current, drift,
                              sources=sources)  # fmt: skip
    return report


def split(db: Database, name: str, versions: Sequence[int], weights: Sequence[int] | None = None) -> Split:
    """Create pgai.variant_NAME(key) and pgai.predict[_proba]_NAME_split(key, features…); equal weights by default."""
    return create_split(db.control, name, versions, weights or [1] * len(versions))


def monitor_variants(db: Database, name: str, query: str, *, actual: str | None = None, key: str = "id") -> Any:
    """Score `query` through pgai.predict_NAME_split by its `key` column: metrics per variant, significance test."""
    conn = db.control
    plan = get_split(conn, name)
    mv = registry.get(conn, name, plan.versions[0])
    inner = check_read_query(query, what="the monitoring query", error=ModelError)
    columns = [
        d.name
        for d in conn.execute(sql.SQL("SELECT * FROM ({}) AS q LIMIT 0").format(sql.SQL(inner))).description or []
    ]
    actual = outcome_column(mv, columns, actual)
    need = [c for c in [*mv.feature_names, actual, key] if c not in columns]
    if need:
        raise ModelError(f"the monitoring query lacks column(s) {need}; it returns {columns}; it needs the "
                         f"features {mv.feature_names}, the outcome {actual!r} and the split key {key!r}")  # fmt: skip
    k = sql.SQL("q.{}::text").format(sql.Identifier(key))
    args = sql.SQL(", ").join([k, *[sql.SQL("q.{}").format(sql.Identifier(f)) for f in mv.feature_names]])
    parts = [
        sql.SQL("pgai.{}({}) AS variant").format(sql.Identifier(f"variant_{name}"), k),
        sql.SQL("pgai.{}({}) AS prediction").format(sql.Identifier(f"predict_{name}_split"), args),
        sql.SQL("q.{} AS actual").format(sql.Identifier(actual)),
    ]
    if mv.proba_type:
        parts.insert(2, sql.SQL("pgai.{}({}) AS score").format(sql.Identifier(f"predict_proba_{name}_split"), args))
    statement = sql.SQL("SELECT {} FROM ({}) AS q").format(sql.SQL(", ").join(parts), sql.SQL(inner))
    try:
        result = db.run_readonly(Statement(statement.as_string(conn)), timeout_s=db.read_timeout_s)
    except Exception as exc:  # noqa: BLE001 - any SQL failure is reported as a model error with its message
        raise ModelError(f"the monitoring query failed: {exc}") from None
    frame = convert.to_pandas(result.table) if result.table is not None else pd.DataFrame()
    return compare_variants(name, mv.task, mv.label_type, mv.classes or [], frame, plan.shares())

"""One monitoring run of a model: score a query of features and outcomes in the database, compare the metrics with
training, measure drift (PSI, and the KS / chi-square tests); or compare the prediction log with the outcomes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
import psycopg
from psycopg import sql

from pgai_magic import catalog
from pgai_magic.cell import convert
from pgai_magic.db import Database, read_only, server_message
from pgai_magic.errors import ModelError
from pgai_magic.inference import drift as tests
from pgai_magic.inference import registry
from pgai_magic.inference.monitor import (
    MonitorReport,
    align_labels,
    classification_metrics,
    compare_metrics,
    feature_drift,
    regression_metrics,
)
from pgai_magic.sqltext import Statement, check_read_query

__all__ = ["check", "check_log", "monitor_sql", "outcome_column", "query_columns", "query_sources"]


def query_sources(conn: psycopg.Connection, query: str) -> list[int]:
    """The relations a monitoring query reads (the `sources` of the rows derived from it)."""
    return catalog.query_sources(catalog.reader(conn), query)


def query_columns(conn: psycopg.Connection, query: str, timeout_s: float) -> list[str]:
    """The column names `query` returns (a READ ONLY LIMIT 0 run)."""
    with read_only(conn, timeout_s, what="the monitoring query"):  # the user's query only ever runs READ ONLY
        described = conn.execute(sql.SQL("SELECT * FROM ({}) AS q LIMIT 0").format(sql.SQL(query))).description  # type: ignore[arg-type]
    return [d.name for d in described or []]


def outcome_column(mv: registry.ModelVersion, columns: Sequence[str], given: str | None) -> str:
    """The outcome column of a monitoring query returning `columns`: `given` when given; else the model's target
    (its registry entry's, e.g. 'churned') when the query returns it; else 'actual' when it returns that; else
    the model's target (or 'actual'), for the error that names what is missing."""
    if given is not None:
        return given
    if mv.target and mv.target in columns:
        return mv.target
    return "actual" if "actual" in columns or not mv.target else mv.target


def monitor_sql(
    conn: psycopg.Connection, mv: registry.ModelVersion, query: str, actual: str | None, timeout_s: float
) -> str:
    """The query scoring `query`'s rows with the model's SQL functions, the outcome column `actual` (None: the
    model's target, `outcome_column`) as `actual`; ModelError when it lacks a column."""
    columns = query_columns(conn, query, timeout_s)
    actual = outcome_column(mv, columns, actual)
    missing = [f for f in mv.feature_names if f not in columns]
    if missing or actual not in columns:
        need = missing + ([actual] if actual not in columns else [])
        raise ModelError(f"the monitoring query lacks column(s) {need}; it returns {columns}; "
                         f"it needs the features {mv.feature_names} and the outcome column {actual!r}")  # fmt: skip
    args = sql.SQL(", ").join(sql.SQL("q.{}").format(sql.Identifier(f)) for f in mv.feature_names)
    parts = [
        sql.SQL("{}.{}({}) AS prediction").format(sql.Identifier("pgai"), sql.Identifier(f"predict_{mv.name}"), args)
    ]
    if mv.proba_type:
        fn = sql.Identifier(f"predict_proba_{mv.name}")
        parts.append(sql.SQL("{}.{}({}) AS score").format(sql.Identifier("pgai"), fn, args))
    parts.append(sql.SQL("q.{} AS actual").format(sql.Identifier(actual)))
    parts += [sql.SQL("q.{}").format(sql.Identifier(f)) for f in mv.feature_names]
    statement = sql.SQL("SELECT {} FROM ({}) AS q").format(sql.SQL(", ").join(parts), sql.SQL(query))  # type: ignore[arg-type]
    return statement.as_string(conn)


def _metrics(mv: registry.ModelVersion, frame: pd.DataFrame, notes: list[str]) -> dict[str, Any]:
    known = frame[frame["actual"].notna() & frame["prediction"].notna()] if len(frame) else frame
    if len(known) < len(frame):
        notes.append(
            f"{len(frame) - len(known):,} rows without an actual outcome or a prediction (NULL features) "
            "were left out of the metrics"
        )
    if len(known) == 0:
        notes.append("no rows with an actual outcome: metrics cannot be computed")
        return {}
    if mv.task == "regression":
        return regression_metrics(pd.to_numeric(known["actual"]), known["prediction"])
    truth = align_labels(known["actual"], mv.label_type)
    scores = known["score"] if "score" in known.columns else None
    return classification_metrics(truth, known["prediction"], scores, mv.classes or [])


def _drift_tests(db: Database, mv: registry.ModelVersion, query: str, notes: list[str]) -> pd.DataFrame:
    conn = db.control
    kinds = tests.reference_kinds(conn, mv.name, mv.version)
    if not kinds:
        notes.append("no training reference for the KS / chi-square tests: train, or deploy with data=...")
        return pd.DataFrame(columns=tests.TEST_COLUMNS)
    try:
        with read_only(conn, db.read_timeout_s, what="the drift tests"):
            rows = conn.execute(tests.tests_sql(query, kinds), {"name": mv.name, "version": mv.version}).fetchall()
    except psycopg.Error as exc:
        raise ModelError(f"the drift tests failed: {server_message(exc)}") from None
    return tests.drift_tests(rows)


def check(
    db: Database, name: str, query: str, *, actual: str | None = None, version: int | None = None
) -> MonitorReport:
    """Score `query` (features and the outcome column `actual`; None: the model's target, else 'actual') with the
    model's SQL function in the database;
    metrics next to training's, PSI per feature and the KS / chi-square test per feature. Nothing is recorded."""
    conn = db.control
    mv = registry.get(conn, name, version)
    checked = check_read_query(query, what="the monitoring query", error=ModelError)
    text = monitor_sql(conn, mv, checked, actual, db.read_timeout_s)
    try:
        result = db.run_readonly(Statement(text), timeout_s=db.read_timeout_s)
    except Exception as exc:  # noqa: BLE001 - any SQL failure is reported as a model error with its message
        raise ModelError(f"the monitoring query failed: {exc}") from None
    frame = convert.to_pandas(result.table) if result.table is not None else pd.DataFrame()
    notes: list[str] = []
    current = _metrics(mv, frame, notes)
    drift = feature_drift(mv.profile, frame)
    if mv.profile is None:
        notes.append("no training snapshot: deploy with data=... (or train) to get drift")
    found = _drift_tests(db, mv, checked, notes)
    if len(found):
        drift = drift.merge(found[["feature", "test", "statistic", "p_value", "at"]], on="feature", how="outer")
        drift = drift.sort_values(["psi", "p_value"], ascending=[False, True], ignore_index=True, na_position="last")
    training = {k: v for k, v in mv.metrics.items() if isinstance(v, (int, float))}
    table = compare_metrics(training, current, mv.task)
    return MonitorReport(mv.name, mv.version, mv.task, len(frame), table, drift, frame, notes, current)


def check_log(db: Database, name: str, query: str, *, key: str, actual: str | None = None, days: int = 30) -> Any:
    """Metrics per version of the predictions logged for `name` in the last `days` days, joined with the outcomes
    of `query` (its `key` and `actual` columns) on the logged key: a DataFrame (version, n, metrics…)."""
    conn = db.control
    mv = registry.get(conn, name)
    checked = check_read_query(query, what="the outcomes query", error=ModelError)
    columns = query_columns(conn, checked, db.read_timeout_s)
    actual = outcome_column(mv, columns, actual)
    if key not in columns or actual not in columns:
        raise ModelError(f"the outcomes query must return the key column {key!r} and the outcome {actual!r}; "
                         f"it returns {columns}")  # fmt: skip
    statement = sql.SQL(
        "SELECT p.version, p.variant, p.prediction::{type} AS prediction, a.{actual} AS actual "
        "FROM pgai.prediction_log AS p "
        "JOIN ({query}) AS a ON a.{key}::text = p.key WHERE p.name = {name} "
        "AND p.predicted_at >= now() - make_interval(days => {days})"
    ).format(type=sql.SQL(mv.label_type), actual=sql.Identifier(actual), query=sql.SQL(checked),  # type: ignore[arg-type]
             key=sql.Identifier(key),
             name=sql.Literal(name), days=sql.Literal(int(days)))  # fmt: skip
    try:
        result = db.run_readonly(Statement(statement.as_string(conn)), timeout_s=db.read_timeout_s)
    except Exception as exc:  # noqa: BLE001 - any SQL failure is reported as a model error with its message
        raise ModelError(f"the prediction log query failed: {exc}") from None
    frame = convert.to_pandas(result.table) if result.table is not None else pd.DataFrame()
    rows = []
    for _, part in frame.groupby("version", sort=True) if len(frame) else []:
        known = part[part["actual"].notna() & part["prediction"].notna()]
        if mv.task == "regression":
            metrics = regression_metrics(pd.to_numeric(known["actual"]), pd.to_numeric(known["prediction"]))
        else:
            truth = align_labels(known["actual"], mv.label_type)
            metrics = classification_metrics(truth, known["prediction"], None, mv.classes or [])
        rows.append({"version": int(part["version"].iloc[0]), "n_predictions": len(part), **metrics})
    return pd.DataFrame.from_records(rows)

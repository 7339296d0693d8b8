"""Shared helpers for the inference tests: score a frame through compiled SQL functions and compare with sklearn."""

from __future__ import annotations

import uuid
import warnings
from typing import Any

import numpy as np
import pandas as pd
import psycopg
from psycopg import sql

from pgai_magic.inference.compile import CompiledModel, compile_model

TOL = 1e-9


def _column(values: pd.Series, sqltype: str, missing: str = "null") -> list[Any]:
    """SQL values of a column; a missing number is sent as NULL, as float8 'NaN', or alternately ('mixed')."""
    out: list[Any] = []
    for i, v in enumerate(values.tolist()):
        if v is None or (isinstance(v, float) and np.isnan(v)):
            nan = sqltype == "float8" and (missing == "nan" or (missing == "mixed" and i % 2 == 0))
            out.append(float("nan") if nan else None)
        elif sqltype == "float8":
            out.append(float(v))
        elif sqltype == "boolean":
            out.append(bool(v))
        else:
            out.append(str(v))
    return out


def sql_scores(
    conn: psycopg.Connection, schema: str, est: Any, X: pd.DataFrame, missing: str = "null", **compile_kw: Any
) -> tuple[list[Any], list[Any] | None, CompiledModel]:
    """Compile `est`, create its functions in `schema`, and score every row of X in one query."""
    cm = compile_model(est, **compile_kw)
    fname = f"m_{uuid.uuid4().hex[:8]}"
    conn.execute(cm.create_function(schema, fname))
    if cm.proba_sql is not None:
        conn.execute(cm.create_function(schema, fname + "_p", "predict_proba"))
    arrays = [_column(X[name], sqltype, missing) for name, sqltype in cm.features]
    unnest = sql.SQL(", ").join(sql.SQL("%s::{}[]").format(sql.SQL(t)) for _, t in cm.features)
    cols = sql.SQL(", ").join(sql.Identifier(f"c{i}") for i in range(len(cm.features)))
    call = sql.SQL(", ").join(sql.SQL("u.{}").format(sql.Identifier(f"c{i}")) for i in range(len(cm.features)))
    select = [sql.SQL("{}.{}({})").format(sql.Identifier(schema), sql.Identifier(fname), call)]
    if cm.proba_sql is not None:
        select.append(sql.SQL("{}.{}({})").format(sql.Identifier(schema), sql.Identifier(fname + "_p"), call))
    query = sql.SQL("SELECT {} FROM unnest({}) WITH ORDINALITY AS u({}, i) ORDER BY i").format(
        sql.SQL(", ").join(select), unnest, cols
    )
    rows = conn.execute(query, arrays).fetchall()
    labels = [r[0] for r in rows]
    proba = [r[1] for r in rows] if cm.proba_sql is not None else None
    return labels, proba, cm


def _sk_row_ok(est: Any, row: pd.DataFrame) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est.predict(row)
    except ValueError:
        return False
    return True


def check_model(
    conn: psycopg.Connection,
    schema: str,
    est: Any,
    X: pd.DataFrame,
    missing: str = "null",
    probe_all: bool = False,
    **compile_kw: Any,
) -> dict[str, Any]:
    """Assert SQL and sklearn agree on every row of X (labels equal, numbers within 1e-9).

    Rows sklearn refuses (missing values the model cannot take; any row when `probe_all`, e.g. unknown
    categories) must come back NULL from SQL. `missing`: send missing numbers as NULL, NaN or 'mixed'.
    """
    labels, proba, cm = sql_scores(conn, schema, est, X, missing, **compile_kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        probe = np.ones(len(X), dtype=bool) if probe_all else X.isna().any(axis=1).to_numpy()
        ok = np.array([True if not probe[i] else _sk_row_ok(est, X.iloc[[i]]) for i in range(len(X))])
        good = X[ok]
        sk_pred = est.predict(good) if len(good) else np.array([])
        sk_proba = est.predict_proba(good) if cm.proba_sql is not None and len(good) else None
    refused = [i for i in range(len(X)) if not ok[i]]
    for i in refused:
        assert labels[i] is None, f"row {i} has a missing value sklearn refuses, SQL gave {labels[i]!r}"
        if proba is not None:
            assert proba[i] is None, f"row {i}: proba should be NULL, got {proba[i]!r}"
    kept = [i for i in range(len(X)) if ok[i]]
    got = [labels[i] for i in kept]
    max_diff = 0.0
    if cm.task == "regression":
        diff = np.abs(np.asarray(got, dtype=float) - np.asarray(sk_pred, dtype=float))
        max_diff = float(diff.max()) if len(diff) else 0.0
        assert max_diff <= TOL, f"regression values differ by {max_diff}"
    else:
        expected = [c.item() if hasattr(c, "item") else c for c in sk_pred]
        mismatches = [(i, a, b) for i, a, b in zip(kept, got, expected) if a != b]
        assert not mismatches, f"labels differ: {mismatches[:5]}"
        assert (proba is not None and sk_proba is not None) or not kept
        if kept:
            mine = [proba[i] for i in kept]  # type: ignore[index]
            if sk_proba.shape[1] == 2:
                diff = np.abs(np.asarray(mine, dtype=float) - sk_proba[:, 1])
            else:
                diff = np.abs(np.vstack([np.asarray(m, dtype=float) for m in mine]) - sk_proba)
            max_diff = float(diff.max())
            assert max_diff <= TOL, f"probabilities differ by {max_diff}"
    return {"compiled": cm, "max_diff": max_diff, "refused": len(refused), "rows": len(X)}

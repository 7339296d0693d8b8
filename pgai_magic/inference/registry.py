"""The model registry in the pgai schema: versions, atomic swaps of pgai.predict_NAME, rollback."""

from __future__ import annotations

import io
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from pgai_magic import catalog
from pgai_magic.db import server_detail, server_message
from pgai_magic.display import Lines
from pgai_magic.errors import ModelError
from pgai_magic.inference.compile import CompiledModel, function_ddl

__all__ = [
    "ModelVersion", "deploy", "describe", "drop", "get", "list_models", "load", "rollback", "validate_name",
    "versions", "versions_frame",
]  # fmt: skip

SCHEMA = "pgai"
MAX_NAME = 40


@dataclass
class ModelVersion:
    """One deployed version of a model, as the registry records it."""

    name: str
    version: int
    algorithm: str
    pipeline: str
    task: str
    features: list[dict[str, str]]
    target: str | None
    classes: list[Any] | None
    label_type: str
    proba_type: str | None
    sklearn_version: str
    metrics: dict[str, Any]
    functions: dict[str, str]
    created_at: datetime
    active: bool
    profile: dict[str, Any] | None = field(default=None, repr=False)
    # what it was trained on: {"training_set": id, "labels": …, "views": [{"name", "version", "features"}], …}
    lineage: dict[str, Any] | None = field(default=None, repr=False)
    decision: str = ""  # why this version is (or is not) active, set by deploy
    notes: list[str] = field(default_factory=list, repr=False, compare=False)  # advice from deploy and training
    # every version of the model (`versions_frame`: active mark, algorithm, headline metrics, the data they were
    # measured on); filled by `describe`, None otherwise
    history: pd.DataFrame | None = field(default=None, repr=False, compare=False)

    @property
    def feature_names(self) -> list[str]:
        return [f["name"] for f in self.features]

    def signatures(self) -> dict[str, str]:
        """The stable SQL functions of this model, as a user calls them."""
        args = ", ".join(f"{f['name']} {f['type']}" for f in self.features)
        out = {"predict": f"pgai.predict_{self.name}({args}) → {self.label_type}"}
        if self.proba_type:
            out["predict_proba"] = f"pgai.predict_proba_{self.name}({args}) → {self.proba_type}"
        return out

    def details(self) -> Lines:
        """What `model show` lists, as a two-column table: the registry record, the SQL functions to call it,
        and whether a training snapshot lets `monitor` measure drift (`history` is shown under it)."""
        return Lines(
            {
                "name": self.name, "version": self.version, "active": self.active, "algorithm": self.algorithm,
                "pipeline": self.pipeline, "task": self.task, "features": self.features, "target": self.target,
                "classes": self.classes, "metrics": self.metrics, "sql": self.signatures(),
                "functions": {k: f"pgai.{v}" for k, v in self.functions.items()},
                "sklearn_version": self.sklearn_version, "created_at": self.created_at,
                "drift_snapshot": self.profile is not None, **self._lineage_lines(),
            }
        )  # fmt: skip

    def _lineage_lines(self) -> dict[str, Any]:
        """The feature views and versions the model was trained on, and its training set (when it used views)."""
        if not self.lineage or not self.lineage.get("views"):
            return {}
        views = "; ".join(f"{v['name']} v{v['version']} ({', '.join(v['features'])})" for v in self.lineage["views"])
        ttl = f", ttl {self.lineage['ttl']}" if self.lineage.get("ttl") else ""
        labels = f"#{self.lineage.get('training_set')}: labels {self.lineage.get('labels')}{ttl}"
        return {"feature views": views, "training set": labels}

    def summary(self) -> str:
        state = "active" if self.active else "inactive"
        return f"{self.name} v{self.version} ({state}): {self.algorithm}, {self.task}, features {self.feature_names}"

    def __repr__(self) -> str:
        return f"<ModelVersion {self.summary()}>"


def validate_name(name: str) -> str:
    """A model name is part of SQL function names: lowercase letter, then letters, digits or _."""
    ok = (
        isinstance(name, str)
        and 0 < len(name) <= MAX_NAME
        and name[0].isascii() and name[0].islower()
        and all(ch.isascii() and (ch.islower() or ch.isdigit() or ch == "_") for ch in name)
    )  # fmt: skip
    if not ok:
        hint = "".join(ch if ch.isascii() and (ch.isalnum() or ch == "_") else "_" for ch in str(name).lower())
        hint = hint if hint[:1].isalpha() else f"m_{hint}"
        raise ModelError(
            f"model name {name!r} must be 1 to {MAX_NAME} lowercase letters, digits or _ starting with a letter "
            f"(it becomes pgai.predict_NAME): try {hint[:MAX_NAME]!r}"
        )
    return name


def _json(value: Any) -> Jsonb:
    def default(obj: Any) -> Any:
        if isinstance(obj, np.generic):
            return obj.item()
        if isinstance(obj, np.ndarray):
            return obj.tolist()
        return str(obj)

    def clean(obj: Any) -> Any:
        if isinstance(obj, float) and not math.isfinite(obj):
            return None
        if isinstance(obj, dict):
            return {str(k): clean(v) for k, v in obj.items()}
        if isinstance(obj, (list, tuple)):
            return [clean(v) for v in obj]
        return obj

    return Jsonb(clean(json.loads(json.dumps(value, default=default))))


def serialize(estimator: Any) -> bytes:
    """joblib bytes of a fitted estimator."""
    import joblib

    buffer = io.BytesIO()
    joblib.dump(estimator, buffer)
    return buffer.getvalue()


_COLUMNS = (
    "name, version, algorithm, pipeline, task, features, target, classes, label_type, proba_type, "
    "sklearn_version, metrics, functions, created_at, active, profile, lineage"
)


def _row_to_version(row: tuple[Any, ...]) -> ModelVersion:
    return ModelVersion(*row)


def get(conn: psycopg.Connection, name: str, version: int | None = None) -> ModelVersion:
    """The active version of `name` (or the given version)."""
    if version is None:
        query = f"SELECT {_COLUMNS} FROM pgai.models WHERE name = %s AND active"
        row = conn.execute(query, (name,)).fetchone()
    else:
        query = f"SELECT {_COLUMNS} FROM pgai.models WHERE name = %s AND version = %s"
        row = conn.execute(query, (name, int(version))).fetchone()
    if row is None:
        known = [r[0] for r in conn.execute("SELECT DISTINCT name FROM pgai.models ORDER BY 1")]
        if name in known:
            have = [r[0] for r in conn.execute("SELECT version FROM pgai.models WHERE name = %s ORDER BY 1", (name,))]
            if version is None:
                raise ModelError(
                    f"model {name!r} has no active version (versions {have}): activate one with "
                    f"%pgai model rollback {name} --version V"
                )
            raise ModelError(f"model {name!r} has no version {version}: versions are {have}")
        from pgai_magic.catalog import did_you_mean

        advice = did_you_mean(name, known)
        hint = f" — {advice}" if advice else (f"; deployed models: {known}" if known else "")
        raise ModelError(f"no model named {name!r}{hint}")
    return _row_to_version(row)


def versions(conn: psycopg.Connection, name: str) -> list[ModelVersion]:
    rows = conn.execute(f"SELECT {_COLUMNS} FROM pgai.models WHERE name = %s ORDER BY version", (name,)).fetchall()
    return [_row_to_version(r) for r in rows]


METRIC_COLUMNS = ("auc", "accuracy", "rmse", "mae", "r2")


def _metric_cells(metrics: dict[str, Any]) -> dict[str, float | None]:
    """The headline metrics as numbers (None where a version has none)."""
    out: dict[str, float | None] = {}
    for key in METRIC_COLUMNS:
        value = metrics.get(key)
        out[key] = float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
    return out


def _drop_empty(frame: pd.DataFrame) -> pd.DataFrame:
    """Drop the metric columns no row has (a regression model has no AUC)."""
    empty = [c for c in METRIC_COLUMNS if c in frame.columns and frame[c].isna().all()]
    return frame.drop(columns=empty)


def list_models(conn: psycopg.Connection) -> pd.DataFrame:
    """One row per model: active version (NULL when none), version count, algorithm, headline metrics, function.

    Metrics are those of the active version (else the newest) as stored at deploy time: held-out for
    `train`, the given data for `deploy --data --target`, under `split`.
    """
    rows = conn.execute(
        """SELECT DISTINCT ON (m.name) m.name, CASE WHEN m.active THEN m.version END, m.algorithm, m.task, m.features,
                  m.metrics, m.created_at, count(*) OVER (PARTITION BY m.name) AS versions
           FROM pgai.models m ORDER BY m.name, m.active DESC, m.version DESC"""
    ).fetchall()
    records = []
    for name, version, algorithm, task, feats, metrics, created, count in rows:
        records.append({
            "name": name, "version": version, "versions": count, "algorithm": algorithm, "task": task,
            **_metric_cells(metrics), "split": metrics.get("split"),
            "features": ", ".join(f["name"] for f in feats), "created_at": created,
            "function": f"pgai.predict_{name}" if version is not None else "(no active version)",
        })  # fmt: skip
    columns = ["name", "version", "versions", "algorithm", "task", *METRIC_COLUMNS, "split", "features",
               "created_at", "function"]  # fmt: skip
    frame = pd.DataFrame.from_records(records, columns=columns).astype({c: float for c in METRIC_COLUMNS})
    return _drop_empty(frame) if len(frame) else frame


def versions_frame(conn: psycopg.Connection, name: str) -> pd.DataFrame:
    """One row per version of `name`: active, algorithm, pipeline, headline metrics and the data they come from."""
    found = versions(conn, name)
    if not found:
        get(conn, name)  # the clear "no model named ..." error
    records = [
        {"version": v.version, "active": "✓" if v.active else "", "algorithm": v.algorithm, **_metric_cells(v.metrics),
         "split": v.metrics.get("split"), "n_test": v.metrics.get("n_test"), "pipeline": v.pipeline,
         "created_at": v.created_at}
        for v in found
    ]  # fmt: skip
    columns = ["version", "active", "algorithm", *METRIC_COLUMNS, "split", "n_test", "pipeline", "created_at"]
    frame = pd.DataFrame.from_records(records, columns=columns).astype({c: float for c in METRIC_COLUMNS})
    return _drop_empty(frame).set_index("version")


def describe(conn: psycopg.Connection, name: str, version: int | None = None) -> ModelVersion:
    """Version `version` of `name` (the active one when None) with the model's `history` of versions.

    ModelError (with "did you mean") when no such model or version is registered."""
    return replace(get(conn, name, version), history=versions_frame(conn, name))


def _lock(conn: psycopg.Connection, name: str) -> None:
    conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"pgai.model:{name}",))


def deploy(
    conn: psycopg.Connection,
    compiled: CompiledModel,
    estimator: Any,
    name: str,
    *,
    target: str | None = None,
    metrics: dict[str, Any] | None = None,
    profile: dict[str, Any] | None = None,
    strategy: str = "newest",
    sources: Sequence[int] = (),
    lineage: dict[str, Any] | None = None,
    reference: Any = None,
) -> ModelVersion:
    """Create the next version's functions and, as `strategy` decides, make it active; one transaction.

    strategy: 'newest' (activate), 'best' (activate only when its headline metric beats the active
    version's, see strategy.decide) or 'never'. The returned version's `decision` says why. `sources` are the
    pg_class oids of the relations the model learnt from: only a role that may read them all sees the version
    (sql/040_source_privileges.sql). ModelError when the name is taken by versions this role may not see.
    `lineage` (the feature views and training set) is kept with it; `reference` (a callable of (conn, version))
    keeps the drift tests' training distribution in the same transaction.
    """
    from pgai_magic.inference.strategy import STRATEGIES

    if strategy not in STRATEGIES:
        raise ModelError(f"unknown deploy strategy {strategy!r}: use one of {', '.join(STRATEGIES)}")
    validate_name(name)
    blob = serialize(estimator)
    features = [{"name": n, "type": t} for n, t in compiled.features]
    try:
        kept = (sources, lineage, reference)
        return _deploy(conn, compiled, blob, name, (target, metrics, profile, strategy), features, kept)
    except psycopg.errors.UniqueViolation:
        raise _taken(name) from None


def _taken(name: str) -> ModelError:
    return ModelError(
        f"the model name {name!r} is taken by versions trained on data this role may not read: choose another name"
    )


def _deploy(
    conn: psycopg.Connection,
    compiled: CompiledModel,
    blob: bytes,
    name: str,
    about: tuple[str | None, dict[str, Any] | None, dict[str, Any] | None, str],
    features: list[dict[str, str]],
    kept: tuple[Sequence[int], dict[str, Any] | None, Any],
) -> ModelVersion:
    import sklearn

    from pgai_magic.inference.strategy import decide

    target, metrics, profile, strategy = about
    sources, lineage, reference = kept
    with conn.transaction():
        _lock(conn, name)
        row = conn.execute("SELECT COALESCE(max(version), 0) + 1 FROM pgai.models WHERE name = %s", (name,)).fetchone()
        version = int(row[0]) if row else 1
        functions = {"predict": f"predict_{name}_v{version}"}
        if compiled.proba_sql is not None:
            functions["predict_proba"] = f"predict_proba_{name}_v{version}"
        if catalog.read_functions(catalog.reader(conn), SCHEMA, list(functions.values())):
            raise _taken(name)  # a version this role does not see (pgai.models' row-level security) has them
        for which, fname in functions.items():
            _execute(conn, compiled.create_function(SCHEMA, fname, which), f"pgai.{fname}")
        conn.execute(
            """INSERT INTO pgai.models (name, version, algorithm, pipeline, task, features, target, classes,
                   label_type, proba_type, sklearn_version, metrics, profile, model, functions, lineage, sources)
               VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s,
                       %s::int8[]::oid[]::regclass[])""",
            (
                name, version, compiled.algorithm, compiled.pipeline, compiled.task, _json(features), target,
                None if compiled.classes is None else _json(compiled.classes), compiled.predict_type,
                compiled.proba_type, sklearn.__version__, _json(metrics or {}),
                None if profile is None else _json(profile), blob, _json(functions),
                None if lineage is None else _json(lineage), list(sources),
            ),
        )  # fmt: skip
        if reference is not None:
            reference(conn, version)
        row = conn.execute(f"SELECT {_COLUMNS} FROM pgai.models WHERE name = %s AND active", (name,)).fetchone()
        decision = decide(strategy, version, metrics or {}, compiled.task, _row_to_version(row) if row else None)
        if decision.activate:
            _activate(conn, name, version)
    mv = get(conn, name, version)
    mv.decision = decision.reason
    return mv


def _execute(conn: psycopg.Connection, statement: sql.Composed, what: str) -> None:
    try:
        conn.execute(statement)
    except psycopg.errors.DependentObjectsStillExist as exc:
        raise ModelError(
            f"{what} cannot be replaced: {server_detail(exc) or server_message(exc)}; the new version "
            "has different arguments, so drop the objects that use it (or deploy with the same features)"
        ) from None
    except psycopg.Error as exc:
        raise ModelError(f"could not create {what}: {server_message(exc)}") from None


def _wrapper(conn: psycopg.Connection, stable: str, target: str | None, mv: ModelVersion, rettype: str | None) -> None:
    """Point pgai.<stable> at pgai.<target>: CREATE OR REPLACE when the signature is unchanged, else drop and create."""
    existing = catalog.read_functions(catalog.reader(conn), SCHEMA, [stable])
    names = [f["name"] for f in mv.features]
    types = [{"float8": "double precision"}.get(f["type"], f["type"]) for f in mv.features]
    ret = {"float8": "double precision", "float8[]": "double precision[]"}.get(rettype or "", rettype)
    same = (
        target is not None
        and len(existing) == 1
        and existing[0].arg_names == names
        and existing[0].arg_types == types
        and existing[0].returns == ret
    )
    if not same:
        for function in existing:
            _execute(conn, sql.SQL("DROP FUNCTION {}").format(sql.SQL(function.regprocedure)), f"pgai.{stable}")
    if target is None or rettype is None:
        return
    args = sql.SQL(", ").join(
        sql.SQL("{} {}").format(sql.Identifier(n), sql.SQL(f["type"])) for n, f in zip(names, mv.features)
    )
    call = sql.SQL("SELECT {}.{}({})").format(
        sql.Identifier(SCHEMA),
        sql.Identifier(target),
        sql.SQL(", ").join(sql.SQL(f"${i + 1}") for i in range(len(names))),
    )
    ddl = function_ddl(SCHEMA, stable, args, rettype, call.as_string(conn), replace=same)
    _execute(conn, ddl, f"pgai.{stable}")
    conn.execute(
        sql.SQL("COMMENT ON FUNCTION {}.{}({}) IS {}").format(
            sql.Identifier(SCHEMA),
            sql.Identifier(stable),
            sql.SQL(", ").join(sql.SQL(f["type"]) for f in mv.features),
            sql.Literal(f"pgai_magic model {mv.name} v{mv.version} ({mv.algorithm}); calls pgai.{target}"),
        )
    )


def _activate(conn: psycopg.Connection, name: str, version: int) -> None:
    mv = get(conn, name, version)
    _wrapper(conn, f"predict_{name}", mv.functions["predict"], mv, mv.label_type)
    _wrapper(conn, f"predict_proba_{name}", mv.functions.get("predict_proba"), mv, mv.proba_type)
    conn.execute("UPDATE pgai.models SET active = false WHERE name = %s AND active", (name,))
    conn.execute("UPDATE pgai.models SET active = true WHERE name = %s AND version = %s", (name, version))


def rollback(conn: psycopg.Connection, name: str, version: int | None = None) -> ModelVersion:
    """Make `version` (default: the one before the active one) active again, atomically."""
    with conn.transaction():
        _lock(conn, name)
        if version is None:
            current = get(conn, name)
            row = conn.execute(
                "SELECT max(version) FROM pgai.models WHERE name = %s AND version < %s", (name, current.version)
            ).fetchone()
            if row is None or row[0] is None:
                raise ModelError(f"model {name!r} has no version before v{current.version} to roll back to")
            version = int(row[0])
        get(conn, name, version)  # a clear error when it does not exist
        _activate(conn, name, int(version))
    return get(conn, name)


def drop(conn: psycopg.Connection, name: str) -> int:
    """Remove every version of `name`, its functions, split and monitoring schedules (their alerts too); returns
    how many versions were removed. Its prediction log stays."""
    validate_name(name)
    with conn.transaction():
        _lock(conn, name)
        fnames = [f"predict_{name}", f"predict_proba_{name}"]
        fnames += [f"variant_{name}", f"predict_{name}_split", f"predict_proba_{name}_split"]  # an A/B split
        for mv in versions(conn, name):
            fnames.extend(mv.functions.values())
        procs = [f.regprocedure for f in catalog.read_functions(catalog.reader(conn), "pgai", fnames)]
        for regproc in procs:
            _execute(conn, sql.SQL("DROP FUNCTION {}").format(sql.SQL(regproc)), regproc)
        conn.execute("DELETE FROM pgai.model_splits WHERE name = %s", (name,))
        conn.execute("DELETE FROM pgai.monitor_schedules WHERE name = %s", (name,))  # its alerts go with them
        cur = conn.execute("DELETE FROM pgai.models WHERE name = %s", (name,))
        return cur.rowcount


def load(conn: psycopg.Connection, name: str, version: int | None = None) -> Any:
    """The fitted estimator of a version (unpickled: load only models your team deployed)."""
    import joblib

    mv = get(conn, name, version)
    row = conn.execute("SELECT model FROM pgai.models WHERE name = %s AND version = %s", (name, mv.version)).fetchone()
    assert row is not None
    return joblib.load(io.BytesIO(bytes(row[0])))


def record_check(
    conn: psycopg.Connection, name: str, version: int, n_rows: int, metrics: dict[str, Any],
    drift: list[dict[str, Any]], *, sources: list[int] | None = None, schedule_id: int | None = None,
) -> int:  # fmt: skip
    """Keep a monitoring run in pgai.model_monitoring (with the relations its query read, and the schedule that
    ran it); its id."""
    row = conn.execute(
        """INSERT INTO pgai.model_monitoring (name, version, n_rows, metrics, drift, sources, schedule_id)
           VALUES (%s, %s, %s, %s, %s, %s::int8[]::oid[]::regclass[], %s) RETURNING id""",
        (name, version, n_rows, _json(metrics), _json(drift), list(sources or []), schedule_id),
    ).fetchone()
    return int(row[0]) if row else 0

"""The model registry: deploy creates versions, pgai.predict_NAME swaps atomically, rollback, list/show/drop."""

from __future__ import annotations

import threading

import numpy as np
import pandas as pd
import psycopg
import pytest
from sklearn.ensemble import GradientBoostingRegressor, RandomForestClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression

from pgai_magic.errors import ModelError
from pgai_magic.inference import registry
from pgai_magic.session import Session


def _frame(seed: int = 0, n: int = 200) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"age": rng.integers(18, 80, n).astype(float), "income": rng.normal(50, 15, n)})


def _one(conn: psycopg.Connection, query: str, *params: object) -> object:
    row = conn.execute(query, params).fetchone()
    assert row is not None
    return row[0]


def test_deploy_creates_versioned_functions_and_registry_row(
    session: Session, conn: psycopg.Connection, model_name: str
) -> None:
    X = _frame()
    y = X["age"] * 2 + X["income"]
    est = LinearRegression().fit(X, y)
    mv = session.deploy(est, model_name, data=X.assign(y=y), target="y")
    assert (mv.version, mv.active, mv.task, mv.algorithm) == (1, True, "regression", "LinearRegression")
    assert mv.features == [{"name": "age", "type": "float8"}, {"name": "income", "type": "float8"}]
    assert mv.metrics["rmse"] < 1e-9 and mv.metrics["split"] == "deploy data"
    row = conn.execute(
        "SELECT sklearn_version, octet_length(model) > 100, profile IS NOT NULL, created_at <= now() "
        "FROM pgai.models WHERE name = %s",
        (model_name,),
    ).fetchone()
    import sklearn

    assert row == (sklearn.__version__, True, True, True)
    value = _one(conn, f"SELECT pgai.predict_{model_name}(30, 40.5)")
    assert value == pytest.approx(est.predict(pd.DataFrame({"age": [30.0], "income": [40.5]}))[0], abs=1e-9)
    assert _one(conn, f"SELECT pgai.predict_{model_name}_v1(30, 40.5)") == value
    # the stable wrapper and the versioned function both inline: the plan holds the arithmetic itself
    query = f"EXPLAIN VERBOSE SELECT pgai.predict_{model_name}(g, g) FROM generate_series(1, 3) AS g"
    plan = "\n".join(r[0] for r in conn.execute(query))
    assert "predict_" not in plan and "* '" in plan, plan
    assert session.models.load(model_name).coef_.tolist() == est.coef_.tolist()


def test_redeploy_swaps_and_rollback_restores(session: Session, conn: psycopg.Connection, model_name: str) -> None:
    X = _frame()
    first = LinearRegression().fit(X, X["age"])
    second = GradientBoostingRegressor(n_estimators=5, random_state=0).fit(X, X["income"])
    session.deploy(first, model_name)
    conn.execute(f"CREATE VIEW {model_name}_scores AS SELECT pgai.predict_{model_name}(age, income) AS s "
                 "FROM (VALUES (30.0::float8, 50.0::float8)) AS v(age, income)")  # fmt: skip
    mv2 = session.deploy(second, model_name)
    assert mv2.version == 2
    probe = pd.DataFrame({"age": [30.0], "income": [50.0]})
    assert _one(conn, f"SELECT s FROM {model_name}_scores") == pytest.approx(second.predict(probe)[0], abs=1e-9)
    versions = conn.execute(
        "SELECT version, active FROM pgai.models WHERE name = %s ORDER BY 1", (model_name,)
    ).fetchall()
    assert versions == [(1, False), (2, True)]
    back = session.models.rollback(model_name)
    assert back.version == 1 and back.active
    assert _one(conn, f"SELECT s FROM {model_name}_scores") == pytest.approx(30.0, abs=1e-9)
    again = session.models.rollback(model_name, version=2)
    assert again.version == 2
    with pytest.raises(ModelError, match=r"no version 7: versions are \[1, 2\]"):
        session.models.rollback(model_name, version=7)
    conn.execute(f"DROP VIEW {model_name}_scores")


def test_signature_change_replaces_wrapper_in_one_transaction(
    session: Session, conn: psycopg.Connection, model_name: str
) -> None:
    X = _frame()
    y = (X["income"] > 50).astype(int)
    session.deploy(LogisticRegression().fit(X, y), model_name)
    X3 = X.assign(city=np.where(X["age"] > 40, "berlin", "paris"))
    from sklearn.compose import make_column_transformer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    pipe = make_pipeline(
        make_column_transformer((OneHotEncoder(), ["city"]), remainder="passthrough"),
        RandomForestClassifier(n_estimators=3, max_depth=3, random_state=0),
    ).fit(X3, y.map({0: "low", 1: "high"}))
    mv = session.deploy(pipe, model_name)
    assert mv.label_type == "text" and [f["type"] for f in mv.features] == ["float8", "float8", "text"]
    label = _one(conn, f"SELECT pgai.predict_{model_name}(30, 70, 'paris')")
    assert label == pipe.predict(pd.DataFrame({"age": [30.0], "income": [70.0], "city": ["paris"]}))[0]
    overloads = _one(conn, "SELECT count(*) FROM pg_proc WHERE proname = %s", f"predict_{model_name}")
    assert overloads == 1
    # a view pins the old signature: the next incompatible deploy fails whole, nothing changes
    conn.execute(f"CREATE VIEW {model_name}_v AS SELECT pgai.predict_{model_name}(1, 2, 'x') AS l")
    with pytest.raises(ModelError, match="cannot be replaced"):
        session.deploy(LinearRegression().fit(X, X["age"]), model_name)
    assert session.models.info(model_name).version == 2
    assert _one(conn, "SELECT count(*) FROM pgai.models WHERE name = %s", model_name) == 2
    conn.execute(f"DROP VIEW {model_name}_v")
    # rolling back to v1 restores the two-argument signature
    assert session.models.rollback(model_name).version == 1
    assert _one(conn, f"SELECT pgai.predict_{model_name}(30, 70)") in (0, 1)


def test_concurrent_readers_see_old_or_new_version(session: Session, pg_dsn: str, model_name: str) -> None:
    X = _frame()
    session.deploy(LinearRegression().fit(X, X["age"] * 0 + 1.0), model_name)
    seen: set[float] = set()
    errors: list[BaseException] = []
    stop = threading.Event()

    def reader() -> None:
        try:
            with psycopg.connect(pg_dsn, autocommit=True) as c:
                while not stop.is_set():
                    seen.add(round(float(_one(c, f"SELECT pgai.predict_{model_name}(1, 1)")), 6))  # type: ignore[arg-type]
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=reader)
    thread.start()
    for value in (2.0, 3.0, 4.0):
        session.deploy(LinearRegression().fit(X, X["age"] * 0 + value), model_name)
    stop.set()
    thread.join(30)
    assert not errors, errors
    assert seen <= {1.0, 2.0, 3.0, 4.0} and seen


def test_list_show_and_errors(session: Session, model_name: str) -> None:
    X = _frame()
    y = (X["age"] > 45).map({True: "old", False: "young"})
    session.deploy(LogisticRegression().fit(X, y), model_name, metrics={"accuracy": 0.91})
    listing = session.models()
    row = listing[listing["name"] == model_name].iloc[0]
    assert row["version"] == 1 and row["algorithm"] == "LogisticRegression" and row["accuracy"] == 0.91
    info = session.models.info(model_name)
    assert info.classes == ["old", "young"]
    shown = info.details()
    assert shown["sql"]["predict_proba"] == f"pgai.predict_proba_{model_name}(age float8, income float8) → float8"
    assert info.history is not None and list(info.history.index) == [1] and info.history.loc[1, "accuracy"] == 0.91
    assert shown["drift_snapshot"] is False and shown["functions"]["predict"] == f"pgai.predict_{model_name}_v1"
    with pytest.raises(ModelError, match=f"did you mean '{model_name}'"):
        session.models.info(model_name + "x")
    with pytest.raises(ModelError, match="no version before v1"):
        session.models.rollback(model_name)
    with pytest.raises(ModelError, match=r"lowercase letters.*try 'churn_model'"):
        registry.validate_name("Churn Model")
    with pytest.raises(ModelError, match="fit it before deploying"):
        session.deploy(LinearRegression(), model_name)
    assert session.models.drop(model_name) == 1
    assert model_name not in set(session.models()["name"])

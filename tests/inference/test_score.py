"""Batch scoring: both engines write the same (key, prediction) rows as scikit-learn; auto picks and says which."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import psycopg
import pytest

from pgai_magic.commands import COMMANDS, Context, Settings
from pgai_magic.errors import ModelError
from pgai_magic.session import Session

if TYPE_CHECKING:
    from sklearn.base import BaseEstimator


def _data(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "id": np.arange(n) + 1000, "age": rng.integers(18, 80, n).astype(float), "income": rng.normal(50, 15, n),
        "plan": rng.choice(["basic", "pro", "team"], size=n).astype(object),
    })  # fmt: skip
    frame.loc[frame.index[::17], "income"] = np.nan
    frame.loc[frame.index[::23], "plan"] = None
    return frame


def _model(kind: str, frame: pd.DataFrame) -> BaseEstimator:
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
    from sklearn.linear_model import LinearRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    X = frame[["age", "income", "plan"]]
    y = ((frame["age"] > 40) ^ (frame["plan"] == "pro")).astype(int)
    encode = ColumnTransformer([("p", OneHotEncoder(handle_unknown="ignore"), ["plan"])], remainder="passthrough")
    if kind == "forest":
        return make_pipeline(encode, RandomForestClassifier(n_estimators=10, max_depth=6, random_state=0)).fit(X, y)
    if kind == "hgb":
        return make_pipeline(encode, HistGradientBoostingClassifier(max_iter=10, random_state=0)).fit(X, y)
    return LinearRegression().fit(X[["age"]].assign(income=X["income"].fillna(0)), frame["age"] * 2)


@pytest.mark.parametrize("kind", ["forest", "hgb", "linear"])
def test_engines_write_what_sklearn_predicts(
    session: Session, schema: str, conn: psycopg.Connection, model_name: str, kind: str
) -> None:
    frame = _data(700)
    est = _model(kind, frame)
    session.deploy(est, model_name)
    session.persist(frame, table=f"{schema}.customers")
    conn.execute(f"ALTER TABLE {schema}.customers ADD PRIMARY KEY (id)")
    features = ["age", "income", "plan"] if kind != "linear" else ["age", "income"]
    results, chosen = {}, {}
    for engine in ("sql", "python", "auto"):
        into = f"{schema}.scored_{engine}"
        ticks: list[int] = []
        result = session.models.score(model_name, f"{schema}.customers", into, engine=engine, progress=ticks.append)
        assert result.rows == 700 and sum(ticks) == 700 and result.engine in ("sql", "python")
        rows = conn.execute(f"SELECT id, prediction FROM {into} ORDER BY id").fetchall()
        results[engine], chosen[engine] = rows, result.engine
        assert [r[0] for r in rows] == frame["id"].tolist()
    if kind == "linear":  # sklearn refuses the NaN incomes: NULL from both engines
        refused = frame["income"].isna().to_numpy()
        assert all((r[1] is None) == refused[i] for i, r in enumerate(results["python"]))
        ok = ~refused
        expected = est.predict(frame.loc[ok, features])
        got = np.array([r[1] for r, keep in zip(results["sql"], ok) if keep], dtype=float)
        assert np.abs(got - expected).max() <= 1e-9
    else:
        expected = est.predict(frame[features]).tolist()
        assert [r[1] for r in results["sql"]] == expected == [r[1] for r in results["python"]]
    # auto picks an engine by timing both on a sample: it writes exactly what that engine writes
    assert chosen["auto"] in ("sql", "python")
    assert [r[1] for r in results["auto"]] == [r[1] for r in results[chosen["auto"]]]


def test_score_command_says_which_engine_and_refuses_bad_input(session: Session, schema: str, model_name: str) -> None:
    frame = _data(300)
    session.deploy(_model("forest", frame), model_name)
    session.persist(frame, table=f"{schema}.people")
    said: list[str] = []
    ctx = Context(lambda: session, lambda s: None, {}, Settings(), say=said.append, show=said.append)
    run = COMMANDS["model"].run
    result = run(ctx, f"score {model_name} --table {schema}.people --key id --into {schema}.people_scored", None)
    assert repr(result) == result.summary() and "faster on a 300-row sample" in result.reason
    assert f"engine {result.engine}:" in repr(result)  # shown once, as the cell's output
    assert result.summary() not in said
    with pytest.raises(ModelError, match="already exists"):
        run(ctx, f"score {model_name} --table {schema}.people --key id --into {schema}.people_scored", None)
    with pytest.raises(ModelError, match="no single-column primary key: give the row key with --key"):
        run(ctx, f"score {model_name} --table {schema}.people --into {schema}.other", None)
    with pytest.raises(ModelError, match=r"lacks column\(s\) \['nope'\]"):
        run(ctx, f"score {model_name} --table {schema}.people --key nope --into {schema}.other", None)
    with pytest.raises(ModelError, match="no table"):
        run(ctx, f"score {model_name} --table {schema}.ghost --key id --into {schema}.other", None)


def test_auto_skips_the_sql_probe_for_large_forests(
    session: Session, schema: str, model_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pgai_magic.inference import score

    frame = _data(400)
    est = _model("forest", frame)
    nodes = score.tree_nodes(est)
    assert nodes == sum(t.tree_.node_count for t in est[-1].estimators_) and nodes > 100
    assert score.tree_nodes(_model("linear", frame)) == 0
    session.deploy(est, model_name)
    session.persist(frame, table=f"{schema}.big")
    monkeypatch.setattr(score, "SQL_NODE_LIMIT", 100)
    result = session.models.score(model_name, f"{schema}.big", f"{schema}.big_scored", key="id")
    assert result.engine == "python" and f"{nodes:,} tree nodes (over 100)" in result.reason
    with pytest.raises(ModelError, match="unknown engine 'gpu'"):
        session.models.score(model_name, f"{schema}.big", f"{schema}.x", key="id", engine="gpu")


@pytest.mark.parametrize("key_type", ["bigint", "text", "uuid"])
def test_python_engine_writes_exact_predictions_for_any_key_type(
    session: Session, schema: str, conn: psycopg.Connection, model_name: str, key_type: str
) -> None:
    # binary COPY for int and text keys, CSV for the others (uuid): either way every float is written bit for bit
    from sklearn.linear_model import LinearRegression

    rng = np.random.default_rng(3)
    X = rng.normal(size=(2600, 2)) * [1e-3, 1e5]
    est = LinearRegression().fit(X, X @ [3.0, -0.7] + rng.normal(size=len(X)))
    key_sql = {"bigint": "g::bigint", "text": "'k' || g", "uuid": "md5(g::text)::uuid"}[key_type]
    conn.execute(f"CREATE TABLE {schema}.pts AS SELECT {key_sql} AS k, 0.0::float8 AS a, 0.0::float8 AS b "
                 "FROM generate_series(1, 2600) g")  # fmt: skip
    with conn.cursor() as cur:
        cur.executemany(f"UPDATE {schema}.pts SET a = %s, b = %s WHERE k = (SELECT k FROM {schema}.pts ORDER BY k "
                        "OFFSET %s LIMIT 1)", [(float(a), float(b), i) for i, (a, b) in enumerate(X[:50])])  # fmt: skip
    session.deploy(est, model_name, features=["a", "b"])
    result = session.models.score(model_name, f"{schema}.pts", f"{schema}.out", key="k", engine="python")
    assert result.rows == 2600
    rows = conn.execute(f"SELECT p.a, p.b, o.prediction, pg_typeof(o.k)::text FROM {schema}.pts p "
                        f"JOIN {schema}.out o USING (k)").fetchall()  # fmt: skip
    assert len(rows) == 2600 and {r[3] for r in rows} == {key_type}
    expected = est.predict(np.array([[r[0], r[1]] for r in rows]))
    assert [r[2] for r in rows] == expected.tolist()  # exact: the same bits as scikit-learn's


def test_python_engine_failure_writes_nothing_and_keeps_the_session(
    session: Session, schema: str, model_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pgai_magic.inference import batch, score

    frame = _data(2500)
    session.deploy(_model("hgb", frame), model_name)
    session.persist(frame, table=f"{schema}.people")
    monkeypatch.setattr(score, "BATCH_ROWS", (500, 500))
    calls: list[int] = []

    def failing(*args: object) -> object:
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("predict failed")
        return real(*args)

    real = batch.feature_input
    monkeypatch.setattr(score, "feature_input", failing)
    with pytest.raises(RuntimeError, match="predict failed"):
        session.models.score(model_name, f"{schema}.people", f"{schema}.out", key="id", engine="python")
    assert session.sql(f"SELECT to_regclass('{schema}.out') IS NULL AS gone")["gone"][0]
    assert session.sql("SELECT 2 AS v")["v"][0] == 2  # the stream was cancelled: the session connection is free


def test_deploy_says_when_a_forest_is_too_large_for_sql(
    session: Session, model_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pgai_magic.inference import score

    frame = _data(400)
    forest, linear = _model("forest", frame), _model("linear", frame)
    monkeypatch.setattr(score, "SQL_NODE_LIMIT", 100)
    said: list[str] = []
    ctx = Context(lambda: session, lambda s: None, {"forest": forest, "linear": linear}, Settings(), say=said.append)
    COMMANDS["model"].run(ctx, f"deploy forest --name {model_name}", None)
    nodes = score.tree_nodes(forest)
    assert any(f"{nodes:,} tree nodes" in s and "python engine" in s for s in said), said
    said.clear()
    COMMANDS["model"].run(ctx, f"deploy linear --name {model_name}", None)
    assert not any("note:" in s for s in said) and said


def test_feature_input_is_what_prepare_frame_makes_of_the_same_rows() -> None:
    from decimal import Decimal

    import pyarrow as pa

    from pgai_magic.inference.batch import feature_input
    from pgai_magic.inference.train import prepare_frame

    batch = pa.table({
        "x": pa.array([1.5, None, -2.0]), "n": pa.array([1, None, 3], pa.int32()), "b": pa.array([True, False, None]),
        "t": pa.array(["a", None, "c"], pa.large_string()), "code": pa.array([7, 8, None], pa.int64()),
        "d": pa.array([Decimal("1.25"), None, Decimal("2")], pa.decimal128(5, 2)),
    })  # fmt: skip
    types = [("x", "float8"), ("n", "float8"), ("b", "boolean"), ("t", "text"), ("code", "text"), ("d", "float8")]
    expected = prepare_frame(batch.to_pandas(), types)
    got = feature_input(batch, types, named=True)
    pd.testing.assert_frame_equal(got, expected)
    numeric = [t for t in types if t[1] != "text"]
    assert np.array_equal(feature_input(batch, numeric, named=False), prepare_frame(batch.to_pandas(), numeric)
                          .to_numpy(), equal_nan=True)  # fmt: skip

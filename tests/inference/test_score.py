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

"""Training from a query, monitoring with in-database predictions and PSI drift, the churn dataset, %pgai model."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from pgai_magic.commands import COMMANDS, Context, Settings
from pgai_magic.datasets import churn
from pgai_magic.display import Chart
from pgai_magic.errors import ConfigError, ModelError
from pgai_magic.inference.monitor import feature_drift, profile, psi
from pgai_magic.session import Session

FEATURES = ", ".join(churn.FEATURES)


@pytest.fixture()
def churn_tables(session: Session, schema: str) -> tuple[str, str, str]:
    base = churn.load(session, "customers", 2000, schema=schema)
    drifted = churn.load(session, "customers_new", 1500, seed=5, drift=1.0, schema=schema)
    same = churn.load(session, "customers_same", 1500, seed=9, schema=schema)
    return base, drifted, same


def test_churn_dataset_is_deterministic(session: Session, schema: str) -> None:
    a, b = churn.frame(500, seed=3), churn.frame(500, seed=3)
    pd.testing.assert_frame_equal(a, b)
    assert 0.15 < a["churned"].mean() < 0.45
    assert a["total_charges"].isna().any() and a["internet_service"].isna().any()
    assert churn.frame(2000, drift=1.0)["monthly_charges"].mean() > a["monthly_charges"].mean() + 15
    table = churn.load(session.db.control, "c", 300, schema=schema)
    got = session.sql(f"SELECT count(*) AS n, sum(churned::int) AS k FROM {table}")
    assert int(got["n"][0]) == 300 and int(got["k"][0]) == int(churn.frame(300)["churned"].sum())


def test_train_deploys_with_holdout_metrics_and_exact_sql(
    session: Session, churn_tables: tuple[str, str, str], model_name: str
) -> None:
    base, _, _ = churn_tables
    mv = session.train(model_name, "churned", f"SELECT {FEATURES}, churned FROM {base}", test_size=0.25)
    assert mv.algorithm == "GradientBoostingClassifier" and mv.task == "classification"
    assert mv.metrics["n_test"] == 500 and mv.metrics["n_train"] == 1500
    assert 0.7 < mv.metrics["auc"] <= 1.0 and 0.6 < mv.metrics["accuracy"] <= 1.0
    types = {f["name"]: f["type"] for f in mv.features}
    assert types["contract"] == "text" and types["paperless_billing"] == "boolean" and types["age"] == "float8"
    assert mv.label_type == "boolean"
    # the SQL function scores the table exactly like the pipeline does in the kernel
    frame = session.sql(
        f"SELECT {FEATURES}, pgai.predict_{model_name}({FEATURES}) AS label, "
        f"pgai.predict_proba_{model_name}({FEATURES}) AS score FROM {base} ORDER BY customer_id"
    )
    from pgai_magic.inference.train import prepare_frame

    est = session.models.load(model_name)
    X = prepare_frame(frame, [(f["name"], f["type"]) for f in mv.features])
    assert np.max(np.abs(frame["score"].to_numpy() - est.predict_proba(X)[:, 1])) <= 1e-9
    assert (frame["label"].to_numpy() == est.predict(X)).all()


@pytest.mark.slow
def test_train_other_algorithms_and_errors(
    session: Session, churn_tables: tuple[str, str, str], model_name: str
) -> None:
    base, _, _ = churn_tables
    query = f"SELECT age, tenure_months, contract, monthly_charges FROM {base}"
    lin = session.train(model_name, "monthly_charges", query, algorithm="linear")
    assert (lin.task, lin.algorithm, lin.version) == ("regression", "Ridge", 1)
    assert lin.metrics["rmse"] > 0 and "r2" in lin.metrics
    query = f"SELECT age, tenure_months, monthly_charges, contract FROM {base}"
    rf = session.train(model_name, "contract", query, algorithm="random_forest")
    assert rf.version == 2 and rf.proba_type == "float8[]" and rf.classes == churn.CONTRACTS
    probs = session.sql(f"SELECT pgai.predict_proba_{model_name}(40, 12, 70) AS p")["p"][0]
    assert len(probs) == 3 and abs(sum(probs) - 1) < 1e-9
    with pytest.raises(ModelError, match="unknown algorithm 'svm'"):
        session.train(model_name, "churned", f"SELECT age, churned FROM {base}", algorithm="svm")
    with pytest.raises(ModelError, match="target column 'nope'"):
        session.train(model_name, "nope", f"SELECT age, churned FROM {base}")
    with pytest.raises(ModelError, match="one SELECT"):
        session.train(model_name, "churned", f"SELECT 1; SELECT age, churned FROM {base}")


def test_monitor_reports_metrics_and_drift(
    session: Session, churn_tables: tuple[str, str, str], model_name: str
) -> None:
    base, drifted, same = churn_tables
    session.train(model_name, "churned", f"SELECT {FEATURES}, churned FROM {base}")
    stable = session.models.monitor(model_name, f"SELECT {FEATURES}, churned AS actual FROM {same}")
    moved = session.models.monitor(model_name, f"SELECT *, churned AS actual FROM {drifted}")
    assert stable.n_rows == 1500 and list(stable.metrics["metric"]) == ["accuracy", "auc"]
    assert stable.metrics["training"].notna().all() and stable.metrics["current"].notna().all()
    psi_stable = dict(zip(stable.drift["feature"], stable.drift["psi"]))
    psi_moved = dict(zip(moved.drift["feature"], moved.drift["psi"]))
    assert set(psi_stable) == set(churn.FEATURES)
    assert max(psi_stable.values()) < 0.1
    assert psi_moved["monthly_charges"] > 0.25 and "monthly_charges" in moved.drifted
    assert psi_moved["contract"] > psi_stable["contract"]
    # the monitoring predictions come from the SQL function
    scores = session.sql(f"SELECT pgai.predict_proba_{model_name}({FEATURES}) AS s FROM {same}")["s"]
    assert np.allclose(np.sort(stable.predictions["score"].to_numpy()), np.sort(scores.to_numpy()), atol=0)
    spec = stable.chart().to_dict()
    assert "hconcat" in spec
    assert "PSI" in stable._repr_html_() or "psi" in stable._repr_html_()
    logged = session.sql("SELECT count(*) AS n FROM pgai.model_monitoring WHERE name = :name", name=model_name)
    assert int(logged["n"][0]) == 2
    with pytest.raises(ModelError, match=r"lacks column\(s\) \['age', 'monthly_charges'.*'churned'\]"):
        session.models.monitor(model_name, f"SELECT tenure_months FROM {same}")  # the outcome: the model's target


def test_psi_and_profile_units() -> None:
    assert psi([0.5, 0.5], [0.5, 0.5]) == 0.0
    assert psi([0.9, 0.1], [0.1, 0.9]) == pytest.approx(0.8 * np.log(9) * 2)
    rng = np.random.default_rng(0)
    train = pd.DataFrame({"x": rng.normal(size=5000), "c": rng.choice(["a", "b"], 5000)})
    snap = profile(train, [("x", "float8"), ("c", "text")])
    assert len(snap["features"]["x"]["edges"]) == 9 and snap["features"]["c"]["kind"] == "categorical"
    shifted = pd.DataFrame({"x": rng.normal(size=3000) + 1.0, "c": ["a"] * 3000})
    drift = feature_drift(snap, shifted).set_index("feature")
    assert drift.loc["x", "psi"] > 0.25 and drift.loc["c", "psi"] > 0.25
    nulls = feature_drift(snap, pd.DataFrame({"x": [np.nan] * 100, "c": [None] * 100})).set_index("feature")
    assert nulls.loc["x", "null_fraction_now"] == 1.0 and nulls.loc["x", "status"] == "drift"


def _ctx(session: Session, namespace: dict[str, Any]) -> tuple[Context, list[str], list[object]]:
    said: list[str] = []
    shown: list[object] = []
    ctx = Context(
        lambda: session,
        lambda s: None,
        namespace,
        Settings(),
        say=said.append,
        show=shown.append,
        show_html=shown.append,
    )
    return ctx, said, shown


def test_model_command(session: Session, churn_tables: tuple[str, str, str], model_name: str) -> None:
    base, drifted, _ = churn_tables
    run = COMMANDS["model"].run
    frame = churn.frame(800)
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X = frame[["age", "tenure_months", "monthly_charges"]]
    est = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, frame["churned"])
    ctx, said, shown = _ctx(session, {"est": est, "train_df": frame})
    mv = run(ctx, f"deploy est --name {model_name} --data train_df --target churned", None)
    assert mv.version == 1 and mv.metrics["split"] == "deploy data"
    assert any(f"pgai.predict_proba_{model_name}(age float8" in line for line in said)
    mv2 = run(
        ctx,
        f'train {model_name} --target churned --from "SELECT {FEATURES}, churned FROM {base}" '
        "--test-size 0.3 --deploy newest",
        None,
    )
    assert mv2.version == 2 and mv2.metrics["n_test"] == 600
    listing = run(ctx, "list", None)
    assert model_name in set(listing["name"])
    table = run(ctx, f"show {model_name} --version 1", None)
    assert table.loc[1, "algorithm"] == "LogisticRegression" and table.loc[2, "active"] == "✓"
    assert run(ctx, f"rollback {model_name}", None).version == 1
    report = run(ctx, f"monitor {model_name} --no-record", f"SELECT {FEATURES}, churned AS actual FROM {drifted}")
    assert report.version == 1 and "accuracy" in repr(report) and not any("accuracy" in line for line in said[-2:])
    charts = [item for item in shown if isinstance(item, Chart)]  # the monitor chart, as static images
    assert len(charts) == 1 and {"image/svg+xml", "image/png", "text/plain"} <= set(charts[0]._repr_mimebundle_())
    by_target = run(ctx, f"monitor {model_name} --no-record", f"SELECT {FEATURES}, churned FROM {drifted}")
    assert by_target.current == report.current  # no --target: the model's target column, 'churned'
    with pytest.raises(ConfigError, match="unknown model action 'fly'"):
        run(ctx, "fly", None)
    with pytest.raises(ConfigError, match="no variable named 'nothing'"):
        run(ctx, f"deploy nothing --name {model_name}", None)
    with pytest.raises(ConfigError, match="--name"):
        run(ctx, "deploy est", None)


def test_magic_dispatches_model_command(session: Session, capsys: pytest.CaptureFixture[str]) -> None:
    from IPython.core.interactiveshell import InteractiveShell

    from pgai_magic.magic import Pgai

    shell = InteractiveShell.instance()
    magics = Pgai(shell)
    magics.connections.add("default", session)
    listing = magics.pgai("model list")
    assert list(listing.columns)[:3] == ["name", "version", "versions"]
    with pytest.raises(ModelError, match="no model named 'no_such_model_here'"):
        magics.pgai("model show no_such_model_here")
    magics.pgai("help")
    assert "%pgai model deploy VAR --name NAME" in capsys.readouterr().out

"""Deploy strategies: train activates a version only when its held-out metric is better; list/show as tables."""

from __future__ import annotations

from types import SimpleNamespace

import psycopg
import pytest

from pgai_magic.commands import COMMANDS, Context, Settings
from pgai_magic.datasets import churn
from pgai_magic.errors import ConfigError, ModelError
from pgai_magic.inference.strategy import decide
from pgai_magic.session import Session

FEATURES = ", ".join(churn.FEATURES)


def _active(version: int, task: str, **metrics: float | str) -> SimpleNamespace:
    return SimpleNamespace(version=version, task=task, metrics=metrics)


def test_decide_compares_the_headline_metric() -> None:
    assert decide("best", 1, {"auc": 0.7}, "classification", None).activate  # the first version
    holder = _active(2, "classification", auc=0.82, split="holdout")
    worse = decide("best", 3, {"auc": 0.77, "split": "holdout"}, "classification", holder)
    assert not worse.activate and worse.reason == (
        "auc 0.77 (holdout) is not better than v2's 0.82: v2 is active"
    )  # the case: AUC 0.77 must not replace 0.82
    assert decide("best", 3, {"auc": 0.9}, "classification", _active(2, "classification", auc=0.82)).activate
    other = _active(2, "classification", auc=0.95, split="deploy data")
    assert decide("best", 3, {"auc": 0.9, "split": "holdout"}, "classification", other).reason == (
        "auc 0.9 (holdout) is not better than v2's 0.95 (deploy data): v2 is active"
    )
    tie = decide("best", 3, {"auc": 0.82}, "classification", _active(2, "classification", auc=0.82))
    assert not tie.activate
    # no AUC on one side: accuracy decides; regression: lower RMSE is better
    both = _active(1, "classification", auc=0.8, accuracy=0.8)
    assert decide("best", 2, {"accuracy": 0.9}, "classification", both).activate
    assert decide("best", 2, {"rmse": 1.5}, "regression", _active(1, "regression", rmse=2.0)).activate
    assert not decide("best", 2, {"rmse": 2.5}, "regression", _active(1, "regression", rmse=2.0)).activate
    nothing = decide("best", 2, {}, "regression", _active(1, "regression", rmse=2.0))
    assert not nothing.activate and "no metric in common" in nothing.reason
    assert decide("newest", 2, {"rmse": 9.0}, "regression", _active(1, "regression", rmse=2.0)).activate
    assert not decide("never", 1, {}, "regression", None).activate
    with pytest.raises(ModelError, match="unknown deploy strategy 'bestest'"):
        decide("bestest", 1, {}, "regression", None)


def test_train_keeps_the_better_version_active(
    session: Session, schema: str, conn: psycopg.Connection, model_name: str
) -> None:
    base = churn.load(session, "customers", 1500, schema=schema)
    good = session.train(model_name, "churned", f"SELECT {FEATURES}, churned FROM {base}")
    assert good.active and "first active version" in good.decision
    # one weak feature: a worse held-out AUC, so v1 stays active
    weak = session.train(model_name, "churned", f"SELECT age, churned FROM {base}", algorithm="decision_tree",
                         params={"max_depth": 1})  # fmt: skip
    assert weak.metrics["auc"] < good.metrics["auc"]
    assert not weak.active and weak.decision.endswith("v1 is active") and "not better than v1" in weak.decision
    signature = conn.execute(
        "SELECT pg_get_function_identity_arguments(%s::regproc)", (f"pgai.predict_{model_name}",)
    ).fetchone()
    assert signature is not None and signature[0].startswith("age double precision, tenure_months")
    assert conn.execute(f"SELECT pgai.predict_{model_name}_v2(40)").fetchone() is not None  # still callable
    newest = session.train(model_name, "churned", f"SELECT age, churned FROM {base}", strategy="newest")
    assert newest.active and newest.version == 3 and "--deploy newest" in newest.decision
    stored = session.train(model_name, "churned", f"SELECT {FEATURES}, churned FROM {base}", strategy="never")
    assert not stored.active and session.models.info(model_name).version == 3
    table = session.models.info(model_name).history
    assert table is not None
    assert list(table.index) == [1, 2, 3, 4] and list(table["active"]) == ["", "", "✓", ""]
    assert table.loc[2, "auc"] == weak.metrics["auc"] and set(table["split"]) == {"holdout"}
    assert "rmse" not in table.columns  # a classifier's table shows classification metrics only
    listing = session.models()
    row = listing[listing["name"] == model_name].iloc[0]
    assert (row["version"], row["versions"], row["auc"]) == (3, 4, newest.metrics["auc"])


def test_never_on_a_new_model_then_activate(session: Session, schema: str, model_name: str) -> None:
    base = churn.load(session, "customers", 600, schema=schema)
    said: list[str] = []
    shown: list[object] = []
    ctx = Context(lambda: session, lambda s: None, {}, Settings(), show=shown.append, say=said.append)
    run = COMMANDS["model"].run
    mv = run(ctx, f'train {model_name} --target churned --deploy never --from "SELECT age, churned FROM {base}"', None)
    assert not mv.active and any("stored, not active" in line for line in said)
    with pytest.raises(ModelError, match=f"no active version.*rollback {model_name} --version V"):
        session.models.info(model_name)
    listing = run(ctx, "list", None)
    assert listing[listing["name"] == model_name]["function"].iloc[0] == "(no active version)"
    assert run(ctx, f"rollback {model_name} --version 1", None).version == 1
    table = run(ctx, f"show {model_name}", None)
    assert table.loc[1, "active"] == "✓" and shown  # the two-column summary was shown first
    with pytest.raises(ConfigError, match="invalid choice: 'sometimes'"):
        run(ctx, f'train {model_name} --target churned --deploy sometimes --from "SELECT 1"', None)

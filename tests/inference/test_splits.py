"""A/B splits: a deterministic variant per key, weights honoured, routing to versions, metrics per variant."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import psycopg
import pytest

from pgai_magic.commands import COMMANDS, Context, Settings
from pgai_magic.display import Chart
from pgai_magic.errors import ConfigError, ModelError
from pgai_magic.inference.abtest import significance
from pgai_magic.inference.splits import variant_sql
from pgai_magic.session import Session

if TYPE_CHECKING:
    from sklearn.linear_model import LogisticRegression


def _two_versions(session: Session, name: str) -> tuple[LogisticRegression, LogisticRegression]:
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"x": rng.normal(size=300), "z": rng.normal(size=300)})
    y = (X["x"] + rng.normal(size=300) * 0.5 > 0).astype(int)
    good = LogisticRegression().fit(X, y)
    bad = LogisticRegression().fit(X[["z", "x"]].set_axis(["x", "z"], axis=1), y)  # x and z swapped: worse
    session.deploy(good, name)
    session.deploy(bad, name)
    return good, bad


def test_variant_is_deterministic_and_honours_weights(
    session: Session, conn: psycopg.Connection, model_name: str
) -> None:
    _two_versions(session, model_name)
    plan = session.models.split(model_name, [1, 2], [70, 30])
    assert plan.shares() == {1: 0.7, 2: 0.3}
    counts = dict(
        conn.execute(
            f"SELECT pgai.variant_{model_name}(g::text), count(*) FROM generate_series(1, 100000) g GROUP BY 1"
        ).fetchall()
    )
    assert set(counts) == {1, 2} and abs(counts[1] / 100_000 - 0.7) <= 0.02
    # stable across sessions and servers: the same md5 arithmetic computed here in Python gives the same choice
    import hashlib

    for key in ("42", "alice", "ünïcode", ""):
        h = int(hashlib.md5(f"{model_name}:{key}".encode()).hexdigest()[:8], 16)
        expected = 1 if h * 100 < 70 * 2**32 else 2
        assert conn.execute(f"SELECT pgai.variant_{model_name}(%s)", (key,)).fetchone() == (expected,)
    assert conn.execute(f"SELECT pgai.variant_{model_name}(NULL)").fetchone() == (None,)
    # three ways, uneven weights, computed by the same SQL on plain keys
    three = variant_sql("t", "g::text", [3, 1, 2], [5, 3, 2])
    rows = dict(conn.execute(f"SELECT {three}, count(*) FROM generate_series(1, 100000) g GROUP BY 1").fetchall())
    assert {v: round(c / 100_000, 2) for v, c in rows.items()}.keys() == {1, 2, 3}
    assert all(abs(rows[v] / 100_000 - share) <= 0.02 for v, share in ((3, 0.5), (1, 0.3), (2, 0.2)))


def test_split_routes_to_the_chosen_version(session: Session, conn: psycopg.Connection, model_name: str) -> None:
    good, bad = _two_versions(session, model_name)
    session.models.split(model_name, [1, 2])
    rows = conn.execute(
        f"""SELECT pgai.variant_{model_name}(k::text), pgai.predict_proba_{model_name}_split(k::text, x, z),
                   pgai.predict_{model_name}_split(k::text, x, z), x, z
            FROM (SELECT g AS k, (g % 7 - 3)::float8 AS x, (g % 5 - 2)::float8 AS z
                  FROM generate_series(1, 200) g) s"""
    ).fetchall()
    for variant, proba, label, x, z in rows:
        model = good if variant == 1 else bad
        probe = pd.DataFrame({"x": [x], "z": [z]})
        assert proba == pytest.approx(model.predict_proba(probe)[0, 1], abs=1e-9)
        assert label == int(model.predict(probe)[0])
    assert {r[0] for r in rows} == {1, 2}
    assert conn.execute(f"SELECT pgai.predict_{model_name}_v1(1, 2)").fetchone() is not None  # still callable
    plan = "\n".join(
        r[0]
        for r in conn.execute(
            f"EXPLAIN VERBOSE SELECT pgai.predict_{model_name}_split(g::text, g, g) FROM generate_series(1, 3) g"
        )
    )
    assert "predict_" not in plan and "md5" in plan, plan  # inlined down to the arithmetic


def test_split_errors(session: Session, model_name: str) -> None:
    from sklearn.linear_model import LinearRegression

    _two_versions(session, model_name)
    with pytest.raises(ModelError, match=r"no version\(s\) \[7\]"):
        session.models.split(model_name, [1, 7])
    with pytest.raises(ModelError, match="at least two different versions"):
        session.models.split(model_name, [1, 1])
    with pytest.raises(ModelError, match="one weight per version"):
        session.models.split(model_name, [1, 2], [1])
    with pytest.raises(ModelError, match="positive integers"):
        session.models.split(model_name, [1, 2], [0, 5])
    X = pd.DataFrame({"a": np.arange(20.0)})
    session.deploy(LinearRegression().fit(X, X["a"]), model_name)
    with pytest.raises(ModelError, match="different features or return different types"):
        session.models.split(model_name, [1, 3])
    with pytest.raises(ModelError, match="has no split"):
        session.models.monitor_variants(model_name + "x", "SELECT 1")


def test_monitor_by_variant_command(session: Session, schema: str, conn: psycopg.Connection, model_name: str) -> None:
    _two_versions(session, model_name)
    rng = np.random.default_rng(5)
    x, z = rng.normal(size=3000), rng.normal(size=3000)
    outcome = (x + rng.normal(size=3000) * 0.5 > 0).astype(int)
    session.persist(pd.DataFrame({"id": np.arange(3000), "x": x, "z": z, "y": outcome}), table=f"{schema}.traffic")
    said: list[str] = []
    shown: list[object] = []
    ctx = Context(lambda: session, lambda s: None, {}, Settings(), show=shown.append, say=said.append,
                  show_html=shown.append)  # fmt: skip
    run = COMMANDS["model"].run
    run(ctx, f"split {model_name} --versions 1,2 --weights 50,50", None)
    assert said[0] == f"split {model_name}: v1 50.0%, v2 50.0% by md5 of the key"
    report = run(
        ctx, f"monitor {model_name} --by-variant --key id --target y", f"SELECT id, x, z, y FROM {schema}.traffic"
    )
    table = report.metrics.set_index("version")
    assert table.loc[1, "accuracy"] > table.loc[2, "accuracy"] and table["n"].sum() == 3000
    assert report.test == "chi-square test of accuracy" and report.significant and report.p_value < 1e-6
    assert "significant at 0.05" in repr(report)  # the summary: once, as the cell's value
    charts = [s for s in shown if isinstance(s, Chart)]  # the chart: a static image bundle
    assert len(charts) == 1 and {"image/svg+xml", "image/png"} <= set(charts[0]._repr_mimebundle_())
    with pytest.raises(ConfigError, match="comma-separated integers"):
        run(ctx, f"split {model_name} --versions one,two", None)
    with pytest.raises(ModelError, match="lacks column"):
        run(
            ctx, f"monitor {model_name} --by-variant --key nope --target y", f"SELECT id, x, z, y FROM {schema}.traffic"
        )


def test_significance_tests() -> None:
    rng = np.random.default_rng(1)
    same = [rng.integers(0, 2, 400).astype(float), rng.integers(0, 2, 400).astype(float)]
    name, _, p = significance("classification", same)
    assert name == "chi-square test of accuracy" and p > 0.01
    errors = [np.abs(rng.normal(size=500)), np.abs(rng.normal(size=500)) + 1.0]
    name, _, p = significance("regression", errors)
    assert name == "Welch t-test of absolute errors" and p < 1e-10
    name, _, p = significance("regression", [*errors, np.abs(rng.normal(size=50))])
    assert name.startswith("Kruskal-Wallis") and p < 1e-10
    assert np.isnan(significance("regression", [errors[0], np.array([])])[2])

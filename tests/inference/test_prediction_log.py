"""The prediction log: one row per scored row (SQL and python engines, and the split's batch scoring, with its
variant), none with --no-log; monitoring compares the last N days of the log with the outcomes, by version."""

from __future__ import annotations

import psycopg
import pytest

from pgai_magic.datasets import churn
from pgai_magic.session import Session

FEATURES = "age, tenure_months, monthly_charges, support_calls"


def _logged(conn: psycopg.Connection, name: str) -> list[tuple]:
    return conn.execute(
        "SELECT version, variant, key, prediction, sources::text[] FROM pgai.prediction_log WHERE name = %s "
        "ORDER BY version, key::bigint",
        (name,),
    ).fetchall()


@pytest.fixture()
def scored(session: Session, schema: str, model_name: str, conn: psycopg.Connection) -> tuple[str, str]:
    churn.load(session, "customers", 300, schema=schema)
    query = f"SELECT {FEATURES}, churned FROM {schema}.customers"
    session.train(model_name, "churned", query, algorithm="decision_tree", strategy="newest")
    session.train(model_name, "churned", query, algorithm="logistic_regression", strategy="newest")
    yield model_name, schema
    conn.execute("DELETE FROM pgai.prediction_log WHERE name = %s", (model_name,))


@pytest.mark.parametrize("engine", ["sql", "python"])
def test_score_logs_one_row_per_scored_row(
    session: Session, scored: tuple[str, str], conn: psycopg.Connection, engine: str
) -> None:
    name, schema = scored
    result = session.models.score(name, f"{schema}.customers", f"{schema}.out_{engine}", engine=engine, version=1)
    assert result.rows == 300 and result.logged == 300 and "300 rows logged" in result.summary()
    logged = _logged(conn, name)
    written = conn.execute(f"SELECT customer_id::text, prediction::text FROM {schema}.out_{engine} ORDER BY 1::int")
    assert [(r[2], r[3]) for r in logged] == written.fetchall()  # the same keys and predictions, row for row
    assert {(r[0], r[1]) for r in logged} == {(1, None)}
    assert {tuple(r[4]) for r in logged} == {(f"{schema}.customers",)}
    again = session.models.score(name, f"{schema}.customers", f"{schema}.quiet", engine=engine, log=False)
    assert again.logged == 0 and len(_logged(conn, name)) == 300


def test_split_scoring_logs_the_variant_of_each_row(
    session: Session, scored: tuple[str, str], conn: psycopg.Connection
) -> None:
    name, schema = scored
    session.models.split(name, [1, 2], [50, 50])
    result = session.models.score_split(name, f"{schema}.customers", f"{schema}.split_out")
    assert result.rows == 300 and result.logged == 300
    rows = conn.execute(f"SELECT customer_id::text, variant, prediction::text FROM {schema}.split_out").fetchall()
    assert {r[1] for r in rows} == {1, 2}
    logged = {(r[2], r[1], r[3]) for r in _logged(conn, name)}
    assert logged == {(k, v, p) for k, v, p in rows}
    assert all(r[0] == r[1] for r in _logged(conn, name))  # the version that predicted is the variant chosen


def test_monitor_from_the_log_compares_outcomes_by_version(
    session: Session, scored: tuple[str, str], conn: psycopg.Connection
) -> None:
    name, schema = scored
    for version in (1, 2):
        session.models.score(name, f"{schema}.customers", f"{schema}.out_v{version}", engine="sql", version=version)
    outcomes = f"SELECT customer_id, churned AS actual FROM {schema}.customers"
    frame = session.models.monitor_log(name, outcomes, key="customer_id", days=7).set_index("version")
    assert sorted(frame.index) == [1, 2] and frame["n"].tolist() == [300, 300]
    for version in (1, 2):
        hits = conn.execute(
            f"SELECT avg((o.prediction = c.churned)::int)::float8 FROM {schema}.out_v{version} o "
            f"JOIN {schema}.customers c USING (customer_id)"
        ).fetchone()
        assert frame.loc[version, "accuracy"] == pytest.approx(hits[0], abs=1e-12)
    conn.execute("UPDATE pgai.prediction_log SET predicted_at = now() - interval '10 days' WHERE name = %s", (name,))
    assert session.models.monitor_log(name, outcomes, key="customer_id", days=7).empty  # older than the window


def test_a_schedule_can_watch_the_log(session: Session, scored: tuple[str, str], conn: psycopg.Connection) -> None:
    from pgai_magic.inference.schedule import ScheduleRequest

    name, schema = scored
    session.models.score(name, f"{schema}.customers", f"{schema}.out_log", engine="sql")  # the active version, v2
    outcomes = f"SELECT customer_id, churned AS actual FROM {schema}.customers"
    made = session.models.schedule(ScheduleRequest(name, outcomes, "1d", "accuracy < 2", log_key="customer_id"))
    try:
        assert session.models.run_due() == [made["id"]]
        row = conn.execute(
            "SELECT version, n_rows, metrics FROM pgai.model_monitoring WHERE schedule_id = %s", (made["id"],)
        ).fetchone()
        expected = conn.execute(
            f"SELECT avg((o.prediction = c.churned)::int)::float8 FROM {schema}.out_log o "
            f"JOIN {schema}.customers c USING (customer_id)"
        ).fetchone()
        assert row is not None and expected is not None
        assert (row[0], row[1]) == (2, 300) and row[2]["accuracy"] == pytest.approx(expected[0], abs=1e-12)
        assert len(session.models.alerts().query("model == @name")) == 1  # accuracy < 2 always holds
    finally:
        session.models.unschedule(made["id"])

"""Monitoring on a schedule: due checks claimed FOR UPDATE SKIP LOCKED run exactly once however many workers run
them; a drifted month raises exactly one alert (NOTIFY pgai_alert) and a clean month none; alerts are listed,
repeat as occurrences, acknowledged, and shown by status; `worker --once` runs what is due and exits."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from IPython.core.interactiveshell import InteractiveShell

from pgai_magic.datasets import churn
from pgai_magic.display import altair_svg
from pgai_magic.errors import ModelError
from pgai_magic.inference.charts import history_chart
from pgai_magic.inference.schedule import ScheduleRequest, run_due
from pgai_magic.session import Session

ROOT = Path(__file__).resolve().parents[2]
FEATURES = "age, tenure_months, monthly_charges, contract, support_calls"


@pytest.fixture()
def monitored(session: Session, schema: str, model_name: str) -> Iterator[tuple[str, str]]:
    """A model trained on one month of customers, a clean next month and a drifted one; schedules and alerts of
    the model are removed afterwards."""
    churn.load(session, "base", 600, schema=schema)
    churn.load(session, "clean", 400, seed=11, schema=schema)
    churn.load(session, "drifted", 400, seed=12, drift=1.0, schema=schema)
    session.train(model_name, "churned", f"SELECT {FEATURES}, churned FROM {schema}.base", algorithm="decision_tree")
    yield model_name, schema
    session.db.control.execute("DELETE FROM pgai.monitor_schedules WHERE name = %s", (model_name,))


def _month(schema: str, table: str) -> str:
    return f"SELECT {FEATURES}, churned AS actual FROM {schema}.{table}"


def _runs(conn: psycopg.Connection, name: str) -> list[int]:
    rows = conn.execute("SELECT schedule_id FROM pgai.model_monitoring WHERE name = %s ORDER BY 1", (name,))
    return [r[0] for r in rows]


@pytest.mark.slow
def test_two_workers_run_each_due_check_exactly_once(
    session: Session, pg_dsn: str, monitored: tuple[str, str], conn: psycopg.Connection
) -> None:
    name, schema = monitored
    queries = [f"{_month(schema, 'clean')} LIMIT {300 + i}" for i in range(20)]  # 20 different checks
    ids = [session.models.schedule(ScheduleRequest(name, q, "1d", "psi > 5"))["id"] for q in queries]
    again = session.models.schedule(ScheduleRequest(name, queries[0], "12h", "psi > 4"))  # the same query: updated
    assert again["updated"] and again["id"] == ids[0] and len(session.models.schedules(name)) == 20
    # one check is held by someone else (locked): both workers skip it, and it stays due
    with psycopg.connect(pg_dsn) as holder:
        holder.execute("SELECT 1 FROM pgai.monitor_schedules WHERE id = %s FOR UPDATE", (ids[0],))
        done: list[list[int]] = [[], []]
        start = threading.Barrier(2)

        def work(slot: int) -> None:
            start.wait()
            done[slot] = run_due(pg_dsn)

        threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        assert sorted(done[0] + done[1]) == sorted(ids[1:])  # each other check once, by one of the two
        assert not set(done[0]) & set(done[1])
        holder.rollback()
    assert run_due(pg_dsn) == [ids[0]]  # released: now it runs, once
    assert run_due(pg_dsn) == []  # nothing is due any more
    assert _runs(conn, name) == sorted(ids)  # exactly one recorded run per schedule
    assert session.models.due_now(name) == sorted(ids) and sorted(run_due(pg_dsn)) == sorted(ids)
    assert _runs(conn, name) == sorted(ids * 2)
    rows = conn.execute("SELECT runs, next_run > now() FROM pgai.monitor_schedules WHERE name = %s", (name,))
    assert set(rows.fetchall()) == {(2, True)}


def _notifications(listener: psycopg.Connection, deadline_s: float = 10.0) -> list[str]:
    """The pgai_alert payloads that have arrived (polling the socket until none comes for a moment)."""
    got: list[str] = []
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        batch = [n.payload for n in listener.notifies(timeout=0.5, stop_after=1)]
        if not batch:
            break
        got += batch
    return got


def test_a_drifted_month_raises_exactly_one_alert_and_a_clean_one_none(
    session: Session, pg_dsn: str, monitored: tuple[str, str], conn: psycopg.Connection
) -> None:
    name, schema = monitored
    clean = session.models.schedule(ScheduleRequest(name, _month(schema, "clean"), "1d", "psi > 0.25"))["id"]
    drifted = session.models.schedule(ScheduleRequest(name, _month(schema, "drifted"), "1d", "psi > 0.25"))["id"]
    with psycopg.connect(pg_dsn, autocommit=True) as listener:
        listener.execute("LISTEN pgai_alert")
        assert sorted(session.models.run_due()) == sorted([clean, drifted])
        notified = _notifications(listener)
    alerts = session.models.alerts()
    mine = alerts[alerts["model"] == name]
    assert len(mine) == 1 and int(mine["schedule"].iloc[0]) == drifted
    assert mine["message"].iloc[0].startswith(f"{name} v1: psi ") and "> 0.25" in mine["message"].iloc[0]
    assert len(notified) == 1 and f'"id": {int(mine["id"].iloc[0])}' in notified[0]
    alert_id = int(mine["id"].iloc[0])
    assert f"#{alert_id}" in session.models.status_lines()["alerts"]  # the `alerts` line of %pgai status
    # due again and still drifted: the open alert counts a second occurrence instead of a new alert
    conn.execute("UPDATE pgai.monitor_schedules SET next_run = now() WHERE name = %s", (name,))
    session.models.run_due()
    again = session.models.alerts()
    assert again.loc[again["id"] == alert_id, "occurrences"].tolist() == [2]
    assert len(again[again["model"] == name]) == 1
    history = session.models.history(name, "psi")
    assert len(history) == 4 and history["alert"].sum() == 2 and (history["psi"] > 0).all()
    assert session.models.acknowledge(alert_id).startswith(name)
    assert alert_id not in set(session.models.alerts()["id"])
    with pytest.raises(ModelError, match=f"no open alert #{alert_id}"):
        session.models.acknowledge(alert_id)
    assert f"#{alert_id}" not in session.models.status_lines()["alerts"]


def test_a_failing_check_raises_an_alert_and_shows_in_status(
    session: Session, monitored: tuple[str, str], conn: psycopg.Connection
) -> None:
    name, schema = monitored
    conn.execute(f"CREATE TABLE {schema}.gone AS SELECT * FROM {schema}.clean")
    made = session.models.schedule(ScheduleRequest(name, _month(schema, "gone"), "1h", "psi > 0.25"))
    assert made["every"] == "1 hour"  # as PostgreSQL's verbose interval style writes it, not 01:00:00
    conn.execute(f"DROP TABLE {schema}.gone")
    assert session.models.run_due() == [made["id"]]
    schedule = session.models.schedules(name).iloc[0]
    assert "does not exist" in schedule["last_error"] and schedule["every"] == "1 hour"
    alerts = session.models.alerts()
    mine = alerts[alerts["model"] == name]
    assert len(mine) == 1 and int(mine["schedule"].iloc[0]) == made["id"]
    assert "failed" in mine["message"].iloc[0] and "does not exist" in mine["message"].iloc[0]
    lines = session.models.status_lines()
    assert f"#{int(mine['id'].iloc[0])}" in lines["alerts"]
    assert f"#{made['id']} {name} every 1 hour" in lines["monitoring"] and "does not exist" in lines["monitoring"]
    conn.execute("UPDATE pgai.monitor_schedules SET next_run = now() WHERE id = %s", (made["id"],))
    session.models.run_due()  # failing again: the open alert counts an occurrence
    again = session.models.alerts()
    assert again.loc[again["model"] == name, "occurrences"].tolist() == [2]


def test_bad_schedules_fail_before_anything_is_recorded(session: Session, monitored: tuple[str, str]) -> None:
    name, schema = monitored
    cases = [
        (ScheduleRequest(name, _month(schema, "clean"), "soon"), "not an interval"),
        (ScheduleRequest(name, _month(schema, "clean"), "-1d"), "longer than zero"),
        (ScheduleRequest(name, _month(schema, "clean"), "1d", "auc << 1"), "alert rule"),
        (ScheduleRequest(name, _month(schema, "clean"), "1d", "psi(nope) > 1"), "no feature 'nope'"),
        (ScheduleRequest(name, f"SELECT age FROM {schema}.clean", "1d"), "lacks column"),
        (ScheduleRequest(name, f"DELETE FROM {schema}.clean", "1d"), "may only read"),
    ]
    for request, message in cases:
        with pytest.raises(ModelError, match=message):
            session.models.schedule(request)
    assert session.models.schedules(name).empty


@pytest.mark.slow
def test_worker_once_runs_the_due_checks_and_exits(session: Session, pg_dsn: str, monitored: tuple[str, str]) -> None:
    name, schema = monitored
    made = session.models.schedule(ScheduleRequest(name, _month(schema, "drifted"), "1h", "psi > 0.25"))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PGAI_DSN": pg_dsn}
    done = subprocess.run([sys.executable, "-m", "pgai_magic", "worker", "--once", "--jobs", "monitor"],
                          capture_output=True, text=True, env=env, timeout=300, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert f"monitor #{made['id']} {name} v1" in done.stdout and "alert #" in done.stdout
    assert "0 rows and 1 monitoring check in" in done.stdout
    row = session.models.schedules(name).iloc[0]
    assert row["runs"] == 1 and row["last_error"] is None
    bad = subprocess.run([sys.executable, "-m", "pgai_magic", "worker", "--once", "--jobs", "nothing"],
                         capture_output=True, text=True, env=env, timeout=120, check=False)  # fmt: skip
    assert bad.returncode == 2 and "--jobs takes embed, monitor" in bad.stderr


def test_the_magic_schedules_lists_alerts_and_charts_a_metric(
    ip: InteractiveShell, session: Session, monitored: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    name, schema = monitored
    actual = _month(schema, "drifted")
    ip.run_line_magic("pgai", f'model monitor {name} --every 1d --alert "psi > 0.25" --actual "{actual}"')
    assert f"monitor {name} every 1 day, alert when psi > 0.25" in capsys.readouterr().out
    ip.run_line_magic("pgai", f'model monitor {name} --alert "psi > 0.25" --no-record --actual "{actual}"')
    assert "alert rule 'psi > 0.25' on this run: breached (psi " in capsys.readouterr().out
    assert len(session.models.run_due()) == 1
    alerts = ip.run_line_magic("pgai", "alerts")
    assert name in set(alerts["model"])
    history = ip.run_line_magic("pgai", f"model history {name} --metric psi(monthly_charges)")
    assert len(history) == 1 and history["alert"].tolist() == [True]
    svg = altair_svg(history_chart(history, name, "psi(monthly_charges)"))
    assert svg is not None and svg.lstrip().startswith("<svg") and "<script" not in svg  # static, offline
    schedules = ip.run_line_magic("pgai", f"model schedules {name}")
    assert schedules["runs"].tolist() == [1]
    ip.run_line_magic("pgai", f"model schedules --drop {int(schedules['id'][0])}")
    assert ip.run_line_magic("pgai", f"model schedules {name}").empty
    assert name not in set(ip.run_line_magic("pgai", "alerts")["model"])  # its alerts went with it

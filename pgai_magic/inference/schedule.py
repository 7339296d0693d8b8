"""Scheduled monitoring: `model monitor --every` records a schedule; workers run what is due.

A due check is claimed with `SELECT … FOR UPDATE SKIP LOCKED` in a transaction that stays open while the check runs
(READ ONLY, on other connections) and that records its result (pgai.model_monitoring), its alert (pgai.alerts and
NOTIFY pgai_alert) and the next run time: several workers never run one check twice, and a worker that dies
mid-check records nothing (the check stays due). `python -m pgai_magic worker` runs them; `--once` runs what is due
and exits (for cron). pg_cron is not needed: PostgreSQL's row locks are the scheduler.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd
import psycopg

from pgai_magic.db import Database, connect, interval_words, server_message, wait_for_notify
from pgai_magic.errors import ModelError, PgaiError
from pgai_magic.inference import registry
from pgai_magic.inference.alerts import FAILED_RULE, raise_alert
from pgai_magic.inference.check import check, check_log, monitor_sql, outcome_column, query_columns, query_sources
from pgai_magic.inference.rules import observed, parse_rule
from pgai_magic.sqltext import check_read_query

__all__ = [
    "CHANNEL", "ScheduleRequest", "create", "drop", "due_now", "failing_lines", "list_schedules", "run_due",
    "serve_checks",
]  # fmt: skip

CHANNEL = "pgai_monitor"  # a new schedule wakes the waiting workers


def _every(column: str) -> str:
    """SQL for an interval column's (months, days, microseconds), which `interval_words` writes as '1 hour'."""
    return (
        f"(extract(year FROM {column}) * 12 + extract(month FROM {column}))::int, extract(day FROM {column})::int, "
        f"(extract(hour FROM {column}) * 3600000000 + extract(minute FROM {column}) * 60000000 "
        f"+ extract(microseconds FROM {column}))::bigint"
    )


@dataclass(frozen=True)
class ScheduleRequest:
    """`%pgai model monitor NAME --every 1d [--alert RULE] --actual SQL`: model `name`, the read query `actual`
    (features and the outcome column `target`, None: the model's target column when the query returns it, else
    'actual'; or, with `log_key`, the key and outcome of rows scored in the last
    `log_days` days of the prediction log), how often (`every`: a PostgreSQL interval such as 1d, 12h, 1w) and the
    alert rule (rules.parse_rule). ModelError naming the bad option."""

    name: str
    actual: str
    every: str
    alert: str | None = None
    target: str | None = None
    log_key: str | None = None
    log_days: int = 30

    def __post_init__(self) -> None:
        if not self.every or not self.every.strip():
            raise ModelError("--every needs an interval such as 1d, 12h or 1w")
        if self.log_days < 1:
            raise ModelError(f"--days must be at least 1, not {self.log_days}")


def create(db: Database, request: ScheduleRequest) -> dict[str, Any]:
    """Check the request against the model (its features, the query's columns, the rule) and record it, due now;
    the schedule as a dict (id, every, alert, next_run, updated). A schedule of the same model and query is updated
    (its interval and rule) instead of repeated."""
    conn = db.control
    mv = registry.get(conn, request.name)
    try:
        row = conn.execute(f"SELECT i > interval '0', {_every('i')} FROM (SELECT %s::interval AS i) AS x",
                           (request.every,)).fetchone()  # fmt: skip
        positive, every = (bool(row[0]), interval_words(*row[1:])) if row else (False, "")
    except psycopg.Error:
        raise ModelError(f"--every {request.every!r} is not an interval: write e.g. 1d, 12h, 30min or 1w") from None
    if not positive:
        raise ModelError(f"--every {request.every!r} must be longer than zero")
    if request.alert is not None:
        parse_rule(request.alert, mv.feature_names)
    query = check_read_query(request.actual, what="the monitoring query", error=ModelError)
    columns = query_columns(conn, query, db.read_timeout_s)
    target = outcome_column(mv, columns, request.target)  # recorded: later runs use the same column
    if request.log_key is None:
        monitor_sql(conn, mv, query, target, db.read_timeout_s)  # the columns it needs, checked now
    elif not {request.log_key, target} <= set(columns):
        raise ModelError(f"the outcomes query must return the key {request.log_key!r} and {target!r}")
    sources = query_sources(conn, query)
    days = request.log_days if request.log_key else None
    with conn.transaction():
        found = conn.execute(
            """UPDATE pgai.monitor_schedules SET every = %s::interval, alert = %s, next_run = now(), enabled = true,
                      sources = %s::oid[]::regclass[]
               WHERE name = %s AND actual = %s AND target = %s AND log_key IS NOT DISTINCT FROM %s
                 AND log_days IS NOT DISTINCT FROM %s RETURNING id, next_run""",
            (request.every, request.alert, sources, request.name, query, target, request.log_key, days),
        ).fetchone()
        updated = found is not None
        if found is None:
            found = conn.execute(
                """INSERT INTO pgai.monitor_schedules (name, actual, target, log_key, log_days, every, alert, sources)
                   VALUES (%s, %s, %s, %s, %s, %s::interval, %s, %s::oid[]::regclass[]) RETURNING id, next_run""",
                (request.name, query, target, request.log_key, days, request.every, request.alert, sources),
            ).fetchone()  # fmt: skip
        conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, str(found[0] if found else "")))
    assert found is not None
    return {"id": int(found[0]), "name": request.name, "every": every, "alert": request.alert, "next_run": found[1],
            "updated": updated}  # fmt: skip


def list_schedules(conn: psycopg.Connection, name: str | None = None) -> pd.DataFrame:
    """The schedules (of model `name`, or all): id, model, every, alert, next run, last run, runs, last error."""
    rows = conn.execute(
        f"""SELECT id, name, {_every("every")}, alert, next_run, last_run, runs, last_error, enabled, actual
            FROM pgai.monitor_schedules WHERE %(name)s::text IS NULL OR name = %(name)s ORDER BY id""",
        {"name": name},
    ).fetchall()
    columns = ["id", "model", "every", "alert", "next_run", "last_run", "runs", "last_error", "enabled", "actual"]
    shown = [(r[0], r[1], interval_words(*r[2:5]), *r[5:]) for r in rows]  # every: '1 hour', as written
    return pd.DataFrame.from_records(shown, columns=columns)


def failing_lines(conn: psycopg.Connection, limit: int = 3) -> str:
    """`status`'s line on monitoring: how many schedules there are, and those whose last check failed (its error)."""
    frame = list_schedules(conn)
    if frame.empty:
        return "no schedules"
    failing = frame[frame["last_error"].notna() & frame["enabled"]]
    total = f"{len(frame)} schedule{'s' if len(frame) != 1 else ''}"
    if failing.empty:
        return f"{total}, none failing"
    shown = "; ".join(f"#{r.id} {r.model} every {r.every}: {r.last_error}" for r in failing.head(limit).itertuples())
    more = f"; … (%pgai model schedules lists all {len(failing)})" if len(failing) > limit else ""
    return f"{total}, {len(failing)} failing: {shown}{more}"


def due_now(conn: psycopg.Connection, name: str) -> list[int]:
    """Make every schedule of model `name` due now (the next worker pass runs them); their ids."""
    rows = conn.execute(
        "UPDATE pgai.monitor_schedules SET next_run = now() WHERE name = %s AND enabled RETURNING id", (name,)
    ).fetchall()
    if not rows:
        raise ModelError(f"model {name!r} has no monitoring schedule: %pgai model monitor {name} --every 1d …")
    return sorted(int(r[0]) for r in rows)


def drop(conn: psycopg.Connection, schedule_id: int) -> None:
    """Remove a schedule (its open alerts go with it; its runs stay in pgai.model_monitoring)."""
    if conn.execute("DELETE FROM pgai.monitor_schedules WHERE id = %s", (int(schedule_id),)).rowcount == 0:
        raise ModelError(f"no schedule #{schedule_id}: %pgai model schedules lists them")


_CLAIM = """
SELECT id, name, actual, target, log_key, log_days, alert, sources::oid[] FROM pgai.monitor_schedules
WHERE enabled AND next_run <= now() ORDER BY next_run, id LIMIT 1 FOR UPDATE SKIP LOCKED
"""
_ADVANCE = """
UPDATE pgai.monitor_schedules SET last_run = clock_timestamp(), runs = runs + 1, last_error = %s,
       next_run = next_run + every * (floor(extract(epoch FROM clock_timestamp() - next_run)
                                            / extract(epoch FROM every)) + 1)
WHERE id = %s
"""


def _run(db: Database, conn: psycopg.Connection, row: tuple[Any, ...]) -> str:
    """Run one claimed check inside the claim's transaction on `conn`: record it, raise its alert; what happened."""
    sid, name, actual, target, log_key, log_days, alert, _ = row
    sources = query_sources(conn, actual)  # as the names resolve now (a table re-created since has a new oid)
    conn.execute("UPDATE pgai.monitor_schedules SET sources = %s::oid[]::regclass[] WHERE id = %s", (sources, sid))
    if log_key is not None:
        per_version = check_log(db, name, actual, key=log_key, actual=target, days=int(log_days))
        mv = registry.get(conn, name)
        mine = per_version[per_version["version"] == mv.version] if len(per_version) else per_version
        metrics = {k: v for k, v in (mine.iloc[0].to_dict() if len(mine) else {}).items() if k != "version"}
        version, n_rows, drift = mv.version, int(metrics.get("n", 0) or 0), []
    else:
        report = check(db, name, actual, actual=target)
        version, n_rows, metrics = report.version, report.n_rows, report.current
        drift = [{str(k): v for k, v in r.items()} for r in report.drift.to_dict(orient="records")]
    run_id = registry.record_check(conn, name, version, n_rows, metrics, drift, sources=sources,
                                   schedule_id=sid)  # fmt: skip
    said = f"#{sid} {name} v{version}: {n_rows:,} rows"
    if alert:
        values = observed(metrics, drift)
        breached, why, _ = parse_rule(alert).evaluate(values)
        if breached:
            alert_id = raise_alert(conn, schedule_id=sid, run_id=run_id, name=name, version=version, rule=alert,
                                   why=why, values=values, sources=sources)  # fmt: skip
            conn.execute("UPDATE pgai.model_monitoring SET alert_id = %s WHERE id = %s", (alert_id, run_id))
            said += f"; alert #{alert_id}: {' and '.join(why)}"
    return said


def _failed(conn: psycopg.Connection, row: tuple[Any, ...], error: str) -> str:
    """Raise (or repeat) the alert of a failed check, with the schedule's sources and the model's active version
    (0 when the model is gone); what happened ('alert #N', or why no alert could be recorded)."""
    sid, name, *_, sources = row
    try:
        with conn.transaction():
            found = conn.execute("SELECT max(version) FILTER (WHERE active) FROM pgai.models WHERE name = %s", (name,))
            version = (found.fetchone() or (None,))[0]
            alert_id = raise_alert(conn, schedule_id=sid, run_id=None, name=name, version=int(version or 0),
                                   rule=FAILED_RULE, why=[f"scheduled check #{sid} failed: {error}"], values={},
                                   sources=list(sources or []))  # fmt: skip
    except psycopg.Error as exc:
        return f"no alert recorded: {server_message(exc)}"
    return f"alert #{alert_id}"


def run_due(dsn: str, *, log: Callable[[str], None] = lambda message: None, limit: int | None = None) -> list[int]:
    """Run every check that is due (at most `limit`), each claimed with FOR UPDATE SKIP LOCKED, and return the ids
    of the schedules run. A check that fails records its error on the schedule, raises an alert (FAILED_RULE) and
    moves on."""
    db = Database(dsn)
    conn = connect(dsn, application_name="pgai_magic monitor")
    done: list[int] = []
    try:
        while limit is None or len(done) < limit:
            with conn.transaction():
                row = conn.execute(_CLAIM).fetchone()
                if row is None:
                    break
                error = None
                try:
                    with conn.transaction():  # a savepoint: a failed check leaves only its error behind
                        log(_run(db, conn, row))
                except (PgaiError, psycopg.Error) as err:
                    error = server_message(err) if isinstance(err, psycopg.Error) else str(err)
                    log(f"#{row[0]} {row[1]}: failed: {error}; {_failed(conn, row, error)}")
                conn.execute(_ADVANCE, (error, row[0]))
            done.append(int(row[0]))
    finally:
        conn.close()
        db.close()
    return done


def serve_checks(
    dsn: str, *, once: bool = False, stop: threading.Event | None = None, poll_s: float = 60.0,
    log: Callable[[str], None] = lambda message: None,
) -> int:  # fmt: skip
    """Run due checks until `stop` (with `once`: those due now, then return); waits until the next one is due,
    a new schedule is made (NOTIFY pgai_monitor) or `poll_s` passes. The number of checks run."""
    stop = stop or threading.Event()
    total = 0
    listener = connect(dsn, autocommit=True, application_name="pgai_magic monitor")
    try:
        listener.execute(f"LISTEN {CHANNEL}")
        while not stop.is_set():
            total += len(run_due(dsn, log=log))
            if once:
                break
            row = listener.execute(
                "SELECT extract(epoch FROM min(next_run) - now()) FROM pgai.monitor_schedules WHERE enabled"
            ).fetchone()
            wait = poll_s if row is None or row[0] is None else min(poll_s, max(0.05, float(row[0])))
            wait_for_notify(listener, stop, wait)
    finally:
        listener.close()
    return total

"""Alerts of scheduled monitoring: raised when a run breaks its rule (pgai.alerts, NOTIFY pgai_alert), listed,
acknowledged; and a metric's history over the monitoring runs, for its chart."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pandas as pd
import psycopg
from psycopg.types.json import Jsonb

from pgai_magic.errors import ModelError
from pgai_magic.inference.rules import observed

__all__ = ["CHANNEL", "FAILED_RULE", "acknowledge", "history", "list_alerts", "open_alert_lines", "raise_alert"]

CHANNEL = "pgai_alert"
FAILED_RULE = "check failed"  # the rule of the alert a scheduled check raises when it cannot run
_COLUMNS = ["id", "model", "version", "rule", "message", "raised_at", "last_seen", "occurrences", "schedule",
            "acknowledged_at", "acknowledged_by"]  # fmt: skip


def raise_alert(
    conn: psycopg.Connection, *, schedule_id: int, run_id: int | None, name: str, version: int, rule: str,
    why: Sequence[str], values: dict[str, float], sources: Sequence[int],
) -> int:  # fmt: skip
    """Record a breach of `rule` by run `run_id` and NOTIFY pgai_alert (delivered when the caller commits).

    A schedule has one open alert of its rule and one of its failures (`FAILED_RULE`, `run_id` None): while it is
    unacknowledged a new breach (or failure) counts an occurrence on it (and updates its message and values)
    instead of raising another. Returns the alert's id."""
    message = f"{name} v{version}: {' and '.join(why) or rule}"
    row = conn.execute(
        """UPDATE pgai.alerts SET occurrences = occurrences + 1, last_seen = now(), message = %s, observed = %s,
                  run_id = %s, version = %s
           WHERE schedule_id = %s AND acknowledged_at IS NULL AND (rule = %s) = %s RETURNING id""",
        (message, Jsonb(values), run_id, version, schedule_id, FAILED_RULE, rule == FAILED_RULE),
    ).fetchone()
    if row is None:
        row = conn.execute(
            """INSERT INTO pgai.alerts (schedule_id, run_id, name, version, rule, message, observed, sources)
               VALUES (%s, %s, %s, %s, %s, %s, %s, %s::oid[]::regclass[]) RETURNING id""",
            (schedule_id, run_id, name, version, rule, message, Jsonb(values), list(sources)),
        ).fetchone()
    alert_id = int(row[0]) if row else 0
    payload = {"id": alert_id, "model": name, "version": version, "rule": rule, "message": message}
    conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, json.dumps(payload)))
    return alert_id


def list_alerts(conn: psycopg.Connection, *, include_acknowledged: bool = False) -> pd.DataFrame:
    """The open alerts, newest first (with `include_acknowledged`, every alert)."""
    where = "" if include_acknowledged else "WHERE acknowledged_at IS NULL"
    rows = conn.execute(
        f"""SELECT id, name, version, rule, message, raised_at, last_seen, occurrences, schedule_id, acknowledged_at,
                   acknowledged_by FROM pgai.alerts {where} ORDER BY last_seen DESC, id DESC"""
    ).fetchall()
    return pd.DataFrame.from_records(rows, columns=_COLUMNS)


def acknowledge(conn: psycopg.Connection, alert_id: int) -> str:
    """Mark an open alert acknowledged (by this role, now); its message. ModelError when there is no such open
    alert (naming the open ones)."""
    row = conn.execute(
        """UPDATE pgai.alerts SET acknowledged_at = now(), acknowledged_by = current_user
           WHERE id = %s AND acknowledged_at IS NULL RETURNING message""",
        (int(alert_id),),
    ).fetchone()
    if row is None:
        open_ids = [r[0] for r in conn.execute("SELECT id FROM pgai.alerts WHERE acknowledged_at IS NULL ORDER BY id")]
        raise ModelError(f"no open alert #{alert_id}: open alerts are {open_ids or 'none'} (%pgai alerts lists them)")
    return str(row[0])


def open_alert_lines(conn: psycopg.Connection, limit: int = 3) -> str:
    """`status`'s line: how many alerts are open and the newest ones."""
    frame = list_alerts(conn)
    if frame.empty:
        return "none open"
    shown = "; ".join(f"#{r.id} {r.message}" for r in frame.head(limit).itertuples())
    more = f"; … (%pgai alerts lists all {len(frame)})" if len(frame) > limit else ""
    return f"{len(frame)} open: {shown}{more} — %pgai alerts --ack ID"


def history(conn: psycopg.Connection, name: str, metric: str) -> pd.DataFrame:
    """`metric` (a rule's metric name, e.g. auc, psi, p_value(plan)) of every monitoring run of model `name`, in
    time order: checked_at, version, value, schedule, and whether the run raised an alert."""
    rows = conn.execute(
        """SELECT m.id, m.checked_at, m.version, m.metrics, m.drift, m.schedule_id, m.alert_id IS NOT NULL
           FROM pgai.model_monitoring m WHERE m.name = %s ORDER BY m.checked_at, m.id""",
        (name,),
    ).fetchall()
    if not rows:
        raise ModelError(f"model {name!r} has no monitoring runs yet: %pgai model monitor {name} --actual …")
    records: list[dict[str, Any]] = []
    for run_id, checked_at, version, metrics, drift, schedule_id, alert in rows:
        value = observed(metrics or {}, drift or []).get(metric)
        records.append({"run": run_id, "checked_at": checked_at, "version": version, metric: value,
                        "schedule": schedule_id, "alert": bool(alert)})  # fmt: skip
    frame = pd.DataFrame.from_records(records)
    return frame.astype({"schedule": "Int64", metric: float})

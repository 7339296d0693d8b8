"""The point-in-time (as-of) join of labels with feature views, as one SQL query PostgreSQL runs.

Each label row gets, per view, the latest feature row of its entity whose time is at or before the label time
(within the ttl), never a row from the future: pandas' `merge_asof(direction="backward", by=entity)` done by
the database. Two plans of the same answer:

- **lateral**: per label and view, `LEFT JOIN LATERAL (… WHERE entity = l.entity AND time <= l.time ORDER BY
  time DESC LIMIT 1)`: one index descent per label and view over an index on (entity, time). Best when the labels
  are few next to the feature rows.
- **sweep**: each view is read once, grouped by entity into arrays ordered by time (`array_agg … ORDER BY`),
  joined to the labels (sorted by entity) by entity, and the row is found by binary search
  (`width_bucket(label_time, times)`: the number of times at or before the label time). Best when the labels are
  many; an index on (entity, time) INCLUDE (features) lets PostgreSQL read each view in order without sorting.

Ties (one entity, one time) go to the row with the latest `created` value when the view has one, else to the
row whose features sort last (in PostgreSQL's order, NULL last): the same row in both plans. NULL entities and NULL
times match nothing (SQL's equality; pandas would pair NaN with NaN).
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
from psycopg import sql

from pgai_magic import catalog
from pgai_magic.db import read_only, server_message
from pgai_magic.errors import FeatureError
from pgai_magic.features import views
from pgai_magic.features.request import FeatureRef
from pgai_magic.features.views import TIME_TYPES, FeatureView

__all__ = ["Chosen", "Pick", "Plan", "choose", "index_hints", "lateral_sql", "plan", "set_planner", "sweep_sql"]

_LABEL_TIMES = ("label_time", "event_timestamp", "event_time")
# the sweep reads every row of each view: by a plain index scan its heap reads in index order are random (6x slower
# than a scan and a sort at 1M rows a view, bench_features.py), so unless every view has an index with all it needs
# (an index-only scan), index scans are switched off for its query (enable_indexscan also governs index-only scans)
NO_INDEX_SCANS = {"enable_indexscan": False}
_PREFIX = "_pgai_"


@dataclass(frozen=True)
class Pick:
    """The features taken from one view version, and the names they get in the training set."""

    view: FeatureView
    features: tuple[str, ...]
    output: tuple[str, ...]

    def lineage(self) -> dict[str, object]:
        return {"name": self.view.name, "version": self.view.version, "features": list(self.features)}


@dataclass(frozen=True)
class Plan:
    """A checked training set: the labels query and its columns, the label time, the picks and the ttl literal
    (an interval or a number; None for no limit)."""

    labels: str
    label_columns: tuple[tuple[str, str], ...]
    label_time: str
    picks: tuple[Pick, ...]
    ttl: sql.Composable | None
    ttl_text: str | None

    @property
    def feature_columns(self) -> list[str]:
        return [name for pick in self.picks for name in pick.output]

    @property
    def sources(self) -> list[int]:
        """The relations the views read (pg_class oids)."""
        return sorted({s for pick in self.picks for s in pick.view.source_oids})


def _label_time(columns: dict[str, str], given: str | None) -> str:
    if given is not None:
        if given not in columns:
            hint = catalog.did_you_mean(given, list(columns))
            raise FeatureError(f"--label-time {given!r} is not a column of the labels" +
                               (f" — {hint}" if hint else f"; they have {list(columns)}"))  # fmt: skip
        chosen = given
    else:
        named = [c for c in _LABEL_TIMES if c in columns]
        timed = [c for c, t in columns.items() if t.startswith(("date", "timestamp"))]
        if not named and len(timed) != 1:
            raise FeatureError(f"which column of the labels is the label time? give --label-time COLUMN "
                               f"(the labels have {list(columns)})")  # fmt: skip
        chosen = named[0] if named else timed[0]
    if not columns[chosen].startswith(TIME_TYPES):
        raise FeatureError(f"the label time {chosen!r} is {columns[chosen]}: it must be a date, timestamp or number")
    return chosen


def _picks(conn: psycopg.Connection, refs: tuple[FeatureRef, ...], label_names: list[str]) -> list[Pick]:
    chosen: dict[tuple[str, int], tuple[FeatureView, list[str]]] = {}
    for ref in refs:
        view = views.get(conn, ref.view, ref.version)
        _, feats = chosen.setdefault((view.name, view.version), (view, []))
        if ref.feature is not None and ref.feature not in view.feature_names:
            hint = catalog.did_you_mean(ref.feature, view.feature_names)
            raise FeatureError(f"{view.label} has no feature {ref.feature!r}" +
                               (f" — {hint}" if hint else f"; its features: {view.feature_names}"))  # fmt: skip
        for name in [ref.feature] if ref.feature else view.feature_names:
            if name not in feats:
                feats.append(name)
    for view, _ in chosen.values():
        if view.entity not in label_names:
            raise FeatureError(f"the labels have no column {view.entity!r}, the entity of {view.label}: return it "
                               f"(… AS {view.entity}); the labels have {label_names}")  # fmt: skip
    names = [f for _, feats in chosen.values() for f in feats]
    taken = set(label_names)
    picks = []
    for view, feats in chosen.values():
        clash = [f in taken or names.count(f) > 1 for f in feats]
        output = tuple(f"{view.name}__{f}" if c else f for f, c in zip(feats, clash))  # Feast's full feature names
        picks.append(Pick(view, tuple(feats), output))
    return picks


def _ttl(conn: psycopg.Connection, text: str | None, time_types: list[str]) -> sql.Composable | None:
    if text is None:
        return None
    numeric = all(not t.startswith(("date", "timestamp", "time")) for t in time_types)
    try:
        if numeric:
            value = float(text)
            if value <= 0:
                raise ValueError
            return sql.Literal(value)
        row = conn.execute("SELECT %s::interval > interval '0', %s::interval::text", (text, text)).fetchone()
    except (ValueError, psycopg.Error):
        unit = "a positive number (the time columns are numbers)" if numeric else "an interval such as 30d, 12h, 2w"
        raise FeatureError(f"--ttl {text!r} is not {unit}") from None
    if not row or not row[0]:
        raise FeatureError(f"--ttl {text!r} must be longer than zero")
    return sql.SQL("{}::interval").format(sql.Literal(row[1]))


def plan(
    conn: psycopg.Connection, labels: str, refs: tuple[FeatureRef, ...], label_time: str | None, ttl: str | None,
    timeout_s: float = 30.0,
) -> Plan:  # fmt: skip
    """Check the labels query (one read query), the views and features, the label time and the ttl: a Plan.

    FeatureError naming what is wrong: a missing view, feature or entity column, an unclear label time."""
    from pgai_magic.sqltext import check_read_query

    checked = check_read_query(labels, what="the labels query", error=FeatureError)
    columns = views.query_columns(conn, checked, "the labels query", timeout_s)
    names = [c for c, _ in columns]
    repeated = sorted({c for c in names if names.count(c) > 1})
    if repeated:
        raise FeatureError(f"the labels return the column(s) {repeated} more than once: give them aliases")
    inner = [c for c in names if c.startswith(_PREFIX)]
    if inner:
        raise FeatureError(f"the labels have column(s) {inner}: names starting with {_PREFIX} are pgai's own here")
    types = dict(columns)
    chosen_time = _label_time(types, label_time)
    picks = _picks(conn, refs, [c for c, _ in columns])
    time_types = [types[chosen_time]]  # the view times' types are checked when the views are defined
    for pick in picks:
        time_types += [f["type"] for f in _time_columns(conn, pick.view, timeout_s)]
    return Plan(checked, tuple(columns), chosen_time, tuple(picks), _ttl(conn, ttl, time_types), ttl)


def _time_columns(conn: psycopg.Connection, view: FeatureView, timeout_s: float) -> list[dict[str, str]]:
    columns = dict(views.query_columns(conn, view.query, f"the query of {view.label}", timeout_s))
    return [{"name": view.time, "type": columns.get(view.time, "")}]


def _ident(name: str) -> sql.Identifier:
    return sql.Identifier(name)


_UNORDERED = ("json", "xml", "point", "line", "lseg", "box", "path", "polygon", "circle")


def _tiebreak(name: str, type_: str) -> sql.Composable:
    """A feature as a sort key: itself, or its text where the type has no ordering (json, geometric types)."""
    if type_.removesuffix("[]") in _UNORDERED:
        return sql.SQL('v.{}::text COLLATE "C"').format(_ident(name))
    return sql.SQL("v.{}").format(_ident(name))


def _order(view: FeatureView, descending: bool) -> sql.Composed:
    """ORDER BY of a view's rows of one entity: time, then the tie-break (`created`, else the features in order;
    PostgreSQL's default order, NULL largest), ascending for the sweep's arrays (the last of equal times wins) or
    descending for the lateral's LIMIT 1 (the first wins): the same row either way."""
    way = sql.SQL(" DESC") if descending else sql.SQL("")
    keys: list[sql.Composable] = [sql.SQL("v.{}").format(_ident(view.time))]
    if view.created is not None:
        keys.append(sql.SQL("v.{}").format(_ident(view.created)))
    else:
        keys += [_tiebreak(f["name"], f["type"]) for f in view.features]
    return sql.SQL(", ").join(sql.SQL("{}{}").format(k, way) for k in keys)


def _labels_sql(p: Plan, ordered: bool) -> sql.Composed:
    if not ordered:
        return sql.SQL("({}) AS l").format(sql.SQL(p.labels))  # type: ignore[arg-type]
    entity = _ident(p.picks[0].view.entity)
    return sql.SQL("(SELECT * FROM ({}) AS q ORDER BY q.{}) AS l").format(sql.SQL(p.labels), entity)  # type: ignore[arg-type]


def lateral_sql(p: Plan) -> sql.Composed:
    """The training set by one LATERAL lookup (ORDER BY time DESC LIMIT 1) per label and view."""
    lt = _ident(p.label_time)
    out: list[sql.Composable] = [sql.SQL("l.{}").format(_ident(c)) for c, _ in p.label_columns]
    joins: list[sql.Composable] = []
    for i, pick in enumerate(p.picks):
        v, j = pick.view, _ident(f"{_PREFIX}j{i}")
        cols = sql.SQL(", ").join(sql.SQL("v.{}").format(_ident(f)) for f in pick.features)
        ttl = sql.SQL("") if p.ttl is None else sql.SQL(" AND v.{} >= l.{} - {}").format(_ident(v.time), lt, p.ttl)
        template = sql.SQL(
            "LEFT JOIN LATERAL (SELECT {cols} FROM ({query}) AS v WHERE v.{e} = l.{e} AND v.{t} <= l.{lt}{ttl} "
            "ORDER BY {order} LIMIT 1) AS {j} ON true"
        )
        query = sql.SQL(v.query)  # type: ignore[arg-type]
        order = _order(v, True)
        joins.append(template.format(cols=cols, query=query, e=_ident(v.entity), t=_ident(v.time), lt=lt, ttl=ttl,
                                     order=order, j=j))  # fmt: skip
        out += [sql.SQL("{}.{} AS {}").format(j, _ident(f), _ident(o)) for f, o in zip(pick.features, pick.output)]
    select = sql.SQL(", ").join(out)
    return sql.SQL("SELECT {} FROM {} {}").format(select, _labels_sql(p, False), sql.SQL(" ").join(joins))


def sweep_sql(p: Plan) -> sql.Composed:
    """The training set by one ordered read of each view (arrays per entity) and a binary search per label."""
    lt = _ident(p.label_time)
    ctes: list[sql.Composable] = []
    inner: list[sql.Composable] = [sql.SQL("l.*")]
    joins: list[sql.Composable] = []
    outer: list[sql.Composable] = [sql.SQL("s.{}").format(_ident(c)) for c, _ in p.label_columns]
    for i, pick in enumerate(p.picks):
        v, a, k, t = pick.view, _ident(f"{_PREFIX}a{i}"), _ident(f"{_PREFIX}k{i}"), _ident(f"{_PREFIX}t{i}")
        order = _order(v, False)
        aggs = [sql.SQL("array_agg(v.{} ORDER BY {}) AS t").format(_ident(v.time), order)]
        aggs += [sql.SQL("array_agg(v.{} ORDER BY {}) AS {}").format(_ident(f), order, _ident(f"c{n}"))
                 for n, f in enumerate(pick.features)]  # fmt: skip
        template = sql.SQL(
            "{a} AS (SELECT v.{e} AS e, {aggs} FROM ({query}) AS v WHERE v.{e} IS NOT NULL AND v.{t} IS NOT NULL "
            "GROUP BY v.{e})"
        )
        query = sql.SQL(v.query)  # type: ignore[arg-type]
        ctes.append(template.format(a=a, e=_ident(v.entity), aggs=sql.SQL(", ").join(aggs), query=query,
                                    t=_ident(v.time)))  # fmt: skip
        joins.append(sql.SQL("LEFT JOIN {a} ON {a}.e = l.{e}").format(a=a, e=_ident(v.entity)))
        inner.append(sql.SQL("width_bucket(l.{}, {}.t) AS {}").format(lt, a, k))
        if p.ttl is not None:
            inner.append(sql.SQL("{}.t AS {}").format(a, t))
        for n, o in enumerate(pick.output):
            column = _ident(f"{_PREFIX}{i}_{n}")
            inner.append(sql.SQL("{}.{} AS {}").format(a, _ident(f"c{n}"), column))
            value: sql.Composable = sql.SQL("s.{}[s.{}]").format(column, k)
            if p.ttl is not None:
                value = sql.SQL("CASE WHEN s.{t}[s.{k}] >= s.{lt} - {ttl} THEN {value} END").format(
                    t=t, k=k, lt=lt, ttl=p.ttl, value=value
                )
            outer.append(sql.SQL("{} AS {}").format(value, _ident(o)))
    return sql.SQL("WITH {} SELECT {} FROM (SELECT {} FROM {} {} OFFSET 0) AS s").format(
        sql.SQL(", ").join(ctes), sql.SQL(", ").join(outer), sql.SQL(", ").join(inner), _labels_sql(p, True),
        sql.SQL(" ").join(joins),
    )  # fmt: skip


@dataclass(frozen=True)
class Chosen:
    """The training set's query: its SQL, the plan (lateral or sweep) and why, the planner switches to run it
    with (SET LOCAL), and the CREATE INDEX advice for that plan."""

    sql: str
    strategy: str
    why: str
    planner: dict[str, bool]
    hints: list[str]


def set_planner(conn: psycopg.Connection, planner: dict[str, bool]) -> None:
    """SET LOCAL the planner switches `planner` in the open transaction of `conn`."""
    for name, on in planner.items():
        conn.execute(sql.SQL("SET LOCAL {} = {}").format(sql.Identifier(name), sql.SQL("on" if on else "off")))


def _cost(conn: psycopg.Connection, statement: sql.Composed, planner: dict[str, bool], timeout_s: float) -> float:
    with read_only(conn, timeout_s, what="planning the training set"):
        set_planner(conn, planner)
        row = conn.execute(sql.SQL("EXPLAIN (FORMAT JSON) {}").format(statement)).fetchone()
    return float(row[0][0]["Plan"]["Total Cost"]) if row else float("inf")


def choose(conn: psycopg.Connection, p: Plan, strategy: str, timeout_s: float = 30.0) -> Chosen:
    """The query of plan `strategy` (lateral or sweep) as asked, or with auto the one the planner estimates cheaper
    (EXPLAIN of both, each with its switches; nothing runs), and the index advice for it."""
    built = {"lateral": lateral_sql(p), "sweep": sweep_sql(p)}
    sweep_hints = index_hints(conn, p, "sweep")
    planner: dict[str, dict[str, bool]] = {"lateral": {}, "sweep": dict(NO_INDEX_SCANS) if sweep_hints else {}}
    if strategy != "auto":
        chosen, why = strategy, f"--strategy {strategy}"
    else:
        try:
            costs = {name: _cost(conn, statement, planner[name], timeout_s) for name, statement in built.items()}
        except psycopg.Error as exc:
            raise FeatureError(f"the training set cannot be planned: {server_message(exc)}") from None
        chosen = min(costs, key=lambda name: costs[name])
        other = "sweep" if chosen == "lateral" else "lateral"
        why = f"the planner's estimate: {chosen} {costs[chosen]:,.0f} vs {other} {costs[other]:,.0f}"
    hints = sweep_hints if chosen == "sweep" else index_hints(conn, p, "lateral")
    return Chosen(built[chosen].as_string(conn), chosen, why, planner[chosen], hints)


def _order_columns(view: FeatureView) -> tuple[list[str], list[str]]:
    """The plain columns `_order` sorts a view's rows by (entity first), and the features it cannot use as keys."""
    if view.created is not None:
        return [view.entity, view.time, view.created], []
    keys = [f["name"] for f in view.features if f["type"].removesuffix("[]") not in _UNORDERED]
    rest = [f["name"] for f in view.features if f["name"] not in keys]
    return [view.entity, view.time, *keys], rest


def index_hints(conn: psycopg.Connection, p: Plan, strategy: str) -> list[str]:
    """A CREATE INDEX to advise for each view over one table that lacks the index its plan reads best: one leading
    with (entity, time) for the lateral plan; for the sweep one whose keys are the whole order of `_order` (entity,
    time, then created or the features) and that holds every feature, so PostgreSQL reads the view in order from
    the index alone, without sorting."""
    read = catalog.reader(conn)
    hints = []
    for pick in p.picks:
        v = pick.view
        found = catalog.find_relation(read, v.sources[0], v.sources[0]) if len(v.sources) == 1 else None
        if found is None or found.relkind not in ("r", "m", "p"):
            continue
        columns = {a.name for a in catalog.read_attributes(read, found)}
        keys, rest = _order_columns(v)
        include = [f for f in [*pick.features, *rest] if f not in keys]
        if not {*keys, *include} <= columns:
            continue
        indexes = catalog.index_columns(read, found.oid)
        if strategy == "lateral" and any(ix.leads_with(v.entity, v.time) for ix in indexes):
            continue
        if any(ix.leads_with(*keys) and ix.covers({*keys, *include}) for ix in indexes):
            continue
        extra = sql.SQL(" INCLUDE ({})").format(sql.SQL(", ").join(map(_ident, include))) if include else sql.SQL("")
        ddl = (
            sql.SQL("CREATE INDEX ON {} ({}){}")
            .format(
                sql.SQL(found.regclass),
                sql.SQL(", ").join(map(_ident, keys)),
                extra,  # type: ignore[arg-type]
            )
            .as_string(conn)
        )
        plan_reads = (
            "the lateral plan looks each label up in it" if strategy == "lateral"
            else "the sweep reads the view in order from it, without sorting"
        )  # fmt: skip
        hints.append(f"{v.label} reads {found.regclass}: {ddl}; then VACUUM (ANALYZE) {found.regclass} ({plan_reads})")
    return hints

"""A query plan (measures, dimensions, filters, order, limit) built into a sqlglot expression, joined along FKs."""

from __future__ import annotations

import datetime as dt
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from sqlglot import exp

from pgai_magic.catalog import Catalog, Column, ForeignKey, Table
from pgai_magic.errors import TranslationError
from pgai_magic.nl2sql.text import lemma
from pgai_magic.nl2sql.timeexpr import Bound

__all__ = ["Dim", "Filter", "JoinTree", "Measure", "Plan", "build", "join_tree"]


@dataclass
class Measure:
    """An aggregate: count of a table's rows, or agg(column) (count with distinct for distinct values)."""

    agg: str
    column: Column | None = None
    table: str | None = None
    distinct: bool = False
    column2: Column | None = None  # 'diff': the start date subtracted from `column`
    inner: str = "avg"  # 'diff': how the per-row differences are aggregated
    unit: str = "day"  # 'span' and 'diff': the unit of the result

    @property
    def home(self) -> str:
        return self.column.table if self.column is not None else str(self.table)


@dataclass
class Dim:
    """A group-by: a column, a whole table (its key and label), or a time bucket of a date column."""

    column: Column | None = None
    table: str | None = None
    bucket: str | None = None

    @property
    def home(self) -> str:
        return self.column.table if self.column is not None else str(self.table)


@dataclass
class Filter:
    """column op value(s); several values mean IN; `having` filters compare a measure instead."""

    column: Column | None
    op: str
    values: list[Any]
    negate: bool = False
    measure: Measure | None = None
    share: bool = False  # the condition of a percentage's numerator, not a WHERE
    at: int = -1  # the question item it came from


@dataclass
class Plan:
    """What the question asks, independent of wording and language."""

    measures: list[Measure] = field(default_factory=list)
    dims: list[Dim] = field(default_factory=list)
    filters: list[Filter] = field(default_factory=list)
    time: list[tuple[str, Bound]] = field(default_factory=list)
    time_column: Column | None = None
    order: tuple[Measure | Column, str] | None = None
    limit: int | None = None
    subject: str | None = None
    columns: list[Column] = field(default_factory=list)
    distinct: bool = False
    context: set[str] = field(default_factory=set)
    per_entity: str | None = None  # average, over this table's rows, of each row's measure
    share: str | None = None  # 'rows': percentage meeting the `share` filters; 'total': percentage of the total
    fraction: bool = False  # the share as a fraction (0..1), not a percentage

    def tables(self) -> set[str]:
        needed = {m.home for m in self.measures} | {d.home for d in self.dims if d.column or d.table}
        needed |= {f.column.table for f in self.filters if f.column is not None}
        needed |= {f.measure.home for f in self.filters if f.measure is not None}
        needed |= {c.table for c in self.columns} | set(self.context)
        if self.subject:
            needed.add(self.subject)
        if self.per_entity:
            needed.add(self.per_entity)
        if self.time_column is not None:
            needed.add(self.time_column.table)
        if self.order is not None and isinstance(self.order[0], Column):
            needed.add(self.order[0].table)
        return needed


@dataclass
class JoinTree:
    """A root table and the FK joins (child -> parent, or parent -> child when `fans_out`) reaching the rest."""

    root: str
    joins: list[tuple[ForeignKey, str]]
    fans_out: bool = False

    def tables(self) -> list[str]:
        return [self.root] + [t for _, t in self.joins]


def _edges(catalog: Catalog) -> dict[str, list[tuple[ForeignKey, str, bool]]]:
    graph: dict[str, list[tuple[ForeignKey, str, bool]]] = {k: [] for k in catalog.tables}
    for fk in catalog.foreign_keys():
        graph[fk.table].append((fk, fk.ref_table, True))  # many-to-one
        graph[fk.ref_table].append((fk, fk.table, False))  # one-to-many
    return graph


def _paths(
    graph: dict[str, list[tuple[ForeignKey, str, bool]]], root: str, upward_only: bool
) -> dict[str, list[tuple[ForeignKey, str]]]:
    paths: dict[str, list[tuple[ForeignKey, str]]] = {root: []}
    queue = deque([root])
    while queue:
        here = queue.popleft()
        for fk, there, up in graph.get(here, []):
            if there in paths or (upward_only and not up):
                continue
            paths[there] = paths[here] + [(fk, there)]
            queue.append(there)
    return paths


def column_distance(catalog: Catalog, col: Column, anchors: set[str]) -> int:
    """Joins between `col`'s table and the nearest anchor table (0 when it is one)."""
    if not anchors or col.table in anchors:
        return 0
    paths = _paths(_edges(catalog), col.table, upward_only=False)
    return min((len(paths[a]) for a in anchors if a in paths), default=99)


def join_tree(catalog: Catalog, needed: set[str], prefer: list[str]) -> JoinTree:
    """The root from which every needed table is reached along many-to-one FKs (fewest joins)."""
    graph = _edges(catalog)
    order = list(dict.fromkeys([p for p in prefer if p in catalog.tables] + sorted(needed) + sorted(catalog.tables)))
    best: tuple[int, int, str, dict[str, list[tuple[ForeignKey, str]]]] | None = None
    for rank, root in enumerate(order):
        paths = _paths(graph, root, upward_only=True)
        if needed <= paths.keys():
            size = len({step for t in needed for step in paths[t]})
            if best is None or (size, rank) < best[:2]:
                best = (size, rank, root, paths)
    fans_out = False
    if best is None:
        root = order[0]
        paths = _paths(graph, root, upward_only=False)
        if not needed <= paths.keys():
            missing = ", ".join(sorted(needed - paths.keys()))
            raise TranslationError(f"the tables {missing} are not connected by foreign keys to {root}")
        best = (0, 0, root, paths)
        fans_out = True
    _, _, root, paths = best
    joins: list[tuple[ForeignKey, str]] = []
    for t in sorted(needed, key=lambda k: len(paths[k])):
        for step in paths[t]:
            if step not in joins:
                joins.append(step)
    return JoinTree(root, joins, fans_out)


# PostgreSQL's reserved key words: as identifiers they need quotes
_RESERVED = frozenset(  # PostgreSQL's reserved and type/function-name keywords (pg_get_keywords, catcode R or T)
    """all analyse analyze and any array as asc asymmetric authorization binary both case cast check collate
    collation column concurrently constraint create cross current_catalog current_date current_role current_schema
    current_time current_timestamp current_user default deferrable desc distinct do else end except false fetch for
    foreign freeze from full grant group having ilike in initially inner intersect into is isnull join lateral
    leading left like limit localtime localtimestamp natural not notnull null offset on only or order outer overlaps
    placing primary references returning right select session_user similar some symmetric system_user table
    tablesample then to trailing true union unique user using variadic verbose when where window with""".split()
)


def ident(name: str) -> exp.Identifier:
    """An identifier that means `name` exactly: quoted unless it is lowercase, plain and not reserved."""
    plain = name.isascii() and (name[:1].isalpha() or name[:1] == "_") and all(c.isalnum() or c in "_$" for c in name)
    return exp.to_identifier(name, quoted=not (plain and name == name.lower() and name not in _RESERVED))


def col_ref(name: str, table: str | None = None) -> exp.Column:
    return exp.Column(this=ident(name), table=ident(table) if table else None)


class _Names:
    """Table references and aliases for one query (no alias when there is a single table)."""

    def __init__(self, catalog: Catalog, tables: list[str]) -> None:
        self.catalog = catalog
        self.alias: dict[str, str | None] = {}
        used: set[str] = set()
        for key in tables:
            table = catalog.tables[key]
            if len(tables) == 1:
                self.alias[key] = None
                continue
            base = "".join(w[0] for w in table.name.lower().split("_") if w[:1].isalpha()) or "t"
            name, n = base, 2
            while name in used or name in _RESERVED:
                name, n = f"{base}{n}", n + 1
            used.add(name)
            self.alias[key] = name

    def table(self, key: str) -> exp.Table:
        t: Table = self.catalog.tables[key]
        alias = self.alias.get(key)
        return exp.Table(
            this=ident(t.name),
            db=ident(t.schema) if self.catalog.qualify else None,
            alias=exp.TableAlias(this=ident(alias)) if alias else None,
        )

    def col(self, column: Column | str, table: str | None = None) -> exp.Column:
        if isinstance(column, Column):
            table, name = column.table, column.name
        else:
            name = column
        return col_ref(name, self.alias.get(table or "") or None)


def _bound(b: Bound) -> exp.Expr:
    if b.kind == "date":
        assert b.date is not None
        return exp.cast(exp.Literal.string(b.date.isoformat()), "date")
    if b.kind == "ago":
        if b.n == 0:
            return exp.CurrentDate()
        n, unit = (3 * b.n, "month") if b.unit == "quarter" else (b.n, b.unit)  # PostgreSQL has no 'N quarters'
        span = f"{n} {unit}{'s' if n != 1 else ''}"
        return exp.Sub(this=exp.CurrentDate(), expression=exp.Interval(this=exp.Literal.string(span)))
    start = exp.cast(exp.func("date_trunc", exp.Literal.string(b.unit), exp.CurrentDate()), "date")
    if b.n == 0:
        return start
    op = exp.Add if b.n > 0 else exp.Sub
    n, unit = (3 * abs(b.n), "months") if b.unit == "quarter" else (abs(b.n), b.unit)
    return op(this=start, expression=exp.Interval(this=exp.Literal.string(f"{n} {unit}")))


def _time_conditions(time: list[tuple[str, Bound]], col: exp.Expr, column: Column) -> list[exp.Expr]:
    """The question's time phrases on `column`: date bounds, ISO weekdays (1 = Monday), or whole years on an
    integer year column (`year >= 2020`)."""
    days = [b.n for op, b in time if op == "dow"]
    found: list[exp.Expr] = []
    if days:
        if column.is_numeric:
            raise TranslationError(f"weekdays need a date column, and {column.name} holds numbers")
        dow = exp.Extract(this=exp.var("ISODOW"), expression=col.copy())
        found.append(_compare(dow, "=", list(days), False))
    for op, bound in time:
        if op == "dow":
            continue
        if column.is_numeric:
            if bound.kind != "date" or bound.date is None or (bound.date.month, bound.date.day) != (1, 1):
                raise TranslationError(f"{column.name} holds years: only whole years can be compared with it")
            found.append(_OPS[op](this=col.copy(), expression=exp.Literal.number(bound.date.year)))
        else:
            found.append(_OPS[op](this=col.copy(), expression=_bound(bound)))
    return found


def _literal(value: Any) -> exp.Expr:
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, (int, float)):
        return exp.Literal.number(value)
    if isinstance(value, dt.date):
        return exp.cast(exp.Literal.string(value.isoformat()), "date")
    return exp.Literal.string(str(value))


_OPS: dict[str, type[exp.Expression]] = {
    ">": exp.GT,
    ">=": exp.GTE,
    "<": exp.LT,
    "<=": exp.LTE,
    "=": exp.EQ,
    "!=": exp.NEQ,
}


def _compare(left: exp.Expr, op: str, values: list[Any], negate: bool) -> exp.Expr:
    if op == "=" and len(values) > 1:
        cond: exp.Expression = exp.In(this=left, expressions=[_literal(v) for v in values])
        return exp.Not(this=cond) if negate else cond
    if op == "=" and negate:
        return exp.NEQ(this=left, expression=_literal(values[0]))
    return _OPS[op](this=left, expression=_literal(values[0]))


def measure_alias(m: Measure, catalog: Catalog) -> str:
    if m.agg == "count" and m.column is None:
        name = catalog.tables[str(m.table)].name
        return f"{lemma(name.split('_')[-1]) if '_' in name else lemma(name)}_count"
    assert m.column is not None
    if m.agg == "count":
        return f"{m.column.name}_count"
    if m.agg == "span":
        return f"{m.unit}s_from_first_to_last_{m.column.name}"
    if m.agg == "diff" and m.column2 is not None:
        return f"{m.inner}_{m.unit}s_{m.column2.name}_to_{m.column.name}"
    prefix = {
        "sum": "total",
        "avg": "avg",
        "min": "min",
        "max": "max",
        "median": "median",
        "stddev": "stddev",
        "variance": "variance",
    }[m.agg]
    return f"{prefix}_{m.column.name}"


def build(plan: Plan, catalog: Catalog) -> exp.Select:
    """The SELECT for `plan`: joins along foreign keys, filters, grouping, order and limit."""
    if plan.per_entity:
        return _nested_average(plan, catalog)
    needed = plan.tables()
    if not needed:
        raise TranslationError("the question names no table")
    prefer = (
        [m.home for m in plan.measures]
        + ([plan.subject] if plan.subject else [])
        + [d.home for d in plan.dims if d.column or d.table]
    )
    tree = join_tree(catalog, needed, prefer)
    names = _Names(catalog, tree.tables())
    query = exp.select().from_(names.table(tree.root))
    for fk, target in tree.joins:
        child, parent = fk.table, fk.ref_table
        on = exp.and_(
            *[
                exp.EQ(this=names.col(c, child), expression=names.col(r, parent))
                for c, r in zip(fk.columns, fk.ref_columns)
            ]
        )
        query = query.join(names.table(target), on=on, join_type="inner")
    grain_safe = not tree.fans_out

    def agg_expr(m: Measure) -> exp.Expr:
        if m.agg == "count" and m.column is None:
            table = catalog.tables[str(m.table)]
            if m.table == tree.root and grain_safe and not _child_joins(tree, str(m.table)):
                return exp.Count(this=exp.Star())
            return exp.Count(this=exp.Distinct(expressions=[_row_key(table, catalog, names)]))
        assert m.column is not None
        col = names.col(m.column)
        if m.agg == "count":
            return exp.Count(this=exp.Distinct(expressions=[col]) if m.distinct else col)
        if m.agg == "median":
            return exp.WithinGroup(
                this=exp.func("percentile_cont", exp.Literal.number(0.5)), expression=exp.Order(expressions=[col])
            )
        if m.agg in ("span", "diff"):
            return _duration(m, names)
        if m.agg in ("stddev", "variance"):
            return exp.func("stddev_samp" if m.agg == "stddev" else "var_samp", col)
        cls = {"sum": exp.Sum, "avg": exp.Avg, "min": exp.Min, "max": exp.Max}[m.agg]
        return cls(this=col)

    where: list[exp.Expr] = []
    numerator: list[exp.Expr] = []
    for f in plan.filters:
        if f.measure is None and f.column is not None:
            cond = _compare(names.col(f.column), f.op, f.values, f.negate)
            if f.share and plan.share == "ratio":
                numerator += [_compare(names.col(f.column), "=", [v], False) for v in f.values]
                continue
            (numerator if f.share and plan.share == "rows" else where).append(cond)
    measure_expr = _share_of(agg_expr, plan, numerator) if plan.share is not None and plan.measures else agg_expr
    if plan.time:
        if plan.time_column is None:
            raise TranslationError("the question names a time range but no table here has a date column")
        where += _time_conditions(plan.time, names.col(plan.time_column), plan.time_column)
    if where:
        query = query.where(exp.and_(*where) if len(where) > 1 else where[0])

    selects: list[exp.Expr] = []
    groups: list[exp.Expr] = []
    grouped: dict[int, exp.Expr] = {}  # a grouped column → what it is grouped as (itself, or its time bucket)
    for d in plan.dims:
        if d.bucket:
            assert d.column is not None
            trunc = exp.cast(exp.func("date_trunc", exp.Literal.string(d.bucket), names.col(d.column)), "date")
            bucket = names.col(d.column) if d.bucket == "day" and d.column.kind == "date" else trunc
            selects.append(bucket if bucket is not trunc else exp.alias_(bucket, ident(d.bucket)))
            groups.append(bucket)
            grouped.setdefault(id(d.column), bucket)
        elif d.column is not None:
            selects.append(names.col(d.column))
            groups.append(names.col(d.column))
            grouped[id(d.column)] = groups[-1]
        else:
            table = catalog.tables[str(d.table)]
            keys = [names.col(k, table.key) for k in table.primary_key]
            label = table.label
            groups += keys
            if label is not None:
                selects.append(names.col(label))
                groups.append(names.col(label))
            else:
                selects += keys
    aliases = {}
    for m in plan.measures:
        alias = measure_alias(m, catalog)
        if plan.share is not None and m is plan.measures[0]:
            alias = f"{'ratio' if plan.share == 'ratio' else 'fraction' if plan.fraction else 'pct'}_{alias}"
        aliases[id(m)] = alias
        selects.append(exp.alias_(measure_expr(m), ident(alias)))
    having = [f for f in plan.filters if f.measure is not None]
    if plan.measures or having:
        if not selects:
            raise TranslationError("nothing to select")
        query = query.select(*selects)
        if groups:
            query = query.group_by(*groups)
        for f in having:
            assert f.measure is not None
            query = query.having(_compare(agg_expr(f.measure), f.op, f.values, f.negate))
    else:
        query = _projection(query, plan, catalog, names, tree)
    if plan.order is not None:
        by, direction = plan.order
        order_key: exp.Expr
        if isinstance(by, Measure):
            order_key = col_ref(aliases[id(by)]) if id(by) in aliases else agg_expr(by)
        else:
            if (plan.measures or having) and id(by) not in grouped:
                raise TranslationError(f"cannot order totals by {by.name}: it is not one of the groups")
            # grouped by its time bucket ('most recent quarter'): order by the bucket, which the groups hold
            order_key = grouped[id(by)].copy() if plan.measures or having else names.col(by)
        query = query.order_by(exp.Ordered(this=order_key, desc=direction == "desc", nulls_first=False))
    elif groups and not plan.limit:
        query = query.order_by(*[exp.Ordered(this=g.copy()) for g in groups])
    if plan.limit:
        query = query.limit(plan.limit)
    return query


def _share_of(
    agg_expr: Callable[[Measure], exp.Expr], plan: Plan, numerator: list[exp.Expr]
) -> Callable[[Measure], exp.Expr]:
    """The first measure as a percentage: of its rows meeting `numerator` (`100.0 * agg FILTER (WHERE …) / agg`),
    or of the total over all groups (`100.0 * agg / SUM(agg) OVER ()`), or a ratio of two values' aggregates;
    NULL where the denominator is 0."""
    first = plan.measures[0]

    def expr(m: Measure) -> exp.Expr:
        value = agg_expr(m)
        if m is not first:
            return value
        if plan.share == "ratio":  # 'ratio of male to female penguins': agg over one value / over the other
            top, bottom = (exp.Filter(this=value.copy(), expression=exp.Where(this=c)) for c in numerator[:2])
            return exp.Div(
                this=exp.Mul(this=exp.Literal.number("1.0"), expression=top),
                expression=exp.func("nullif", bottom, exp.Literal.number(0)),
            )
        if plan.share == "rows":
            if not numerator:
                raise TranslationError("a percentage needs a condition (percentage of what that is what?)")
            cond = exp.and_(*numerator) if len(numerator) > 1 else numerator[0]
            part: exp.Expr = exp.Filter(this=value.copy(), expression=exp.Where(this=cond))
            whole: exp.Expr = value
        else:
            part, whole = value, exp.Window(this=exp.Sum(this=value.copy()))
        ratio = exp.Div(
            this=exp.Mul(this=exp.Literal.number("1.0" if plan.fraction else "100.0"), expression=part),
            expression=exp.func("nullif", whole, exp.Literal.number(0)),
        )
        return ratio

    return expr


def _row_key(table: Table, catalog: Catalog, names: _Names) -> exp.Expr:
    """What identifies a row of `table` when joins repeat it: its primary key, a column other tables were found
    to reference (unique: checked when the key was inferred), else the whole row."""
    if table.primary_key:
        return names.col(table.primary_key[0], table.key)
    referenced = next((fk.ref_columns[0] for fk in catalog.foreign_keys() if fk.ref_table == table.key), None)
    if referenced is not None:
        return names.col(referenced, table.key)
    alias = names.alias.get(table.key)
    return exp.column(alias) if alias else names.table(table.key)


_UNIT_DAYS = {"day": 1.0, "week": 7.0, "hour": 1 / 24, "minute": 1 / 1440, "year": 365.25, "month": 30.4375}


def _duration(m: Measure, names: _Names) -> exp.Expr:
    """'span': MAX(c) - MIN(c); 'diff': inner(c - c2); in days (date columns subtract to days, timestamps to an
    interval read as epoch seconds / 86400), then in `m.unit` (a month is 30.4375 days, a year 365.25)."""
    assert m.column is not None
    col = names.col(m.column)

    def days(later: exp.Expr, earlier: exp.Expr) -> exp.Expr:
        gap = exp.Sub(this=later, expression=earlier)
        if m.column is not None and m.column.kind == "date":
            return gap
        if m.unit in ("day", "week", "month", "year"):  # calendar days between two moments
            return exp.Sub(this=exp.cast(later, "date"), expression=exp.cast(earlier, "date"))
        epoch = exp.Extract(this=exp.var("EPOCH"), expression=exp.Paren(this=gap))
        return exp.Div(this=epoch, expression=exp.Literal.number(86400))

    if m.agg == "span":
        value = days(exp.Max(this=col), exp.Min(this=col.copy()))
    else:
        assert m.column2 is not None
        cls = {"avg": exp.Avg, "sum": exp.Sum, "max": exp.Max, "min": exp.Min}[m.inner]
        value = cls(this=days(col, names.col(m.column2)))
    factor = _UNIT_DAYS.get(m.unit, 1.0)
    if factor == 1.0:
        return value
    return exp.Div(this=exp.Paren(this=value), expression=exp.Literal.number(repr(factor)))


def _child_joins(tree: JoinTree, table: str) -> bool:
    """Whether joins fan out from `table` (a join to a table that references it)."""
    return any(fk.ref_table == table and target == fk.table for fk, target in tree.joins)


def _projection(query: exp.Select, plan: Plan, catalog: Catalog, names: _Names, tree: JoinTree) -> exp.Select:
    fans = tree.fans_out or any(fk.ref_table != target for fk, target in tree.joins)
    if plan.columns:
        query = query.select(*[names.col(c) for c in plan.columns])
        distinct = plan.distinct
    else:
        subject = plan.subject or tree.root
        alias = names.alias.get(subject)
        query = query.select(exp.Column(this=exp.Star(), table=ident(alias)) if alias else exp.Star())
        distinct = subject != tree.root or fans
    if distinct:
        query = query.distinct()
    if plan.columns and plan.order is None and not plan.limit:
        query = query.order_by(*[names.col(c) for c in plan.columns])
    return query


def _nested_average(plan: Plan, catalog: Catalog) -> exp.Select:
    """AVG over a subquery that computes the measure per row of `plan.per_entity` (and per outer group)."""
    entity = str(plan.per_entity)
    inner_plan = replace(plan, dims=[Dim(table=entity), *plan.dims], order=None, limit=None, per_entity=None)
    inner = build(inner_plan, catalog)
    inner.set("order", None)
    value = measure_alias(plan.measures[0], catalog)
    outer_dims: list[exp.Expr] = []
    for d in plan.dims:
        if d.column is None:
            raise TranslationError("an average per row can only be grouped further by columns or time")
        name = d.bucket if d.bucket and d.bucket != "day" else d.column.name
        outer_dims.append(col_ref(name))
    name = catalog.tables[entity].name
    avg = exp.alias_(exp.Avg(this=col_ref(value)), ident(f"avg_{value}_per_{lemma(name.split('_')[-1])}"))
    query = exp.select(*outer_dims, avg).from_(inner.subquery(ident(f"per_{name}")))
    if outer_dims:
        query = query.group_by(*outer_dims).order_by(*[d.copy() for d in outer_dims])
    return query

"""A query plan (measures, dimensions, filters, order, limit) built into a sqlglot expression, joined along FKs."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, replace

from sqlglot import exp

from pgai_magic.catalog import Catalog, Column, ForeignKey
from pgai_magic.errors import TranslationError
from pgai_magic.nl2sql.query import Dim, Filter, Measure, Plan
from pgai_magic.nl2sql.sqlexpr import Names, col_ref, compare, duration_expr, ident, row_key, share_of, time_conditions
from pgai_magic.nl2sql.text import lemma

__all__ = ["Dim", "Filter", "JoinTree", "Measure", "Plan", "build", "join_tree"]


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
    for t in sorted(needed, key=lambda k: (len(paths[k]), k)):  # ties by name: the same SQL text every run
        for step in paths[t]:
            if step not in joins:
                joins.append(step)
    return JoinTree(root, joins, fans_out)


# PostgreSQL's reserved key words: as identifiers they need quotes


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
    """The SELECT for `plan`: joins along foreign keys, filters, grouping, order and limit.

    One builder per clause: `_scope` (the join tree and aliases), `_joined` (FROM … JOIN), `_where` (WHERE),
    `_select` (the select list, GROUP BY and HAVING), `_order_limit` (ORDER BY, LIMIT). TranslationError when
    the plan cannot be written (no table, unconnected tables, a time range without a date column …).
    """
    if plan.per_entity:
        return _nested_average(plan, catalog)
    scope = _scope(plan, catalog)
    query = _joined(scope.tree, scope.names)
    query, numerator = _where(query, scope)
    query, selected = _select(query, scope, numerator)
    return _order_limit(query, scope, selected)


@dataclass(frozen=True)
class _Scope:
    """What every clause builder reads: the plan, the catalog, the join tree and the tables' aliases."""

    plan: Plan
    catalog: Catalog
    tree: JoinTree
    names: Names

    def aggregate(self, m: Measure) -> exp.Expr:
        return _aggregate(m, self.tree, self.catalog, self.names)


@dataclass(frozen=True)
class _Selected:
    """What the select list holds, for ORDER BY: measure aliases, group keys, and what each column is grouped as."""

    aliases: dict[int, str]
    groups: list[exp.Expr]
    grouped: dict[int, exp.Expr]
    aggregated: bool  # measures or HAVING conditions: a grouped query


def _scope(plan: Plan, catalog: Catalog) -> _Scope:
    """The join tree reaching every table the plan needs (rooted at a measure's, the subject's or a group's
    table when it can be) and the tables' aliases."""
    needed = plan.tables()
    if not needed:
        raise TranslationError("the question names no table")
    prefer = (
        [m.home for m in plan.measures]
        + ([plan.subject] if plan.subject else [])
        + [d.home for d in plan.dims if d.column or d.table]
    )
    tree = join_tree(catalog, needed, prefer)
    return _Scope(plan, catalog, tree, Names(catalog, tree.tables()))


def _where(query: exp.Select, scope: _Scope) -> tuple[exp.Select, list[exp.Expr]]:
    """WHERE: the filters, 'never' (NOT EXISTS) and the time range; also the conditions of a share's numerator."""
    plan, names = scope.plan, scope.names
    where, numerator = _conditions(plan, names)
    if plan.anti is not None:
        where.append(anti_join(plan, scope.catalog, names, scope.tree))
    if plan.time:
        if plan.time_column is None:
            raise TranslationError("the question names a time range but no table here has a date column")
        where += time_conditions(plan.time, names.col(plan.time_column), plan.time_column)
    if where:
        query = query.where(exp.and_(*where) if len(where) > 1 else where[0])
    return query, numerator


def _select(query: exp.Select, scope: _Scope, numerator: list[exp.Expr]) -> tuple[exp.Select, _Selected]:
    """The select list, GROUP BY and HAVING of an aggregate; the listed columns or rows otherwise."""
    plan, catalog = scope.plan, scope.catalog
    measure_expr = (
        share_of(scope.aggregate, plan, numerator) if plan.share is not None and plan.measures else scope.aggregate
    )
    selects, groups, grouped = _groups(plan, catalog, scope.names)
    aliases = {}
    for m in plan.measures:
        alias = measure_alias(m, catalog)
        if plan.share is not None and m is plan.measures[0]:
            alias = f"{'ratio' if plan.share == 'ratio' else 'fraction' if plan.fraction else 'pct'}_{alias}"
        aliases[id(m)] = alias
        selects.append(exp.alias_(measure_expr(m), ident(alias)))
    having = [f for f in plan.filters if f.measure is not None]
    aggregated = bool(plan.measures or having)
    if aggregated:
        if not selects:
            raise TranslationError("nothing to select")
        query = query.select(*selects)
        if groups:
            query = query.group_by(*groups)
        for f in having:
            assert f.measure is not None
            query = query.having(compare(scope.aggregate(f.measure), f.op, f.values, f.negate))
    else:
        query = _projection(query, plan, catalog, scope.names, scope.tree)
    return query, _Selected(aliases, groups, grouped, aggregated)


def _order_limit(query: exp.Select, scope: _Scope, selected: _Selected) -> exp.Select:
    """ORDER BY the ranking (a measure's alias, or a column or its time bucket), else by the groups; LIMIT."""
    plan = scope.plan
    if plan.order is not None:
        by, direction = plan.order
        order_key: exp.Expr
        if isinstance(by, Measure):
            order_key = col_ref(selected.aliases[id(by)]) if id(by) in selected.aliases else scope.aggregate(by)
        else:
            if selected.aggregated and id(by) not in selected.grouped:
                raise TranslationError(f"cannot order totals by {by.name}: it is not one of the groups")
            # grouped by its time bucket ('most recent quarter'): order by the bucket, which the groups hold
            order_key = selected.grouped[id(by)].copy() if selected.aggregated else scope.names.col(by)
        query = query.order_by(exp.Ordered(this=order_key, desc=direction == "desc", nulls_first=False))
    elif selected.groups and not plan.limit:
        query = query.order_by(*[exp.Ordered(this=g.copy()) for g in selected.groups])
    if plan.limit:
        query = query.limit(plan.limit)
    return query


def _joined(tree: JoinTree, names: Names) -> exp.Select:
    """FROM the tree's root, INNER JOIN along each foreign key (declared or inferred)."""
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
    return query


def _aggregate(m: Measure, tree: JoinTree, catalog: Catalog, names: Names) -> exp.Expr:
    """The SQL aggregate of one measure; a table's rows counted distinctly where joins repeat them."""
    if m.agg == "count" and m.column is None:
        table = catalog.tables[str(m.table)]
        if m.table == tree.root and not tree.fans_out and not _child_joins(tree, str(m.table)):
            return exp.Count(this=exp.Star())
        return exp.Count(this=exp.Distinct(expressions=[row_key(table, catalog, names)]))
    assert m.column is not None
    col = names.col(m.column)
    if m.agg == "count":
        return exp.Count(this=exp.Distinct(expressions=[col]) if m.distinct else col)
    if m.agg == "median":
        return exp.WithinGroup(
            this=exp.func("percentile_cont", exp.Literal.number(0.5)), expression=exp.Order(expressions=[col])
        )
    if m.agg in ("span", "diff"):
        return duration_expr(m, names)
    if m.agg in ("stddev", "variance"):
        return exp.func("stddev_samp" if m.agg == "stddev" else "var_samp", col)
    cls = {"sum": exp.Sum, "avg": exp.Avg, "min": exp.Min, "max": exp.Max}[m.agg]
    return cls(this=col)


def _conditions(plan: Plan, names: Names) -> tuple[list[exp.Expr], list[exp.Expr]]:
    """The WHERE conditions, and those of a percentage's or ratio's numerator."""
    where: list[exp.Expr] = []
    numerator: list[exp.Expr] = []
    for f in plan.filters:
        if f.measure is None and f.column is not None:
            cond = compare(names.col(f.column), f.op, f.values, f.negate)
            if f.share and plan.share == "ratio":
                numerator += [compare(names.col(f.column), "=", [v], False) for v in f.values]
                continue
            (numerator if f.share and plan.share == "rows" else where).append(cond)
    return where, numerator


def _groups(plan: Plan, catalog: Catalog, names: Names) -> tuple[list[exp.Expr], list[exp.Expr], dict[int, exp.Expr]]:
    """SELECT items and GROUP BY keys of the plan's dimensions; `grouped` maps a column to what it is grouped as
    (itself, or its time bucket)."""
    selects: list[exp.Expr] = []
    groups: list[exp.Expr] = []
    grouped: dict[int, exp.Expr] = {}
    seen: set[tuple[object, ...]] = set()
    for d in plan.dims:
        key = (id(d.column), d.bucket) if d.column is not None else ("table", d.table)
        if key in seen:  # 'each city and the number of addresses per city': one city column
            continue
        seen.add(key)
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
            code = None if keys else _referenced(catalog, table.key)
            if code is not None:  # no primary key: the code other tables join on (airports.faa) names the row too
                keys = [names.col(code, table.key)]
                selects += [k.copy() for k in keys]
            label = table.label
            groups += keys
            if label is not None:
                selects.append(names.col(label))
                groups.append(names.col(label))
            elif code is None:
                selects += keys
    return selects, groups, grouped


def anti_join(plan: Plan, catalog: Catalog, names: Names, tree: JoinTree) -> exp.Expr:
    """NOT EXISTS (SELECT 1 FROM t WHERE t.fk = subject.key): the table next to the subject on the join path to
    `plan.anti` (a product with no order line has never been ordered)."""
    subject = plan.subject or tree.root
    path = _paths(_edges(catalog), subject, upward_only=False).get(str(plan.anti))
    if not path:
        raise TranslationError(f"no join path between {subject} and {plan.anti} for 'never'")
    fk, near = path[0]
    table = catalog.tables[near]
    inner_alias = "x"
    on = []
    for c, r in zip(fk.columns, fk.ref_columns):
        here, there = (r, c) if fk.table == near else (c, r)  # (subject's column, near table's column)
        on.append(exp.EQ(this=col_ref(there, inner_alias), expression=names.col(here, subject)))
    inner = (
        exp.select(exp.Literal.number(1))
        .from_(exp.Table(this=ident(table.name), db=ident(table.schema) if catalog.qualified(table) else None,
                         alias=exp.TableAlias(this=ident(inner_alias))))
        .where(exp.and_(*on) if len(on) > 1 else on[0])
    )  # fmt: skip
    return exp.Not(this=exp.Exists(this=inner))


def _referenced(catalog: Catalog, table: str) -> str | None:
    """The column other tables reference in `table` (by a declared or inferred key), if any."""
    return next((fk.ref_columns[0] for fk in catalog.foreign_keys() if fk.ref_table == table), None)


def _child_joins(tree: JoinTree, table: str) -> bool:
    """Whether joins fan out from `table` (a join to a table that references it)."""
    return any(fk.ref_table == table and target == fk.table for fk, target in tree.joins)


def _projection(query: exp.Select, plan: Plan, catalog: Catalog, names: Names, tree: JoinTree) -> exp.Select:
    fans = tree.fans_out or any(fk.ref_table != target for fk, target in tree.joins)
    if plan.columns:
        columns = list({id(c): c for c in plan.columns}.values())  # a column named twice is selected once
        query = query.select(*[names.col(c) for c in columns])
        distinct = plan.distinct
    else:
        subject = plan.subject or tree.root
        alias = names.alias.get(subject)
        query = query.select(exp.Column(this=exp.Star(), table=ident(alias)) if alias else exp.Star())
        distinct = subject != tree.root or fans
    if distinct:
        query = query.distinct()
    if plan.columns and plan.order is None and not plan.limit:
        query = query.order_by(*[names.col(c) for c in columns])
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

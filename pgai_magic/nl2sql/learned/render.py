"""A filled sketch written as PostgreSQL: FROM is the tables its columns need, joined along foreign keys."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

from sqlglot import exp

from pgai_magic.catalog import Catalog, ForeignKey
from pgai_magic.nl2sql.learned.sketch import Cond, Item, Sketch

__all__ = ["Prefer", "join_tree", "render", "split_key"]

_AGG = {"count": exp.Count, "sum": exp.Sum, "avg": exp.Avg, "min": exp.Min, "max": exp.Max}
_CMP = {"=": exp.EQ, "!=": exp.NEQ, ">": exp.GT, ">=": exp.GTE, "<": exp.LT, "<=": exp.LTE, "like": exp.ILike}


class _Disconnected(Exception):
    """A subquery's tables are not connected by foreign keys."""


def split_key(column: str) -> tuple[str, str]:
    """'schema.table.column' -> ('schema.table', 'column')."""
    table, _, name = column.rpartition(".")
    return table, name


Prefer = Callable[[ForeignKey], float]


def join_tree(
    catalog: Catalog, tables: Iterable[str], prefer: Prefer | None = None
) -> list[tuple[str, ForeignKey | None]] | None:
    """The tables in join order with the foreign key joining each to one before it (None for the first): the
    union of shortest foreign-key paths from the first table to each other one; None when one cannot be reached.
    Among paths of one length, those through the foreign keys `prefer` scores higher are taken (a table that
    references another twice, `reported_by_staff_id` and `closure_authorised_by_staff_id`: the one the question
    names)."""
    wanted = list(dict.fromkeys(tables))
    if not wanted:
        return None
    edges: dict[str, list[tuple[str, ForeignKey]]] = {}
    fks = catalog.foreign_keys()
    if prefer is not None:
        fks = sorted(fks, key=lambda fk: -prefer(fk))  # stable: ties keep the catalog's order
    for fk in fks:
        edges.setdefault(fk.table, []).append((fk.ref_table, fk))
        edges.setdefault(fk.ref_table, []).append((fk.table, fk))
    order: list[tuple[str, ForeignKey | None]] = [(wanted[0], None)]
    have = {wanted[0]}
    for target in wanted[1:]:
        if target in have:
            continue
        path = _path(edges, have, target)
        if path is None:
            return None
        for table, fk in path:
            if table not in have:
                order.append((table, fk))
                have.add(table)
    return order


def _path(edges: dict[str, list[tuple[str, ForeignKey]]], start: set[str], target: str) -> list[Any] | None:
    prev: dict[str, tuple[str, ForeignKey] | None] = {s: None for s in start}
    queue = deque(sorted(start))
    while queue:
        node = queue.popleft()
        if node == target:
            out = []
            while prev[node] is not None:
                parent, fk = prev[node]  # type: ignore[misc]
                out.append((node, fk))
                node = parent
            return out[::-1]
        for nxt, fk in edges.get(node, []):
            if nxt not in prev:
                prev[nxt] = (node, fk)
                queue.append(nxt)
    return None


def _tables_of(s: Sketch, extra: Iterable[str]) -> list[str]:
    return list(dict.fromkeys([split_key(c)[0] for c in s.own_columns()] + list(extra)))


def render(
    s: Sketch, catalog: Catalog, extra: Iterable[str] = (), other: Iterable[str] = (), prefer: Prefer | None = None
) -> exp.Expr | None:
    """`s` (columns 'schema.table.column', real values) as a sqlglot expression; `extra` tables join in too
    (e.g. the table `count(*)` counts), `other` into the set-operation partner; `prefer` orders the foreign keys
    tried for joins (join_tree). None when the tables are not connected by foreign keys."""
    main = _select(s, catalog, extra, prefer)
    if main is None or s.other is None:
        return main
    partner = _select(s.other, catalog, other, prefer)
    if partner is None:
        return None
    kind = {"intersect": exp.Intersect, "union": exp.Union, "except": exp.Except}[s.setop]
    return kind(this=main, expression=partner, distinct=True)


def _select(s: Sketch, catalog: Catalog, extra: Iterable[str], prefer: Prefer | None) -> exp.Select | None:
    tables = _tables_of(s, extra)
    tree = join_tree(catalog, tables, prefer)
    if tree is None:
        return None
    alias = {t: (f"t{k + 1}" if len(tree) > 1 else "") for k, (t, _) in enumerate(tree)}

    def col(key: str) -> exp.Column:
        table, name = split_key(key)
        return exp.column(exp.to_identifier(name), table=exp.to_identifier(alias[table]) if alias[table] else None)

    def item(it: Item) -> exp.Expr:
        inner: exp.Expr = exp.Star() if it.column is None else col(it.column)
        if it.distinct:
            inner = exp.Distinct(expressions=[inner])
        return _AGG[it.agg](this=inner) if it.agg else inner

    query = exp.Select(expressions=[item(i) for i in s.select], distinct=exp.Distinct() if s.distinct else None)
    first, _ = tree[0]
    query = query.from_(_table(catalog, first, alias[first]), copy=False)
    for table, fk in tree[1:]:
        assert fk is not None
        on = [
            exp.EQ(this=exp.column(a, table=alias[fk.table]), expression=exp.column(b, table=alias[fk.ref_table]))
            for a, b in zip(fk.columns, fk.ref_columns)
        ]
        query = query.join(_table(catalog, table, alias[table]), on=exp.and_(*on, copy=False), copy=False)
    try:
        conds = [_cond(c, item, catalog, prefer) for c in s.where]
    except _Disconnected:
        return None
    if conds:
        query = query.where(
            exp.and_(*conds, copy=False) if s.conj == "and" else exp.or_(*conds, copy=False), copy=False
        )
    if s.group:
        query = query.group_by(*[col(g) for g in s.group], copy=False)
    if s.having:
        query = query.having(_cond(s.having, item, catalog, prefer), copy=False)
    if s.order:
        key = item(s.order[0])
        query = query.order_by(exp.Ordered(this=key, desc=s.order[1], nulls_first=not s.order[1]), copy=False)
    if s.limit is not None:
        query = query.limit(s.limit, copy=False)
    return query


def _table(catalog: Catalog, key: str, alias: str) -> exp.Expr:
    t = catalog.tables[key]
    table = exp.Table(this=exp.to_identifier(t.name), db=exp.to_identifier(t.schema) if catalog.qualified(t) else None)
    return exp.alias_(table, alias) if alias else table


def _literal(v: Any) -> exp.Expr:
    if isinstance(v, bool):
        return exp.Boolean(this=v)
    if isinstance(v, (int, float)):
        return exp.Literal.number(v) if v >= 0 else exp.Neg(this=exp.Literal.number(-v))
    return exp.Literal.string(str(v))


def _cond(c: Cond, item: Any, catalog: Catalog, prefer: Prefer | None = None) -> exp.Expr:
    left = item(c.item)
    if c.op == "between":
        low, high = c.value
        node: exp.Expr = exp.Between(this=left, low=_literal(low), high=_literal(high))
    elif isinstance(c.value, Sketch):
        sub = render(c.value, catalog, prefer=prefer)
        if sub is None:
            raise _Disconnected
        node = (
            exp.In(this=left, query=exp.Subquery(this=sub))
            if c.op == "in"
            else _CMP[c.op](this=left, expression=exp.Subquery(this=sub))
        )
    elif isinstance(c.value, Item):
        inner = c.value
        table, name = split_key(inner.column or "")
        sub = exp.select(_AGG[inner.agg](this=exp.column(name))).from_(_table(catalog, table, ""))
        node = _CMP[c.op](this=left, expression=exp.Subquery(this=sub))
    else:
        value = c.value
        if c.op == "like" and isinstance(value, str) and "%" not in value:
            value = f"%{value}%"
        node = _CMP[c.op](this=left, expression=_literal(value))
    return exp.Not(this=node) if c.negated else node

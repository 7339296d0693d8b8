"""A query's shape with its columns as variables (a sketch): read from gold SQL, filled and written back as SQL.

A sketch is one SELECT over the tables its columns need (joined along foreign keys), in the class most of Spider's
questions fall into: select items `[agg]([DISTINCT] c)` or `count(*)`, a WHERE of `c op value` (all AND or all OR;
a value may be `(SELECT agg(c) FROM t)`), GROUP BY columns, one HAVING `agg(c|*) op number`, one ORDER BY item and a
LIMIT; or two such queries joined by INTERSECT / UNION / EXCEPT. Its `skeleton` names the columns c0, c1… in order
of first appearance, so "SELECT c0, count(*) … GROUP BY c0" is one class whatever the columns are (the skeleton
of RESDSQL, Li et al. AAAI 2023, with the column variables of SyntaxSQLNet-style slot filling).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import sqlglot
from sqlglot import exp

__all__ = ["AGGS", "Cond", "Item", "Sketch", "Unsupported", "dump", "load", "parse_sketch", "roles"]

AGGS = {exp.Count: "count", exp.Sum: "sum", exp.Avg: "avg", exp.Min: "min", exp.Max: "max"}
_OPS = {exp.EQ: "=", exp.NEQ: "!=", exp.GT: ">", exp.GTE: ">=", exp.LT: "<", exp.LTE: "<=", exp.ILike: "like"}
_SETOPS = {exp.Intersect: "intersect", exp.Union: "union", exp.Except: "except"}


class Unsupported(ValueError):
    """The SQL is outside the sketch class (subqueries in FROM, self-joins, expressions over columns …)."""


@dataclass(frozen=True)
class Item:
    """`agg(DISTINCT column)`: `column` a 'table.column' key, or None for `*`; agg '' for a plain column."""

    column: str | None
    agg: str = ""
    distinct: bool = False


@dataclass(frozen=True)
class Cond:
    """`item op value`; value a str/int/float literal, an Item (a scalar subquery over its table), or a tuple
    (low, high) for BETWEEN; `negated` for NOT LIKE / NOT IN."""

    item: Item
    op: str
    value: Any
    negated: bool = False


@dataclass(frozen=True)
class Sketch:
    """One query of the sketch class (see the module docstring); `other` and `setop` for a set operation."""

    select: tuple[Item, ...]
    where: tuple[Cond, ...] = ()
    conj: str = "and"
    group: tuple[str, ...] = ()
    having: Cond | None = None
    order: tuple[Item, bool] | None = None  # (item, descending)
    limit: int | None = None
    distinct: bool = False
    setop: str = ""
    other: Sketch | None = None
    tables: tuple[str, ...] = ()  # the tables of the gold FROM, 'table' keys (for `count(*)` and joins)

    def columns(self) -> list[str]:
        """The distinct columns in order of first appearance (select, where, group, having, order, then `other`)."""
        found: list[str] = []
        items = [*self.select, *(c.item for c in self.where)]
        items += [c.value for c in self.where if isinstance(c.value, Item)]
        items += [Item(g) for g in self.group]
        items += [self.having.item] if self.having else []
        items += [self.having.value] if self.having and isinstance(self.having.value, Item) else []
        items += [self.order[0]] if self.order else []
        for it in items:
            if it.column is not None and it.column not in found:
                found.append(it.column)
        for c in self.other.columns() if self.other else []:
            if c not in found:
                found.append(c)
        return found

    def values(self) -> list[Any]:
        """The literal values of the WHERE (and of `other`'s), in order."""
        out = [c.value for c in self.where if not isinstance(c.value, Item)]
        return out + (self.other.values() if self.other else [])

    def skeleton(self) -> str:
        """The shape as text, columns as c0, c1… (first appearance), values as v, numbers as n."""
        names = {c: f"c{i}" for i, c in enumerate(self.columns())}
        return _skeleton(self, names)

    def rename(self, mapping: dict[str, str], values: Sequence[Any] | None = None) -> Sketch:
        """The same shape with columns replaced through `mapping` and the literal values by `values` (in order)."""
        left = list(values) if values is not None else None
        return _rename(self, mapping, left)


def _item_text(it: Item, names: dict[str, str]) -> str:
    inner = "*" if it.column is None else names.get(it.column, it.column)
    inner = f"distinct {inner}" if it.distinct else inner
    return f"{it.agg}({inner})" if it.agg else inner


def _value_text(v: Any, names: dict[str, str]) -> str:
    if isinstance(v, Item):
        return f"(select {_item_text(v, names)})"
    if isinstance(v, tuple):
        return "n and n"
    return "n" if isinstance(v, (int, float)) else "v"


def _skeleton(s: Sketch, names: dict[str, str]) -> str:
    parts = ["select " + ("distinct " if s.distinct else "") + ", ".join(_item_text(i, names) for i in s.select)]
    if s.where:
        conds = [
            f"{_item_text(c.item, names)} {'not ' if c.negated else ''}{c.op} {_value_text(c.value, names)}"
            for c in s.where
        ]
        parts.append("where " + f" {s.conj} ".join(conds))
    if s.group:
        parts.append("group by " + ", ".join(names.get(g, g) for g in s.group))
    if s.having:
        h = s.having
        parts.append(f"having {_item_text(h.item, names)} {h.op} {_value_text(h.value, names)}")
    if s.order:
        parts.append(f"order by {_item_text(s.order[0], names)} {'desc' if s.order[1] else 'asc'}")
    if s.limit is not None:
        parts.append("limit n" if s.limit != 1 else "limit 1")
    text = " ".join(parts)
    if s.other is not None:
        text += f" {s.setop} " + _skeleton(s.other, names)
    return text


def _rename(s: Sketch, m: dict[str, str], values: list[Any] | None) -> Sketch:
    def it(i: Item) -> Item:
        return replace(i, column=m.get(i.column, i.column) if i.column else None)

    where = []
    for c in s.where:
        value = it(c.value) if isinstance(c.value, Item) else c.value
        if values is not None and not isinstance(c.value, Item):
            value = values.pop(0) if values else value
        where.append(replace(c, item=it(c.item), value=value))
    return replace(
        s,
        select=tuple(it(i) for i in s.select),
        where=tuple(where),
        group=tuple(m.get(g, g) for g in s.group),
        having=_rename_cond(s.having, it) if s.having else None,
        order=(it(s.order[0]), s.order[1]) if s.order else None,
        other=_rename(s.other, m, values) if s.other else None,
        tables=tuple(m.get(t, t) for t in s.tables),
    )


def _rename_cond(c: Cond, it: Any) -> Cond:
    return replace(c, item=it(c.item), value=it(c.value) if isinstance(c.value, Item) else c.value)


def parse_sketch(sql: str, columns: dict[str, list[str]]) -> Sketch:
    """The sketch of `sql`; `columns` maps each table name to its column names (lower case).

    Raises Unsupported for SQL outside the sketch class.
    """
    try:
        tree = sqlglot.parse_one(sql, dialect="postgres")
    except sqlglot.errors.ParseError as exc:
        raise Unsupported(str(exc)) from None
    return _query(tree, columns)


def _query(tree: exp.Expr, columns: dict[str, list[str]]) -> Sketch:
    for kind, name in _SETOPS.items():
        if isinstance(tree, kind):
            if isinstance(tree, exp.Union) and not tree.args.get("distinct", True):
                raise Unsupported("union all")
            left, right = _query(tree.left, columns), _query(tree.right, columns)
            if left.other is not None or right.other is not None:
                raise Unsupported("nested set operations")
            return replace(left, setop=name, other=right)
    if not isinstance(tree, exp.Select):
        raise Unsupported(type(tree).__name__)
    return _Reader(tree, columns).sketch()


class _Reader:
    """Reads one SELECT into a Sketch: aliases resolved, columns as 'table.column'."""

    def __init__(self, tree: exp.Select, columns: dict[str, list[str]]) -> None:
        self.tree, self.columns = tree, columns
        self.alias: dict[str, str] = {}
        froms = [tree.args.get("from_") or tree.args.get("from"), *list(tree.args.get("joins") or [])]
        for node in froms:
            if node is None:
                continue
            table = node.this if isinstance(node, (exp.From, exp.Join)) else node
            if not isinstance(table, exp.Table):
                raise Unsupported("a subquery in FROM")
            name = table.name.lower()
            if name not in columns:
                raise Unsupported(f"unknown table {name}")
            if name in self.alias.values():
                raise Unsupported("a self-join")
            self.alias[(table.alias or name).lower()] = name
        if not self.alias:
            raise Unsupported("no FROM")

    def sketch(self) -> Sketch:
        t = self.tree
        select = tuple(self.item(e) for e in t.expressions)
        where, conj = self.conds(t.args["where"].this) if t.args.get("where") else ((), "and")
        group = tuple(self.column(g) for g in (t.args["group"].expressions if t.args.get("group") else []))
        having = None
        if t.args.get("having"):
            hs, _ = self.conds(t.args["having"].this)
            if len(hs) != 1:
                raise Unsupported("several HAVING conditions")
            having = hs[0]
        order = None
        if t.args.get("order"):
            keys = t.args["order"].expressions
            if len(keys) != 1:
                raise Unsupported("several ORDER BY keys")
            order = (self.item(keys[0].this), bool(keys[0].args.get("desc")))
        limit = None
        if t.args.get("limit"):
            limit = int(t.args["limit"].expression.name)
        distinct = bool(t.args.get("distinct"))
        return Sketch(select, where, conj, group, having, order, limit, distinct, tables=tuple(self.alias.values()))

    def column(self, node: exp.Expr) -> str:
        if not isinstance(node, exp.Column) or isinstance(node.this, exp.Star):
            raise Unsupported(f"not a column: {node.sql()}")
        name, qual = node.name.lower(), node.table.lower()
        if qual:
            if qual not in self.alias:
                raise Unsupported(f"unknown alias {qual}")
            table = self.alias[qual]
            if name not in self.columns[table]:
                raise Unsupported(f"unknown column {qual}.{name}")
            return f"{table}.{name}"
        owners = [tb for tb in self.alias.values() if name in self.columns[tb]]
        if not owners:
            raise Unsupported(f"unknown column {name}")
        return f"{owners[0]}.{name}"

    def item(self, node: exp.Expr) -> Item:
        for kind, agg in AGGS.items():
            if isinstance(node, kind):
                inner = node.this
                distinct = isinstance(inner, exp.Distinct)
                if distinct:
                    inner = inner.expressions[0]
                if isinstance(inner, exp.Star) or (isinstance(inner, exp.Column) and isinstance(inner.this, exp.Star)):
                    return Item(None, agg, distinct)
                return Item(self.column(inner), agg, distinct)
        if isinstance(node, exp.Star) or (isinstance(node, exp.Column) and isinstance(node.this, exp.Star)):
            return Item(None)
        return Item(self.column(node))

    def conds(self, node: exp.Expr) -> tuple[tuple[Cond, ...], str]:
        if isinstance(node, (exp.And, exp.Or)):
            conj = "and" if isinstance(node, exp.And) else "or"
            parts = list(node.flatten())
            if any(isinstance(p, (exp.And, exp.Or)) for p in parts):
                raise Unsupported("mixed AND / OR")
            return tuple(self.cond(p) for p in parts), conj
        if isinstance(node, exp.Paren):
            return self.conds(node.this)
        return (self.cond(node),), "and"

    def cond(self, node: exp.Expr) -> Cond:
        negated = False
        if isinstance(node, exp.Not):
            node, negated = node.this, True
        if isinstance(node, exp.Between):
            low, high = _literal(node.args["low"]), _literal(node.args["high"])
            return Cond(self.item(node.this), "between", (low, high), negated)
        for kind, op in _OPS.items():
            if isinstance(node, kind):
                right = node.expression
                if isinstance(right, exp.Subquery) or isinstance(right, exp.Select):
                    return Cond(self.item(node.this), op, self.scalar(right), negated)
                return Cond(self.item(node.this), op, _literal(right), negated)
        raise Unsupported(f"condition {node.sql()}")

    def scalar(self, node: exp.Expr) -> Item:
        """`(SELECT agg(c) FROM t)` as the Item agg(t.c)."""
        inner = node.this if isinstance(node, exp.Subquery) else node
        if not isinstance(inner, exp.Select) or inner.args.get("where") or inner.args.get("joins"):
            raise Unsupported("a subquery other than (SELECT agg(c) FROM t)")
        sub = _Reader(inner, self.columns)
        if len(inner.expressions) != 1:
            raise Unsupported("a subquery of several columns")
        it = sub.item(inner.expressions[0])
        if not it.agg or it.column is None:
            raise Unsupported("a subquery without an aggregate")
        return it


def _literal(node: exp.Expr) -> Any:
    if isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal):
        return -_literal(node.this)
    if isinstance(node, exp.Literal):
        if node.is_string:
            return node.this
        text = node.this
        return int(text) if text.lstrip("-").isdigit() else float(text)
    raise Unsupported(f"not a literal: {node.sql()}")


def dump(s: Sketch) -> dict[str, Any]:
    """`s` as JSON-ready data (columns as given; values as 'v' for text, 0 for numbers)."""

    def item(i: Item) -> list[Any]:
        return [i.column, i.agg, i.distinct]

    def value(v: Any) -> Any:
        if isinstance(v, Item):
            return {"item": item(v)}
        if isinstance(v, tuple):
            return {"between": True}
        return 0 if isinstance(v, (int, float)) else "v"

    return {
        "select": [item(i) for i in s.select],
        "where": [[item(c.item), c.op, value(c.value), c.negated] for c in s.where],
        "conj": s.conj,
        "group": list(s.group),
        "having": [item(s.having.item), s.having.op, value(s.having.value), False] if s.having else None,
        "order": [item(s.order[0]), s.order[1]] if s.order else None,
        "limit": s.limit,
        "distinct": s.distinct,
        "setop": s.setop,
        "other": dump(s.other) if s.other else None,
    }


def load(d: dict[str, Any]) -> Sketch:
    """The Sketch of `dump`'s data (values are placeholders: 'v', 0, (0, 0) or an Item)."""

    def item(x: list[Any]) -> Item:
        return Item(x[0], x[1], bool(x[2]))

    def cond(x: list[Any]) -> Cond:
        v = x[2]
        value = item(v["item"]) if isinstance(v, dict) and "item" in v else (0, 0) if isinstance(v, dict) else v
        return Cond(item(x[0]), x[1], value, bool(x[3]))

    return Sketch(
        select=tuple(item(i) for i in d["select"]),
        where=tuple(cond(c) for c in d["where"]),
        conj=d["conj"],
        group=tuple(d["group"]),
        having=cond(d["having"]) if d["having"] else None,
        order=(item(d["order"][0]), bool(d["order"][1])) if d["order"] else None,
        limit=d["limit"],
        distinct=d["distinct"],
        setop=d["setop"],
        other=load(d["other"]) if d["other"] else None,
    )


def roles(s: Sketch) -> dict[str, set[str]]:
    """For each column of `s`: the clauses it is used in ('select', 'where', 'group', 'order'; HAVING and scalar
    subqueries count as 'where')."""
    out: dict[str, set[str]] = {}

    def add(col: str | None, role: str) -> None:
        if col is not None:
            out.setdefault(col, set()).add(role)

    for part in (s, s.other) if s.other else (s,):
        for i in part.select:
            add(i.column, "select")
        for c in part.where:
            add(c.item.column, "where")
            if isinstance(c.value, Item):
                add(c.value.column, "where")
        for g in part.group:
            add(g, "group")
        if part.having:
            add(part.having.item.column, "where")
        if part.order:
            add(part.order[0].column, "order")
    return out

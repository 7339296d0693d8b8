"""sqlglot pieces of the translator's SQL: identifiers and aliases, literals, comparisons, time conditions,
percentages and ratios, durations, and what identifies a row."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlglot import exp

from pgai_magic.catalog import Catalog, Column, Table
from pgai_magic.errors import TranslationError
from pgai_magic.nl2sql.query import Measure, Plan
from pgai_magic.nl2sql.timeexpr import Bound

__all__ = ["Names", "col_ref", "compare", "duration_expr", "ident", "row_key", "share_of", "time_conditions"]


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


class Names:
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
            db=ident(t.schema) if self.catalog.qualified(t) else None,
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


def time_conditions(time: list[tuple[str, Bound]], col: exp.Expr, column: Column) -> list[exp.Expr]:
    """The question's time phrases on `column`: date bounds, ISO weekdays (1 = Monday), or whole years on an
    integer year column (`year >= 2020`)."""
    days = [b.n for op, b in time if op == "dow"]
    found: list[exp.Expr] = []
    if days:
        if column.is_numeric:
            raise TranslationError(f"weekdays need a date column, and {column.name} holds numbers")
        dow = exp.Extract(this=exp.var("ISODOW"), expression=col.copy())
        found.append(compare(dow, "=", list(days), False))
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


def compare(left: exp.Expr, op: str, values: list[Any], negate: bool) -> exp.Expr:
    if op == "=" and len(values) > 1:
        cond: exp.Expression = exp.In(this=left, expressions=[_literal(v) for v in values])
        return exp.Not(this=cond) if negate else cond
    if op == "=" and negate:
        return exp.NEQ(this=left, expression=_literal(values[0]))
    return _OPS[op](this=left, expression=_literal(values[0]))


def share_of(
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


def row_key(table: Table, catalog: Catalog, names: Names) -> exp.Expr:
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


def duration_expr(m: Measure, names: Names) -> exp.Expr:
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

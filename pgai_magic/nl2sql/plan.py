"""Role assignment: which linked words are measures, groups, filters, ranking and subject of the question."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pgai_magic.catalog import Catalog, Column
from pgai_magic.errors import TranslationError
from pgai_magic.nl2sql.build import Dim, Filter, Measure, Plan
from pgai_magic.nl2sql.lexicon import CONCEPTS
from pgai_magic.nl2sql.linking import Mention, SchemaIndex

if TYPE_CHECKING:
    from pgai_magic.nl2sql.translator import Analysis

__all__ = ["assemble"]

_STOP_AT = {"group", "by", "top", "super", "cmp", "sort", "bucket"}
_SKIP = {"distinct", "which", "list", "agg", "not", "dir"}


def _measure_like(m: Mention | None) -> bool:
    if m is None:
        return False
    return m.kind == "concept" or (
        m.kind == "column" and bool(m.columns) and m.columns[0].is_numeric and not m.columns[0].is_key
    )


def _dim_like(m: Mention | None) -> bool:
    return m is not None and (m.kind == "table" or (m.kind == "column" and not _measure_like(m)))


class _Assembler:
    def __init__(self, a: Analysis, catalog: Catalog, index: SchemaIndex) -> None:
        self.a = a
        self.items = a.items
        self.catalog = catalog
        self.index = index
        self.plan = Plan()
        self.notes: list[str] = []
        self.measure_at: dict[int, Measure] = {}
        self.choices: dict[int, tuple[Any, list[Column]]] = {}
        self.subject_item: int | None = None
        self.avg_of: list[str] = []

    # -- helpers ----------------------------------------------------------------------
    def mention(self, k: int) -> Mention | None:
        return self.items[k].mention if 0 <= k < len(self.items) else None

    def kind(self, k: int) -> str:
        return self.items[k].kind if 0 <= k < len(self.items) else ""

    def use(self, *ks: int) -> None:
        for k in ks:
            if 0 <= k < len(self.items):
                self.items[k].used = True

    def choose(self, obj: Any, candidates: list[Column]) -> None:
        """Record that `obj.column` may be any of `candidates` (settled once the other tables are known)."""
        if len(candidates) > 1:
            self.choices[id(obj)] = (obj, candidates)

    def singular(self, k: int) -> bool:
        it = self.items[k]
        tok = self.a.toks[it.end - 1]
        return tok.text == tok.lemma

    def measure_from(self, agg: str, m: Mention, distinct: bool = False) -> Measure | None:
        if m.kind == "table":
            return Measure("count", table=m.table) if agg in ("count", "sum") else None
        if not m.columns:
            return None
        if m.kind == "concept":
            default = CONCEPTS[str(m.concept)][2]
            measure = Measure(default if agg == "count" else agg, m.columns[0])
            self.choose(measure, m.columns)
            return measure
        col = m.columns[0]
        if col.is_numeric and not col.is_key:
            measure = Measure(agg, col, distinct=agg == "count")
        elif agg == "count":
            measure = Measure("count", col, distinct=True)
        elif agg in ("min", "max") and col.is_temporal:
            measure = Measure(agg, col)
        else:
            return None
        self.choose(measure, m.columns)
        return measure

    def concept_measure(self, concept: str) -> Measure | None:
        cols = [c for c, _ in self.index.concept_columns(concept)]
        if not cols:
            return None
        measure = Measure(CONCEPTS[concept][2], cols[0])
        self.choose(measure, cols)
        return measure

    def target(self, k: int, forward: int = 4, back: int = 2) -> int | None:
        for j in range(k + 1, min(len(self.items), k + 1 + forward)):
            kind, m = self.kind(j), self.mention(j)
            if kind in _STOP_AT or kind == "time":
                break
            if m is not None and m.kind != "value":
                return j
            if kind not in _SKIP and kind not in ("num", "mention"):
                break
        for j in range(k - 1, max(-1, k - 1 - back), -1):
            m = self.mention(j)
            if m is not None and m.kind != "value":
                return j
            if self.kind(j) not in _SKIP:
                break
        return None

    # -- passes ---------------------------------------------------------------------------
    def aggregates(self) -> list[str]:
        missing = []
        for k, it in enumerate(self.items):
            if it.kind != "agg":
                continue
            t = self.target(k)
            if t is None:
                missing.append(it.arg)
                it.used = True
                continue
            if t in self.measure_at:
                self.measure_at[k] = self.measure_at[t]
                self.use(k)
                continue
            m = self.mention(t)
            assert m is not None
            if it.arg == "avg" and m.kind == "table":
                # 'average order value', 'average order amount': an average over that table's rows of a total
                self.avg_of.append(str(m.table))
                self.use(k, t)
                after = self.mention(t + 1)
                if after is not None and _measure_like(after) and not self.items[t + 1].used:
                    inner = self.implicit(after)
                    inner = Measure(_default_agg(inner, "desc"), inner) if isinstance(inner, Column) else inner
                    if inner is not None:
                        self.plan.measures.append(inner)
                        self.measure_at[k] = self.measure_at[t + 1] = inner
                        self.use(t + 1)
                continue
            distinct = any(self.kind(j) == "distinct" for j in range(max(0, k - 1), t))
            measure = self.measure_from(it.arg, m, distinct)
            if measure is None:
                continue
            self.plan.measures.append(measure)
            self.measure_at[k] = self.measure_at[t] = measure
            self.use(k, t)
        return missing

    def ranking(self) -> None:
        first = next((k for k, it in enumerate(self.items) if it.kind in ("top", "super")), None)
        if first is None:
            self.sort()
            return
        cues = [k for k, it in enumerate(self.items) if it.kind in ("top", "super")]
        direction = self.items[first].arg.split(":")[0]
        limit: int | None = None
        measure: Measure | Column | None = None
        concept: str | None = None
        for k in cues:
            it = self.items[k]
            self.use(k)
            if ":" in it.arg:
                direction, concept = it.arg.split(":")
            elif it.kind == "super" and self.items[first].kind == "top":
                direction = it.arg
            for j in (k + 1, k - 1):
                if self.kind(j) == "num" and not self.items[j].used and isinstance(self.items[j].value, int):
                    limit = int(self.items[j].value)
                    self.use(j)
                    break
            if measure is None and concept is None and it.kind == "super":
                measure = self.adjacent_measure(k)
        for k, it in enumerate(self.items):
            if it.kind == "by" and not it.used:
                j, mj = k + 1, self.mention(k + 1)
                if j in self.measure_at:
                    measure = self.measure_at[j]
                    self.use(k)
                elif mj is not None and _measure_like(mj):
                    measure = self.implicit(mj)
                    self.use(k, j)
        subject = self.find_subject(first)
        if limit is None and subject is not None:
            before = subject - 1
            if self.kind(before) == "num" and not self.items[before].used:
                limit = int(self.items[before].value)
                self.use(before)
        if limit is None:
            limit = 1 if subject is None or self.singular(subject) else 10
        if concept == "time":
            measure = self.date_column(subject)
        elif concept is not None:
            measure = self.concept_measure(concept)
        self.apply_ranking(subject, measure, direction, limit)

    def implicit(self, m: Mention) -> Measure | Column | None:
        """What a measure word means without an aggregate word: a concept's usual total, or a plain column."""
        if m.kind == "concept":
            return self.measure_from("count", m)  # 'count' picks the concept's default aggregate
        return m.column if _measure_like(m) else None

    def adjacent_measure(self, k: int) -> Measure | Column | None:
        """The measure a superlative is about: the measure word after it, else before it, else 'most <table>'."""
        j = k + 1
        while self.kind(j) in ("num", "top"):
            j += 1
        for c in (j, k - 1):
            if c in self.measure_at:
                return self.measure_at[c]
            m = self.mention(c)
            if m is not None and not self.items[c].used and _measure_like(m):
                self.use(c)
                return self.implicit(m)
        # 'the most customers' / '客户最多': a count of that table, when something else is being ranked
        for c in (k + 1, k - 1):
            m = self.mention(c)
            if m is None or m.kind != "table" or self.items[c].used:
                continue
            others = [j for j, it in enumerate(self.items) if j != c and not it.used and _dim_like(it.mention)]
            if others:
                self.use(c)
                return Measure("count", table=m.table)
        return None

    def find_subject(self, first: int) -> int | None:
        for j in range(first + 1, len(self.items)):
            m = self.mention(j)
            if self.kind(j) in ("num", "top", "super"):
                continue
            if m is not None and not self.items[j].used and _dim_like(m):
                return j
            if m is None and self.kind(j) not in ("which", "list", "agg"):
                break
        for k, it in enumerate(self.items):
            if it.kind == "which" and _dim_like(self.mention(k + 1)) and not self.items[k + 1].used:
                return k + 1
        return next((k for k, it in enumerate(self.items) if not it.used and _dim_like(it.mention)), None)

    def date_column(self, subject: int | None) -> Column | None:
        for it in self.items:
            m = it.mention
            if m is not None and m.kind == "column" and m.columns and m.columns[0].is_temporal and not it.used:
                it.used = True
                return m.columns[0]
        m = self.mention(subject) if subject is not None else None
        table = self.catalog.tables.get(str(m.table or (m.columns[0].table if m.columns else ""))) if m else None
        return next((c for c in table.columns if c.is_temporal), None) if table else None

    def apply_ranking(self, subject: int | None, measure: Measure | Column | None, direction: str, limit: int) -> None:
        p = self.plan
        m = self.mention(subject) if subject is not None else None
        if subject is not None:
            self.use(subject)
            self.subject_item = subject
        if measure is None:
            measure = self.concept_measure("revenue")
            if measure is None:
                raise TranslationError("the question ranks something but names no measure to rank by")
            self.notes.append("ranked by revenue (no measure named)")
        if m is None:
            if isinstance(measure, Column):
                measure = Measure("max" if direction == "desc" else "min", measure)
            else:
                return  # a plain aggregate: nothing to rank
            p.measures = [measure]
            return
        if m.kind == "table":
            table = self.catalog.tables[str(m.table)]
            p.subject = table.key
            if isinstance(measure, Measure) and measure.column is not None and measure.agg != "count":
                own = [c for c in self.choices.get(id(measure), (None, [measure.column]))[1] if c.table == table.key]
                if own:  # 'most expensive product': the product's own price, no aggregate
                    self.choices.pop(id(measure), None)
                    if measure in p.measures:
                        p.measures.remove(measure)
                    measure = own[0]
            if isinstance(measure, Column) and measure.table == table.key:
                # the row's name and the measure; a table without a name column shows whole rows
                p.columns = [table.label, measure] if table.label is not None and table.label != measure else []
                p.order = (measure, direction)
                p.limit = limit
                return
            if isinstance(measure, Column):
                measure = Measure(_default_agg(measure, direction), measure)
            p.dims.append(Dim(table=table.key))
        else:
            if isinstance(measure, Column):
                measure = Measure(_default_agg(measure, direction), measure)
            dim = Dim(column=m.columns[0])
            self.choose(dim, m.columns)
            p.dims.append(dim)
        if measure not in p.measures:
            p.measures.append(measure)
        p.order = (measure, direction)
        p.limit = limit

    def sort(self) -> None:
        for k, it in enumerate(self.items):
            if it.kind != "sort":
                continue
            self.use(k)
            direction = next((x.arg for x in self.items if x.kind == "dir"), "asc")
            j = k + 1
            if j in self.measure_at:
                self.plan.order = (self.measure_at[j], "desc" if direction == "desc" else "asc")
            elif self.mention(j) is not None and self.mention(j).kind == "column":  # type: ignore[union-attr]
                self.plan.order = (self.mention(j).columns[0], direction)  # type: ignore[union-attr]
                self.use(j)

    def groups(self) -> None:
        for k, it in enumerate(self.items):
            if it.kind == "bucket":
                self.plan.dims.append(Dim(bucket=it.arg))
                self.use(k)
                continue
            if it.kind not in ("group", "by") or it.used:
                continue
            j = k + 1
            while j < len(self.items):
                m = self.mention(j)
                if m is None or m.kind == "value" or self.items[j].used or not _dim_like(m):
                    break
                if m.kind == "table":
                    dim = Dim(table=m.table)
                else:
                    dim = Dim(column=m.columns[0])
                    self.choose(dim, m.columns)
                self.plan.dims.append(dim)
                self.use(k, j)
                j += 1
                if self.kind(j) in ("group", "by"):
                    self.use(j)
                    j += 1

    def filters(self) -> None:
        by_column: dict[tuple[int, bool], Filter] = {}
        for k, it in enumerate(self.items):
            m = it.mention
            if m is None or m.kind != "value" or not m.columns:
                continue
            negate = self.kind(k - 1) == "not"
            self.use(k, k - 1 if negate else k)
            key = (id(m.columns[0]), negate)
            if key in by_column:
                by_column[key].values.append(m.value)
                continue
            f = Filter(m.columns[0], "=", [m.value], negate=negate)
            self.choose(f, m.columns)
            by_column[key] = f
            self.plan.filters.append(f)
            for j in (k - 1, k + 1, k - 2):  # 'the Sports category', 'status cancelled'
                other = self.mention(j)
                if other is not None and other.kind == "column" and m.columns[0] in other.columns:
                    self.use(j)
        for k, it in enumerate(self.items):
            if it.kind == "cmp":
                self.comparison(k)
        for it in self.items:
            if it.kind == "time":
                self.plan.time.extend(it.value.conditions)
                it.used = True

    def comparison(self, k: int) -> None:
        it = self.items[k]
        op, _, concept = it.arg.partition(":")
        j = k + 1
        if self.kind(j) != "num":
            return
        number = self.items[j].value
        self.use(k, j)
        target: Mention | None = None
        if not concept:
            for b in (k - 1, k - 2):
                if _measure_like(self.mention(b)):
                    target = self.mention(b)
                    self.use(b)
                    break
            after = self.mention(j + 1)
            if target is None and after is not None and (after.kind == "table" or _measure_like(after)):
                target = after
                self.use(j + 1)
        if target is None:
            cols = [c for c, _ in self.index.concept_columns(concept or "price")]
            if not cols:
                raise TranslationError(f"cannot tell what must be {op} {number}")
            target = Mention(k, j, "concept", columns=cols, concept=concept or "price")
        if target.kind == "table":
            measure = Measure("count", table=target.table)
            self.plan.filters.append(Filter(None, op, [number], measure=measure))
            self.plan.measures.append(measure)
            return
        if target.kind == "concept" and CONCEPTS[str(target.concept)][2] == "sum":
            measure = Measure("sum", target.columns[0])
            self.choose(measure, target.columns)
            self.plan.filters.append(Filter(None, op, [number], measure=measure))
            self.plan.measures.append(measure)
            return
        f = Filter(target.columns[0], op, [number])
        self.choose(f, target.columns)
        self.plan.filters.append(f)


def _default_agg(col: Column, direction: str) -> str:
    """How a column ranks groups: latest/earliest date, average price, total of other numbers."""
    if col.is_temporal:
        return "max" if direction == "desc" else "min"
    if not col.is_numeric:
        raise TranslationError(f"cannot rank by the text column {col.name}")
    return "avg" if "price" in col.name or "cost" in col.name else "sum"


def assemble(a: Analysis, catalog: Catalog, index: SchemaIndex) -> tuple[Plan, list[str]]:
    """The plan of an analysed question; TranslationError when its parts do not fit together."""
    s = _Assembler(a, catalog, index)
    missing = s.aggregates()
    s.filters()
    s.ranking()
    s.groups()
    _finish(s, missing)
    return s.plan, s.notes


def _finish(s: _Assembler, missing: list[str]) -> None:
    p, items = s.plan, s.items
    # explicit date column (time filter on 'signup date', buckets)
    explicit = next(
        (
            it
            for it in items
            if not it.used
            and it.mention is not None
            and it.mention.kind == "column"
            and it.mention.columns
            and it.mention.columns[0].is_temporal
        ),
        None,
    )
    if explicit is not None and (p.time or any(d.bucket for d in p.dims)):
        p.time_column = explicit.mention.columns[0]  # type: ignore[union-attr]
        explicit.used = True
    unused = [k for k, it in enumerate(items) if not it.used and it.mention is not None]
    # measures named without an aggregate word ('sales by country', 'revenue from online orders')
    if not p.measures:
        for k in unused:
            m = items[k].mention
            if m is not None and m.kind == "concept" and CONCEPTS[str(m.concept)][2] == "sum":
                measure = s.measure_from("sum", m)
                if measure is not None:
                    p.measures.append(measure)
                    s.use(k)
                    break
    for agg in missing:
        if p.measures:
            break
        if agg == "sum":
            measure = s.concept_measure("revenue")
        else:
            table = next((items[k].mention.table for k in unused if items[k].mention.kind == "table"), None)  # type: ignore[union-attr]
            table = table or next((f.column.table for f in p.filters if f.column is not None), None)
            measure = Measure("count", table=table) if table else None
        if measure is not None:
            p.measures.append(measure)
    if p.dims and not p.measures:
        table_k = next((k for k in unused if not items[k].used and items[k].mention.kind == "table"), None)  # type: ignore[union-attr]
        if table_k is not None:
            p.measures.append(Measure("count", table=items[table_k].mention.table))  # type: ignore[union-attr]
            s.use(table_k)
        else:
            home = next((d.home for d in p.dims if d.column or d.table), None)
            if home is None:
                raise TranslationError("the question groups by time but names nothing to count or sum")
            p.measures.append(Measure("count", table=home))
    _nested_average(s)
    # a whole-table dim at the measure's own grain is no grouping ('average quantity per order line')
    if len(p.measures) == 1 and p.measures[0].column is not None:
        p.dims = [d for d in p.dims if not (d.table and d.table == p.measures[0].home)]
    having = [f.measure for f in p.filters if f.measure is not None]
    if having and not p.dims:
        tables = [it.mention for it in items if it.mention is not None and it.mention.kind == "table"]
        subject = next(
            (m for m in tables if m.table != having[0].home),
            None,
        )
        if subject is None:
            raise TranslationError("a count or total condition needs something to group by")
        p.dims.append(Dim(table=subject.table))
        p.subject = subject.table
        for k in range(len(items)):
            if items[k].mention is subject:
                s.use(k)
    if not p.measures and not p.dims and p.order is None:
        _listing(s)
    direction = next((it.arg for it in items if it.kind == "dir"), None)
    if direction is not None and p.order is None:  # 'highest first', 'in ascending order'
        if p.measures:
            p.order = (p.measures[0], direction)
        elif p.columns:
            p.order = (p.columns[0], direction)
    # the remaining table mentions join in as context ('orders from customers in Germany')
    for it in items:
        if not it.used and it.mention is not None and it.mention.kind == "table":
            p.context.add(str(it.mention.table))
            it.used = True
    _settle_columns(s)
    if p.time or any(d.bucket for d in p.dims):
        if p.time_column is None:
            p.time_column = _time_column(s)
        for d in p.dims:
            if d.bucket:
                d.column = p.time_column
        if p.time_column is None:
            raise TranslationError("the question names a time range but none of its tables has a date column")


def _nested_average(s: _Assembler) -> None:
    """'average order value', 'average quantity per order', 'average number of orders per customer':
    a total per row of an entity table, averaged over those rows."""
    p = s.plan
    entity_dims = [d for d in p.dims if d.table]
    if s.avg_of and len(p.measures) <= 1:
        entity = str(entity_dims[0].table) if entity_dims else s.avg_of[0]
        if not p.measures:
            revenue = s.concept_measure("revenue")
            if revenue is None:
                raise TranslationError(f"cannot tell what to average per row of {entity}")
            p.measures = [revenue]
    elif (
        len(p.measures) == 1
        and p.measures[0].agg == "avg"
        and p.measures[0].column is not None
        and entity_dims
        and entity_dims[0].table != p.measures[0].home
        and _default_agg(p.measures[0].column, "desc") == "sum"
    ):
        entity = str(entity_dims[0].table)
        p.measures = [Measure("sum", p.measures[0].column)]
    else:
        return
    if p.measures[0].home == entity and p.measures[0].column is not None:
        p.measures[0].agg = "avg"  # the entity is the measure's own table: a plain average
        p.dims = [d for d in p.dims if d.table != entity]
        return
    p.dims = [d for d in p.dims if d.table != entity]
    if any(d.table for d in p.dims):
        raise TranslationError("cannot average per row of one table and also group by another table")
    p.per_entity = entity


def _listing(s: _Assembler) -> None:
    p, items = s.plan, s.items
    named: list[Mention] = []
    subject: str | None = None
    for k, it in enumerate(items):
        m = it.mention
        if m is None or it.used:
            continue
        if m.kind == "table" and subject is None:
            subject = m.table
            s.use(k)
        elif m.kind in ("column", "concept") and m.columns:
            named.append(m)
            s.use(k)
    if subject is None:
        subject = next(
            (it.mention.table for it in items if it.mention is not None and it.mention.kind == "table"), None
        )
        subject = None if subject is None or not any(subject == c.table for m in named for c in m.columns) else subject
    # a name shared by several tables ('name') means the subject's own column
    cols = [next((c for c in m.columns if c.table == subject), m.columns[0]) for m in named]
    if subject is not None:
        cols = [c for c in cols if c.table == subject] or ([] if any(c.table != subject for c in cols) else cols)
        if not cols:
            p.subject = subject
    if cols:
        p.columns = list(dict.fromkeys(cols))
        p.distinct = any(it.kind == "distinct" for it in items) or all(c.categorical for c in p.columns)
        p.subject = p.subject or p.columns[0].table
    if p.subject is None and not p.columns:
        tables = {f.column.table for f in p.filters if f.column is not None}
        if len(tables) == 1:
            p.subject = tables.pop()
        else:
            raise TranslationError("the question names no table or column to show")


def _anchors(p: Plan, exclude: int) -> set[str]:
    anchors = {m.home for m in p.measures if id(m) != exclude and (m.column is not None or m.table)}
    anchors |= {d.home for d in p.dims if id(d) != exclude and (d.column is not None or d.table)}
    anchors |= {f.column.table for f in p.filters if id(f) != exclude and f.column is not None}
    anchors |= set(p.context) | ({p.subject} if p.subject else set())
    return anchors


def _settle_columns(s: _Assembler) -> None:
    """Pick among candidate columns the one nearest (in joins) to the other tables of the question."""
    from pgai_magic.nl2sql.translator import column_distance

    for key, (obj, candidates) in s.choices.items():
        anchors = _anchors(s.plan, key)
        obj.column = min(candidates, key=lambda c: (column_distance(s.catalog, c, anchors), candidates.index(c)))


def _time_column(s: _Assembler) -> Column | None:
    from pgai_magic.nl2sql.translator import column_distance

    p = s.plan
    anchors = {m.home for m in p.measures if m.column is not None or m.table} or _anchors(p, 0)
    dates = [c for t in s.catalog.tables.values() for c in t.columns if c.is_temporal]
    if not dates:
        return None
    return min(dates, key=lambda c: (column_distance(s.catalog, c, anchors), c.nullable, dates.index(c)))

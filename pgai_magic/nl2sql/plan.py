"""Role assignment: which linked words are measures, groups, filters, ranking and subject of the question."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pgai_magic.catalog import Catalog, Column, words
from pgai_magic.errors import TranslationError
from pgai_magic.nl2sql.lexicon import CONCEPTS
from pgai_magic.nl2sql.linking import Mention, SchemaIndex
from pgai_magic.nl2sql.query import Dim, Filter, Measure, Plan
from pgai_magic.nl2sql.roles import WORSE_WHEN_HIGH, default_agg, dim_like, groupable, identifier_like, measure_like
from pgai_magic.nl2sql.units import convert

if TYPE_CHECKING:
    from pgai_magic.nl2sql.analysis import Analysis

__all__ = ["Assembler"]

_STOP_AT = {"group", "by", "top", "super", "cmp", "sort", "bucket"}
_SKIP = {"distinct", "which", "list", "agg", "not", "dir"}


_ADJECTIVES = {"length", "weight", "height", "speed", "distance", "temperature", "delay", "age"}  # 'longest' …


class Assembler:
    """One question's items, walked in passes that fill its Plan (aggregates, filters, ranking, groups)."""

    def __init__(self, a: Analysis, catalog: Catalog, index: SchemaIndex) -> None:
        self.a = a
        self.items = a.items
        self.catalog = catalog
        self.index = index
        self.plan = Plan()
        self.used = [False] * len(a.items)  # the items a pass has given a role
        self.notes: list[str] = []
        self.measure_at: dict[int, Measure] = {}
        self.choices: dict[int, tuple[Any, list[Column]]] = {}
        self.avg_of: list[str] = []

    # -- helpers ----------------------------------------------------------------------
    def mention(self, k: int) -> Mention | None:
        return self.items[k].mention if 0 <= k < len(self.items) else None

    def kind(self, k: int) -> str:
        return self.items[k].kind if 0 <= k < len(self.items) else ""

    def use(self, *ks: int) -> None:
        for k in ks:
            if 0 <= k < len(self.items):
                self.used[k] = True

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
        if col.is_numeric and not col.is_key and agg == "count" and not distinct and m.via == "name":
            # 'number of seats', 'how many citations': the column already stores a number; it is added up
            measure = Measure("sum", col)
        elif col.is_numeric and not col.is_key and not identifier_like(col):
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
                self.used[k] = True
                continue
            if t in self.measure_at:
                shared = self.measure_at[t]
                if shared.agg != it.arg and shared.column is not None and it.arg != "count":
                    # 'min, max and mean blood pressure': one measure per aggregate word
                    shared = Measure(it.arg, shared.column)
                    self.plan.measures.insert(self.plan.measures.index(self.measure_at[t]), shared)
                self.measure_at[k] = shared
                self.use(k)
                continue
            m = self.mention(t)
            assert m is not None
            if it.arg == "avg" and m.kind == "table":
                # 'average order value', 'average order amount': an average over that table's rows of a total
                self.avg_of.append(str(m.table))
                self.use(k, t)
                after = self.mention(t + 1)
                if after is not None and measure_like(after) and not self.used[t + 1]:
                    inner = self.implicit(after)
                    inner = Measure(default_agg(inner, "desc"), inner) if isinstance(inner, Column) else inner
                    if inner is not None:
                        self.plan.measures.append(inner)
                        self.measure_at[k] = self.measure_at[t + 1] = inner
                        self.use(t + 1)
                continue
            distinct = any(self.kind(j) == "distinct" for j in range(max(0, k - 1), t))
            flag_or_date = bool(m.columns) and m.columns[0].kind in ("date", "timestamp", "boolean")
            if it.arg == "count" and m.kind == "column" and flag_or_date:
                # 'number of engineers hired after …', 'how many trips were disputed': the rows are counted,
                # the date or flag is a filter's column
                m = Mention(m.start, m.end, "table", m.columns[0].table)
                t_used = False
            else:
                t_used = True
            measure = self.measure_from(it.arg, m, distinct)
            if measure is None:
                continue
            self.plan.measures.append(measure)
            self.measure_at[k] = measure
            self.use(k)
            if t_used:
                self.measure_at[t] = measure
                self.use(t)
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
                if concept in _ADJECTIVES and it.kind == "super":  # 'longest average delay': the delay, named
                    named = self.adjacent_measure(k)
                    if named is not None:
                        measure, concept = named, None
            elif it.kind == "super" and self.items[first].kind == "top":
                direction = it.arg
            for j in (k + 1, k - 1):
                if self.kind(j) == "num" and not self.used[j] and isinstance(self.items[j].value, int):
                    limit = int(self.items[j].value)
                    self.use(j)
                    break
            if measure is None and concept is None and it.kind == "super":
                measure = self.adjacent_measure(k)
        for k, it in enumerate(self.items):
            if it.kind == "by" and not self.used[k]:
                j, mj = k + 1, self.mention(k + 1)
                if j in self.measure_at:
                    measure = self.measure_at[j]
                    self.use(k)
                elif mj is not None and measure_like(mj):
                    measure = self.implicit(mj)
                    self.use(k, j)
        subject = self.find_subject(first)
        if limit is None and subject is not None:
            before = subject - 1
            if self.kind(before) == "num" and not self.used[before]:
                limit = int(self.items[before].value)
                self.use(before)
        if limit is None:
            # 'the top customers': ten; 'which airports are the farthest': all of them, ranked
            top = any(self.items[k].kind == "top" for k in cues)
            limit = 1 if subject is None or self.singular(subject) else (10 if top else None)
        if concept == "time":
            measure = self.date_column(subject)
        elif concept is not None:
            measure = self.concept_measure(concept)
        if direction in ("best", "worst"):  # the best delay is the lowest, the best revenue the highest
            col = measure.column if isinstance(measure, Measure) else measure
            lower = col is not None and bool(set(words(col.name)) & WORSE_WHEN_HIGH)
            direction = "asc" if (direction == "best") == lower else "desc"
        ways = {self.items[k].arg.split(":")[0] for k in cues if self.items[k].kind == "super"}
        if subject is None and isinstance(measure, Column) and {"asc", "desc"} <= ways:
            self.plan.measures = [Measure("min", measure), Measure("max", measure)]  # 'smallest and largest X'
            return
        self.apply_ranking(subject, measure, direction, limit)

    def implicit(self, m: Mention) -> Measure | Column | None:
        """What a measure word means without an aggregate word: a concept's usual total, or a plain column."""
        if m.kind == "concept":
            return self.measure_from("count", m)  # 'count' picks the concept's default aggregate
        return m.column if measure_like(m) else None

    def adjacent_measure(self, k: int) -> Measure | Column | None:
        """The measure a superlative is about: the measure word after it, else before it, else 'most <table>'."""
        j = k + 1
        while self.kind(j) in ("num", "top"):
            j += 1
        for c in (j, k - 1):
            if c in self.measure_at:
                return self.measure_at[c]
            m = self.mention(c)
            if m is not None and not self.used[c] and measure_like(m):
                self.use(c)
                return self.implicit(m)
        # 'the most customers' / '客户最多' / 'the most managers' (a stored value): a count of that table's rows,
        # when something else is being ranked
        for c in (k + 1, k - 1):
            m = self.mention(c)
            if m is not None and m.kind == "value" and m.columns and c == k + 1:
                m = Mention(m.start, m.end, "table", m.columns[0].table)
            elif m is None or m.kind != "table" or self.used[c]:
                continue
            others = [
                j
                for j, it in enumerate(self.items)
                if j != c
                and not self.used[j]
                and it.mention is not None
                and (dim_like(it.mention) or groupable(it.mention))
            ]
            if others:
                self.use(c)
                return Measure("count", table=m.table)
        return None

    def find_subject(self, first: int) -> int | None:
        for j in range(first + 1, len(self.items)):
            m = self.mention(j)
            if self.kind(j) in ("num", "top", "super"):
                continue
            if m is not None and not self.used[j] and (dim_like(m) or groupable(m)):
                return j
            if m is None and self.kind(j) not in ("which", "list", "agg"):
                break
        for k, it in enumerate(self.items):
            after = self.mention(k + 1)
            if it.kind == "which" and after is not None and (dim_like(after) or groupable(after)):
                if not self.used[k + 1]:
                    return k + 1
        return next((k for k, it in enumerate(self.items) if not self.used[k] and dim_like(it.mention)), None)

    def date_column(self, subject: int | None) -> Column | None:
        for k, it in enumerate(self.items):
            m = it.mention
            if m is not None and m.kind == "column" and m.columns and m.columns[0].is_temporal and not self.used[k]:
                self.used[k] = True
                return m.columns[0]
        m = self.mention(subject) if subject is not None else None
        table = self.catalog.tables.get(str(m.table or (m.columns[0].table if m.columns else ""))) if m else None
        return next((c for c in table.columns if c.is_temporal), None) if table else None

    def apply_ranking(
        self, subject: int | None, measure: Measure | Column | None, direction: str, limit: int | None
    ) -> None:
        p = self.plan
        m = self.mention(subject) if subject is not None else None
        if subject is not None:
            self.use(subject)
        if measure is None:
            measure = self.concept_measure("revenue")
            said = measure is not None and measure.column is not None
            if said and not set(words(measure.column.name)) & {"revenue", "sales", "amount", "sale"}:  # type: ignore[union-attr]
                measure = None  # 'total_cholesterol' is no revenue: refuse rather than rank by it
            if measure is None:
                raise TranslationError("the question ranks something but names no measure to rank by")
            self.notes.append("ranked by revenue (no measure named)")
        if m is None:
            if isinstance(measure, Column) and limit is not None and limit > 1:
                p.columns, p.order, p.limit = [measure], (measure, direction), limit  # 'twenty highest distances'
                return
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
                measure = Measure(default_agg(measure, direction), measure)
            p.dims.append(Dim(table=table.key))
        else:
            if isinstance(measure, Column):
                measure = Measure(default_agg(measure, direction), measure)
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
            if it.kind not in ("group", "by") or self.used[k]:
                continue
            if it.arg == "after":  # 'gender distribution': the grouped column comes before the word
                m = self.mention(k - 1)
                if m is not None and m.kind == "column" and not self.used[k - 1] and dim_like(m):
                    dim = Dim(column=m.columns[0])
                    self.choose(dim, m.columns)
                    self.plan.dims.append(dim)
                    self.use(k, k - 1)
                    continue
            j = k + 1
            while j < len(self.items):
                m = self.mention(j)
                if m is None or m.kind == "value" or self.used[j] or not (dim_like(m) or groupable(m)):
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
            f = Filter(m.columns[0], "=", [m.value], negate=negate, at=k)
            self.choose(f, m.columns)
            by_column[key] = f
            self.plan.filters.append(f)
            for j in (k - 1, k + 1, k - 2):  # 'the Sports category', 'status cancelled'
                other = self.mention(j)
                if other is not None and other.kind == "column" and m.columns[0] in other.columns:
                    self.use(j)
        for k, it in enumerate(self.items):
            m = it.mention
            if self.used[k] or m is None or m.kind != "column" or not m.columns or m.columns[0].kind != "boolean":
                continue
            if self.kind(k - 1) in ("group", "by"):
                continue  # 'by paperless billing' groups by the flag
            negate = self.kind(k - 1) == "not"  # 'trips that were not disputed'
            self.use(k, k - 1 if negate else k)
            self.plan.filters.append(Filter(m.columns[0], "=", [True], negate=negate, at=k))
        for k, it in enumerate(self.items):
            if it.kind == "cmp":
                self.comparison(k)
        for k, it in enumerate(self.items):
            if it.kind == "time":
                self.plan.time.extend(it.value.conditions)
                self.used[k] = True

    def comparison(self, k: int) -> None:
        it = self.items[k]
        op, _, concept = it.arg.partition(":")
        j = k + 1
        if self.kind(j) != "num":
            return
        number = self.items[j].value
        self.use(k, j)
        target: Mention | None = None
        for b in (k - 1, k - 2) if concept else ():  # 'flippers longer than 20 cm': the flipper column
            near = self.mention(b)
            if near is not None and measure_like(near) and near.kind == "column":
                target = near
                self.use(b)
                break
        if not concept:
            for b in (k - 1, k - 2):
                if measure_like(self.mention(b)):
                    target = self.mention(b)
                    self.use(b)
                    break
            after = self.mention(j + 1)
            if target is None and after is not None and (after.kind == "table" or measure_like(after)):
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
        if self.kind(j + 1) == "unit" and self.items[j + 1].arg == "percent":
            self.use(j + 1)  # 'above 13 percent': the column holds the percentage itself
        elif self.kind(j + 1) == "unit":  # 'delayed by more than 2 hours' on a minutes column
            self.use(j + 1)
            try:
                number, note = convert(number, self.items[j + 1].arg, target.columns[0])
            except ValueError as exc:
                raise TranslationError(str(exc)) from None
            if note:
                self.notes.append(note)
        f = Filter(target.columns[0], op, [number], at=k)
        self.choose(f, target.columns)
        self.plan.filters.append(f)

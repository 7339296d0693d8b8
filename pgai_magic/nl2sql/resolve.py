"""After roles are assigned: implicit measures, nested averages, row listings, column choice, the date column."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pgai_magic.catalog import Catalog, Column, words
from pgai_magic.errors import TranslationError
from pgai_magic.nl2sql.build import Dim, Measure, Plan, column_distance
from pgai_magic.nl2sql.derived import duration, never, share
from pgai_magic.nl2sql.lexicon import CONCEPTS
from pgai_magic.nl2sql.linking import Mention, SchemaIndex
from pgai_magic.nl2sql.plan import Assembler
from pgai_magic.nl2sql.roles import WORSE_WHEN_HIGH, default_agg, dim_like, groupable, measure_like

if TYPE_CHECKING:
    from pgai_magic.nl2sql.analysis import Analysis

__all__ = ["assemble"]


def assemble(a: Analysis, catalog: Catalog, index: SchemaIndex) -> tuple[Plan, list[str], list[bool]]:
    """The plan of an analysed question, notes for the reader, and which of `a.items` the plan uses;
    TranslationError when its parts do not fit together. `a` is only read: the plan is new."""
    s = Assembler(a, catalog, index)
    if duration(s):  # 'days between the first and the last flight'
        s.filters()
        s.groups()
        _finish(s, [])
        return s.plan, s.notes, s.used
    missing = s.aggregates()
    s.filters()
    never(s)
    s.ranking()
    s.groups()
    _finish(s, missing)
    share(s)
    return s.plan, s.notes, s.used


def _finish(s: Assembler, missing: list[str]) -> None:
    p, items = s.plan, s.items
    # explicit date column (time filter on 'signup date', buckets)
    explicit = next(
        (
            k
            for k, it in enumerate(items)
            if not s.used[k]
            and it.mention is not None
            and it.mention.kind == "column"
            and it.mention.columns
            and it.mention.columns[0].is_temporal
        ),
        None,
    )
    if explicit is not None and (p.time or any(d.bucket for d in p.dims)):
        p.time_column = items[explicit].mention.columns[0]  # type: ignore[union-attr]
        s.use(explicit)
    unused = [k for k, it in enumerate(items) if not s.used[k] and it.mention is not None]
    _implicit_measures(s, missing, unused)
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
    _direction(s)
    # the remaining table mentions join in as context ('orders from customers in Germany')
    for k, it in enumerate(items):
        if not s.used[k] and it.mention is not None and it.mention.kind == "table":
            p.context.add(str(it.mention.table))
            s.use(k)
    _settle_columns(s)
    if p.time or any(d.bucket for d in p.dims):
        if p.time_column is None:
            p.time_column = _time_column(s)
        for d in p.dims:
            if d.bucket:
                d.column = p.time_column
        if p.time_column is None:
            raise TranslationError("the question names a time range but none of its tables has a date column")


def _implicit_measures(s: Assembler, missing: list[str], unused: list[int]) -> None:
    """Measures the question names without an aggregate word ('sales by country', 'amount per region'), or
    only by an aggregate word ('how many …': the rows of the table named)."""
    p, items = s.plan, s.items
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
    if not p.measures and p.dims:  # 'amount per region': a numeric column totalled per group
        for k in unused:
            m = items[k].mention
            if m is not None and m.kind == "column" and measure_like(m) and not s.used[k]:
                col = m.columns[0]
                p.measures.append(Measure(default_agg(col, "desc"), col))
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
    taken = next((agg for agg in missing if agg in ("avg", "min", "max")), None)
    if taken is not None and not p.measures:
        word = {"avg": "average", "min": "minimum", "max": "maximum"}[taken]
        raise TranslationError(f"the question asks for an {word} but names nothing to take it of")
    if p.dims and not p.measures:
        table_k = next((k for k in unused if not s.used[k] and items[k].mention.kind == "table"), None)  # type: ignore[union-attr]
        if table_k is not None:
            p.measures.append(Measure("count", table=items[table_k].mention.table))  # type: ignore[union-attr]
            s.use(table_k)
        else:
            home = next((d.home for d in p.dims if d.column or d.table), None)
            if home is None:
                raise TranslationError("the question groups by time but names nothing to count or sum")
            p.measures.append(Measure("count", table=home))


def _direction(s: Assembler) -> None:
    """'highest first', 'in ascending order', 'from best to worst', 'alphabetically': the order of the answer."""
    p, items = s.plan, s.items
    direction = next((it.arg for it in items if it.kind == "dir"), None)
    if direction is not None or any(it.kind == "sort" for it in items):
        _sorted_groups(s)
    if direction in ("best", "worst"):  # best is the lowest delay or cost, the highest of anything else
        lower = p.measures and p.measures[0].column is not None and _lower_is_better(p.measures[0].column)
        direction = "asc" if (direction == "best") == bool(lower) else "desc"
        if p.order is not None:
            p.order = (p.order[0], direction)
    if direction is None or p.order is not None:
        return
    if p.measures:
        p.order = (p.measures[0], direction)
    elif p.columns:
        p.order = (p.columns[0], direction)
    elif len(p.tables()) == 1:  # 'list airlines alphabetically': by the rows' name
        table = s.catalog.tables[next(iter(p.tables()))]
        text = next((c for c in table.columns if c.kind == "text"), None)
        by = table.label or text
        if by is not None:
            p.order = (by, direction)


def _lower_is_better(col: Column) -> bool:
    return bool(set(words(col.name)) & WORSE_WHEN_HIGH)


def _sorted_groups(s: Assembler) -> None:
    """'Origins sorted by number of flights', 'islands from most to fewest penguins': the things sorted are the
    groups of the measure."""
    p = s.plan
    if not p.measures or p.dims or p.per_entity:
        return
    for k, it in enumerate(s.items):
        m = it.mention
        if s.used[k] or m is None:
            continue
        if m.kind == "column" and m.columns and (dim_like(m) or groupable(m)):
            dim = Dim(column=m.columns[0])
            s.choose(dim, m.columns)
        elif m.kind == "table" and m.table != p.measures[0].home:
            dim = Dim(table=m.table)
        else:
            continue
        p.dims.append(dim)
        s.use(k)
        if p.order is None:
            p.order = (p.measures[0], "asc")
        return


def _nested_average(s: Assembler) -> None:
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
        and any(p.measures[0].column is c for c in _additive(s))
    ):
        # 'average revenue per customer' is a total per customer, averaged; 'average salary per department'
        # (a row attribute, not a transaction amount) stays a grouped average
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


def _additive(s: Assembler) -> list[Column]:
    """Columns that are transaction amounts (revenue, quantities): summed per entity before averaging."""
    return [c for concept in ("revenue", "quantity") for c, _ in s.index.concept_columns(concept)]


def _listing(s: Assembler) -> None:
    p, items = s.plan, s.items
    named: list[Mention] = []
    subject: str | None = None
    first_named = True  # the table is named before any of its columns ('teams founded before 1900 with their city')
    for k, it in enumerate(items):
        m = it.mention
        if m is None or s.used[k]:
            continue
        if m.kind == "table" and subject is None:
            subject = m.table
            first_named = not named
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
    label = s.catalog.tables[subject].label if subject is not None and subject in s.catalog.tables else None
    asked_distinct = any(it.kind == "distinct" for it in items)
    if cols and label is not None and label not in cols and first_named and not asked_distinct:
        cols = [label, *cols]  # the rows asked about are named too, not just their attributes
    if cols:
        p.columns = list(dict.fromkeys(cols))
        p.distinct = asked_distinct or all(c.categorical for c in p.columns)
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


def _settle_columns(s: Assembler) -> None:
    """Pick among candidate columns the one nearest (in joins) to the other tables of the question."""
    measured = {m.home for m in s.plan.measures if m.column is not None}
    for key, (obj, candidates) in s.choices.items():
        anchors = _anchors(s.plan, key)
        home = measured - {obj.column.table} if isinstance(obj, Measure) and obj.column is not None else measured

        obj.column = min(
            candidates,
            key=lambda c, home=home, anchors=anchors, candidates=candidates: (  # type: ignore[misc]
                column_distance(s.catalog, c, home) if home else 0,  # the measured table's own column first
                column_distance(s.catalog, c, anchors),
                candidates.index(c),
            ),
        )


def _time_column(s: Assembler) -> Column | None:
    """The date column a time range or bucket applies to.

    First the table named right before the time phrase ('customers who placed orders in the last 3
    months': orders); then the measure's table or the nearest table with a date; among equally near
    tables, one that references another table of the question (an event: an order references its
    customer), then the larger one.
    """
    p = s.plan
    anchors = {m.home for m in p.measures if m.column is not None or m.table} or _anchors(p, 0)
    dates = [c for t in s.catalog.tables.values() for c in t.columns if c.is_temporal]
    own = [c for c in dates if c.table in anchors]
    years = [
        c
        for key in anchors
        if key in s.catalog.tables
        for c in s.catalog.tables[key].columns
        if c.is_numeric and "year" in words(c.name)
    ]
    if years and not own and all(op != "dow" for op, _ in p.time) and not any(d.bucket for d in p.dims):
        return years[0]  # 'planes built before 2000': the table's own integer year column
    attached = _attached_table(s)
    if attached is not None:
        return attached
    if not dates:
        return None
    every = _anchors(p, 0)

    def key(c: Column) -> tuple[int, bool, bool, int, int]:
        table = s.catalog.tables[c.table]
        event = any(fk.ref_table in every for fk in table.foreign_keys)
        return (column_distance(s.catalog, c, anchors), not event, c.nullable, -table.rows, dates.index(c))

    return min(dates, key=key)


def _attached_table(s: Assembler) -> Column | None:
    """The date column of a table named just before a time phrase or bucket ('orders in 2024')."""
    for k, it in enumerate(s.items):
        if it.kind not in ("time", "bucket") or k == 0:
            continue
        m = s.items[k - 1].mention
        if m is None or m.kind != "table" or m.table not in s.catalog.tables:
            continue
        own = [c for c in s.catalog.tables[str(m.table)].columns if c.is_temporal]
        if own:
            return min(own, key=lambda c: (c.nullable, own.index(c)))
    return None

"""Derived measures: percentages and shares, ratios of two groups, and durations between dates.

Passes over an assembled plan (`resolve.assemble` calls them): `share` turns the first measure into a
percentage (of rows meeting a condition, or of the total over groups) or a ratio of two values of one
column; `duration` reads 'days between the first and the last X' (the span of X's date) and 'days between
the start and end date' (the difference of two date columns, averaged or totalled).
"""

from __future__ import annotations

import re

from pgai_magic.catalog import Column
from pgai_magic.errors import TranslationError
from pgai_magic.nl2sql.lexicon import SYNONYMS
from pgai_magic.nl2sql.linking import stems
from pgai_magic.nl2sql.plan import Assembler
from pgai_magic.nl2sql.query import Measure
from pgai_magic.nl2sql.roles import measure_like
from pgai_magic.nl2sql.text import lemma

__all__ = ["duration", "never", "share"]

_SPAN_UNITS = {"day": 1.0, "week": 7.0, "hour": 1 / 24, "year": 365.25, "month": 30.4375, "minute": 1 / 1440}


def share(s: Assembler) -> None:
    """'percentage of flights from JFK', 'share of revenue by region', 'ratio of male to female penguins'.

    The conditions after the counted thing ('… of penguins that are female'), else those after the cue, else
    all of them ('男员工占比') make the numerator; the rest stay a WHERE. With no condition but groups, each
    group's percentage of the total. A ratio divides the rows of a column's first value by its second's."""
    cues = [k for k, it in enumerate(s.items) if it.kind == "pct"]
    if not cues:
        return
    s.use(*cues)
    p, k = s.plan, cues[0]
    p.fraction = s.items[k].arg == "fraction"
    subject = next(
        (
            j
            for j in range(k + 1, len(s.items))
            if (m := s.mention(j)) is not None and (m.kind in ("table", "concept") or measure_like(m))
        ),
        None,
    )
    if not p.measures:
        m = s.mention(subject) if subject is not None else None
        table = m.table if m is not None and m.kind == "table" else None
        table = table or next((f.column.table for f in p.filters if f.column is not None), None)
        if table is None:
            raise TranslationError("a percentage needs something to count or total")
        p.measures.append(Measure("count", table=table))
        if subject is not None:
            s.use(subject)
    rows = [f for f in p.filters if f.measure is None and f.column is not None]
    if s.items[k].arg == "ratio":
        pair = next((f for f in rows if len(f.values) == 2 and f.op == "=" and not f.negate), None)
        if pair is None:
            raise TranslationError("a ratio needs two values of one column ('ratio of male to female penguins')")
        pair.share = True
        p.share = "ratio"
        return
    conditions = [f for f in rows if f.at > k]
    after = [f for f in conditions if subject is not None and f.at > subject]
    numerator = after or conditions or ([] if p.dims else rows)
    if numerator:
        for f in numerator:
            f.share = True
        p.share = "rows"
    elif p.dims:
        p.share = "total"
    else:
        raise TranslationError("a percentage needs a condition or a grouping (percentage of what that is what?)")


def duration(s: Assembler) -> bool:
    """A duration asked in days (or weeks, hours…): True when the plan's measure was set from it.

    'days between the first and the last flight' -> the span (max - min) of the flights' date column;
    'average number of days between the start and end date' / 'how long did leaves last on average' -> the
    difference of the two date columns named (or the table's only two), averaged (summed for 'total',
    maximum for 'longest')."""
    toks = s.a.toks
    text = " ".join(t.text for t in toks)
    asked = re.search(r"\b(?:how many|number of|in) (day|week|hour|minute|month|year)s?\b", text)
    between = re.search(r"\b(day|week|hour|minute|month|year)s? (?:between|from)\b", text)
    if not (asked or between or re.search(r"\b(how long|duration|lasted|last on average)\b", text)):
        return False
    found = between or asked
    unit = found.group(1) if found else None
    dated = [
        (k, it.mention.columns[0])
        for k, it in enumerate(s.items)
        if it.mention is not None and it.mention.kind == "column" and it.mention.columns
        if it.mention.columns[0].is_temporal
    ]
    tables = [it.mention.table for it in s.items if it.mention is not None and it.mention.kind == "table"]
    words = {t.lemma for t in toks}
    agg = "sum" if words & {"total", "altogether", "sum"} else "max" if words & {"longest", "max"} else "avg"
    if "between" in words and words & {"first", "earliest"} and words & {"last", "latest"}:
        col = dated[0][1] if dated else _date_of(s, tables)
        if col is None:
            return False
        p_measure = Measure("span", col)
    else:
        pair = [c for _, c in dated][:2]
        if len(pair) < 2:
            pair = _start_end(s, tables)
        if len(pair) < 2:
            return False
        start, end = sorted(pair, key=lambda c: ("end" in c.name or "finish" in c.name or "to" in c.name, c.position))
        p_measure = Measure("diff", end, column2=start, inner=agg)
    p_measure.unit = unit or "day"
    for k, _ in dated:
        s.use(k)
    for k, it in enumerate(s.items):
        if it.kind in ("agg", "super") or (it.mention is not None and it.mention.kind == "table"):
            s.use(k)
    s.plan.measures = [p_measure]
    return True


def _date_of(s: Assembler, tables: list[str | None]) -> Column | None:
    for key in tables:
        table = s.catalog.tables.get(str(key))
        col = next((c for c in table.columns if c.is_temporal), None) if table else None
        if col is not None:
            return col
    return None


def _start_end(s: Assembler, tables: list[str | None]) -> list[Column]:
    """A table's start and end dates when it has exactly two ('leave requests': start_date, end_date)."""
    for key in tables or list(s.catalog.tables):
        table = s.catalog.tables.get(str(key))
        dates = [c for c in table.columns if c.is_temporal] if table else []
        if len(dates) == 2:
            return dates
    return []


def never(s: Assembler) -> None:
    """'products that have never been ordered', 'members who never borrowed a book': the subject's rows with no
    related row in the other table (a NOT EXISTS along the join path, built by build.anti_join).

    The other table is a table named after 'never', or the one a verb after it names ('ordered' -> orders,
    'borrowed' -> loans); TranslationError when there is none or no join path."""
    cues = [k for k, it in enumerate(s.items) if it.kind == "never"]
    if not cues:
        return
    k = cues[0]
    s.use(k)
    tables = [
        (j, it.mention.table) for j, it in enumerate(s.items) if it.mention is not None and it.mention.kind == "table"
    ]
    before = [(j, t) for j, t in tables if j < k]
    after = [(j, t) for j, t in tables if j > k]
    other = after[0] if after else None
    if other is None:
        verb = _table_of_verb(s, s.items[k].end)
        other = (-1, verb) if verb is not None else None
    subject = before[-1] if before else (after[1] if len(after) > 1 else None)
    if other is None or subject is None or other[1] == subject[1]:
        raise TranslationError("'never' needs two things: what has never done what ('products never ordered')")
    for j in (other[0], subject[0]):
        if j >= 0:
            s.use(j)
    s.plan.anti = str(other[1])
    if not s.plan.measures and not s.plan.columns:
        s.plan.subject = str(subject[1])


def _table_of_verb(s: Assembler, start: int) -> str | None:
    """The table a verb right after 'never' names: 'ordered' -> orders, 'borrowed' -> loans (by synonym)."""
    names = {lemma(t.name.split("_")[-1]): key for key, t in s.catalog.tables.items()}
    for tok in s.a.toks[start : start + 3]:
        for stem in (tok.lemma, *stems(tok.text)):
            for word in (stem, *SYNONYMS.get(stem, ()), *SYNONYMS.get(tok.text, ())):
                if lemma(word) in names:
                    return names[lemma(word)]
    return None

"""Variants of a filled sketch, so that shapes no train question had can still be candidates.

A template from the neighbours is often right but for one part: the other sort direction or comparison, a value
of the question left out, a column more or less in the select list. Each variant is one such edit; the ranker sees
which edit made it (`variant:<edit>`) and the question's words crossed with the new shape's keywords, and learns
when an edit is right (the edits are candidate generators, the ranker decides).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from pgai_magic.nl2sql.learned.link import Linked
from pgai_magic.nl2sql.learned.sketch import Cond, Item, Sketch

__all__ = ["usage", "variants"]

_FLIP = {">": "<", "<": ">", ">=": "<=", "<=": ">="}


def usage(linked: Linked, s: Sketch) -> dict[str, float]:
    """How much of the question `s` leaves unused: value hits (by span), numbers and quoted text."""
    q = linked.question
    values = [str(v) for v in _all_values(s)]
    numbers = [v for _, v in q.numbers()]
    used_nums = [v for v in _all_values(s) if isinstance(v, (int, float))] + _limits(s)
    left = list(numbers)
    for v in used_nums:
        if v in left:
            left.remove(v)
    spans = {h.start for h in q.hits if h.value not in values}
    spans -= {h.start for h in q.hits if h.value in values}
    quoted = [v for _, v in q.quoted() if v not in values and f"%{v}%" not in values]
    return {"hits_unused": float(len(spans)), "numbers_unused": float(len(left)), "quoted_unused": float(len(quoted))}


def _all_values(s: Sketch) -> list[Any]:
    out: list[Any] = []
    for part in (s, s.other) if s.other else (s,):
        conds = [*part.where, *([part.having] if part.having else [])]
        for c in conds:
            if isinstance(c.value, tuple):
                out += list(c.value)
            elif not isinstance(c.value, Item):
                out.append(c.value)
    return out


def _limits(s: Sketch) -> list[int]:
    parts = (s, s.other) if s.other else (s,)
    return [p.limit for p in parts if p is not None and p.limit is not None and p.limit != 1]


def variants(linked: Linked, s: Sketch) -> list[tuple[Sketch, str]]:
    """One-edit variants of the filled sketch `s`, each with the name of its edit."""
    out: list[tuple[Sketch, str]] = []
    if s.order is not None:
        out.append((replace(s, order=(s.order[0], not s.order[1])), "flip_order"))
    for k, c in enumerate(s.where):
        if c.op in _FLIP and not isinstance(c.value, Item):
            where = list(s.where)
            where[k] = replace(c, op=_FLIP[c.op])
            out.append((replace(s, where=tuple(where)), "flip_cmp"))
            break
    values = {str(v) for v in _all_values(s)}
    added: set[int] = set()
    for h in linked.question.hits:
        key = _key(linked, h.column)
        if h.value in values or h.start in added or key is None:
            continue
        added.add(h.start)
        cond = Cond(Item(key), "=", h.value)
        out.append((replace(s, where=(*s.where, cond)), "add_hit"))
    out += _select_edits(linked, s)
    return out


def _key(linked: Linked, column: Any) -> str | None:
    return next((k for k, c in linked.columns.items() if c is column), None)


def _select_edits(linked: Linked, s: Sketch) -> list[tuple[Sketch, str]]:
    """Add the likeliest select column not in the query; drop the least likely plain select column."""
    out: list[tuple[Sketch, str]] = []
    have = set(s.columns())
    spare = [k for k in linked.columns if k not in have and linked.logits[k]["select"] > -1.0]
    if spare and s.other is None:
        best = max(spare, key=lambda k: linked.logits[k]["select"])
        out.append((replace(s, select=(*s.select, Item(best))), "add_select"))
    plain = [i for i in s.select if i.column is not None and not i.agg]
    if len(s.select) > 1 and plain and s.other is None:
        worst = min(plain, key=lambda i: linked.logits[i.column or ""]["select"])
        select = tuple(i for i in s.select if i is not worst)
        if all(i.column not in s.group for i in [worst]) or len(select) > 0:
            out.append((replace(s, select=select), "drop_select"))
    return out

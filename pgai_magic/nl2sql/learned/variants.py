"""Variants of a filled sketch, so that shapes no train question had can still be candidates.

A template from the neighbours is often right but for one part: the other sort direction or comparison (in WHERE
or HAVING), a value or number of the question left out, a column more or less in the select list, DISTINCT, the
count of each group. Each variant is one such edit; the ranker sees
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
# the comparison a number asks for, read from the few words before it (candidate generation; the ranker decides)
_MORE = frozenset({"more", "greater", "larger", "bigger", "higher", "above", "over", "exceed", "after", "older", ">"})
_LESS = frozenset({"less", "fewer", "smaller", "lower", "below", "under", "before", "younger", "shorter", "<"})
_AT_LEAST = frozenset({"least", "most", ">=", "<="})


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
            elif isinstance(c.value, Sketch):
                out += _all_values(c.value)
            elif not isinstance(c.value, Item):
                out.append(c.value)
    return out


def _limits(s: Sketch) -> list[int]:
    parts = [s, *([s.other] if s.other else []), *s.subqueries()]
    return [p.limit for p in parts if p.limit is not None and p.limit != 1]


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
    if s.having is not None and s.having.op in _FLIP:
        out.append((replace(s, having=replace(s.having, op=_FLIP[s.having.op])), "flip_having"))
    if not any(i.agg for i in s.select) and s.other is None:
        out.append((replace(s, distinct=not s.distinct), "toggle_distinct"))
    if s.group and s.other is None and not any(i.agg == "count" and i.column is None for i in s.select):
        out.append((replace(s, select=(*s.select, Item(None, "count"))), "add_count"))
    values = {str(v) for v in _all_values(s)}
    added: set[int] = set()
    for h in linked.question.hits:
        key = _key(linked, h.column)
        if h.value in values or h.start in added or key is None:
            continue
        added.add(h.start)
        cond = Cond(Item(key), "=", h.value)
        out.append((replace(s, where=(*s.where, cond)), "add_hit"))
    out += _number_edits(linked, s)
    out += _select_edits(linked, s)
    return out


def _op_before(linked: Linked, at: int) -> str:
    """The comparison the words just before the number at token `at` ask for ('more than 4' -> '>'), '=' when none."""
    before = {t.lemma for t in linked.question.toks[max(0, at - 4) : at] if t.kind in ("word", "sym")}
    if before & _AT_LEAST:
        return ">=" if before & {"least", ">="} else "<="
    if before & _MORE:
        return ">"
    if before & _LESS:
        return "<"
    return "="


def _number_edits(linked: Linked, s: Sketch) -> list[tuple[Sketch, str]]:
    """For a number of the question the sketch leaves unused: `c op n` added to the WHERE (the likeliest numeric
    column not compared yet, the comparison its preceding words ask for); and one variant that adds a condition
    for every unused value (value hits as `=`, numbers as above): shapes whose WHERE no neighbour had."""
    q = linked.question
    used = [v for v in _all_values(s) if isinstance(v, (int, float))] + _limits(s)
    spare: list[tuple[int, Any]] = []
    for at, v in q.numbers():
        if v in used:
            used.remove(v)
        else:
            spare.append((at, v))
    compared = {c.item.column for c in s.where}
    numeric = [k for k, c in linked.columns.items() if c.kind == "number" and k not in compared]
    numeric.sort(key=lambda k: -linked.logits[k]["where"])
    out: list[tuple[Sketch, str]] = []
    conds: list[Cond] = []
    for (at, v), col in zip(spare, numeric):
        cond = Cond(Item(col), _op_before(linked, at), v)
        conds.append(cond)
        out.append((replace(s, where=(*s.where, cond)), "add_num"))
    values = {str(v) for v in _all_values(s)}
    taken = {c.item.column for c in conds} | compared
    for h in linked.question.hits:
        key = _key(linked, h.column)
        if h.value in values or key is None or key in taken:
            continue
        taken.add(key)
        values.add(h.value)
        conds.append(Cond(Item(key), "=", h.value))
    if len(conds) > 1 and s.other is None and (s.conj == "and" or len(s.where) < 2):
        out.append((replace(s, where=(*s.where, *conds), conj="and"), "add_all"))
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

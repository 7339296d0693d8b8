"""Candidate SQL for a question: sketch templates voted by neighbouring train questions, filled with linked columns.

Each column of the catalog gets a logit per role (select, where, group, order) from the role models; a template's
column variables take distinct columns maximising the sum of the logits of their roles, under type constraints
(a variable compared with a number or summed is numeric; one compared with text is text), which is the most likely
assignment under independent role models. Values come from the question: stored values written in it (for the
column they belong to), quoted text, numbers in order. The candidate's score adds the log of its template's vote
among the neighbours (the skeleton prediction of RESDSQL, Li et al. AAAI 2023, by nearest neighbours on the masked
question as DAIL-SQL, Gao et al. VLDB 2024, selects examples) and the neighbours' vote on the candidate's own
skeleton and keywords (rank.py), which a one-edit variant does not share with its template.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from dataclasses import dataclass, field, replace
from typing import Any

from pgai_magic.catalog import Column
from pgai_magic.nl2sql.learned.link import ROLES, Linked, link
from pgai_magic.nl2sql.learned.model import LearnedModel
from pgai_magic.nl2sql.learned.nested import key_options, key_variables
from pgai_magic.nl2sql.learned.rank import atoms, shape_features, shape_vote
from pgai_magic.nl2sql.learned.render import render, split_key
from pgai_magic.nl2sql.learned.sketch import Cond, Item, Sketch, roles
from pgai_magic.nl2sql.learned.variants import usage, variants

__all__ = ["ROLES", "Candidate", "Linked", "candidates", "link"]

_PER_VAR = 4  # columns tried per variable
_NUMERIC_OPS = {">", "<", ">=", "<=", "between"}


@dataclass
class Candidate:
    """A filled sketch, its SQL, its score (log-likelihood, higher is better) and the features behind it."""

    sketch: Sketch
    sql: str
    score: float
    features: dict[str, float] = field(default_factory=dict)
    skeleton: str = ""
    tables: tuple[str, ...] = ()  # tables added beyond those of the columns
    extra: tuple[str, ...] = ()  # of them, those of the query itself
    other: tuple[str, ...] = ()  # and those of its set-operation partner


def _constraints(template: Sketch) -> dict[str, str]:
    """'number' or 'text' for the variables the template's use constrains."""
    need: dict[str, str] = {}
    for part in _parts(template):
        for it in part.select:
            if it.column and it.agg in ("sum", "avg"):
                need[it.column] = "number"
        for c in part.where:
            col = c.item.column
            if col is None:
                continue
            if c.op in _NUMERIC_OPS or (isinstance(c.value, (int, float)) and not isinstance(c.value, bool)):
                need[col] = "number"
            elif c.op == "like" or c.value == "v":
                need.setdefault(col, "text")
    return need


def _parts(s: Sketch) -> list[Sketch]:
    """`s`, its set-operation partner and its IN subqueries (recursively)."""
    out = [s]
    for sub in [*([s.other] if s.other else []), *s.subqueries()]:
        out += _parts(sub)
    return out


def _fits(c: Column, kind: str | None) -> bool:
    if kind == "number":
        return c.kind == "number"
    if kind == "text":
        return c.kind in ("text", "other")
    return True


def _assignments(linked: Linked, template: Sketch, best: int = 2) -> list[tuple[float, dict[str, str]]]:
    """The `best` assignments of columns to the template's variables: (sum of role logits, {var: column key})."""
    var_roles = roles(template)
    key_vars = key_variables(template)
    variables = [v for v in template.columns() if v not in key_vars]
    need = _constraints(template)
    options = []
    for v in variables:
        scored = [
            (sum(linked.logits[k][r] for r in var_roles.get(v, ())), k)
            for k, c in linked.columns.items()
            if _fits(c, need.get(v))
        ]
        scored.sort(reverse=True)
        if not scored:
            return []
        options.append(scored[:_PER_VAR])
    found = []
    for combo in itertools.product(*options):
        keys = [k for _, k in combo]
        if len(set(keys)) != len(keys):
            continue
        found.append((sum(s for s, _ in combo), dict(zip(variables, keys))))
    found.sort(key=lambda x: -x[0])
    return [
        (score + extra, full)
        for score, mapping in found[:best]
        for extra, full in key_options(linked, template, mapping)
    ]


def _fill_values(linked: Linked, s: Sketch) -> tuple[Sketch, dict[str, float]] | None:
    """`s` with its WHERE/HAVING/LIMIT values taken from the question; None when a value cannot be found."""
    q = linked.question
    numbers = [v for _, v in q.numbers()]
    quoted = [v for _, v in q.quoted()]
    used_hits: set[int] = set()
    stats = {"values_from_hits": 0.0, "values_quoted": 0.0, "values_missing": 0.0}

    def text_value(col: str | None) -> str | None:
        for k, h in enumerate(q.hits):
            if k not in used_hits and col is not None and linked.columns.get(col) is h.column:
                used_hits.add(k)
                stats["values_from_hits"] += 1
                return h.value
        if quoted:
            stats["values_quoted"] += 1
            return quoted.pop(0)
        return None

    def cond(c: Cond) -> Cond | None:
        if isinstance(c.value, Item):
            return c
        if isinstance(c.value, Sketch):
            sub = part(c.value)
            return None if sub is None else replace(c, value=sub)
        if isinstance(c.value, tuple):
            if len(numbers) < 2:
                return None
            return replace(c, value=(numbers.pop(0), numbers.pop(0)))
        if c.value == "v":
            value = text_value(c.item.column)
            return None if value is None else replace(c, value=value)
        if not numbers:
            return None
        return replace(c, value=numbers.pop(0))

    def part(p: Sketch) -> Sketch | None:
        where = [cond(c) for c in p.where]
        if any(c is None for c in where):
            return None
        having = cond(p.having) if p.having else None
        if p.having and having is None:
            return None
        limit = p.limit
        if limit is not None and limit != 1:
            if not numbers:
                return None
            limit = int(numbers.pop(0))
        other = part(p.other) if p.other else None
        if p.other and other is None:
            return None
        return replace(p, where=tuple(c for c in where if c), having=having, limit=limit, other=other)

    filled = part(s)
    if filled is None:
        return None
    stats["hits_unused"] = float(len({h.start for k, h in enumerate(q.hits)} - {q.hits[k].start for k in used_hits}))
    stats["numbers_unused"] = float(len(numbers))
    stats["quoted_unused"] = float(len(quoted))
    return filled, stats


def _count_tables(linked: Linked, s: Sketch) -> list[list[str]]:
    """Tables to add for a `count(*)`: with no column, each of the two likeliest tables; with columns, none or the
    likeliest table their FROM lacks (the table whose rows are counted)."""
    ranked = sorted(linked.tables, key=lambda k: -linked.tables[k])
    if not _has_star(s):
        return [[]]
    have = {split_key(c)[0] for c in s.own_columns()}
    if not have:
        return [[t] for t in ranked[:2]]
    missing = [t for t in ranked if t not in have][:1]
    return [[], missing] if missing else [[]]


def _extra_tables(linked: Linked, s: Sketch) -> list[tuple[list[str], list[str]]]:
    """(extra tables of the query, extra tables of its set-operation partner): `_count_tables`, and for
    EXCEPT / INTERSECT a partner whose columns are all the first query's: none or the likeliest other table."""
    out: list[tuple[list[str], list[str]]] = [(extra, []) for extra in _count_tables(linked, s)]
    if s.other is not None and s.setop in ("except", "intersect") and not s.other.where:
        have = {split_key(c)[0] for c in s.other.own_columns()}
        ranked = [t for t in sorted(linked.tables, key=lambda k: -linked.tables[k]) if t not in have][:2]
        out += [(extra, [t]) for extra, _ in out[:1] for t in ranked]
    return out


def _has_star(s: Sketch) -> bool:
    items = [*s.select, *(c.item for c in s.where)]
    items += [s.having.item] if s.having else []
    items += [s.order[0]] if s.order else []
    return any(i.column is None for i in items)


def _cross(words: set[str], skeleton: str) -> dict[str, float]:
    return {f"x:{w}|{a}": 1.0 for w in words for a in atoms(skeleton)}


def _fit(linked: Linked, s: Sketch) -> float:
    """The sum of the role logits of `s`'s columns for the roles they have in it."""
    return sum(sum(linked.logits[c][r] for r in rs if r in ROLES) for c, rs in roles(s).items() if c in linked.logits)


def _fit_parts(linked: Linked, s: Sketch) -> dict[str, float]:
    """Per role: the sum and the least of the logits of the columns in that role, and how many columns the role
    model thinks likely (logit > 0) the sketch leaves out of that role."""
    used = roles(s)
    out: dict[str, float] = {}
    for r in ROLES:
        mine = [linked.logits[c][r] for c, rs in used.items() if r in rs and c in linked.logits]
        if mine:
            out[f"fit_{r}"] = sum(mine)
            out[f"least_{r}"] = min(mine)
        out[f"missed_{r}"] = float(
            sum(1 for c, lg in linked.logits.items() if lg[r] > 0 and r not in used.get(c, set()))
        )
    return out


def _shapes(linked: Linked, template: Sketch) -> list[tuple[Sketch, str]]:
    """The template filled by its best column assignments, and the one-edit variants of each (variants.py)."""
    out: list[tuple[Sketch, str]] = []
    for _, mapping in _assignments(linked, template):
        got = _fill_values(linked, template.rename(mapping))
        if got is None:
            continue
        filled = got[0]
        out.append((filled, "base"))
        out += variants(linked, filled)
    return out


def candidates(
    linked: Linked, model: LearnedModel, *, k: int = 30, top: int = 20, exclude: int = -1, rendered: int = 16
) -> list[Candidate]:
    """Candidate SQL, best first: the `top` templates voted by the `k` nearest train questions (none from group
    `exclude`), filled and varied, scored by the ranker (a logistic regression over candidate features and the
    question's words crossed with the shape's keywords); only the best `rendered` are written as SQL (those whose
    tables foreign keys do not connect are passed over)."""
    votes: dict[int, float] = defaultdict(float)
    near = model.index.query(linked.masked, k, exclude)
    for label, sim in near:
        votes[label] += max(sim, 0.0) ** 2
    total = sum(votes.values()) or 1.0
    vote_of = shape_vote(model.skeletons, near)
    ranked = sorted(votes.items(), key=lambda kv: -kv[1])[:top]
    words = {t.lemma for t in linked.question.toks if t.kind == "word"} | set(linked.masked)
    out: list[Candidate] = []
    seen: set[Any] = set()
    for rank, (label, vote) in enumerate(ranked):
        for shape, edit in _shapes(linked, model.templates[label]):
            skeleton = shape.skeleton()
            cross = _cross(words, skeleton)
            by_shape = shape_features(vote_of, skeleton)
            fit = _fit(linked, shape)
            parts = _fit_parts(linked, shape)
            n_vars = len(shape.columns())
            for extra, other in _extra_tables(linked, shape):
                key = (shape, tuple(extra), tuple(other))
                if key in seen:
                    continue
                seen.add(key)
                share = vote / total
                feats = {
                    "vote": share,
                    "log_vote": math.log(share + 1e-6),
                    "rank": float(rank),
                    "fit": fit,
                    "fit_mean": fit / max(1, n_vars),
                    "n_vars": float(n_vars),
                    "top_sim": near[0][1] if near else 0.0,
                    "n_tables": float(len({split_key(c)[0] for c in shape.columns()} | set(extra))),
                    "count_table": sum(linked.tables[t] for t in extra),
                    "added_table": float(bool(extra)),
                    "other_table": sum(linked.tables[t] for t in other),
                    f"variant:{edit}": 1.0,
                    **usage(linked, shape),
                    **parts,
                    **by_shape,
                }
                if model.ranker is not None:
                    score = model.ranker.logit({**feats, **cross})
                else:
                    score = feats["log_vote"] + fit - 2.0 * feats["hits_unused"] - 1.5 * feats["numbers_unused"]
                cand = Candidate(shape, "", score, feats, skeleton)
                cand.tables = tuple(extra) + tuple(other)
                cand.extra, cand.other = tuple(extra), tuple(other)
                out.append(cand)
    out.sort(key=lambda c: -c.score)
    return _render_best(linked, out, rendered)


def _render_best(linked: Linked, ranked: list[Candidate], limit: int) -> list[Candidate]:
    """The first `limit` of `ranked` that render (their SQL set), one per distinct SQL."""
    out: list[Candidate] = []
    seen: set[str] = set()
    for cand in ranked:
        if len(out) >= limit:
            break
        tree = render(cand.sketch, linked.catalog, cand.extra, cand.other, linked.prefer)
        if tree is None:
            continue
        cand.sql = tree.sql(dialect="postgres")
        if cand.sql not in seen:
            seen.add(cand.sql)
            out.append(cand)
    return out


def summarise(cands: list[Candidate]) -> dict[str, Any]:
    """Margin features of the best candidate against the next ones (for the confidence model)."""
    if not cands:
        return {}
    best = cands[0]
    nxt = next((c for c in cands[1:] if c.sql != best.sql), None)
    return {"margin": best.score - nxt.score if nxt else 10.0, "n_cands": float(len(cands))}

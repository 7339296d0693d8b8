"""The keys of `c [NOT] IN (SELECT k FROM …)` conditions, taken from the catalog's foreign keys.

In a nested sketch the two columns an IN compares are a foreign key and the key it references ("architects who
built no mill": `architect.id NOT IN (SELECT mill.architect_id FROM mill)`); they are rarely named in the question,
so they are not linked by the role models but chosen among the single-column foreign keys between the outer
query's tables and the subquery's, scored by the table model's logits of the two sides.
"""

from __future__ import annotations

from pgai_magic.nl2sql.learned.link import Linked
from pgai_magic.nl2sql.learned.render import split_key
from pgai_magic.nl2sql.learned.sketch import Sketch, in_keys, roles

__all__ = ["key_options", "key_variables"]

_OPTIONS = 2  # key pairs kept per IN condition
_OUTSIDE = -2.0  # score of a key on a table the other columns of its side do not use


def key_variables(template: Sketch) -> set[str]:
    """The template's variables that are IN keys (outer column and subquery select columns)."""
    return {v for outer, inner in in_keys(template) for v in (outer, *inner)}


def _side_tables(template: Sketch, mapping: dict[str, str], keys: set[str]) -> tuple[set[str], set[str]]:
    """(tables of the outer query's linked columns, tables of the subquery's linked columns) of the first IN."""
    cond = next(c for c in template.where if isinstance(c.value, Sketch) and c.op == "in")
    assert isinstance(cond.value, Sketch)
    sub = {split_key(mapping[v])[0] for v in cond.value.columns() if v not in keys and v in mapping}
    outer = {split_key(mapping[v])[0] for v in template.own_columns() if v not in keys and v in mapping}
    return outer, sub


def _side(table: str, linked: Linked, wanted: set[str]) -> float:
    return linked.tables.get(table, 0.0) + (0.0 if not wanted or table in wanted else _OUTSIDE)


def key_options(linked: Linked, template: Sketch, mapping: dict[str, str]) -> list[tuple[float, dict[str, str]]]:
    """Up to two (score, mapping with the IN keys filled) for a template whose other variables `mapping` fills;
    [(0.0, mapping)] when the template has no IN; [] when no foreign key fits."""
    pairs = in_keys(template)
    if not pairs:
        return [(0.0, mapping)]
    keys = key_variables(template)
    outer_tables, sub_tables = _side_tables(template, mapping, keys)
    uses = roles(template)  # a key also selected or grouped ("ids of students who …") is scored in that role too
    outer_roles = {r for outer_var, _ in pairs for r in uses.get(outer_var, ())}
    found: list[tuple[float, tuple[str, str]]] = []
    for fk in linked.catalog.foreign_keys():
        if len(fk.columns) != 1 or fk.table == fk.ref_table:
            continue
        child, parent = f"{fk.table}.{fk.columns[0]}", f"{fk.ref_table}.{fk.ref_columns[0]}"
        for outer, inner in ((parent, child), (child, parent)):
            ot, it = split_key(outer)[0], split_key(inner)[0]
            score = _side(ot, linked, outer_tables) + _side(it, linked, sub_tables)
            score += sum(linked.logits[outer][r] for r in outer_roles if outer in linked.logits)
            found.append((score, (outer, inner)))
    found.sort(key=lambda f: -f[0])
    out = []
    for score, (outer, inner) in found[:_OPTIONS]:
        filled = dict(mapping)
        for outer_var, inner_vars in pairs:
            filled[outer_var] = outer
            filled.update(dict.fromkeys(inner_vars, inner))
        out.append((score, filled))
    return out

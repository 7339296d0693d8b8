"""Measures defined by others: rows where a primary measure equals the product or the sum of two other measures.

A correlation between revenue and the unit_price it is computed from (revenue = units × unit_price) is true
but follows from the definition: the ranking counts it as unsurprising and its text says why. The check is
row by row inside the profile scan (count of rows that satisfy the identity within rounding), not inferred
from names.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

from psycopg import sql

from pgai_magic.insights.model import Profile
from pgai_magic.insights.semantics import name_words

__all__ = [
    "IDENTITY_SHARE",
    "MAX_IDENTITY_AGGS",
    "NEAR_R",
    "defined_by",
    "echo_of",
    "identity_aggs",
    "near",
    "near_clusters",
    "near_identities",
    "read_identities",
]

IDENTITY_SHARE = 0.99  # the identity holds in at least this share of the rows where all three are present
REL_TOL = 1e-3  # relative tolerance, plus half a cent of absolute rounding
ABS_TOL = 0.006
MAX_IDENTITY_AGGS = 120  # a bound on the extra aggregates per scan (many measures: the checked pairs are cut)
OPS = {"*": "×", "+": "+"}
NEAR_R = 0.95  # |r| from which two measures are one quantity (two units, one computed from the other)
NEAR_R_NAMED = 0.9  # and from which two measures whose names share a word are (dep_delay, arr_delay)


def _candidates(profile: Profile) -> list[tuple[str, str, str, str]]:
    names = [m.name for m in profile.measures]
    out = []
    for c in profile.primary:
        if c not in names:
            continue
        for a, b in itertools.combinations([n for n in names if n != c], 2):
            out += [(c, a, b, op) for op in OPS]
    return out[:MAX_IDENTITY_AGGS]


def identity_aggs(profile: Profile, v: dict[str, sql.Identifier]) -> list[tuple[sql.Composable, str, str]]:
    """Aggregates (expression, name, rollup) counting, for each primary measure c and pair of other measures
    (a, b), the rows where c = a × b and where c = a + b within rounding; `v` maps a measure to its centred
    column in the scan's inner select."""

    def raw(name: str) -> sql.Composable:
        return sql.SQL("({} + {})").format(v[name], sql.Literal(profile.measure(name).center))

    aggs: list[tuple[sql.Composable, str, str]] = []
    for c, a, b, op in _candidates(profile):
        cond = sql.SQL("abs({c} - {a} {op} {b}) <= {rel} * abs({c}) + {abs}").format(
            c=raw(c), a=raw(a), b=raw(b), op=sql.SQL(op), rel=sql.Literal(REL_TOL), abs=sql.Literal(ABS_TOL)
        )
        aggs.append((sql.SQL("count(*) FILTER (WHERE {})::float8").format(cond), f"id{op}:{c}|{a}|{b}", "sum"))
    return aggs


def read_identities(profile: Profile, row: Mapping[Any, Any]) -> dict[str, dict[str, Any]]:
    """{measure: {"a", "b", "op", "share"}} for each primary measure that is the product or sum of two others
    in at least IDENTITY_SHARE of its non-NULL rows (the first identity found, products before sums)."""
    found: dict[str, dict[str, Any]] = {}
    for c, a, b, op in _candidates(profile):
        nn = float(row.get(f"nn:{c}") or 0.0)
        hits = float(row.get(f"id{op}:{c}|{a}|{b}") or 0.0)
        if c in found or nn < 3 or hits / nn < IDENTITY_SHARE:
            continue
        found[c] = {"a": a, "b": b, "op": OPS[op], "share": hits / nn}
    return found


def defined_by(wide: dict[str, Any] | None, x: str, y: str) -> str | None:
    """The identity that makes x and y move together by definition ("revenue = units × unit_price"), if any."""
    for c, other in ((x, y), (y, x)):
        ident = (wide or {}).get("identities", {}).get(c)
        if ident and other in (ident["a"], ident["b"]):
            return f"{c} = {ident['a']} {ident['op']} {ident['b']} in {ident['share']:.1%} of rows"
    return None


def near_identities(corr: Mapping[tuple[str, str], Mapping[str, Any]]) -> list[tuple[str, str, float]]:
    """Pairs of measures that are nearly one quantity: |r| ≥ NEAR_R (the same quantity in two units, one computed
    from the other: air_time and distance), or |r| ≥ NEAR_R_NAMED when their names share a word (a departure and
    an arrival delay). They are stated once in the overview, not reported as findings."""
    out = []
    for (a, b), v in corr.items():
        r = v.get("corr")
        if r is None:
            continue
        shared = set(name_words(a)) & set(name_words(b))
        if abs(r) >= NEAR_R or (abs(r) >= NEAR_R_NAMED and shared):
            out.append((a, b, float(r)))
    return out


def near_clusters(pairs: list[tuple[str, str, float]]) -> list[list[str]]:
    """The groups of measures joined by near-identities (connected components, columns in first-seen order): the
    radius, perimeter and area of one contour are one quantity three times, and so is any pair among them."""
    group: dict[str, int] = {}
    members: list[list[str]] = []
    for a, b, _ in pairs:
        ga, gb = group.get(a), group.get(b)
        if ga is None and gb is None:
            group[a] = group[b] = len(members)
            members.append([a, b])
        elif gb is None:
            group[b] = ga  # type: ignore[assignment]
            members[ga].append(b)  # type: ignore[index]
        elif ga is None:
            group[a] = gb
            members[gb].append(a)
        elif ga != gb:
            for c in members[gb]:
                group[c] = ga
            members[ga] += members[gb]
            members[gb] = []
    return [m for m in members if m]


def near(wide: Mapping[str, Any] | None, x: str, y: str) -> float | None:
    """The r of a near-identity between x and y, if they are one, or lie in one group of near-identities (then the
    smallest |r| that joins the group)."""
    pairs = (wide or {}).get("near", [])
    for a, b, r in pairs:
        if {a, b} == {x, y}:
            return r
    for cluster in near_clusters(pairs):
        if x in cluster and y in cluster:
            return min((r for a, b, r in pairs if a in cluster), key=abs)
    return None


def echo_of(wide: Mapping[str, Any] | None, name: str) -> str | None:
    """The first measure of the near-identity group `name` lies in, when that is another one: its shape (skew,
    outliers) is the same quantity's shape again (pop and pop16)."""
    for cluster in near_clusters((wide or {}).get("near", [])):
        if name in cluster and cluster[0] != name:
            return cluster[0]
    return None

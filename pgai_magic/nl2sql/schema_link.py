"""The linked part of a schema for an LLM prompt: the tables a question links to, the tables on the join paths
between them (declared and inferred foreign keys), and the joins themselves.

Tables come from two readers of the question: the translator's links (names, synonyms, comments, values), and a
lexical match of the question's words against every table's name, column names, comment and stored values (so a
word the translator did not link -- "invoices" for `patient_invoices`, "withdrawals" for the value 'withdrawal'
-- still brings its table). Join paths are the shortest paths over the foreign-key graph (at most `MAX_HOPS`).
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace

from pgai_magic.catalog import Catalog, ForeignKey, Table

__all__ = ["MAX_HOPS", "holding", "join_lines", "join_paths", "lexical_tables", "stems"]

MAX_HOPS = 3  # a join path longer than this is not followed (tables that far apart rarely answer one question)
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_GENERIC = frozenset(
    "a an the of in on at by for to from per each every with and or is are was were be been do does did what which "
    "who whom how many much most least more less than over under above below all any some show list give find get "
    "total number count sum average avg mean max maximum min minimum top bottom first last latest "
    "id ids code name names type date day days year years month months time value values amount".split()
)
_NAME_WEIGHT, _VALUE_WEIGHT, _COLUMN_WEIGHT, _COMMENT_WEIGHT = 1.0, 1.0, 0.5, 0.3
_SHARED_VALUE_WEIGHT = 0.4  # a value stored in more than two tables ('Berlin' as a city everywhere) says little
_ENOUGH = 1.0  # a table is linked lexically from this score (its name, a value, or two of its columns)


def stems(text: str) -> set[str]:
    """Lower-case words of `text` with a plural 's', 'es' or 'ies' removed ('invoices' -> 'invoice'), no generic
    words ('total', 'number', 'id', ...)."""
    out = set()
    for word in _WORD.findall(text.lower()):
        if word in _GENERIC or len(word) < 2:
            continue
        if word.endswith("ies") and len(word) > 4:
            word = word[:-3] + "y"
        elif word.endswith(("ses", "xes", "ches", "shes")):
            word = word[:-2]
        elif word.endswith("s") and not word.endswith("ss") and len(word) > 3:
            word = word[:-1]
        if word not in _GENERIC:
            out.add(word)
    return out


def _matched_values(table: Table, words: set[str]) -> set[str]:
    """The stored values of the table's categorical columns that the question's words spell out."""
    found = set()
    for column in table.columns:
        if column.values and column.categorical:
            found |= {v for v in column.values if (vs := stems(v)) and vs <= words}
    return found


def _score(table: Table, words: set[str], values: set[str], shared: set[str]) -> float:
    score = _NAME_WEIGHT * bool(stems(table.name) & words)
    score += _COMMENT_WEIGHT * bool(stems(table.comment or "") & words)
    score += sum(_COLUMN_WEIGHT for column in table.columns if stems(column.name) & words)
    score += sum(_SHARED_VALUE_WEIGHT if v in shared else _VALUE_WEIGHT for v in values)
    return score


def lexical_tables(catalog: Catalog, question: str, *, near: Sequence[str] = (), most: int = 6) -> list[str]:
    """The tables whose name, values, columns or comment the question's words match well enough, best first.

    With `near` (tables already linked), a table matched only through column names or its comment is kept only
    when a join path (at most MAX_HOPS) reaches one of them; one the question names, or one holding a value the
    question spells out (a value no more than two tables hold), is always kept.
    """
    words = stems(question)
    if not words:
        return []
    values = {key: _matched_values(t, words) for key, t in catalog.tables.items()}
    seen: dict[str, int] = {}
    for found in values.values():
        for v in found:
            seen[v] = seen.get(v, 0) + 1
    shared = {v for v, n in seen.items() if n > 2}
    scored = []
    for key, table in catalog.tables.items():
        score = _score(table, words, values[key], shared)
        if score >= _ENOUGH:
            strong = bool(stems(table.name) & words) or bool(values[key] - shared)
            scored.append((score, key, strong))
    scored.sort(key=lambda item: (-item[0], item[1]))
    graph = _neighbours(catalog) if near else {}
    kept = [
        key
        for _score_, key, strong in scored
        if not near or strong or key in near or any(_path(graph, key, other) is not None for other in near)
    ]
    return kept[:most]


def _neighbours(catalog: Catalog) -> dict[str, list[str]]:
    graph: dict[str, list[str]] = {key: [] for key in catalog.tables}
    for key, table in catalog.tables.items():
        for fk in table.foreign_keys:
            if fk.ref_table in graph and fk.ref_table != key:
                graph[key].append(fk.ref_table)
                graph[fk.ref_table].append(key)
    return graph


def _path(graph: dict[str, list[str]], start: str, goal: str) -> list[str] | None:
    """The shortest path from `start` to `goal` (both included), at most MAX_HOPS joins; None when none."""
    previous: dict[str, str | None] = {start: None}
    queue = deque([(start, 0)])
    while queue:
        node, hops = queue.popleft()
        if node == goal:
            path = [node]
            while previous[path[-1]] is not None:
                path.append(previous[path[-1]])  # type: ignore[arg-type]
            return path[::-1]
        if hops == MAX_HOPS:
            continue
        for nxt in sorted(graph.get(node, [])):
            if nxt not in previous:
                previous[nxt] = node
                queue.append((nxt, hops + 1))
    return None


def join_paths(catalog: Catalog, tables: Iterable[str]) -> list[str]:
    """`tables` and the tables on the shortest join paths that connect each to the ones before it (a table no
    path reaches stays, unconnected), in order: the given tables first."""
    chosen = [t for t in dict.fromkeys(tables) if t in catalog.tables]
    graph = _neighbours(catalog)
    out = list(chosen[:1])
    for table in chosen[1:]:
        paths = [p for p in (_path(graph, table, other) for other in out) if p is not None]
        best = min(paths, key=len) if paths else [table]
        out.extend(t for t in best if t not in out)
    return out


def join_lines(catalog: Catalog, tables: Iterable[str]) -> list[str]:
    """'orders.customer_id = customers.customer_id' for each foreign key between `tables`; inferred keys (not
    declared, found from names and values) are marked '(inferred)'."""
    chosen = set(tables)
    lines = []
    for key in dict.fromkeys(tables):
        table = catalog.tables.get(key)
        if table is None:
            continue
        for fk in table.foreign_keys:
            if fk.ref_table in chosen:
                lines.append(_join_text(catalog, fk))
    return lines


def _join_text(catalog: Catalog, fk: ForeignKey) -> str:
    left, right = catalog.tables[fk.table], catalog.tables[fk.ref_table]
    name = catalog.sql_name
    pairs = " AND ".join(
        f"{name(left)}.{a} = {name(right)}.{b}" for a, b in zip(fk.columns, fk.ref_columns, strict=False)
    )
    return pairs + (" (inferred)" if fk.inferred else "")


def holding(catalog: Catalog, holds: Callable[[ForeignKey], bool]) -> Catalog:
    """`catalog` without the inferred foreign keys the data does not bear out (`holds(fk)` False: some child
    value is missing from the parent); declared keys always stay. Tables that lose a key are copies, the rest
    are shared."""
    tables: dict[str, Table] = {}
    for key, table in catalog.tables.items():
        dropped = [fk for fk in table.foreign_keys if fk.inferred and not holds(fk)]
        if not dropped:
            tables[key] = table
            continue
        columns = [replace(c, foreign_key=None) if c.foreign_key in dropped else c for c in table.columns]
        kept = [fk for fk in table.foreign_keys if fk not in dropped]
        tables[key] = replace(table, columns=columns, foreign_keys=kept)
    return Catalog(
        catalog.schemas, tables, qualify=catalog.qualify, fingerprint=catalog.fingerprint, scope=catalog.scope
    )

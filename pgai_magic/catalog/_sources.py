"""The user relations a read query reads: what pgai's own rows derived from that query record as their `sources`.

A row of pgai's tables that holds data derived from user tables (a feature view, a training set, a monitoring run,
an alert, a prediction log row) records the relations it reads in a `sources regclass[]` column; row-level security
shows it only to a role that may SELECT every one of them (`pgai.sources_readable`).
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.scope import traverse_scope

from pgai_magic.catalog._relation import Read, quoted_name

__all__ = ["relations_read"]


def _name_parts(table: exp.Table) -> tuple[str, ...] | None:
    """(schema, name) or (name,) of a table reference as PostgreSQL folds it; None for a function in FROM."""
    if not isinstance(table.this, exp.Identifier):
        return None
    parts = [table.args.get("db"), table.this]
    return tuple(p.name if p.args.get("quoted") else p.name.lower() for p in parts if isinstance(p, exp.Identifier))


def _references(query: str) -> list[tuple[str, ...]]:
    """The table references of `query` that are not common table expressions (sqlglot's scopes), in order."""
    try:
        tree = sqlglot.parse_one(query, dialect="postgres")
    except SqlglotError:
        return []
    found: list[tuple[str, ...]] = []
    try:
        tables = [s for scope in traverse_scope(tree) for s in scope.sources.values() if isinstance(s, exp.Table)]
    except (SqlglotError, KeyError, ValueError):  # a statement the scope walker does not know: every table node
        ctes = {c.alias_or_name.lower() for c in tree.find_all(exp.CTE)}
        tables = [t for t in tree.find_all(exp.Table) if t.args.get("db") or t.name.lower() not in ctes]
    for table in tables:
        parts = _name_parts(table)
        if parts and parts not in found:
            found.append(parts)
    return found


def relations_read(read: Read, query: str) -> list[int]:
    """The pg_class OIDs of the relations (tables, views, materialized views, foreign tables) `query` reads, as
    the server resolves their names now (search path, quoting); names that resolve to nothing are left out.

    Relations read only inside functions the query calls are not seen (PostgreSQL records no such dependency)."""
    names = [quoted_name(*parts) for parts in _references(query)]
    if not names:
        return []
    rows = read(
        "SELECT DISTINCT to_regclass(r.name)::oid::bigint FROM unnest(%s::text[]) AS r(name) "
        "WHERE to_regclass(r.name) IS NOT NULL",
        (names,),
    )
    return sorted(int(r[0]) for r in rows)

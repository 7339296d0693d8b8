"""The read-only guard: generated SQL must be one read query of the question's tables (checked with sqlglot) and
runs READ ONLY."""

from __future__ import annotations

import pandas as pd
import psycopg
from psycopg import sql as pgsql
from sqlglot import exp

from pgai_magic.catalog import Catalog, ForeignKey
from pgai_magic.cell import convert
from pgai_magic.db import Database, read_only, translate
from pgai_magic.errors import GuardError, SQLError
from pgai_magic.sqltext import DENIED_FUNCTIONS, Statement, parse_read_query

__all__ = ["DENIED_FUNCTIONS", "check", "check_scope", "explain", "key_holds", "run_read_only"]


def check(sql: str) -> exp.Expr:
    """The parsed query when `sql` is a single read query; GuardError (saying why) otherwise.

    The rules are the package's one read-only check (`pgai_magic.sqltext.check_read_query`).
    """
    return parse_read_query(sql, what="the generated SQL")[1]


def check_scope(sql: str, catalog: Catalog) -> None:
    """GuardError unless every relation `sql` reads is a table of `catalog` (the question's scope): no system
    catalog (pg_authid, pg_stat_activity), no other schema, no table the catalog does not hold. A name is
    matched as PostgreSQL resolves it: 'schema.table' by its key; a bare name only when it finds a table of the
    catalog on the search path (`catalog.qualified` False). Names of the query's own CTEs are allowed."""
    tree = check(sql)
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    bare = {t.name.lower() for t in catalog.tables.values() if not catalog.qualified(t)}
    keys = {k.lower() for k in catalog.tables}
    for table in tree.find_all(exp.Table):
        if not isinstance(table.this, exp.Identifier):
            continue  # a function in FROM (generate_series): the read-only check judged it
        name, schema = table.name.lower(), table.db.lower()
        if (
            table.catalog
            or (schema and f"{schema}.{name}" not in keys)
            or (not schema and name not in ctes and name not in bare)
        ):
            shown = ".".join(p for p in (table.catalog, table.db, table.name) if p)
            allowed = ", ".join(sorted(catalog.tables)[:12])
            raise GuardError(
                f"the generated SQL reads {shown}, which is not one of the tables this question may read "
                f"(name them as listed: {allowed})"
            )


def explain(db: Database, sql: str, *, timeout_s: float = 30.0) -> None:
    """Check `sql` with the guard, then let the server plan it (EXPLAIN in a READ ONLY transaction).

    SQLError (message, SQLSTATE, position in `sql`) when the server rejects it.
    """
    check(sql)
    text = sql.strip().rstrip(";")
    conn = db.control
    prefix = "EXPLAIN "
    try:
        with read_only(conn, timeout_s, what="planning the generated SQL", error=SQLError):
            conn.execute((prefix + text).encode())  # type: ignore[call-overload]
    except psycopg.Error as exc:
        raise translate(exc, Statement(text), shift=len(prefix)) from None


def run_read_only(db: Database, sql: str, *, timeout_s: float = 30.0) -> tuple[pd.DataFrame, float]:
    """Run a guarded query in a READ ONLY transaction with a statement timeout: (DataFrame, seconds)."""
    check(sql)
    result = db.run_readonly(Statement(sql.strip().rstrip(";")), timeout_s=timeout_s)
    frame = convert.to_pandas(result.table) if result.table is not None else pd.DataFrame()
    return frame, result.elapsed


def key_holds(db: Database, catalog: Catalog, fk: ForeignKey, *, timeout_s: float = 10.0) -> bool:
    """Whether every non-NULL value of `fk`'s child columns is a value of its parent columns (so the join loses
    no child row), checked READ ONLY with a statement timeout; False when the check cannot run."""
    child, parent = catalog.tables.get(fk.table), catalog.tables.get(fk.ref_table)
    if child is None or parent is None or len(fk.columns) != len(fk.ref_columns):
        return False
    query = pgsql.SQL(
        "SELECT NOT EXISTS (SELECT 1 FROM {c} AS c WHERE {not_null} AND NOT EXISTS "
        "(SELECT 1 FROM {p} AS p WHERE {same}))"
    ).format(
        c=pgsql.Identifier(child.schema, child.name),
        p=pgsql.Identifier(parent.schema, parent.name),
        not_null=pgsql.SQL(" AND ").join(pgsql.SQL("c.{} IS NOT NULL").format(pgsql.Identifier(a)) for a in fk.columns),
        same=pgsql.SQL(" AND ").join(
            pgsql.SQL("p.{} = c.{}").format(pgsql.Identifier(b), pgsql.Identifier(a))
            for a, b in zip(fk.columns, fk.ref_columns, strict=True)
        ),
    )
    conn = db.control
    try:
        with read_only(conn, timeout_s, what="checking an inferred join", error=SQLError):
            row = conn.execute(query).fetchone()
    except (psycopg.Error, SQLError):
        return False
    return bool(row and row[0])

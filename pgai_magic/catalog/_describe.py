"""What a person looking around a database sees, from the system catalogs: the relations (`%pgai tables`), one
relation's columns with defaults, keys and comments (`%pgai columns`), its primary key, and whether the role may
use a relation.

Part of the catalog (pgai_magic.catalog re-exports it); every function reads through a catalog `Read`, so the
session's runner (workflow.explore) and a plain psycopg connection (`reader(conn)`) use the same SQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from psycopg import sql

from pgai_magic.catalog._relation import Read, Relation, quoted_name

__all__ = [
    "ColumnDescription",
    "RelationSummary",
    "describe_columns",
    "has_privileges",
    "list_relations",
    "primary_key",
    "unprotected",
]


@dataclass(frozen=True)
class RelationSummary:
    """One table-like relation: schema, name, kind ('table', 'partitioned table', 'view', 'materialized view',
    'foreign table'), the planner's row estimate (pg_class.reltuples; None before the first VACUUM / ANALYZE),
    its size with indexes and TOAST as pg_size_pretty prints it ('96 kB'; None when not asked for), its
    comment, whether its schema is on the search path (current_schemas(false)), and its name as a query writes
    it (`written`: quote_ident's quoting, bare on the search path, else schema-qualified)."""

    schema: str
    name: str
    kind: str
    rows_estimate: int | None
    size: str | None
    comment: str | None
    on_search_path: bool
    written: str = ""


@dataclass(frozen=True)
class ColumnDescription:
    """One column: name, type as format_type prints it ('numeric(10,2)'), whether it may be NULL, its default
    expression (pg_get_expr; None without one), the constraints it is part of ('PRIMARY KEY', 'UNIQUE',
    'FOREIGN KEY → schema.table', comma-separated; None without one) and its comment."""

    name: str
    type: str
    nullable: bool
    default: str | None
    key: str | None
    comment: str | None


_RELATIONS = """
SELECT n.nspname, c.relname,
       CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'partitioned table' WHEN 'v' THEN 'view'
            WHEN 'm' THEN 'materialized view' WHEN 'f' THEN 'foreign table' END,
       CASE WHEN c.reltuples < 0 THEN NULL ELSE c.reltuples::bigint END,
       CASE WHEN CAST(%(sizes)s AS boolean) THEN pg_size_pretty(pg_total_relation_size(c.oid)) END,
       obj_description(c.oid, 'pg_class'),
       n.nspname = ANY(current_schemas(false)),
       CASE WHEN n.nspname = ANY(current_schemas(false)) THEN quote_ident(c.relname)
            ELSE quote_ident(n.nspname) || '.' || quote_ident(c.relname) END
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND (CAST(%(partitions)s AS boolean) OR NOT c.relispartition)
  AND (CAST(%(schema)s AS text) IS NULL AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pgai')
       AND n.nspname NOT LIKE 'pg_toast%%'
       AND (n.nspname NOT LIKE 'pg_temp%%' OR CAST(%(temporary)s AS boolean) AND n.oid = pg_my_temp_schema())
       OR n.nspname = %(schema)s)
ORDER BY """
_ORDER = {
    "search path": "n.nspname = ANY(current_schemas(false)) DESC, n.nspname, c.relname",
    "written": "8",  # the written name, in the database's collation
}


def list_relations(
    read: Read,
    schema: str | None = None,
    *,
    partitions: bool = False,
    temporary: bool = True,
    order: Literal["search path", "written"] = "search path",
    sizes: bool = True,
) -> list[RelationSummary]:
    """The tables, partitioned tables (and their partitions with `partitions`), views, materialized views and
    foreign tables of `schema`, or of every schema but the system ones, pgai's and other sessions' temporary ones
    when None (and the session's own temporary ones only with `temporary`); ordered those on the search path
    first, then by schema and name, or by `written` name (pg_class, pg_namespace, pg_description). Without
    `sizes` the sizes are not computed (a size reads every relation's files: tab completion leaves it out).
    Raises ValueError for another `order`."""
    if order not in _ORDER:
        raise ValueError(f"list_relations orders by 'search path' or 'written', not {order!r}")
    params = {"schema": schema, "partitions": partitions, "temporary": temporary, "sizes": sizes}
    return [
        RelationSummary(
            str(nsp),
            str(name),
            str(kind),
            None if rows is None else int(rows),
            None if size is None else str(size),
            comment,
            bool(on_path),
            str(written),
        )
        for nsp, name, kind, rows, size, comment, on_path, written in read(_RELATIONS + _ORDER[order], params)
    ]


_COLUMNS = """
SELECT a.attname, format_type(a.atttypid, a.atttypmod), NOT a.attnotnull,
       pg_get_expr(d.adbin, d.adrelid),
       (SELECT string_agg(CASE k.contype WHEN 'p' THEN 'PRIMARY KEY' WHEN 'u' THEN 'UNIQUE'
                          ELSE 'FOREIGN KEY → ' || k.confrelid::regclass::text END, ', ')
          FROM pg_constraint k WHERE k.conrelid = a.attrelid AND a.attnum = ANY(k.conkey)
           AND k.contype IN ('p', 'u', 'f')),
       col_description(a.attrelid, a.attnum)
FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE a.attrelid = %(oid)s AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum
"""


def describe_columns(read: Read, rel: Relation) -> list[ColumnDescription]:
    """The relation's columns in order, with default, key constraints and comment (pg_attribute, pg_attrdef,
    pg_constraint, pg_description); a referenced table is named as PostgreSQL prints it (regclass)."""
    return [
        ColumnDescription(str(name), str(type_), bool(nullable), default, key, comment)
        for name, type_, nullable, default, key, comment in read(_COLUMNS, {"oid": rel.oid})
    ]


_PRIMARY_KEY = """
SELECT a.attname
FROM pg_index i
CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
WHERE i.indrelid = %(oid)s AND i.indisprimary
ORDER BY k.ord
"""


def primary_key(read: Read, rel: Relation) -> tuple[str, ...]:
    """The relation's primary-key columns in key order (pg_index, pg_attribute); empty without a primary key."""
    return tuple(str(r[0]) for r in read(_PRIMARY_KEY, {"oid": rel.oid}))


def has_privileges(read: Read, schema: str, name: str, privileges: Sequence[str]) -> bool:
    """True when the relation `schema`.`name` (exact names) exists, the role may use its schema (USAGE) and holds
    every one of `privileges` ('SELECT', 'INSERT', …) on it; False, never a permission error, when the schema or
    the relation is missing or out of reach (to_regnamespace, has_schema_privilege, to_regclass,
    has_table_privilege). Raises ValueError for an empty `privileges`."""
    if not privileges:
        raise ValueError("has_privileges needs at least one privilege to check")
    return privilege_gap(read, schema, name, privileges) is None


def privilege_gap(read: Read, schema: str, name: str, privileges: Sequence[str]) -> tuple[str, list[str]] | None:
    """What keeps this role from `privileges` on `schema`.`name` (exact names), None when nothing does:
    ('schema', []) the schema does not exist, ('usage', []) no USAGE on it, ('relation', []) no such relation,
    ('privileges', the missing ones in the order given). Never a permission error (as `has_privileges`)."""
    if not privileges:
        raise ValueError("privilege_gap needs at least one privilege to check")
    each = sql.SQL(", ").join(
        sql.SQL("has_table_privilege({r}, {p})").format(r=sql.Placeholder("r"), p=sql.Literal(p)) for p in privileges
    )
    query = sql.SQL(
        "SELECT CASE WHEN to_regnamespace({s}) IS NULL THEN 'schema' "
        "WHEN NOT has_schema_privilege(to_regnamespace({s}), 'USAGE') THEN 'usage' "
        "WHEN to_regclass({r}) IS NULL THEN 'relation' END, "
        "CASE WHEN to_regnamespace({s}) IS NULL OR NOT has_schema_privilege(to_regnamespace({s}), 'USAGE') "
        "THEN NULL WHEN to_regclass({r}) IS NOT NULL THEN ARRAY[{each}] END"
    ).format(s=sql.Placeholder("s"), r=sql.Placeholder("r"), each=each)
    rows = read(query, {"s": quoted_name(schema), "r": quoted_name(schema, name)})
    kind, held = rows[0]
    if kind is not None:
        return str(kind), []
    missing = [p for p, ok in zip(privileges, held) if not ok]
    return ("privileges", missing) if missing else None


def unprotected(read: Read, schema: str, names: Sequence[str]) -> dict[str, str]:
    """The relations of `schema` among `names` (exact names) whose rows are not guarded by forced row-level
    security (pg_class.relrowsecurity and relforcerowsecurity), each with its owner's name; missing ones are left
    out."""
    rows = read(
        "SELECT c.relname::text, pg_get_userbyid(c.relowner)::text FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relname = ANY(%s::text[]) "
        "AND NOT (c.relrowsecurity AND c.relforcerowsecurity)",
        (schema, list(names)),
    )
    return {str(name): str(owner) for name, owner in rows}

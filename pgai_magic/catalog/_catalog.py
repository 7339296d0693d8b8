"""The Catalog of one database and its cache: tables, columns, types, keys, comments, statistics, sample values.

Schema introspection as one `Catalog`, cached per server, database, role and schema list by `CatalogCache` and
reloaded when a cheap fingerprint of the catalog state changes (DDL from any connection, or rows written). Foreign
keys nobody declared are inferred from names and checked against the data (`_keys`). The parts (Table, Column,
ForeignKey) are in `_model`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

from pgai_magic.catalog._keys import infer_foreign_keys
from pgai_magic.catalog._model import Column, ForeignKey, Table

__all__ = ["Catalog", "CatalogCache", "default_schemas", "fingerprint", "load_catalog"]

_KIND = {"N": "number", "S": "text", "D": "date", "B": "boolean"}


@dataclass
class Catalog:
    """The tables of some schemas, how they join, and whether names need schema qualification."""

    schemas: tuple[str, ...]
    tables: dict[str, Table]
    qualify: bool = False
    fingerprint: str = ""
    checks: dict[tuple[object, ...], Any] | None = None  # key inference's query results (a reload reuses them)
    # the schemas its SQL's bare names resolve in, and its remembered questions are filed under: the search path
    # for the default catalog (stable when other schemas come and go), the schemas given otherwise
    scope: tuple[str, ...] = ()

    def table(self, name: str) -> Table | None:
        """The table of key 'schema.name', or of a bare name (the one the search path finds first)."""
        if name in self.tables:
            return self.tables[name]
        named = [t for t in self.tables.values() if t.name == name]
        return next((t for t in named if t.visible), named[0] if named else None)

    def qualified(self, table: Table) -> bool:
        """Whether SQL must name `table` with its schema: the whole catalog is qualified, or a bare name would
        not find this table (its schema is off the search path, or an earlier schema has a same-named one)."""
        return self.qualify or not table.visible

    def sql_name(self, table: Table) -> str:
        """`table`'s name as generated SQL writes it: 'schema.name' when `qualified`, else the bare name."""
        return table.key if self.qualified(table) else table.name

    def column(self, table: str, name: str) -> Column | None:
        found = self.table(table)
        return found.column(name) if found else None

    def foreign_keys(self) -> list[ForeignKey]:
        return [fk for t in self.tables.values() for fk in t.foreign_keys if fk.ref_table in self.tables]

    def components(self) -> list[list[str]]:
        """The tables in groups joined by foreign keys (in either direction), largest group first."""
        parent = {k: k for k in self.tables}

        def root(k: str) -> str:
            while parent[k] != k:
                parent[k] = parent[parent[k]]
                k = parent[k]
            return k

        for fk in self.foreign_keys():
            parent[root(fk.table)] = root(fk.ref_table)
        groups: dict[str, list[str]] = {}
        for k in self.tables:
            groups.setdefault(root(k), []).append(k)
        return sorted(groups.values(), key=lambda g: (-len(g), g[0]))

    def subset(self, keys: Iterable[str]) -> Catalog:
        """The same catalog restricted to `keys` (the tables and columns are shared, not copied)."""
        chosen = {k: self.tables[k] for k in keys if k in self.tables}
        return Catalog(self.schemas, chosen, qualify=self.qualify, fingerprint=self.fingerprint, scope=self.scope)

    def describe(self, tables: Iterable[str] | None = None, *, values: int = 8) -> str:
        """The chosen tables as commented CREATE TABLE text with sample values (for an LLM prompt)."""
        chosen = [self.tables[k] for k in (tables if tables is not None else self.tables) if k in self.tables]
        parts = []
        for t in chosen:
            name = self.sql_name(t)
            lines = [f"CREATE TABLE {name} (" + (f"  -- {t.comment}" if t.comment else "")]
            for i, c in enumerate(t.columns):
                bits = [f"  {c.name} {c.type}"]
                if c.primary_key:
                    bits.append("PRIMARY KEY")
                if c.foreign_key is not None:
                    ref = self.tables.get(c.foreign_key.ref_table)
                    ref_name = self.sql_name(ref) if ref else c.foreign_key.ref_table
                    bits.append(f"REFERENCES {ref_name}({c.foreign_key.ref_columns[0]})")
                    if c.foreign_key.inferred:
                        bits.append("-- inferred join (no declared foreign key)")
                line = " ".join(bits) + ("," if i < len(t.columns) - 1 else "")
                notes = [c.comment] if c.comment else []
                if c.values and c.categorical:
                    shown = ", ".join(repr(v) for v in c.values[:values])
                    notes.append(f"values: {shown}{', ...' if len(c.values) > values else ''}")
                elif c.samples and not c.is_key:
                    notes.append("e.g. " + ", ".join(c.samples[:3]))
                lines.append(line + (f"  -- {'; '.join(notes)}" if notes else ""))
            lines.append(");")
            parts.append("\n".join(lines))
        return "\n\n".join(parts)


def search_path(conn: psycopg.Connection) -> tuple[str, ...]:
    """The schemas of the connection's search path that exist (without pgai and the system schemas): a bare
    table name is looked up in these."""
    rows = conn.execute("SELECT unnest(current_schemas(false))").fetchall()
    return tuple(r[0] for r in rows if r[0] not in ("pgai", "pg_catalog", "information_schema"))


def default_schemas(conn: psycopg.Connection) -> tuple[str, ...]:
    """The schemas on the search path (without pgai and the system schemas), then every other schema the role
    may use (USAGE) that holds a table or view it may SELECT; tables outside the search path are named with
    their schema in generated SQL (`Catalog.qualified`)."""
    path = search_path(conn)
    return path + tuple(r[0] for r in conn.execute(_READABLE_SCHEMAS, (list(path),)))


_RELKINDS = "('r', 'v', 'm', 'p', 'f')"
_READABLE_SCHEMAS = f"""
SELECT n.nspname FROM pg_namespace n
WHERE n.nspname NOT LIKE 'pg\\_%%' AND n.nspname NOT IN ('information_schema', 'pgai') AND n.nspname <> ALL(%s)
  AND has_schema_privilege(n.oid, 'USAGE')
  AND EXISTS (SELECT 1 FROM pg_class c WHERE c.relnamespace = n.oid AND c.relkind IN {_RELKINDS}
              AND NOT c.relispartition AND has_table_privilege(c.oid, 'SELECT'))
ORDER BY n.nspname"""


# the catalog state a Catalog was read from: relations (name, kind), columns (name, type), comments, primary
# and foreign keys, and the rows written since the statistics were reset; DDL from any connection changes it
_FINGERPRINT = """
SELECT md5(coalesce((
         SELECT string_agg(c.oid::text || ':' || c.relname || ':' || c.relkind::text || ':'
                           || coalesce(c.relacl::text, '') || coalesce(n.nspacl::text, '') || ':'
                           || coalesce(a.attnum::text, '') || coalesce(a.attname::text, '')
                           || coalesce(a.atttypid::text, '') || coalesce(d.description, ''),
                           ',' ORDER BY c.oid, a.attnum)
         FROM pg_class c
         JOIN pg_namespace n ON n.oid = c.relnamespace
         LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
         LEFT JOIN pg_description d ON d.objoid = c.oid AND d.classoid = 'pg_class'::regclass
                                   AND d.objsubid IN (0, a.attnum)
         WHERE n.nspname = ANY(%(s)s) AND c.relkind IN ('r', 'p', 'v', 'm', 'f')), '')
       || coalesce((
         SELECT string_agg(con.oid::text || con.contype::text || con.conkey::text || con.confrelid::text, ','
                           ORDER BY con.oid)
         FROM pg_constraint con
         JOIN pg_class c ON c.oid = con.conrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = ANY(%(s)s) AND con.contype IN ('p', 'f')), ''))
       || ':' || (SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0)
                  FROM pg_stat_user_tables WHERE schemaname = ANY(%(s)s))
"""


def fingerprint(conn: psycopg.Connection, schemas: Sequence[str]) -> str:
    """A short text that changes whenever the catalog of `schemas` does: a table, view or column created,
    dropped, renamed or retyped, a comment, a privilege granted or revoked, a primary or foreign key (from any
    connection, once committed), or rows written (pg_stat_user_tables, as the statistics collector reports them)."""
    row = conn.execute(_FINGERPRINT, {"s": list(schemas)}).fetchone()
    assert row is not None  # an aggregate without GROUP BY returns one row
    return str(row[0])


# the relations of the schemas the role may SELECT (USAGE on the schema and SELECT on the table), and whether a
# bare name finds each one (pg_table_is_visible: its schema is on the search path, no earlier one shadows it)
_TABLES = """
SELECT c.oid, n.nspname, c.relname, c.relkind, obj_description(c.oid, 'pg_class'), c.reltuples::bigint,
       c.relfilenode::bigint, coalesce(s.n_tup_ins + s.n_tup_upd + s.n_tup_del, 0), pg_table_is_visible(c.oid)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid
WHERE n.nspname = ANY(%s) AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition
  AND has_schema_privilege(n.oid, 'USAGE') AND has_table_privilege(c.oid, 'SELECT')
ORDER BY n.nspname, c.relname
"""

_COLUMNS = """
SELECT a.attrelid, a.attname, format_type(a.atttypid, a.atttypmod), t.typcategory, t.typname,
       NOT a.attnotnull, col_description(a.attrelid, a.attnum), a.attnum, s.n_distinct
FROM pg_attribute a
JOIN pg_type t ON t.oid = a.atttypid
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_stats s ON s.schemaname = n.nspname AND s.tablename = c.relname AND s.attname = a.attname
WHERE a.attrelid = ANY(%s) AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attrelid, a.attnum
"""

_KEYS = """
SELECT con.conrelid, con.contype,
       ARRAY(SELECT attname FROM unnest(con.conkey) WITH ORDINALITY k(n, i)
             JOIN pg_attribute ON attrelid = con.conrelid AND attnum = k.n ORDER BY k.i),
       fn.nspname || '.' || fc.relname,
       ARRAY(SELECT attname FROM unnest(con.confkey) WITH ORDINALITY k(n, i)
             JOIN pg_attribute ON attrelid = con.confrelid AND attnum = k.n ORDER BY k.i)
FROM pg_constraint con
LEFT JOIN pg_class fc ON fc.oid = con.confrelid
LEFT JOIN pg_namespace fn ON fn.oid = fc.relnamespace
WHERE con.conrelid = ANY(%s) AND con.contype IN ('p', 'f')
ORDER BY con.conname
"""


def _kind(category: str, typname: str) -> str:
    if category == "D":
        return "date" if typname == "date" else "timestamp"
    return _KIND.get(category, "other")


def load_catalog(
    conn: psycopg.Connection,
    schemas: Sequence[str] | None = None,
    *,
    max_values: int = 300,
    previous: Catalog | None = None,
    scope: Sequence[str] | None = None,
) -> Catalog:
    """Introspect `schemas` (default: `default_schemas`): one catalog of the tables and views the role may SELECT,
    their keys and values.

    With `previous` (an older catalog of the same schemas), the sampled values and key checks of tables whose
    state did not change (no DDL, rows written, ANALYZE or TRUNCATE since) are taken from it instead of queried.
    `scope` (default: `schemas` when given, else the search path) is the catalog's `scope`.
    """
    chosen = tuple(schemas) if schemas else default_schemas(conn)
    state = fingerprint(conn, chosen)
    tables: dict[str, Table] = {}
    by_oid: dict[int, Table] = {}
    for oid, nsp, rel, kind, comment, reltuples, node, writes, visible in conn.execute(_TABLES, (list(chosen),)):
        table = Table(nsp, rel, {"r": "table", "p": "table", "v": "view", "m": "view", "f": "table"}[kind], comment, [])
        table.visible = bool(visible)
        table.rows = int(reltuples)
        table.state = (int(oid), int(node), int(writes), int(reltuples))
        tables[table.key] = by_oid[oid] = table
    oids = list(by_oid)
    for oid, name, type_, cat, typname, nullable, comment, pos, n_distinct in conn.execute(_COLUMNS, (oids,)):
        t = by_oid[oid]
        nd = None if n_distinct is None else float(n_distinct)
        if nd is not None and nd < 0:
            nd = -nd * max(t.rows, 0)
        t.columns.append(Column(t.key, name, type_, _kind(cat, typname), nullable, comment, pos, nd))
    _declared_keys(conn, by_oid)
    before = {t.state: t for t in previous.tables.values()} if previous is not None else {}
    for t in tables.values():
        if not _reuse_values(t, before.get(t.state)):
            _fill_values(conn, t, max_values)
    checks: dict[tuple[object, ...], Any] = {}
    infer_foreign_keys(conn, tables, memo=(previous.checks or {}) if previous is not None else {}, used=checks)
    # a table a bare name would not find is qualified on its own (Table.visible); with no schema at all, every one
    where = tuple(scope) if scope is not None else tuple(schemas) if schemas else search_path(conn)
    return Catalog(chosen, tables, qualify=len(chosen) == 0, fingerprint=state, checks=checks, scope=where)


def _declared_keys(conn: psycopg.Connection, by_oid: dict[int, Table]) -> None:
    """Primary and foreign keys as declared, onto the tables and their columns."""
    for oid, contype, cols, ref, ref_cols in conn.execute(_KEYS, (list(by_oid),)):
        t = by_oid[oid]
        if contype == "p":
            t.primary_key = tuple(cols)
            for c in t.columns:
                c.primary_key = c.name in cols and len(cols) == 1
        else:
            fk = ForeignKey(t.key, tuple(cols), ref, tuple(ref_cols))
            t.foreign_keys.append(fk)
            if len(cols) == 1:
                col = t.column(cols[0])
                if col is not None:
                    col.foreign_key = fk


def _reuse_values(t: Table, old: Table | None) -> bool:
    """Copy the sampled values of an unchanged table (same state, same columns) from its older load."""
    if old is None or [(c.name, c.type) for c in old.columns] != [(c.name, c.type) for c in t.columns]:
        return False
    for new, was in zip(t.columns, old.columns):
        new.samples, new.values = list(was.samples), None if was.values is None else list(was.values)
        new.n_distinct, new.categorical = was.n_distinct, was.categorical
    return True


def _fill_values(conn: psycopg.Connection, t: Table, max_values: int) -> None:
    """Sample rows of `t`, and the distinct values of its low-cardinality text columns."""
    ident = sql.Identifier(t.schema, t.name)
    try:
        cur = conn.execute(sql.SQL("SELECT * FROM {} LIMIT 3").format(ident))
        names = [d.name for d in cur.description or []]
        for row in cur.fetchall():
            for name, value in zip(names, row):
                col = t.column(name)
                if col is not None and value is not None:
                    col.samples.append(_short(value))
    except psycopg.Error:
        return
    for col in t.columns:
        if col.kind != "text" or col.primary_key or (col.n_distinct is not None and col.n_distinct > max_values):
            continue
        sample: sql.Composable = sql.SQL("")
        if t.rows > 1_000_000:
            sample = sql.SQL(" TABLESAMPLE SYSTEM ({})").format(sql.Literal(max(0.01, 100 * 1_000_000 / t.rows)))
        query = sql.SQL(
            "SELECT {c}::text, count(*) FROM {t}{s} WHERE {c} IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT {n}"
        )
        try:
            rows = conn.execute(
                query.format(c=sql.Identifier(col.name), t=ident, s=sample, n=sql.Literal(max_values + 1))
            ).fetchall()
        except psycopg.Error:
            continue
        if len(rows) <= max_values:
            col.values = [r[0] for r in rows]
            col.n_distinct = float(len(rows))
            col.categorical = any(r[1] > 1 for r in rows)


def _short(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 40 else text[:37] + "..."


class CatalogCache:
    """Catalogs per connection target (server, database, role) and schema list; each `get` checks the cached
    catalog against the catalog's fingerprint (one small query) and reloads it when DDL from any connection, or
    written rows, changed it — re-reading only what changed (`load_catalog`'s `previous`)."""

    def __init__(self) -> None:
        self._cache: dict[tuple[object, ...], Catalog] = {}

    def get(self, conn: psycopg.Connection, schemas: Sequence[str] | None = None, *, refresh: bool = False) -> Catalog:
        """The catalog of `schemas` (default: the search path's, see default_schemas) on `conn`'s database,
        from the cache while its fingerprint holds; `refresh` reloads it anyway. Raises psycopg.Error when the
        catalog cannot be read."""
        chosen = tuple(schemas) if schemas else default_schemas(conn)
        info = conn.info
        # the search path decides which tables need their schema named (Table.visible)
        path = search_path(conn)
        key = (info.host, info.port, info.dbname, info.user, chosen, path)
        cached = self._cache.get(key)
        if cached is not None and not refresh and fingerprint(conn, chosen) == cached.fingerprint:
            return cached
        scope = tuple(schemas) if schemas else path
        catalog = load_catalog(conn, chosen, previous=None if refresh else cached, scope=scope)
        self._cache[key] = catalog
        return catalog

"""One relation as PostgreSQL resolves it: its name (search path, quoting), columns, unique keys and pg_stats.

The per-relation half of the catalog (pgai_magic.catalog is the entry point): the insight engine resolves the
table it analyses and reads its columns' statistics here, and "did you mean" advice lists names from here.
Every function reads through a `Read` callable, so a caller that budgets and logs its statements (the insight
engine's Runner) and a plain psycopg connection (`reader(conn)`) use the same SQL.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg
import sqlglot
from psycopg import sql
from sqlglot import exp

from pgai_magic.errors import ConfigError, PgaiError
from pgai_magic.sqltext import relations_read

__all__ = [
    "Attribute",
    "ColumnStatistics",
    "Query",
    "Read",
    "Relation",
    "column_names",
    "find_relation",
    "parse_relation_name",
    "query_sources",
    "quoted_name",
    "read_attributes",
    "read_statistics",
    "reader",
    "relation_names",
    "relation_oids",
    "relations_exist",
    "resolve_relation",
    "statistics_of",
    "table_names",
    "typed_names",
]

Query = str | sql.SQL | sql.Composed  # a catalog query's text, with psycopg placeholders (%s, %(name)s)
# runs one catalog query with its parameters and returns its rows as tuples
Read = Callable[[Query, Any], Sequence[Sequence[Any]]]


def reader(conn: psycopg.Connection[Any] | psycopg.Cursor[Any]) -> Read:
    """A `Read` over a psycopg connection, or a cursor (its transaction and settings; no budget, no log)."""

    def read(query: Query, params: Any = None) -> Sequence[Sequence[Any]]:
        return conn.execute(query, params).fetchall()

    return read


@dataclass(frozen=True)
class Relation:
    """A relation: pg_class oid, schema, name, relkind ('r', 'p', 'v', 'm', 'f' for the table-like ones), the
    planner's row estimate pg_class.reltuples (-1 before the first VACUUM / ANALYZE), how messages name it
    (`label`) and its name as PostgreSQL prints it (`regclass`: oid::regclass::text, schema-qualified only when
    off the search path, quoted where needed; SQL text may use it as the relation)."""

    oid: int
    schema: str
    name: str
    relkind: str
    reltuples: float
    label: str
    regclass: str = ""

    @property
    def ident(self) -> sql.Composable:
        return sql.Identifier(self.schema, self.name)

    @property
    def can_sample(self) -> bool:
        """TABLESAMPLE works on tables, partitioned tables and materialized views, not on views."""
        return self.relkind in ("r", "m", "p")


@dataclass(frozen=True)
class Attribute:
    """A column of a relation: name, type as format_type prints it, pg_type.typcategory ('N' numeric, 'S' string,
    'D' date/time, 'B' boolean, 'E' enum, …), whether a one-column unique index covers it, and NOT NULL."""

    name: str
    type: str
    category: str
    unique: bool
    not_null: bool


@dataclass(frozen=True)
class ColumnStatistics:
    """What pg_stats holds for a column: NULL fraction, n_distinct (negative: minus a fraction of the rows), most
    common values (as text) and their frequencies, histogram bounds (numbers for numeric columns, text for date
    and timestamp columns, else empty), the physical-order correlation (None when unknown), and for array and
    tsvector columns the most common elements (as text) and most_common_elem_freqs as pg_stats holds them (one
    frequency per element, then the least and greatest of those, then for arrays the frequency of NULL
    elements); zip(mce, mcef) pairs each element with its frequency."""

    name: str
    null_frac: float
    n_distinct: float
    mcv: list[str]
    mcf: list[float]
    hist: list[float]
    time_hist: list[str]
    correlation: float | None
    mce: list[str] = field(default_factory=list)
    mcef: list[float] = field(default_factory=list)


def parse_relation_name(text: str) -> tuple[str, ...]:
    """`text` ('orders', 'shop.Orders', 'shop."Mixed Case"') as PostgreSQL reads it: (schema, name) or (name,),
    unquoted parts folded to lower case. Raises ConfigError when it is not a table name."""
    try:
        parsed = exp.to_table(text, dialect="postgres")
    except sqlglot.errors.SqlglotError:
        raise ConfigError(f"{text!r} is not a table name") from None
    parts = [p.name if p.args.get("quoted") else p.name.lower() for p in (parsed.args.get("db"), parsed.this) if p]
    if not parts or not parts[-1]:
        raise ConfigError(f"{text!r} is not a table name: give TABLE or SCHEMA.TABLE (or --query SQL)")
    return tuple(parts)


def quoted_name(*parts: str) -> str:
    """Parts as one double-quoted, dotted name (for to_regclass: no case folding, any character)."""
    return ".".join('"' + part.replace('"', '""') + '"' for part in parts)


_FIND = """
SELECT c.oid::bigint, n.nspname, c.relname, c.relkind::text, c.reltuples::float8, c.oid::regclass::text
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.oid = coalesce(to_regclass(%s), to_regclass(%s), to_regclass(%s))
"""


def find_relation(read: Read, regclass: str, label: str) -> Relation | None:
    """The relation `regclass` names as the server resolves it (to_regclass: search path, quoting, case folding of
    unquoted parts; any relkind), or None when there is none."""
    return _first(read, [regclass], label)


def relations_exist(read: Read, regclasses: Sequence[str]) -> list[bool]:
    """For each of `regclasses` (to_regclass texts, e.g. quoted_name(schema, name)), whether a relation of any
    kind has that name, in one query; a text that is no valid name is False, not an error."""
    if not regclasses:
        return []
    rows = read(
        "SELECT to_regclass(r.name) IS NOT NULL FROM unnest(%s::text[]) WITH ORDINALITY AS r(name, i) ORDER BY r.i",
        (list(regclasses),),
    )
    return [bool(r[0]) for r in rows]


_OIDS = """
SELECT coalesce((SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                 JOIN unnest(CASE WHEN r.nsp IS NULL THEN %(path)s::text[] ELSE ARRAY[r.nsp] END)
                      WITH ORDINALITY AS p(nsp, o) ON p.nsp = n.nspname
                 WHERE c.relname = r.rel ORDER BY p.o LIMIT 1), 0)::bigint
FROM unnest(%(schemas)s::text[], %(names)s::text[]) WITH ORDINALITY AS r(nsp, rel, i) ORDER BY r.i
"""


def relation_oids(read: Read, names: Sequence[tuple[str | None, str]], search_path: Sequence[str]) -> list[int]:
    """The pg_class oid of each (schema or None, exact name), 0 where there is none, in one query: a bare name is
    looked up in pg_catalog, then `search_path` in order, as PostgreSQL resolves it. Read from pg_class, so a name
    in a schema this role may not use still resolves (to_regclass would fail there)."""
    if not names:
        return []
    path = list(search_path) if "pg_catalog" in search_path else ["pg_catalog", *search_path]
    params = {"path": path, "schemas": [s for s, _ in names], "names": [n for _, n in names]}
    return [int(r[0]) for r in read(_OIDS, params)]


def query_sources(read: Read, query: str, search_path: Sequence[str] | None = None) -> list[int]:
    """The pg_class oids of the relations `query` reads (sqltext.relations_read, resolved by `relation_oids` with
    `search_path`, by default the connection's own: current_schemas(true)), each once; 0 for a name that resolves
    to nothing, [0] for a query that does not parse, so what is recorded against it is unreadable rather than open
    to every role. The `sources` of every row pgai derives from a query (sql/040_source_privileges.sql).

    Relations read only inside functions the query calls are not seen (PostgreSQL records no such dependency)."""
    try:
        names = relations_read(query)
    except PgaiError:
        return [0]
    if search_path is None:
        search_path = list(read("SELECT current_schemas(true)::text[]", ())[0][0])
    return list(dict.fromkeys(relation_oids(read, names, search_path)))


def typed_names(text: str) -> list[str]:
    """The to_regclass texts a typed table name may mean, in the order `resolve_relation` tries them: as
    PostgreSQL reads it (parse_relation_name: unquoted parts folded to lower case), then as typed without its
    quotes: the whole text as one exact name (My Table, Orders), then SCHEMA.NAME split at the first dot, both
    parts exact (shop.My Table). Duplicates are left out; empty for empty text."""
    names: list[str] = []
    try:
        names.append(quoted_name(*parse_relation_name(text)))
    except ConfigError:
        pass  # not SQL's name syntax (x;y): it may still be a name typed without its quotes
    if text:
        names.append(quoted_name(text))
        schema, dot, name = text.partition(".")
        if dot and schema and name:
            names.append(quoted_name(schema, name))
    return list(dict.fromkeys(names))


def resolve_relation(read: Read, text: str, label: str | None = None) -> Relation | None:
    """The relation a user's typed name means (`typed_names`: as PostgreSQL reads it, else as typed without its
    quotes), first found wins, in one query; None when none exists. `label` (default: `text`) names it in
    messages. The one name resolution of pgai_magic for names people type."""
    names = typed_names(text)
    return _first(read, names, text if label is None else label) if names else None


def _first(read: Read, names: Sequence[str], label: str) -> Relation | None:
    padded = [*names, None, None][:3]  # to_regclass(NULL) is NULL: fewer names leave the rest out
    assert len(names) <= 3, names
    rows = read(_FIND, tuple(padded))
    if not rows:
        return None
    oid, schema, name, relkind, reltuples, printed = rows[0]
    return Relation(int(oid), schema, name, relkind, float(reltuples), label, str(printed))


def table_names(read: Read) -> list[str]:
    """The bare names of every table and view outside the system schemas (information_schema.tables)."""
    rows = read(
        "SELECT table_name FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', "
        "'information_schema')",
        None,
    )
    return [r[0] for r in rows]


def relation_names(conn: psycopg.Connection) -> list[str]:
    """Every table-like relation's name as a query would write it: bare on the search path, else 'schema.name'."""
    rows = conn.execute(
        """SELECT CASE WHEN n.nspname = ANY (current_schemas(false)) THEN c.relname
                       ELSE n.nspname || '.' || c.relname END
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE c.relkind IN ('r', 'v', 'm', 'p', 'f')
             AND n.nspname NOT IN ('pg_catalog', 'information_schema')
             AND n.nspname NOT LIKE 'pg_toast%%'"""
    ).fetchall()
    return [r[0] for r in rows]


def column_names(conn: psycopg.Connection) -> list[str]:
    """The distinct column names of the table-like relations on the search path."""
    rows = conn.execute(
        """SELECT DISTINCT a.attname FROM pg_attribute a
           JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'v', 'm', 'p', 'f')
             AND n.nspname = ANY (current_schemas(false))"""
    ).fetchall()
    return [r[0] for r in rows]


_ATTRIBUTES = """
SELECT a.attname, format_type(a.atttypid, a.atttypmod) AS type, t.typcategory::text AS category,
       EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = a.attrelid AND i.indisunique
               AND i.indnkeyatts = 1 AND i.indkey[0] = a.attnum) AS is_unique, a.attnotnull
FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
WHERE a.attrelid = %(oid)s AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum
"""
_STATS = """
SELECT s.attname, s.null_frac::float8, s.n_distinct::float8, s.most_common_freqs::float8[] AS mcf,
       s.most_common_vals::text::text[] AS mcv,
       CASE WHEN format_type(a.atttypid, NULL) IN ('smallint', 'integer', 'bigint', 'real', 'double precision',
                                                  'numeric')
            THEN s.histogram_bounds::text::float8[] END AS hist,
       CASE WHEN format_type(a.atttypid, NULL) IN ('date', 'timestamp without time zone', 'timestamp with time zone')
            THEN s.histogram_bounds::text::text[] END AS thist,
       s.correlation::float8, s.most_common_elems::text::text[] AS mce, s.most_common_elem_freqs::text::float8[] AS mcef
FROM pg_stats s JOIN pg_attribute a ON a.attrelid = to_regclass(%(regclass)s) AND a.attname = s.attname
WHERE s.schemaname = %(schema)s AND s.tablename = %(name)s AND s.inherited = %(inherited)s
  AND (CAST(%(columns)s AS text[]) IS NULL OR s.attname = ANY(CAST(%(columns)s AS text[])))
"""


def read_attributes(read: Read, rel: Relation) -> list[Attribute]:
    """The relation's columns in order (pg_attribute, pg_type, pg_index)."""
    rows = read(_ATTRIBUTES, {"oid": rel.oid})
    return [
        Attribute(name, type_, category, bool(unique), bool(not_null))
        for name, type_, category, unique, not_null in rows
    ]


def read_statistics(read: Read, rel: Relation, columns: Sequence[str] | None = None) -> list[ColumnStatistics]:
    """pg_stats of the relation's columns (of those named in `columns` when given; empty before ANALYZE); a
    partitioned table's are over all partitions."""
    return statistics_of(read, rel.schema, rel.name, columns, inherited=rel.relkind == "p")


def statistics_of(
    read: Read, schema: str, name: str, columns: Sequence[str] | None = None, *, inherited: bool = False
) -> list[ColumnStatistics]:
    """read_statistics of the relation `schema`.`name` (exact names) without resolving it first: one query;
    `inherited` reads a partitioned or parent table's statistics over its children (pg_stats.inherited)."""
    params = {
        "regclass": quoted_name(schema, name),
        "schema": schema,
        "name": name,
        "inherited": inherited,
        "columns": None if columns is None else list(columns),
    }
    found = []
    for name, null_frac, n_distinct, mcf, mcv, hist, thist, corr, mce, mcef in read(_STATS, params):
        found.append(
            ColumnStatistics(
                name,
                float(null_frac),
                float(n_distinct),
                list(mcv or []),
                [float(f) for f in (mcf or [])],
                [float(h) for h in (hist or [])],
                list(thist or []),
                None if corr is None or corr != corr else float(corr),
                list(mce or []),
                [float(f) for f in (mcef or [])],
            )
        )
    return found

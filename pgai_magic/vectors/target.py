"""Embedded columns: parse `TABLE.COLUMN`, check it in the catalog, name its side tables, read the registry."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import psycopg
import sqlglot
from psycopg import sql
from sqlglot import exp

from pgai_magic.errors import ConfigError
from pgai_magic.sqltext import quote_ident

__all__ = ["Source", "Target", "get_target", "list_targets", "parse_table_column", "register", "resolve_source"]

_MAX_IDENT = 63
_STRING_CATEGORY = "S"  # pg_type.typcategory of text, varchar, char, name, citext
BOOKKEEPING = ("embedded_at", "writes")


@dataclass(frozen=True)
class Source:
    """A text column of a table with a primary key, as found in the catalog."""

    schema: str
    table: str
    column: str
    keys: tuple[str, ...]
    key_types: tuple[str, ...]
    oid: int = 0

    @property
    def label(self) -> str:
        return ".".join(_show(part) for part in (self.schema, self.table, self.column))

    @property
    def table_ident(self) -> sql.Identifier:
        return sql.Identifier(self.schema, self.table)

    @property
    def embedding_column(self) -> str:
        return f"{self.column}_embedding"[:_MAX_IDENT]


@dataclass(frozen=True)
class Target(Source):
    """An embedded column: its source, the side tables in `pgai`, and the model that fills them."""

    id: int = 0
    store: str = ""
    queue: str = ""
    model: str = ""
    dim: int = 0

    @property
    def store_ident(self) -> sql.Identifier:
        return sql.Identifier("pgai", self.store)

    @property
    def queue_ident(self) -> sql.Identifier:
        return sql.Identifier("pgai", self.queue)

    @property
    def store_label(self) -> str:
        return f"pgai.{_show(self.store)}"


def _show(name: str) -> str:
    """An identifier as a user would type it (quoted only when needed: case, characters, reserved words)."""
    return quote_ident(name)


def parse_table_column(text: str) -> tuple[str | None, str, str]:
    """`[schema.]table.column` (quoted identifiers keep their case) -> (schema or None, table, column)."""
    cleaned = text.strip()
    try:
        node = sqlglot.parse_one(cleaned, read="postgres")
    except sqlglot.errors.ParseError:
        node = None
    parts = node.parts if isinstance(node, exp.Column) else []
    if len(parts) not in (2, 3) or not all(isinstance(p, exp.Identifier) for p in parts):
        raise ConfigError(
            f"expected TABLE.COLUMN or SCHEMA.TABLE.COLUMN, not {text!r} (quote names with capitals or spaces: "
            '"My Table"."Question")'
        )
    names = [p.name if p.args.get("quoted") else p.name.lower() for p in parts]
    if len(names) == 2:
        return None, names[0], names[1]
    return names[0], names[1], names[2]


def resolve_source(conn: psycopg.Connection, text: str) -> Source:
    """Find `[schema.]table.column` on the server: a table with a primary key and a text column."""
    schema, table, column = parse_table_column(text)
    shown = f"{_show(schema)}.{_show(table)}" if schema else _show(table)
    row = conn.execute(
        """SELECT c.oid, n.nspname, c.relname, c.relkind
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.oid = to_regclass(CASE WHEN %(s)s::text IS NULL THEN quote_ident(%(t)s)
                                           ELSE quote_ident(%(s)s) || '.' || quote_ident(%(t)s) END)""",
        {"s": schema, "t": table},
    ).fetchone()
    if row is None:
        raise ConfigError(f"table {shown} does not exist (or is not on the search_path): check the name")
    oid, schema_name, table_name, relkind = row
    if relkind not in ("r", "p"):
        raise ConfigError(f"{shown} is not a table (embeddings need a table with a primary key)")
    col = conn.execute(
        """SELECT t.typcategory, format_type(a.atttypid, a.atttypmod)
             FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
            WHERE a.attrelid = %s AND a.attname = %s AND a.attnum > 0 AND NOT a.attisdropped""",
        (oid, column),
    ).fetchone()
    if col is None:
        names = [
            r[0]
            for r in conn.execute(
                "SELECT attname FROM pg_attribute WHERE attrelid = %s AND attnum > 0 AND NOT attisdropped "
                "ORDER BY attnum",
                (oid,),
            )
        ]
        raise ConfigError(f"column {_show(column)} not found in {shown}: it has {', '.join(map(_show, names))}")
    if col[0] != _STRING_CATEGORY:
        raise ConfigError(f"column {_show(column)} of {shown} is {col[1]}, not text: embed a text column")
    keys = conn.execute(
        """SELECT a.attname, format_type(a.atttypid, a.atttypmod)
             FROM pg_index i
             CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
             JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
            WHERE i.indrelid = %s AND i.indisprimary
            ORDER BY k.ord""",
        (oid,),
    ).fetchall()
    if not keys:
        raise ConfigError(
            f"table {shown} has no primary key: embeddings are stored by key, so add one "
            f"(ALTER TABLE {shown} ADD PRIMARY KEY (...)) and run embed again"
        )
    source = Source(schema_name, table_name, column, tuple(k[0] for k in keys), tuple(k[1] for k in keys), int(oid))
    clash = set(source.keys) & {source.embedding_column, *BOOKKEEPING}
    if clash:
        raise ConfigError(
            f"the primary key of {shown} has a column named {sorted(clash)[0]!r}, which the embedding side "
            "table uses for itself: rename that key column to embed this table"
        )
    return source


def _side_names(source: Source, taken: set[str]) -> tuple[str, str]:
    """Predictable names of the store and queue tables: `<table>_<column>_embedding` (schema first if not public)."""
    parts = [source.table, source.column] if source.schema == "public" else [source.schema, source.table, source.column]
    base = "_".join(parts)
    whole = "\x00".join((source.schema, source.table, source.column)).encode()
    digest = hashlib.blake2b(whole, digest_size=4).hexdigest()
    room = _MAX_IDENT - len("_embedding")
    if len(base.encode()) > room or f"{base}_embedding" in taken:
        base = base.encode()[: room - 9].decode(errors="ignore") + "_" + digest
    return f"{base}_embedding", f"{base}_queue"


_COLUMNS = (
    "id, source_schema, source_table, source_column, key_columns, key_types, source_oid, store_table, queue_table, "
    "model, dim"
)


def _target(row: tuple) -> Target:  # type: ignore[type-arg]
    tid, schema, table, column, keys, key_types, oid, store, queue, model, dim = row
    return Target(schema, table, column, tuple(keys), tuple(key_types), int(oid), tid, store, queue, model, dim)


def get_target(conn: psycopg.Connection, source: Source) -> Target | None:
    """The registry entry of `source`, if it was embedded before."""
    row = conn.execute(
        f"SELECT {_COLUMNS} FROM pgai.embedded_columns WHERE source_schema = %s AND source_table = %s "
        "AND source_column = %s",
        (source.schema, source.table, source.column),
    ).fetchone()
    return None if row is None else _target(row)


def list_targets(conn: psycopg.Connection) -> list[Target]:
    """Every embedded column, oldest first."""
    return [_target(r) for r in conn.execute(f"SELECT {_COLUMNS} FROM pgai.embedded_columns ORDER BY id")]


def register(conn: psycopg.Connection, source: Source, model: str, dim: int) -> Target:
    """Insert or update the registry entry of `source` (in the caller's transaction)."""
    existing = get_target(conn, source)
    if existing is not None:
        conn.execute(
            "UPDATE pgai.embedded_columns SET model = %s, dim = %s, key_columns = %s, key_types = %s, "
            "source_oid = %s, updated_at = now() WHERE id = %s",
            (model, dim, list(source.keys), list(source.key_types), source.oid, existing.id),
        )
        store, queue, tid = existing.store, existing.queue, existing.id
    else:
        taken = {r[0] for r in conn.execute("SELECT store_table FROM pgai.embedded_columns")}
        taken |= {r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'pgai'")}
        store, queue = _side_names(source, taken)
        tid = conn.execute(
            "INSERT INTO pgai.embedded_columns (source_schema, source_table, source_column, key_columns, key_types, "
            "source_oid, store_table, queue_table, model, dim) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
            "RETURNING id",
            (
                source.schema,
                source.table,
                source.column,
                list(source.keys),
                list(source.key_types),
                source.oid,
                store,
                queue,
                model,
                dim,
            ),
        ).fetchone()[0]  # type: ignore[index]
    return Target(
        source.schema,
        source.table,
        source.column,
        source.keys,
        source.key_types,
        source.oid,
        tid,
        store,
        queue,
        model,
        dim,
    )

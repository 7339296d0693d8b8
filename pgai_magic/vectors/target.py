"""Embedded columns: parse `TABLE.COLUMN`, check it in the catalog, name its side tables, read the registry."""

from __future__ import annotations

import hashlib
import re
import string
from dataclasses import dataclass

import psycopg
import sqlglot
from psycopg import sql
from sqlglot import exp

from pgai_magic import catalog
from pgai_magic.errors import ConfigError
from pgai_magic.sqltext import quote_ident

__all__ = [
    "Options",
    "Source",
    "Target",
    "activate",
    "find_target",
    "get_target",
    "list_targets",
    "parse_table_column",
    "register",
    "resolve_source",
    "resolve_template",
    "template_parts",
]

_MAX_IDENT = 63
_STRING_CATEGORY = "S"  # pg_type.typcategory of text, varchar, char, name, citext
BOOKKEEPING = ("chunk", "chunk_start", "chunk_end", "chunk_text", "text_search", "embedded_at", "writes")
LAYOUT = 2  # the store table layout this version writes (see sql/011_embeddings_v2.sql)


@dataclass(frozen=True)
class Source:
    """What to embed: one text column, or a template over several columns, of a table with a primary key.

    `column` is the embedding's name: the column itself, or the `--name` of a template; `columns` are the
    table columns the text is made of, `template` (None for one column) a `str.format` text over them.
    """

    schema: str
    table: str
    column: str
    keys: tuple[str, ...]
    key_types: tuple[str, ...]
    oid: int = 0
    columns: tuple[str, ...] = ()
    template: str | None = None

    def __post_init__(self) -> None:
        if not self.columns:
            object.__setattr__(self, "columns", (self.column,))

    @property
    def label(self) -> str:
        return ".".join(_show(part) for part in (self.schema, self.table, self.column))

    @property
    def table_ident(self) -> sql.Identifier:
        return sql.Identifier(self.schema, self.table)

    @property
    def embedding_column(self) -> str:
        return f"{self.column}_embedding"[:_MAX_IDENT]

    def text_sql(self, alias: str) -> sql.Composable:
        """The text to embed as SQL over the row `alias`: NULL when every column of it is NULL or blank."""
        cols = [sql.SQL("{}::text").format(sql.Identifier(alias, c)) for c in self.columns]
        if self.template is None:
            return cols[0]
        blank = sql.SQL(" AND ").join(sql.SQL("coalesce(btrim({}), '') = ''").format(c) for c in cols)
        pieces: list[sql.Composable] = []
        for literal, field in template_parts(self.template):
            if literal:
                pieces.append(sql.Literal(literal))
            if field is not None:
                pieces.append(sql.SQL("{}::text").format(sql.Identifier(alias, field)))
        return sql.SQL("CASE WHEN {} THEN NULL ELSE concat({}) END").format(blank, sql.SQL(", ").join(pieces))


@dataclass(frozen=True)
class Target(Source):
    """An embedded column or template: its source, the side tables in `pgai`, the model and the chunking."""

    id: int = 0
    store: str = ""
    queue: str = ""
    model: str = ""
    dim: int = 0
    chunk_tokens: int | None = None  # None: chunking.DEFAULT_CHUNK_TOKENS (at most the model's window)
    chunk_overlap: int | None = None  # None: the default overlap
    text_search: str = "english"  # the full-text search configuration of the hybrid search
    layout: int = LAYOUT
    active: bool = True  # the model `similar` uses when none is named (other models' vectors are kept)

    @property
    def store_ident(self) -> sql.Identifier:
        return sql.Identifier("pgai", self.store)

    @property
    def queue_ident(self) -> sql.Identifier:
        return sql.Identifier("pgai", self.queue)

    @property
    def store_label(self) -> str:
        return f"pgai.{_show(self.store)}"


def template_parts(template: str) -> list[tuple[str, str | None]]:
    """(literal text, column name or None) pairs of a `str.format` template such as "{title}: {body}"."""
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise ConfigError(
            f"--template {template!r} is not a valid template ({exc}): write columns as {{name}}"
        ) from None
    parts: list[tuple[str, str | None]] = []
    for literal, field, spec, conversion in parsed:
        if field is not None and (not field or spec or conversion):
            raise ConfigError(
                f"--template {template!r}: each {{...}} must be a column name alone, without a format or !conversion"
            )
        parts.append((literal, field))
    if not any(field for _, field in parts):
        raise ConfigError(
            f'--template {template!r} names no column: write columns as {{name}}, e.g. "{{title}}: {{body}}"'
        )
    return parts


def _show(name: str) -> str:
    """An identifier as a user would type it (quoted only when needed: case, characters, reserved words)."""
    return quote_ident(name)


def _parts(text: str, sizes: tuple[int, ...], expected: str) -> list[str]:
    node = None
    try:
        node = sqlglot.parse_one(text.strip(), read="postgres")
    except sqlglot.errors.ParseError:
        pass
    parts = node.parts if isinstance(node, exp.Column) else []
    if len(parts) not in sizes or not all(isinstance(p, exp.Identifier) for p in parts):
        raise ConfigError(
            f'expected {expected}, not {text!r} (quote names with capitals or spaces: "My Table"."Question")'
        )
    return [p.name if p.args.get("quoted") else p.name.lower() for p in parts]


def parse_table_column(text: str) -> tuple[str | None, str, str]:
    """`[schema.]table.column` (quoted identifiers keep their case) -> (schema or None, table, column)."""
    names = _parts(text, (2, 3), "TABLE.COLUMN or SCHEMA.TABLE.COLUMN")
    if len(names) == 2:
        return None, names[0], names[1]
    return names[0], names[1], names[2]


@dataclass(frozen=True)
class _Table:
    relation: catalog.Relation
    schema: str
    table: str
    shown: str
    columns: dict[str, tuple[str, str]]  # name -> (pg_type.typcategory, format_type)

    @property
    def oid(self) -> int:
        return self.relation.oid


def _find_table(conn: psycopg.Connection, schema: str | None, table: str) -> _Table:
    shown = f"{_show(schema)}.{_show(table)}" if schema else _show(table)
    read = catalog.reader(conn)
    rel = catalog.find_relation(
        read, catalog.quoted_name(schema, table) if schema else catalog.quoted_name(table), shown
    )
    if rel is None:
        raise ConfigError(f"table {shown} does not exist (or is not on the search_path): check the name")
    if rel.relkind not in ("r", "p"):
        raise ConfigError(f"{shown} is not a table (embeddings need a table with a primary key)")
    columns = {a.name: (a.category, a.type) for a in catalog.read_attributes(read, rel)}
    return _Table(rel, rel.schema, rel.name, shown, columns)


def _keys(conn: psycopg.Connection, found: _Table) -> list[tuple[str, str]]:
    keys = [(k, found.columns[k][1]) for k in catalog.primary_key(catalog.reader(conn), found.relation)]
    if not keys:
        raise ConfigError(
            f"table {found.shown} has no primary key: embeddings are stored by key, so add one "
            f"(ALTER TABLE {found.shown} ADD PRIMARY KEY (...)) and run embed again"
        )
    return keys


def _missing(found: _Table, column: str) -> ConfigError:
    names = ", ".join(map(_show, found.columns))
    return ConfigError(f"column {_show(column)} not found in {found.shown}: it has {names}")


def _source(
    found: _Table, keys: list[tuple[str, str]], name: str, columns: tuple[str, ...], template: str | None
) -> Source:
    source = Source(
        found.schema, found.table, name, tuple(k for k, _ in keys), tuple(t for _, t in keys), found.oid,
        columns, template,
    )  # fmt: skip
    clash = set(source.keys) & {source.embedding_column, *BOOKKEEPING}
    if clash:
        raise ConfigError(
            f"the primary key of {found.shown} has a column named {sorted(clash)[0]!r}, which the embedding side "
            "table uses for itself: rename that key column to embed this table"
        )
    return source


def resolve_source(conn: psycopg.Connection, text: str) -> Source:
    """Find `[schema.]table.column` on the server: a table with a primary key and a text column."""
    schema, table, column = parse_table_column(text)
    found = _find_table(conn, schema, table)
    if column not in found.columns:
        raise _missing(found, column)
    category, type_name = found.columns[column]
    if category != _STRING_CATEGORY:
        raise ConfigError(
            f"column {_show(column)} of {found.shown} is {type_name}, not text: embed a text column "
            '(or several with --template "{a}: {b}")'
        )
    return _source(found, _keys(conn, found), column, (column,), None)


def resolve_template(conn: psycopg.Connection, table: str, template: str, name: str | None = None) -> Source:
    """A template over columns of `[schema.]table` ("{title}: {description}"), named `name`.

    The name (default: the column names joined by `_`) names the embedding: `table.name` in `similar`,
    `<name>_embedding` for its vectors. Raises ConfigError for a missing column or a bad template or name.
    """
    names = _parts(table, (1, 2), "TABLE or SCHEMA.TABLE")
    found = _find_table(conn, *(names if len(names) == 2 else [None, names[0]]))
    columns = tuple(dict.fromkeys(field for _, field in template_parts(template) if field))
    for column in columns:
        if column not in found.columns:
            raise _missing(found, column)
    label = name if name is not None else "_".join(columns)
    if not label or len(label.encode()) > _MAX_IDENT - len("_embedding"):
        raise ConfigError(f"--name {label!r} must be 1 to {_MAX_IDENT - len('_embedding')} bytes long")
    if name is not None and name in found.columns and (name,) != columns:
        raise ConfigError(
            f"--name {name!r} is a column of {found.shown}: pick another name for the template's embedding"
        )
    return _source(found, _keys(conn, found), label, columns, template)


def find_target(conn: psycopg.Connection, text: str, model: str | None = None) -> Target:
    """The embedding `[schema.]table.name` (a column or a template's name) made by `model` (None: the active
    model); ConfigError when not embedded (with that model)."""
    schema, table, name = parse_table_column(text)
    found = _find_table(conn, schema, table)
    source = Source(found.schema, found.table, name, (), (), found.oid)
    target = get_target(conn, source, model)
    if target is not None and target.layout != LAYOUT:
        raise ConfigError(
            f"{text.strip()} was embedded by an older pgai_magic (before chunks and full-text search): run "
            f"%pgai embed {_show(found.table)}.{_show(name)} again to rebuild its vectors"
        )
    if target is not None:
        return target
    models = [t.model for t in list_targets(conn) if (t.schema, t.table, t.column) == (found.schema, found.table, name)]
    if models:
        raise ConfigError(f"{text.strip()} is not embedded with {model!r}: it is with {', '.join(models)}")
    if name not in found.columns:
        raise ConfigError(f"{found.shown} has no column and no embedding named {_show(name)}: check the name")
    label = f"{_show(found.schema)}.{_show(found.table)}.{_show(name)}"
    raise ConfigError(f"{label} is not embedded yet: run %pgai embed {_show(found.table)}.{_show(name)} first")


def _side_names(source: Source, taken: set[str], model: str | None = None) -> tuple[str, str]:
    """Predictable names of the store and queue tables: `<table>_<column>_embedding` (schema first if not public;
    a second model's end in `_<model>_embedding`)."""
    parts = [source.table, source.column] if source.schema == "public" else [source.schema, source.table, source.column]
    if model is not None:
        parts.append(re.sub(r"\W+", "_", model.rstrip("/").rsplit("/", 1)[-1].lower()).strip("_")[:24])
    base = "_".join(parts)
    whole = "\x00".join((source.schema, source.table, source.column, model or "")).encode()
    digest = hashlib.blake2b(whole, digest_size=4).hexdigest()
    room = _MAX_IDENT - len("_embedding")
    if len(base.encode()) > room or f"{base}_embedding" in taken:
        base = base.encode()[: room - 9].decode(errors="ignore") + "_" + digest
    return f"{base}_embedding", f"{base}_queue"


_COLUMNS = (
    "id, source_schema, source_table, source_column, key_columns, key_types, source_oid, store_table, queue_table, "
    "model, dim, source_columns, template, chunk_tokens, chunk_overlap, text_search::text, layout, active"
)


def _target(row: tuple) -> Target:  # type: ignore[type-arg]
    tid, schema, table, column, keys, key_types, oid, store, queue, model, dim = row[:11]
    columns, template, chunk_tokens, chunk_overlap, text_search, layout, active = row[11:]
    return Target(
        schema, table, column, tuple(keys), tuple(key_types), int(oid), tuple(columns), template,
        tid, store, queue, model, dim, chunk_tokens, chunk_overlap, text_search, layout, active,
    )  # fmt: skip


def get_target(conn: psycopg.Connection, source: Source, model: str | None = None) -> Target | None:
    """The registry entry of `source` made by `model` (None: the active one), if it was embedded before."""
    row = conn.execute(
        f"SELECT {_COLUMNS} FROM pgai.embedded_columns WHERE source_schema = %s AND source_table = %s "
        "AND source_column = %s AND (model = %s OR (%s::text IS NULL AND active))",
        (source.schema, source.table, source.column, model, model),
    ).fetchone()
    return None if row is None else _target(row)


def activate(conn: psycopg.Connection, target: Target) -> None:
    """Make `target`'s model the one `similar` uses for its column (the other models' vectors stay)."""
    with conn.transaction():
        where = "source_schema = %s AND source_table = %s AND source_column = %s"
        args = (target.schema, target.table, target.column)
        conn.execute(f"UPDATE pgai.embedded_columns SET active = false WHERE {where} AND id <> %s", (*args, target.id))
        conn.execute("UPDATE pgai.embedded_columns SET active = true WHERE id = %s", (target.id,))


def list_targets(conn: psycopg.Connection) -> list[Target]:
    """Every embedded column, oldest first."""
    return [_target(r) for r in conn.execute(f"SELECT {_COLUMNS} FROM pgai.embedded_columns ORDER BY id")]


@dataclass(frozen=True)
class Options:
    """How an embedding is made beyond its model: chunk sizes (None: the defaults) and full-text language."""

    chunk_tokens: int | None = None
    chunk_overlap: int | None = None
    text_search: str = "english"


def register(conn: psycopg.Connection, source: Source, model: str, dim: int, options: Options | None = None) -> Target:
    """Insert or update the registry entry of `source` (in the caller's transaction)."""
    opts = options or Options()
    existing = get_target(conn, source, model)
    values = (
        model, dim, list(source.keys), list(source.key_types), source.oid, list(source.columns), source.template,
        opts.chunk_tokens, opts.chunk_overlap, opts.text_search, LAYOUT,
    )  # fmt: skip
    if existing is not None:
        conn.execute(
            "UPDATE pgai.embedded_columns SET model = %s, dim = %s, key_columns = %s, key_types = %s, "
            "source_oid = %s, source_columns = %s, template = %s, chunk_tokens = %s, chunk_overlap = %s, "
            "text_search = %s::regconfig, layout = %s, updated_at = now() WHERE id = %s",
            (*values, existing.id),
        )
        store, queue = existing.store, existing.queue
    else:
        taken = {r[0] for r in conn.execute("SELECT store_table FROM pgai.embedded_columns")}
        taken |= {r.name for r in catalog.list_relations(catalog.reader(conn), "pgai", sizes=False)}
        first = get_target(conn, source) is None  # the first model is active at once; later ones when complete
        store, queue = _side_names(source, taken, None if first else model)
        conn.execute(
            "INSERT INTO pgai.embedded_columns (source_schema, source_table, source_column, store_table, queue_table, "
            "model, dim, key_columns, key_types, source_oid, source_columns, template, chunk_tokens, chunk_overlap, "
            "text_search, layout, active) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s::regconfig, %s, %s)",
            (source.schema, source.table, source.column, store, queue, *values, first),
        )
    target = get_target(conn, source, model)
    assert target is not None
    return target

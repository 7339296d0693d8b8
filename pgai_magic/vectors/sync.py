"""Keeping an embedded column in sync: side tables, triggers, the backfill queue and the HNSW index."""

from __future__ import annotations

import json

import psycopg
from psycopg import sql

from pgai_magic import catalog
from pgai_magic.db import scalar
from pgai_magic.errors import EmbeddingError
from pgai_magic.vectors.target import LAYOUT, Options, Source, Target, get_target, register

__all__ = [
    "chunked_rows",
    "create_index",
    "drop",
    "enqueue_missing",
    "has_chunks",
    "index_name",
    "install",
    "queue_length",
]

_EVENTS = {"ins": "INSERT", "upd": "UPDATE", "del": "DELETE", "trunc": "TRUNCATE"}


def _key_defs(source: Source) -> sql.Composable:
    return sql.SQL(", ").join(
        sql.SQL("{} {} NOT NULL").format(sql.Identifier(k), sql.SQL(t))  # types from format_type()
        for k, t in zip(source.keys, source.key_types)
    )


def _key_list(source: Source, alias: str | None = None) -> sql.Composable:
    return sql.SQL(", ").join(sql.Identifier(alias, k) if alias else sql.Identifier(k) for k in source.keys)


def key_match(source: Source, left: str, right: str) -> sql.Composable:
    """`left.k1 = right.k1 AND ...` over the key columns."""
    return sql.SQL(" AND ").join(
        sql.SQL("{} = {}").format(sql.Identifier(left, k), sql.Identifier(right, k)) for k in source.keys
    )


def trigger_name(target: Target, event: str) -> str:
    """`pgai_embed_<column>_<registry id>_<event>`: one set of triggers per model of a column."""
    name = f"pgai_embed_{target.column}_{target.id}_{event}"
    return name if len(name.encode()) <= 63 else f"pgai_embed_{target.id}_{target.store[:30]}_{event}"


def _legacy_trigger_name(target: Target, event: str) -> str:
    """The trigger name of pgai_magic before several models per column (dropped when met)."""
    name = f"pgai_embed_{target.column}_{event}"
    return name if len(name.encode()) <= 63 else f"pgai_embed_{target.id}_{target.store[:30]}_{event}"


def visible_function(target: Target) -> sql.Identifier:
    """The function the side tables' row-level security calls (sql/040_source_privileges.sql)."""
    return sql.Identifier("pgai", f"embedding_visible_{target.id}")


def index_name(target: Target) -> str:
    return target.store[: 63 - len("_hnsw")] + "_hnsw"


def install(
    conn: psycopg.Connection, source: Source, model: str, dim: int, options: Options | None = None
) -> tuple[Target, bool]:
    """Create (or refresh) the side tables, triggers and registry entry; True when vectors were reset.

    Runs in one transaction, so rows written concurrently are either seen by the backfill or queued
    by the trigger. A different model, dimension, key, text columns, template, chunk sizes or full-text
    language, a table created anew, or a store of an older layout drops the old vectors.
    """
    try:
        return _install(conn, source, model, dim, options or Options())
    except psycopg.errors.LockNotAvailable:
        raise EmbeddingError(
            f"{source.label} is locked by another transaction (an open BEGIN in this notebook?): "
            "COMMIT or ROLLBACK it, then run embed again"
        ) from None


def _changed(previous: Target, target: Target) -> bool:
    """Whether the vectors of `previous` no longer fit `target` (they are dropped and made again)."""
    fields = ("dim", "keys", "key_types", "oid", "columns", "template", "chunk_tokens", "chunk_overlap")
    return (
        any(getattr(previous, f) != getattr(target, f) for f in fields)
        or previous.text_search != target.text_search
        or previous.layout != LAYOUT
    )


def _install(conn: psycopg.Connection, source: Source, model: str, dim: int, options: Options) -> tuple[Target, bool]:
    with conn.transaction():
        conn.execute("SET LOCAL lock_timeout = '10s'")
        previous = get_target(conn, source, model)
        target = register(conn, source, model, dim, options)
        reset = previous is not None and _changed(previous, target)
        if reset:
            conn.execute(sql.SQL("DROP TABLE IF EXISTS {}, {}").format(target.store_ident, target.queue_ident))
        conn.execute(
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {store} ({keys}, chunk integer NOT NULL DEFAULT 0, "
                "chunk_start integer NOT NULL DEFAULT 0, chunk_end integer NOT NULL DEFAULT 0, chunk_text text, "
                "{emb} vector({dim}) NOT NULL, text_search tsvector, "
                "embedded_at timestamptz NOT NULL DEFAULT now(), writes integer NOT NULL DEFAULT 1, "
                "PRIMARY KEY ({key_list}, chunk))"
            ).format(
                store=target.store_ident,
                keys=_key_defs(source),
                emb=sql.Identifier(source.embedding_column),
                dim=sql.Literal(dim),
                key_list=_key_list(source),
            )
        )
        conn.execute(
            sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} ({}) WHERE chunk = 1").format(
                sql.Identifier(target.store[:54] + "_chunked"), target.store_ident, _key_list(source)
            )
        )
        conn.execute(
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {queue} ({keys}, enqueued_at timestamptz NOT NULL DEFAULT "
                "clock_timestamp(), PRIMARY KEY ({key_list}))"
            ).format(queue=target.queue_ident, keys=_key_defs(source), key_list=_key_list(source))
        )
        conn.execute(
            sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} (enqueued_at)").format(
                sql.Identifier(target.queue[:54] + "_order"), target.queue_ident
            )
        )
        conn.execute(
            sql.SQL("COMMENT ON TABLE {} IS {}").format(
                target.store_ident,
                sql.Literal(
                    f"pgai_magic: {dim}-dim {model} embeddings of {source.label}"
                    + (f" (template {source.template!r})" if source.template else "")
                    + f", by primary key and chunk (long texts are split into chunks 0, 1, ...); "
                    f"join with USING ({', '.join(source.keys)})"
                ),
            )
        )
        _create_triggers(conn, target)
        conn.execute("SELECT pgai.protect_embedding(%s)", (target.id,))  # the side tables follow the source
    return target, reset


def _create_triggers(conn: psycopg.Connection, target: Target) -> None:
    args = [target.queue, json.dumps(list(target.columns)), json.dumps(list(target.keys)), target.store]
    arg_list = sql.SQL(", ").join(sql.Literal(a) for a in args)
    # the legacy names belong to the first model of a column
    alone = not scalar(
        conn,
        "SELECT EXISTS (SELECT FROM pgai.embedded_columns WHERE source_schema = %s AND source_table = %s "
        "AND source_column = %s AND id < %s)",
        (target.schema, target.table, target.column, target.id),
    )
    for event, verb in _EVENTS.items():
        name = sql.Identifier(trigger_name(target, event))
        olds = [name, sql.Identifier(_legacy_trigger_name(target, event))] if alone else [name]
        for old in olds:
            conn.execute(sql.SQL("DROP TRIGGER IF EXISTS {} ON {}").format(old, target.table_ident))
        referencing = {
            "ins": "REFERENCING NEW TABLE AS pgai_new",
            "upd": "REFERENCING OLD TABLE AS pgai_old NEW TABLE AS pgai_new",
            "del": "REFERENCING OLD TABLE AS pgai_old",
            "trunc": "",
        }[event]
        conn.execute(
            sql.SQL(
                "CREATE TRIGGER {} AFTER {} ON {} {} FOR EACH STATEMENT EXECUTE FUNCTION pgai.embedding_sync({})"
            ).format(name, sql.SQL(verb), target.table_ident, sql.SQL(referencing), arg_list)
        )


def enqueue_missing(conn: psycopg.Connection, target: Target) -> int:
    """Queue every row with text and no vector yet (the backfill); returns how many rows were queued.

    Rows are queued shortest text first (`enqueued_at` is the clock at each insert and workers claim
    in that order), so each claimed batch holds texts of similar length: little padding in the model.
    """
    cur = conn.execute(
        sql.SQL(
            "INSERT INTO {queue} ({keys}) SELECT {t_keys} FROM {source} t WHERE btrim({text}) <> '' "
            "AND NOT EXISTS (SELECT FROM {store} s WHERE {match}) ORDER BY octet_length({text}) "
            "ON CONFLICT ({keys}) DO NOTHING"
        ).format(
            queue=target.queue_ident,
            keys=_key_list(target),
            t_keys=_key_list(target, "t"),
            source=target.table_ident,
            text=target.text_sql("t"),
            store=target.store_ident,
            match=key_match(target, "s", "t"),
        )
    )
    return max(cur.rowcount, 0)


def queue_length(conn: psycopg.Connection, target: Target) -> int:
    return int(scalar(conn, sql.SQL("SELECT count(*) FROM {}").format(target.queue_ident)))


def chunked_rows(conn: psycopg.Connection, target: Target) -> int:
    """How many rows of `target` were split into several chunks (their text is longer than a chunk)."""
    query = sql.SQL("SELECT count(*) FROM {} WHERE chunk = 1").format(target.store_ident)
    return int(scalar(conn, query))


def has_chunks(conn: psycopg.Connection, target: Target) -> bool:
    """Whether any row of `target` was split into several chunks."""
    query = sql.SQL("SELECT EXISTS (SELECT FROM {} WHERE chunk = 1)").format(target.store_ident)
    return bool(scalar(conn, query))


def _create_text_index(conn: psycopg.Connection, target: Target) -> None:
    conn.execute(
        sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} USING gin (text_search)").format(
            sql.Identifier(target.store[: 63 - len("_text_search")] + "_text_search"), target.store_ident
        )
    )


def create_index(conn: psycopg.Connection, target: Target, *, rows: int = 0) -> bool:
    """Build the HNSW cosine index and the full-text GIN index if missing (after the backfill: a bulk build
    beats row inserts); True when the HNSW index was built now."""
    name = index_name(target)
    if catalog.find_relation(catalog.reader(conn), catalog.quoted_name("pgai", name), name) is not None:
        _create_text_index(conn, target)
        return False
    # the graph should fit in memory: about (4 * dim + 200) bytes per row, with room to spare
    need_mb = max(64, min(2048, int(rows * (4 * target.dim + 200) * 2 / 2**20) + 64))
    with conn.transaction():
        conn.execute(sql.SQL("SET LOCAL maintenance_work_mem = {}").format(sql.Literal(f"{need_mb}MB")))
        conn.execute(
            sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} USING hnsw ({} vector_cosine_ops)").format(
                sql.Identifier(name), target.store_ident, sql.Identifier(target.embedding_column)
            )
        )
        _create_text_index(conn, target)
    return True


def drop(conn: psycopg.Connection, target: Target) -> None:
    """Remove an embedded column: triggers, side tables and registry entry (the source table stays)."""
    with conn.transaction():
        present = catalog.relations_exist(catalog.reader(conn), [catalog.quoted_name(target.schema, target.table)])[0]
        for event in _EVENTS if present else ():
            for name in {trigger_name(target, event), _legacy_trigger_name(target, event)}:
                conn.execute(
                    sql.SQL("DROP TRIGGER IF EXISTS {} ON {}").format(sql.Identifier(name), target.table_ident)
                )
        conn.execute(sql.SQL("DROP TABLE IF EXISTS {}, {}").format(target.store_ident, target.queue_ident))
        conn.execute(sql.SQL("DROP FUNCTION IF EXISTS {}").format(visible_function(target)))
        conn.execute("DELETE FROM pgai.embedded_columns WHERE id = %s", (target.id,))

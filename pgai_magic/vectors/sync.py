"""Keeping an embedded column in sync: side tables, triggers, the backfill queue and the HNSW index."""

from __future__ import annotations

import json

import psycopg
from psycopg import sql

from pgai_magic.errors import EmbeddingError
from pgai_magic.vectors.target import Source, Target, get_target, register

__all__ = ["create_index", "drop", "enqueue_missing", "index_name", "install", "queue_length"]

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
    name = f"pgai_embed_{target.column}_{event}"
    return name if len(name.encode()) <= 63 else f"pgai_embed_{target.id}_{target.store[:30]}_{event}"


def index_name(target: Target) -> str:
    return target.store[: 63 - len("_hnsw")] + "_hnsw"


def install(conn: psycopg.Connection, source: Source, model: str, dim: int) -> tuple[Target, bool]:
    """Create (or refresh) the side tables, triggers and registry entry; True when vectors were reset.

    Runs in one transaction, so rows written concurrently are either seen by the backfill or queued
    by the trigger. A different model, dimension or key, or a table created anew, drops the old vectors.
    """
    try:
        return _install(conn, source, model, dim)
    except psycopg.errors.LockNotAvailable:
        raise EmbeddingError(
            f"{source.label} is locked by another transaction (an open BEGIN in this notebook?): "
            "COMMIT or ROLLBACK it, then run embed again"
        ) from None


def _install(conn: psycopg.Connection, source: Source, model: str, dim: int) -> tuple[Target, bool]:
    with conn.transaction():
        conn.execute("SET LOCAL lock_timeout = '10s'")
        previous = get_target(conn, source)
        target = register(conn, source, model, dim)
        reset = previous is not None and (
            previous.model != model
            or previous.dim != dim
            or previous.keys != source.keys
            or previous.key_types != source.key_types
            or previous.oid != source.oid  # the table was dropped and created again
        )
        if reset:
            conn.execute(sql.SQL("DROP TABLE IF EXISTS {}, {}").format(target.store_ident, target.queue_ident))
        conn.execute(
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {store} ({keys}, {emb} vector({dim}) NOT NULL, "
                "embedded_at timestamptz NOT NULL DEFAULT now(), writes integer NOT NULL DEFAULT 1, "
                "PRIMARY KEY ({key_list}))"
            ).format(
                store=target.store_ident,
                keys=_key_defs(source),
                emb=sql.Identifier(source.embedding_column),
                dim=sql.Literal(dim),
                key_list=_key_list(source),
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
                    f"pgai_magic: {dim}-dim {model} embeddings of {source.label}, by primary key; "
                    f"join with USING ({', '.join(source.keys)})"
                ),
            )
        )
        _create_triggers(conn, target)
    return target, reset


def _create_triggers(conn: psycopg.Connection, target: Target) -> None:
    args = [target.queue, target.column, json.dumps(list(target.keys)), target.store]
    arg_list = sql.SQL(", ").join(sql.Literal(a) for a in args)
    for event, verb in _EVENTS.items():
        name = sql.Identifier(trigger_name(target, event))
        conn.execute(sql.SQL("DROP TRIGGER IF EXISTS {} ON {}").format(name, target.table_ident))
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
            "INSERT INTO {queue} ({keys}) SELECT {t_keys} FROM {source} t WHERE btrim(t.{col}) <> '' "
            "AND NOT EXISTS (SELECT FROM {store} s WHERE {match}) ORDER BY octet_length(t.{col}) "
            "ON CONFLICT ({keys}) DO NOTHING"
        ).format(
            queue=target.queue_ident,
            keys=_key_list(target),
            t_keys=_key_list(target, "t"),
            source=target.table_ident,
            col=sql.Identifier(target.column),
            store=target.store_ident,
            match=key_match(target, "s", "t"),
        )
    )
    return max(cur.rowcount, 0)


def queue_length(conn: psycopg.Connection, target: Target) -> int:
    return int(conn.execute(sql.SQL("SELECT count(*) FROM {}").format(target.queue_ident)).fetchone()[0])  # type: ignore[index]


def create_index(conn: psycopg.Connection, target: Target, *, rows: int = 0) -> bool:
    """Build the HNSW cosine index if missing (after the backfill: a bulk build beats row inserts)."""
    name = index_name(target)
    exists = conn.execute("SELECT to_regclass('pgai.' || quote_ident(%s))", (name,)).fetchone()[0]  # type: ignore[index]
    if exists is not None:
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
    return True


def drop(conn: psycopg.Connection, target: Target) -> None:
    """Remove an embedded column: triggers, side tables and registry entry (the source table stays)."""
    with conn.transaction():
        present = conn.execute(
            "SELECT to_regclass(quote_ident(%s) || '.' || quote_ident(%s)) IS NOT NULL", (target.schema, target.table)
        ).fetchone()[0]  # type: ignore[index]
        for event in _EVENTS if present else ():
            conn.execute(
                sql.SQL("DROP TRIGGER IF EXISTS {} ON {}").format(
                    sql.Identifier(trigger_name(target, event)), target.table_ident
                )
            )
        conn.execute(sql.SQL("DROP TABLE IF EXISTS {}, {}").format(target.store_ident, target.queue_ident))
        conn.execute("DELETE FROM pgai.embedded_columns WHERE id = %s", (target.id,))

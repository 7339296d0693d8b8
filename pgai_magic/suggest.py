"""'Did you mean …' for unknown tables and columns, from the server's catalog."""

from __future__ import annotations

import difflib
import re

import psycopg

from pgai_magic.errors import SQLError
from pgai_magic.sqltext import quote_ident

__all__ = ["add_suggestion"]

# the server's own message shapes: relation "x" does not exist / column "y" does not exist
_QUOTED = re.compile(r'"([^"]+)"')


def _closest(word: str, candidates: list[str]) -> list[str]:
    lowered = {c.lower(): c for c in candidates}
    hits = difflib.get_close_matches(word.lower(), list(lowered), n=3, cutoff=0.6)
    return [lowered[h] for h in hits]


def _as_typed(dotted: str) -> str:
    """'schema.Table' or 'alias.Column' as SQL that runs when pasted: each part quoted where PostgreSQL needs it."""
    return ".".join(quote_ident(part) for part in dotted.split(".", 1))


def add_suggestion(err: SQLError, conn: psycopg.Connection) -> SQLError:
    """Fill err.hint with close names when the server reports an unknown table (42P01) or column (42703)."""
    if err.sqlstate not in ("42P01", "42703"):
        return err
    if err.hint and err.hint.startswith("Perhaps you meant to reference the column"):
        hint = "did you mean" + err.hint.removeprefix("Perhaps you meant to reference")
        err.hint = _QUOTED.sub(lambda m: _as_typed(m.group(1)), hint)  # the server's "alias.column", as typed
        return err
    if err.hint:
        return err
    match = _QUOTED.search(err.message)
    if not match:
        return err
    name = match.group(1).split(".")[-1]
    try:
        if err.sqlstate == "42P01":
            rows = conn.execute(
                """SELECT CASE WHEN n.nspname = ANY (current_schemas(false)) THEN c.relname
                               ELSE n.nspname || '.' || c.relname END
                   FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                   WHERE c.relkind IN ('r', 'v', 'm', 'p', 'f')
                     AND n.nspname NOT IN ('pg_catalog', 'information_schema')
                     AND n.nspname NOT LIKE 'pg_toast%%'"""
            ).fetchall()
            kind = "table"
        else:
            rows = conn.execute(
                """SELECT DISTINCT a.attname FROM pg_attribute a
                   JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
                   WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'v', 'm', 'p', 'f')
                     AND n.nspname = ANY (current_schemas(false))"""
            ).fetchall()
            kind = "column"
    except psycopg.Error:
        return err
    names = [r[0] for r in rows]
    hits = _closest(name, names) or _closest(name, [n.split(".")[-1] for n in names])
    if hits:
        # as typed in SQL: each part quoted only where PostgreSQL needs it, so the advice works when pasted
        shown = [
            ".".join(quote_ident(part) for part in h.split(".")) if kind == "table" else quote_ident(h) for h in hits
        ]
        err.hint = f"did you mean {kind} " + " or ".join(shown) + "?"
    return err

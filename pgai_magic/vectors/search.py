"""Similarity search over an embedded column: HNSW with iterative scans, an optional validated filter."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import psycopg
import sqlglot
from psycopg import sql
from sqlglot import exp
from sqlglot.tokens import TokenType

from pgai_magic.errors import ConfigError, QueryCancelled, SQLError
from pgai_magic.readonly import check_read_condition
from pgai_magic.sqltext import WRITE_NODES, tokenize
from pgai_magic.vectors.sync import key_match
from pgai_magic.vectors.target import Target

__all__ = ["search", "validate_where"]

_NOT_BOOLEAN = (exp.Literal, exp.Add, exp.Sub, exp.Mul, exp.Div, exp.Mod, exp.Neg, exp.Query, exp.Star, exp.Null)
_DISTANCE = "pgai_distance"


def validate_where(where: str) -> str:
    """Check that `where` is one boolean SQL expression with no statement in it; returns it stripped."""
    text = where.strip()
    if not text:
        raise ConfigError("--where is empty: give a condition such as \"category = 'billing'\"")
    try:
        tokens = tokenize(text)
    except Exception as exc:  # noqa: BLE001 - sqlglot raises its own TokenError
        raise ConfigError(f"cannot read --where {where!r}: {exc}") from None
    if any(t.token_type == TokenType.SEMICOLON for t in tokens):
        raise ConfigError(f"--where must be one condition, without ';': {where!r}")
    try:
        node = sqlglot.parse_one(text, read="postgres")
    except sqlglot.errors.ParseError as exc:
        first = str(exc).splitlines()[0]
        raise ConfigError(f"--where {where!r} is not a valid SQL condition: {first}") from None
    bad = next((n for n in node.walk() if isinstance(n, WRITE_NODES)), None)
    if bad is not None:
        raise ConfigError(f"--where may only read data; it contains {type(bad).__name__.upper()}: {where!r}")
    check_read_condition(text, what="--where", error=ConfigError)  # row locks, lo_import, admin functions
    root = node.unnest() if isinstance(node, exp.Paren) else node
    if isinstance(root, _NOT_BOOLEAN) and not isinstance(root, exp.Boolean):
        raise ConfigError(f'--where must be a true/false condition (like "price > 10"), not {where!r}')
    return text


def _query(target: Target, where: str | None, *, exact: bool) -> sql.Composed:
    emb = sql.SQL("e.{}").format(sql.Identifier(target.embedding_column))
    source: sql.Composable = target.table_ident
    if where is not None:
        # the filter sees only the table's columns (the user's SQL, checked by validate_where)
        clause = sql.SQL(where.replace("%", "%%"))  # type: ignore[arg-type]  # literal text, not placeholders
        source = sql.SQL("(SELECT * FROM {} WHERE (\n{}\n))").format(target.table_ident, clause)
    order = sql.SQL("({} <=> %(q)s) + 0" if exact else "{} <=> %(q)s").format(emb)
    return sql.SQL(
        "WITH hits AS MATERIALIZED (SELECT t.*, {emb} <=> %(q)s AS {dist} FROM {source} t JOIN {store} e ON {match} "
        "ORDER BY {order} LIMIT %(k)s) SELECT * FROM hits ORDER BY {dist} + 0"
    ).format(
        emb=emb,
        dist=sql.Identifier(_DISTANCE),
        source=source,
        store=target.store_ident,
        match=key_match(target, "t", "e"),
        order=order,
    )


def search(
    conn: psycopg.Connection,
    target: Target,
    vector: np.ndarray,
    *,
    k: int = 5,
    where: str | None = None,
    timeout_s: float = 30.0,
    ef_search: int = 100,
) -> pd.DataFrame:
    """The `k` rows nearest to `vector` (all the table's columns plus `similarity`), best first.

    Uses the HNSW index with pgvector's iterative scan (relaxed order, re-sorted), so a selective
    filter still fills `k` rows; if the scan stops short, an exact search answers instead.
    `ef_search` (at least `k`) trades speed for recall.
    """
    if k < 1:
        raise ConfigError(f"--k must be at least 1, not {k}")
    clause = validate_where(where) if where is not None else None
    params = {"q": np.asarray(vector, dtype=np.float32), "k": k}
    try:
        rows, names, exact = _run(conn, target, clause, params, k, timeout_s, ef_search)
    except psycopg.errors.QueryCanceled:
        raise QueryCancelled(f"the search ran past the {timeout_s:g} s statement timeout and was cancelled") from None
    except psycopg.Error as exc:
        diag = exc.diag
        where_note = " (in --where)" if clause is not None else ""
        raise SQLError(
            f"{diag.message_primary or exc}{where_note}", sqlstate=diag.sqlstate, hint=diag.message_hint
        ) from None
    frame = pd.DataFrame.from_records(rows, columns=names)
    distance = frame.pop(_DISTANCE).astype("float64")
    score = "similarity" if "similarity" not in frame.columns else "pgai_similarity"
    frame[score] = 1.0 - distance
    frame.attrs["search"] = "exact" if exact else "hnsw"  # exact: the index scan ran short, a full scan answered
    return frame


def _run(
    conn: psycopg.Connection,
    target: Target,
    clause: str | None,
    params: dict[str, Any],
    k: int,
    timeout_s: float,
    ef_search: int,
) -> tuple[list[tuple[Any, ...]], list[str], bool]:
    """Run the search in a read-only transaction; (rows, column names, whether the exact fallback ran)."""
    with conn.transaction(), conn.cursor() as cur:
        cur.execute("SET TRANSACTION READ ONLY")
        cur.execute(sql.SQL("SET LOCAL statement_timeout = {}").format(sql.Literal(int(max(timeout_s, 0.001) * 1000))))
        cur.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
        cur.execute(sql.SQL("SET LOCAL hnsw.ef_search = {}").format(sql.Literal(min(max(ef_search, k), 1000))))
        cur.execute(_query(target, clause, exact=False), params)
        rows = cur.fetchall()
        exact = len(rows) < k
        if exact:
            cur.execute(_query(target, clause, exact=True), params)
            rows = cur.fetchall()
        names = [d.name for d in cur.description or []]
    return rows, names, exact

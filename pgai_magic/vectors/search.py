"""Similarity search over an embedded column: HNSW with iterative scans, best chunk per row, hybrid with full text."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import psycopg
from psycopg import sql

from pgai_magic import catalog
from pgai_magic.db import read_only, translate
from pgai_magic.errors import ConfigError, SQLError
from pgai_magic.sqltext import check_read_condition
from pgai_magic.vectors.sync import key_match
from pgai_magic.vectors.target import Target

__all__ = ["RRF_K", "lexical_query", "search", "uses_web_syntax", "validate_where"]

_DISTANCE = "pgai_distance"
_CHUNK = "pgai_chunk"
_HITS = "pgai_hits"
_SCORE = "pgai_rrf_score"
_MAX_CHUNKS = 16_384  # chunks one index scan may ask for before the exact search answers
COMMON = 0.2  # a word in more than this share of the chunks is left out of the full-text side
LEXICAL_WEIGHT = 1.0  # the weight of the full-text ranks against the vector ranks
RRF_K = 60  # the constant of reciprocal-rank fusion: score = sum of 1 / (RRF_K + rank)


def validate_where(where: str) -> str:
    """Check that `where` is one boolean SQL expression with no statement in it; returns it stripped
    (sqltext.check_read_condition; ConfigError otherwise)."""
    return check_read_condition(where, what="--where", error=ConfigError)


def _source(target: Target, where: str | None) -> sql.Composable:
    if where is None:
        return target.table_ident
    # the filter sees only the table's columns (the user's SQL, checked by validate_where)
    clause = sql.SQL(where.replace("%", "%%"))  # type: ignore[arg-type]  # literal text, not placeholders
    return sql.SQL("(SELECT * FROM {} WHERE (\n{}\n))").format(target.table_ident, clause)


def _keys(target: Target, alias: str | None = None) -> sql.Composable:
    return sql.SQL(", ").join(sql.Identifier(alias, k) if alias else sql.Identifier(k) for k in target.keys)


def _query(target: Target, where: str | None, *, exact: bool) -> sql.Composed:
    """Nearest chunks (at most %(n)s; all of them when exact), then each row once with its best chunk."""
    emb = sql.SQL("e.{}").format(sql.Identifier(target.embedding_column))
    order = sql.SQL("{} <=> %(q)s").format(emb)
    limit = sql.SQL("") if exact else sql.SQL(" ORDER BY {} LIMIT %(n)s").format(order)
    return sql.SQL(
        "WITH hits AS MATERIALIZED (SELECT t.*, e.chunk_text AS {chunk}, {emb} <=> %(q)s AS {dist} "
        "FROM {source} t JOIN {store} e ON {match}{limit}), "
        "best AS (SELECT DISTINCT ON ({keys}) * FROM hits ORDER BY {keys}, {dist}) "
        "SELECT *, (SELECT count(*) FROM hits) AS {hits} FROM best ORDER BY {dist} LIMIT %(k)s"
    ).format(
        emb=emb,
        chunk=sql.Identifier(_CHUNK),
        dist=sql.Identifier(_DISTANCE),
        hits=sql.Identifier(_HITS),
        source=_source(target, where),
        store=target.store_ident,
        match=key_match(target, "t", "e"),
        limit=limit,
        keys=_keys(target),
    )


def _hybrid_query(target: Target, where: str | None) -> sql.Composed:
    """Reciprocal-rank fusion of the nearest rows and the best full-text matches, in one statement."""
    emb = sql.SQL("e.{}").format(sql.Identifier(target.embedding_column))
    v_keys = sql.SQL(", ").join(
        sql.SQL("{} AS {}").format(sql.Identifier("e", k), sql.Identifier(k)) for k in target.keys
    )
    fused_keys = sql.SQL(", ").join(
        sql.SQL("coalesce({}, {}) AS {}").format(sql.Identifier("v", k), sql.Identifier("l", k), sql.Identifier(k))
        for k in target.keys
    )
    return sql.SQL(
        "WITH vec AS MATERIALIZED (SELECT {v_keys}, e.chunk_text, {emb} <=> %(q)s AS d FROM {source} t "
        "JOIN {store} e ON {te} ORDER BY {emb} <=> %(q)s LIMIT %(n)s), "
        "vrank AS (SELECT *, row_number() OVER (ORDER BY d) AS r FROM "
        "(SELECT DISTINCT ON ({keys}) * FROM vec ORDER BY {keys}, d) x), "
        "lex AS MATERIALIZED (SELECT {v_keys}, e.chunk_text, ts_rank_cd(e.text_search, query) AS s "
        "FROM CAST(%(tsquery)s AS tsquery) query, {source} t JOIN {store} e ON {te} "
        "WHERE e.text_search @@ query ORDER BY s DESC LIMIT %(n)s), "
        "lrank AS (SELECT *, row_number() OVER (ORDER BY s DESC) AS r FROM "
        "(SELECT DISTINCT ON ({keys}) * FROM lex ORDER BY {keys}, s DESC) x), "
        "fused AS (SELECT {fused_keys}, coalesce(1.0 / (%(rrf_k)s + v.r), 0) + coalesce(1.0 / (%(rrf_k)s + l.r), 0) "
        "AS score, v.d, coalesce(v.chunk_text, l.chunk_text) AS chunk_text FROM vrank v FULL JOIN lrank l ON {vl}) "
        "SELECT t.*, f.chunk_text AS {chunk}, coalesce(f.d, (SELECT min({emb} <=> %(q)s) FROM {store} e "
        "WHERE {fe})) AS {dist}, f.score::float8 AS {score} FROM fused f JOIN {table} t ON {tf} "
        "ORDER BY f.score DESC, {dist} LIMIT %(k)s"
    ).format(
        v_keys=v_keys,
        emb=emb,
        source=_source(target, where),
        store=target.store_ident,
        te=key_match(target, "t", "e"),
        keys=_keys(target),
        fused_keys=fused_keys,
        vl=key_match(target, "v", "l"),
        chunk=sql.Identifier(_CHUNK),
        dist=sql.Identifier(_DISTANCE),
        score=sql.Identifier(_SCORE),
        fe=key_match(target, "f", "e"),
        table=target.table_ident,
        tf=key_match(target, "t", "f"),
    )


def uses_web_syntax(text: str) -> bool:
    """Whether `text` is written for `websearch_to_tsquery`: quotes (a phrase), `or`, or a leading `-`."""
    return '"' in text or any(w.lower() == "or" or w.startswith("-") for w in text.split())


def lexical_query(
    cur: psycopg.Cursor[Any], target: Target, text: str, exact: Callable[[str], bool] = lambda word: True
) -> str:
    """The full-text side of a hybrid search: tsquery text, "" when it has nothing to look for.

    Text in web-search syntax is `websearch_to_tsquery` as written. Otherwise the lexemes of the words
    `exact(word)` keeps (service.exact_word: codes, SKUs, acronyms), OR-ed, leaving out
    those in more than COMMON of the stored chunks (pg_stats after ANALYZE) unless all are.
    """
    if uses_web_syntax(text):
        row = cur.execute("SELECT websearch_to_tsquery(%s::regconfig, %s)::text", (target.text_search, text)).fetchone()
        return str(row[0]) if row else ""
    words = cur.execute(
        "SELECT token, lexemes FROM ts_debug(%s::regconfig, %s) WHERE lexemes <> '{}'", (target.text_search, text)
    ).fetchall()
    lexemes = list(dict.fromkeys(lex for word, found in words for lex in found if exact(word)))
    stats = catalog.statistics_of(catalog.reader(cur), "pgai", target.store, ["text_search"])
    share = dict(zip(stats[0].mce, stats[0].mcef)) if stats else {}
    kept = [lexeme for lexeme in lexemes if share.get(lexeme, 0.0) <= COMMON] or lexemes
    return " | ".join("'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'" for lexeme in kept)


def search(
    conn: psycopg.Connection,
    target: Target,
    vector: np.ndarray,
    *,
    k: int = 5,
    where: str | None = None,
    timeout_s: float = 30.0,
    ef_search: int = 100,
    hybrid_text: str | None = None,
    exact: Callable[[str], bool] = lambda word: True,
    chunked: bool = False,
) -> pd.DataFrame:
    """The `k` rows nearest to `vector` (all the table's columns plus `similarity`), best first, each row once.

    Uses the HNSW index with pgvector's iterative scan (relaxed order, re-sorted), so a selective
    filter still fills `k` rows; if the scan stops short, an exact search answers instead.
    `ef_search` (at least `k`) trades speed for recall. A row split into chunks scores its best chunk;
    with `chunked` (the column has such rows) a `chunk` column holds that chunk's text (None: the whole
    text was embedded). With `hybrid_text`, the rows are ranked by reciprocal-rank fusion of this
    vector ranking and PostgreSQL full-text search of `hybrid_text` (`rrf_score`, higher is better):
    the words `exact` keeps (see lexical_query), or the text as written in web-search syntax.
    Raises ConfigError (bad k or --where), SQLError (from the server), QueryCancelled (timeout).
    """
    if k < 1:
        raise ConfigError(f"--k must be at least 1, not {k}")
    clause = validate_where(where) if where is not None else None
    params: dict[str, Any] = {"q": np.asarray(vector, dtype=np.float32), "k": k}
    try:
        if hybrid_text is not None:
            params.update(n=max(4 * k, 40), rrf_k=RRF_K, lexical_weight=LEXICAL_WEIGHT)
            rows, names = _run_hybrid(conn, target, clause, params, timeout_s, ef_search, hybrid_text, exact)
            how = "hybrid"
        else:
            rows, names, full_scan = _run(conn, target, clause, params, timeout_s, ef_search, chunked)
            how = "exact" if full_scan else "hnsw"  # exact: the index scan ran short, a full scan answered
    except psycopg.Error as exc:
        err = translate(exc)
        if isinstance(err, SQLError) and clause is not None:
            err.message += " (in --where)"
        raise err from None
    return _frame(rows, names, chunked, how)


def _frame(rows: list[tuple[Any, ...]], names: list[str], chunked: bool, how: str) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(rows, columns=names)
    if _HITS in frame.columns:
        del frame[_HITS]
    chunks = frame.pop(_CHUNK)
    distance = frame.pop(_DISTANCE).astype("float64")
    score = frame.pop(_SCORE) if _SCORE in frame.columns else None
    frame[_free(frame, "similarity")] = 1.0 - distance
    if score is not None:
        frame[_free(frame, "rrf_score")] = score.astype("float64")
    if chunked:
        frame[_free(frame, "chunk")] = chunks
    frame.attrs["search"] = how
    return frame


def _free(frame: pd.DataFrame, name: str) -> str:
    return name if name not in frame.columns else f"pgai_{name}"


def _begin(cur: psycopg.Cursor[Any], ef_search: int) -> None:
    """HNSW settings of the search's READ ONLY transaction (pgvector 0.8 iterative index scans)."""
    cur.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
    cur.execute(sql.SQL("SET LOCAL hnsw.ef_search = {}").format(sql.Literal(min(ef_search, 1000))))


def _run(
    conn: psycopg.Connection,
    target: Target,
    clause: str | None,
    params: dict[str, Any],
    timeout_s: float,
    ef_search: int,
    chunked: bool,
) -> tuple[list[tuple[Any, ...]], list[str], bool]:
    """Run the search in a read-only transaction; (rows, column names, whether the exact fallback ran).

    Chunked rows take several index entries: the scan asks for 4 chunks per row wanted, and four
    times more while the chunks it found hold fewer than k rows and the index had more to give.
    """
    k = params["k"]
    n = k * 4 if chunked else k
    with read_only(conn, timeout_s, what="the search"), conn.cursor() as cur:
        _begin(cur, max(ef_search, n))
        while True:
            cur.execute(_query(target, clause, exact=False), {**params, "n": n})
            rows = cur.fetchall()
            names = [d.name for d in cur.description or []]
            hits = int(rows[0][names.index(_HITS)]) if rows else 0
            if len(rows) >= k or hits < n or n >= _MAX_CHUNKS:
                break
            n *= 4
            cur.execute(sql.SQL("SET LOCAL hnsw.ef_search = {}").format(sql.Literal(min(max(ef_search, n), 1000))))
        exact = len(rows) < k
        if exact:
            cur.execute(_query(target, clause, exact=True), params)
            rows = cur.fetchall()
            names = [d.name for d in cur.description or []]
    return rows, names, exact


def _run_hybrid(
    conn: psycopg.Connection,
    target: Target,
    clause: str | None,
    params: dict[str, Any],
    timeout_s: float,
    ef_search: int,
    text: str,
    exact: Callable[[str], bool],
) -> tuple[list[tuple[Any, ...]], list[str]]:
    with read_only(conn, timeout_s, what="the search"), conn.cursor() as cur:
        _begin(cur, max(ef_search, params["n"]))
        tsquery = lexical_query(cur, target, text, exact) or None  # None: no word to look up, vectors alone
        cur.execute(_hybrid_query(target, clause), {**params, "tsquery": tsquery})
        rows = cur.fetchall()
        names = [d.name for d in cur.description or []]
    return rows, names

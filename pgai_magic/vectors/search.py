"""Similarity search over an embedded column: exact or HNSW with iterative scans, best chunk per row, hybrid."""

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

__all__ = [
    "EXACT_MAX_CHUNKS",
    "RRF_K",
    "estimated_chunks",
    "lexical_query",
    "search",
    "search_method",
    "uses_web_syntax",
    "validate_where",
]

_DISTANCE = "pgai_distance"
_CHUNK = "pgai_chunk"
_HITS = "pgai_hits"
_SCORE = "pgai_rrf_score"
_MAX_CHUNKS = 16_384  # chunks one index scan may ask for before the exact search answers
EXACT_MAX_CHUNKS = 20_000  # at most this many chunks (estimated) are searched exactly (bench/bench_exact.py)
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


def _nearest(target: Target, where: str | None, *, exact: bool) -> sql.Composed:
    """(keys, chunk, d) of the chunks nearest to %(q)s: every chunk when `exact` (a sequential scan: no index,
    every distance computed), else the %(n)s nearest by the HNSW index (an approximate, iterative index scan)."""
    emb = sql.SQL("e.{}").format(sql.Identifier(target.embedding_column))
    e_keys = sql.SQL(", ").join(
        sql.SQL("{} AS {}").format(sql.Identifier("e", k), sql.Identifier(k)) for k in target.keys
    )
    order = sql.SQL("") if exact else sql.SQL(" ORDER BY {} <=> %(q)s LIMIT %(n)s").format(emb)
    nearest = "SELECT {e_keys}, e.chunk, {emb} <=> %(q)s AS d FROM {source} t JOIN {store} e ON {te}{order}"
    return sql.SQL(nearest).format(
        e_keys=e_keys, emb=emb, source=_source(target, where), store=target.store_ident,
        te=key_match(target, "t", "e"), order=order,
    )  # fmt: skip


def _query(target: Target, where: str | None, *, exact: bool) -> sql.Composed:
    """The k rows nearest to %(q)s, each once with its best chunk: the table's row, that chunk's text and
    distance, and how many chunks the search looked at."""
    return sql.SQL(
        "WITH hits AS MATERIALIZED ({nearest}), "
        "best AS (SELECT DISTINCT ON ({keys}) * FROM hits ORDER BY {keys}, d), "
        "top AS (SELECT * FROM best ORDER BY d LIMIT %(k)s) "
        "SELECT t.*, e.chunk_text AS {chunk}, top.d AS {dist}, (SELECT count(*) FROM hits) AS {hits} "
        "FROM top JOIN {table} t ON {t_top} JOIN {store} e ON {e_top} AND e.chunk = top.chunk ORDER BY top.d"
    ).format(
        nearest=_nearest(target, where, exact=exact),
        keys=_keys(target),
        chunk=sql.Identifier(_CHUNK),
        dist=sql.Identifier(_DISTANCE),
        hits=sql.Identifier(_HITS),
        table=target.table_ident,
        t_top=key_match(target, "t", "top"),
        store=target.store_ident,
        e_top=key_match(target, "e", "top"),
    )


def _hybrid_query(target: Target, where: str | None, *, exact: bool) -> sql.Composed:
    """Reciprocal-rank fusion of the nearest rows and the best full-text matches, in one statement.

    Each row shows the chunk that ranked it best (its nearest chunk when its vector rank is at least as good as
    its full-text rank, else its best full-text chunk), with that chunk's distance.
    """
    emb = sql.SQL("e.{}").format(sql.Identifier(target.embedding_column))
    nearest = _nearest(target, where, exact=exact)
    if exact:  # the fence (OFFSET 0) keeps the planner from turning ORDER BY d into an index scan
        nearest = sql.SQL("SELECT * FROM ({} OFFSET 0) x ORDER BY d LIMIT %(n)s").format(nearest)
    e_keys = sql.SQL(", ").join(
        sql.SQL("{} AS {}").format(sql.Identifier("e", k), sql.Identifier(k)) for k in target.keys
    )
    fused_keys = sql.SQL(", ").join(
        sql.SQL("coalesce({}, {}) AS {}").format(sql.Identifier("v", k), sql.Identifier("l", k), sql.Identifier(k))
        for k in target.keys
    )
    return sql.SQL(
        "WITH vec AS MATERIALIZED ({nearest}), "
        "vrank AS (SELECT *, row_number() OVER (ORDER BY d) AS r FROM "
        "(SELECT DISTINCT ON ({keys}) * FROM vec ORDER BY {keys}, d) x), "
        "lex AS MATERIALIZED (SELECT {e_keys}, e.chunk, {emb} <=> %(q)s AS d, ts_rank_cd(e.text_search, query) AS s "
        "FROM CAST(%(tsquery)s AS tsquery) query, {source} t JOIN {store} e ON {te} "
        "WHERE e.text_search @@ query ORDER BY s DESC LIMIT %(n)s), "
        "lrank AS (SELECT *, row_number() OVER (ORDER BY s DESC) AS r FROM "
        "(SELECT DISTINCT ON ({keys}) * FROM lex ORDER BY {keys}, s DESC) x), "
        "fused AS (SELECT {fused_keys}, coalesce(1.0 / (%(rrf_k)s + v.r), 0) + coalesce(1.0 / (%(rrf_k)s + l.r), 0) "
        "AS score, CASE WHEN l.r IS NULL OR v.r <= l.r THEN v.chunk ELSE l.chunk END AS chunk, "
        "CASE WHEN l.r IS NULL OR v.r <= l.r THEN v.d ELSE l.d END AS d FROM vrank v FULL JOIN lrank l ON {vl}) "
        "SELECT t.*, e.chunk_text AS {chunk}, f.d AS {dist}, f.score::float8 AS {score} "
        "FROM fused f JOIN {table} t ON {tf} JOIN {store} e ON {ef} AND e.chunk = f.chunk "
        "ORDER BY f.score DESC, f.d LIMIT %(k)s"
    ).format(
        nearest=nearest,
        keys=_keys(target),
        e_keys=e_keys,
        emb=emb,
        source=_source(target, where),
        store=target.store_ident,
        te=key_match(target, "t", "e"),
        fused_keys=fused_keys,
        vl=key_match(target, "v", "l"),
        chunk=sql.Identifier(_CHUNK),
        dist=sql.Identifier(_DISTANCE),
        score=sql.Identifier(_SCORE),
        table=target.table_ident,
        tf=key_match(target, "t", "f"),
        ef=key_match(target, "e", "f"),
    )


def estimated_chunks(cur: psycopg.Cursor[Any], target: Target, where: str | None = None) -> int:
    """The planner's estimate of the chunks a search of `target` looks at (those of the rows `where` keeps):
    EXPLAIN's row count, which scales pg_class.reltuples to the table's current size."""
    query = (
        sql.SQL("SELECT 1 FROM {}").format(target.store_ident)
        if where is None
        else sql.SQL("SELECT 1 FROM {} t JOIN {} e ON {}").format(
            _source(target, where), target.store_ident, key_match(target, "t", "e")
        )
    )
    row = cur.execute(sql.SQL("EXPLAIN (FORMAT JSON) {}").format(query), {}).fetchone()  # {}: %% is %
    plan = row[0] if row else None
    if isinstance(plan, str):
        import json

        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"]) if plan else 0


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
    ef_search: int = 200,
    hybrid_text: str | None = None,
    exact: Callable[[str], bool] = lambda word: True,
    chunked: bool = False,
    exact_below: int = EXACT_MAX_CHUNKS,
) -> pd.DataFrame:
    """The `k` rows nearest to `vector` (all the table's columns plus `similarity`), best first, each row once.

    When the planner estimates at most `exact_below` chunks to look at (a small table, or a selective `where`),
    the search is exact: every distance is computed (a sequential scan, milliseconds at this size). Otherwise it
    uses the HNSW index with pgvector 0.8's iterative index scan (relaxed order, re-sorted), so a filter still
    fills `k` rows, with `ef_search` (at least `k`) candidates; if the scan stops short, an exact search answers.
    A row split into chunks scores its best chunk; with `chunked` (the column has such rows) a `chunk` column
    holds the text of the chunk that matched (None: the whole text was embedded). With `hybrid_text`, the rows
    are ranked by reciprocal-rank fusion of this vector ranking and PostgreSQL full-text search of `hybrid_text`
    (`rrf_score`, higher is better): the words `exact` keeps (see lexical_query), or the text as written in
    web-search syntax. `frame.attrs["search"]` says how it ran: "exact", "hnsw", "hnsw, then exact" (the index
    scan ran short), with " + full text" for hybrid.
    Raises ConfigError (bad k or --where), SQLError (from the server), QueryCancelled (timeout).
    """
    if k < 1:
        raise ConfigError(f"--k must be at least 1, not {k}")
    clause = validate_where(where) if where is not None else None
    params: dict[str, Any] = {"q": np.asarray(vector, dtype=np.float32), "k": k}
    try:
        with read_only(conn, timeout_s, what="the search"), conn.cursor() as cur:
            small = estimated_chunks(cur, target, clause) <= exact_below
            _begin(cur, ef_search)
            if hybrid_text is not None:
                params.update(n=max(4 * k, 40), rrf_k=RRF_K, lexical_weight=LEXICAL_WEIGHT)
                tsquery = lexical_query(cur, target, hybrid_text, exact) or None  # None: vectors alone
                cur.execute(_hybrid_query(target, clause, exact=small), {**params, "tsquery": tsquery})
                rows, names = cur.fetchall(), [d.name for d in cur.description or []]
                how = ("exact" if small else "hnsw") + " + full text"
            elif small:
                cur.execute(_query(target, clause, exact=True), params)
                rows, names, how = cur.fetchall(), [d.name for d in cur.description or []], "exact"
            else:
                rows, names, how = _run_hnsw(cur, target, clause, params, ef_search, chunked)
    except psycopg.Error as exc:
        err = translate(exc)
        if isinstance(err, SQLError) and clause is not None:
            err.message += " (in --where)"
        raise err from None
    return _frame(rows, names, chunked, how)


def search_method(conn: psycopg.Connection, target: Target, exact_below: int, ef_search: int) -> str:
    """How `similar` searches `target` without a filter now: "exact (about N chunks)" or "hnsw (about N chunks,
    ef_search E)"; N is the planner's estimate (pg_class.reltuples), what the choice is made on, not a count."""
    with conn.cursor() as cur:
        chunks = estimated_chunks(cur, target)
    if chunks <= exact_below:
        return f"exact (about {chunks:,} chunks)"
    return f"hnsw (about {chunks:,} chunks, ef_search {ef_search})"


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


def _run_hnsw(
    cur: psycopg.Cursor[Any],
    target: Target,
    clause: str | None,
    params: dict[str, Any],
    ef_search: int,
    chunked: bool,
) -> tuple[list[tuple[Any, ...]], list[str], str]:
    """The HNSW search: (rows, column names, how it ran).

    Chunked rows take several index entries: the scan asks for 4 chunks per row wanted, and four
    times more while the chunks it found hold fewer than k rows and the index had more to give;
    if it still finds fewer than k rows, an exact search answers.
    """
    k = params["k"]
    n = k * 4 if chunked else k
    while True:
        cur.execute(sql.SQL("SET LOCAL hnsw.ef_search = {}").format(sql.Literal(min(max(ef_search, n), 1000))))
        cur.execute(_query(target, clause, exact=False), {**params, "n": n})
        rows = cur.fetchall()
        names = [d.name for d in cur.description or []]
        hits = int(rows[0][names.index(_HITS)]) if rows else 0
        if len(rows) >= k or hits < n or n >= _MAX_CHUNKS:
            break
        n *= 4
    if len(rows) >= k:
        return rows, names, "hnsw"
    cur.execute(_query(target, clause, exact=True), params)
    return cur.fetchall(), [d.name for d in cur.description or []], "hnsw, then exact"

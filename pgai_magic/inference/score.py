"""Batch scoring: write (key, prediction) for every row of a table, by the faster of two engines.

'sql': CREATE TABLE … AS SELECT key, pgai.predict_NAME_vN(features) FROM T (PostgreSQL may run it in
parallel workers); 'python': fetch the rows, predict with the stored scikit-learn estimator, COPY the
results back. 'auto' times both on a sample of the table and uses the faster one, and says so.
"""

from __future__ import annotations

import contextlib
import itertools
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import psycopg
import pyarrow as pa
from psycopg import sql

from pgai_magic import catalog
from pgai_magic.db import read_only
from pgai_magic.display import counted
from pgai_magic.errors import ModelError, QueryCancelled
from pgai_magic.inference import registry
from pgai_magic.inference.batch import PredictionWriter, feature_input, prediction_array, read_ahead
from pgai_magic.inference.predlog import log_predictions

__all__ = ["ENGINES", "ScoreResult", "score_table", "sql_advice", "tree_nodes"]

ENGINES = ("auto", "sql", "python")
SAMPLE_ROWS = 5_000
# rows read, predicted and written at a time by the python engine: about 64 MiB of features per batch (estimators
# that predict on every core gain nothing from smaller ones, and each predict call has its own cost)
BATCH_BYTES = 64 * 2**20
BATCH_ROWS = (20_000, 1_000_000)  # the fewest and the most rows per batch
Stream = Callable[[str, int], Iterator[pa.Table]]  # a query → its rows as Arrow tables of at most N rows
# the sample runs serial and reads nothing back; on the whole table CREATE TABLE AS runs in parallel and moves no
# rows through the kernel: SQL that is up to 1.5x slower on the sample was faster in full (bench_inference --score)
SQL_FAVOUR = 1.5
SQL_NODE_LIMIT = 20_000  # above this the SQL probe alone (planning the inlined CASE tree) takes seconds


@dataclass
class ScoreResult:
    """What `score_table` wrote and how."""

    name: str
    version: int
    table: str
    into: str
    rows: int
    engine: str
    reason: str
    seconds: float
    logged: int = 0  # rows kept in pgai.prediction_log (0 with --no-log)

    def summary(self) -> str:
        log = f"; {self.logged:,} rows logged" if self.logged else "; not logged"
        return (
            f"scored {counted(self.rows, 'row')} of {self.table} with {self.name} v{self.version} into {self.into} "
            f"in {self.seconds:.2f} s; engine {self.engine}: {self.reason}{log}"
        )

    def __repr__(self) -> str:
        return self.summary()


def _qualified(name: str, what: str) -> sql.Composed:
    parts = name.split(".")
    if not 1 <= len(parts) <= 2 or not all(parts):
        raise ModelError(f"{what} {name!r} must be a table name or schema.table")
    return sql.SQL(".").join(sql.Identifier(p) for p in parts)


def _columns(conn: psycopg.Connection, table: sql.Composed, label: str) -> dict[str, str]:
    try:
        cur = conn.execute(sql.SQL("SELECT * FROM {} LIMIT 0").format(table))
    except psycopg.errors.UndefinedTable:
        raise ModelError(f"no table {label!r}: give --table as it appears in %pgai tables") from None
    out = {}
    for d in cur.description or []:
        row = conn.execute("SELECT format_type(%s, %s)", (d.type_code, None)).fetchone()
        out[d.name] = str(row[0]) if row else "text"
    return out


def _primary_key(conn: psycopg.Connection, label: str) -> str | None:
    """The table's primary key when it is one column (catalog.primary_key), else None."""
    read = catalog.reader(conn)
    found = catalog.find_relation(read, label, label)
    keys = catalog.primary_key(read, found) if found is not None else ()
    return keys[0] if len(keys) == 1 else None


def _sql_select(mv: registry.ModelVersion, table: sql.Composed, key: str, limit: int | None) -> sql.Composed:
    args = sql.SQL(", ").join(sql.SQL("t.{}").format(sql.Identifier(f)) for f in mv.feature_names)
    source = (
        sql.SQL("{} AS t").format(table)
        if limit is None
        else sql.SQL("(SELECT * FROM {} LIMIT {}) AS t").format(table, sql.Literal(limit))
    )
    return sql.SQL("SELECT t.{} AS {}, pgai.{}({}) AS prediction FROM {}").format(
        sql.Identifier(key), sql.Identifier(key), sql.Identifier(mv.functions["predict"]), args, source
    )


def _predict_rows(estimator: Any, X: Any) -> Any:
    """sklearn's predictions (a numpy array); when it refuses rows (missing values, unknown categories) a list with
    None for those rows, as the SQL gives NULL."""
    if len(X) == 0:
        return np.asarray([])
    try:
        return np.asarray(estimator.predict(X))
    except ValueError:
        if len(X) == 1:
            return [None]
        half = len(X) // 2  # bisect to the refused rows: few predictions when they are few
        part = X.iloc if isinstance(X, pd.DataFrame) else X
        return [*_predict_rows(estimator, part[:half]), *_predict_rows(estimator, part[half:])]


def _source_query(
    mv: registry.ModelVersion, table: sql.Composed, key: str, limit: int | None, conn: psycopg.Connection
) -> str:
    cols = sql.SQL(", ").join(sql.Identifier(c) for c in [key, *mv.feature_names])
    query = sql.SQL("SELECT {} FROM {}").format(cols, table)
    if limit is not None:
        query = sql.SQL("{} LIMIT {}").format(query, sql.Literal(limit))
    return query.as_string(conn)


def _cursor_batches(conn: psycopg.Connection, query: str, names: list[str]) -> Iterator[pa.Table]:
    """The rows as one Arrow table through a psycopg cursor (no session fast path given)."""
    frame = pd.DataFrame.from_records(conn.execute(query).fetchall(), columns=names)
    yield pa.Table.from_pandas(frame, preserve_index=False)


def _python_engine(
    conn: psycopg.Connection, mv: registry.ModelVersion, estimator: Any, table: sql.Composed, key: str,
    target: tuple[sql.Composed, str] | None, limit: int | None, progress: Callable[[int], None],
    stream: Stream | None = None,
) -> int:  # fmt: skip
    """Read key + features in batches, predict each, COPY (key, prediction) into `target` ((table, key type); None:
    predict only). Reading (a thread, on the session's fast path `stream`), predicting (this thread) and writing
    (psycopg's queued COPY writer, on `conn`) overlap; without `stream` a psycopg cursor reads."""
    types = [(f["name"], f["type"]) for f in mv.features]
    query = _source_query(mv, table, key, limit, conn)
    names = [key, *mv.feature_names]

    rows_per_batch = min(max(BATCH_BYTES // (8 * max(len(types), 1)), BATCH_ROWS[0]), BATCH_ROWS[1])

    def source() -> Iterator[pa.Table]:
        return stream(query, rows_per_batch) if stream is not None else _cursor_batches(conn, query, names)

    named = getattr(estimator, "feature_names_in_", None) is not None
    rows = 0
    batches = read_ahead(source)
    with contextlib.ExitStack() as stack:
        stack.callback(batches.close)  # an early end stops the reading thread and cancels the query
        first = next(batches, None)  # described (types looked up on `conn`) before the COPY below takes `conn`
        writer = None
        if target is not None:  # inside the caller's transaction, which created the table
            writer = stack.enter_context(PredictionWriter(conn, target[0], key, target[1]))
        for batch in itertools.chain([first] if first is not None else [], batches):
            preds = _predict_rows(estimator, feature_input(batch, types, named))
            if writer is not None:
                writer.write(batch.column(key), prediction_array(preds, mv.label_type))
            rows += batch.num_rows
            progress(batch.num_rows)
    return rows


def _time(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def tree_nodes(estimator: Any) -> int:
    """Tree nodes in the final estimator of a model (0 for models without trees)."""
    final = estimator.steps[-1][1] if type(estimator).__name__ == "Pipeline" else estimator
    if hasattr(final, "_predictors"):
        return sum(len(p.nodes) for row in final._predictors for p in row)
    trees = np.ravel(getattr(final, "estimators_", [])) if hasattr(final, "estimators_") else [final]
    return sum(int(t.tree_.node_count) for t in trees if hasattr(t, "tree_"))


def sql_advice(estimator: Any) -> str | None:
    """What `model deploy` says of a model too large to score well in SQL (None for the others)."""
    nodes = tree_nodes(estimator)
    if nodes <= SQL_NODE_LIMIT:
        return None
    return (
        f"its SQL functions hold {nodes:,} tree nodes: PostgreSQL plans them in seconds and walks them far more "
        "slowly than scikit-learn (bench/bench_score.py); `model score` scores it with the python engine "
        "(fetch → predict → COPY), and pgai.predict_NAME suits a few rows at a time"
    )


def _choose(
    conn: psycopg.Connection, mv: registry.ModelVersion, estimator: Any, table: sql.Composed, key: str, n: int,
    stream: Stream | None,
) -> tuple[str, str]:  # fmt: skip
    """Time both engines on the first SAMPLE_ROWS rows (without writing) and pick the faster (SQL_FAVOUR).

    The SQL sample runs under a statement timeout of the python time (at least 0.2 s): a model whose
    SQL form is far slower (deep forests) is not made to finish it.
    """
    sample = min(SAMPLE_ROWS, n)
    nodes = tree_nodes(estimator)
    if nodes > SQL_NODE_LIMIT:
        return "python", (
            f"the SQL form has {nodes:,} tree nodes (over {SQL_NODE_LIMIT:,}): planning and evaluating it per row "
            "costs far more than scikit-learn's vectorised predict (bench/bench_score.py)"
        )
    t_py = _time(lambda: _python_engine(conn, mv, estimator, table, key, None, sample, lambda _: None, stream))
    query = sql.SQL("SELECT count(prediction) FROM ({}) AS s").format(_sql_select(mv, table, key, sample))
    budget_ms = max(200, int(t_py * 1000) + 1)
    per = 1_000_000.0 / max(sample, 1)  # seconds → ms per 1,000 rows
    try:
        with read_only(conn, budget_ms / 1000):
            t_sql = _time(lambda: conn.execute(query).fetchone())
    except QueryCancelled:
        return "python", (
            f"faster on a {sample:,}-row sample (fetch → predict {t_py * per:.2f} ms per 1,000 rows; the SQL "
            f"function had not finished after {budget_ms} ms)"
        )
    engine = "sql" if t_sql <= SQL_FAVOUR * t_py else "python"
    return engine, (
        f"faster on a {sample:,}-row sample (SQL function {t_sql * per:.2f} ms per 1,000 rows, "
        f"fetch → predict {t_py * per:.2f} ms per 1,000 rows)"
    )


def score_table(
    conn: psycopg.Connection,
    name: str,
    table: str,
    into: str,
    *,
    key: str | None = None,
    engine: str = "auto",
    version: int | None = None,
    progress: Callable[[int], None] | None = None,
    on_total: Callable[[int], None] | None = None,
    stream: Stream | None = None,
    log: bool = True,
) -> ScoreResult:
    """Write (key, prediction) for every row of `table` into the new table `into`; shapes: one row per input row.

    The model's version (default: the active one) scores; `key` defaults to the table's single-column
    primary key; with `log` the rows also go to pgai.prediction_log (predlog.log_predictions). Raises
    ModelError when the table, key or features are missing or `into` exists.
    """
    if engine not in ENGINES:
        raise ModelError(f"unknown engine {engine!r}: use one of {', '.join(ENGINES)}")
    mv = registry.get(conn, name, version)
    source, target = _qualified(table, "--table"), _qualified(into, "--into")
    columns = _columns(conn, source, table)
    key = key or _primary_key(conn, table)
    if key is None:
        raise ModelError(f"{table} has no single-column primary key: give the row key with --key")
    missing = [c for c in [key, *mv.feature_names] if c not in columns]
    if missing:
        raise ModelError(f"{table} lacks column(s) {missing}: the model takes {mv.feature_names}; columns: "
                         f"{list(columns)}")  # fmt: skip
    if catalog.find_relation(catalog.reader(conn), into, into) is not None:
        raise ModelError(f"{into} already exists: choose another --into or drop it first")
    row = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(source)).fetchone()
    n = int(row[0]) if row else 0
    if on_total:
        on_total(n)
    step = progress or (lambda _: None)
    estimator = registry.load(conn, name, mv.version) if engine != "sql" else None
    reason = f"--engine {engine}"
    if engine == "auto":
        engine, reason = _choose(conn, mv, estimator, source, key, n, stream)
    start = time.perf_counter()
    if engine == "sql":
        conn.execute(sql.SQL("CREATE TABLE {} AS {}").format(target, _sql_select(mv, source, key, None)))
        step(n)
    else:
        create = sql.SQL("CREATE TABLE {} ({} {}, prediction {})").format(
            target, sql.Identifier(key), sql.SQL(columns[key]), sql.SQL(mv.label_type)
        )
        with conn.transaction():
            conn.execute(create)
            n = _python_engine(conn, mv, estimator, source, key, (target, columns[key]), None, step, stream)
    seconds = time.perf_counter() - start
    logged = log_predictions(conn, name, mv.version, into, key, catalog.quoted_name(*table.split("."))) if log else 0
    return ScoreResult(name, mv.version, table, into, n, engine, reason, seconds, logged)

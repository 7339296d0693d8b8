"""The prediction log: every row `model score` writes (and the split's batch scoring) is also kept in
pgai.prediction_log (model, version, variant, key, prediction, time), so that monitoring compares recent predictions
with the outcomes that arrive later, by version (`model monitor --from-log`). Scoring with --no-log skips it."""

from __future__ import annotations

import time
from dataclasses import dataclass

import psycopg
from psycopg import sql

from pgai_magic import catalog
from pgai_magic.db import server_message
from pgai_magic.errors import ModelError
from pgai_magic.inference import registry
from pgai_magic.inference.splits import get_split

__all__ = ["SplitScore", "log_predictions", "score_split"]


def log_predictions(
    conn: psycopg.Connection, name: str, version: int, scored: str, key: str, source: str, *,
    variant: str | None = None,
) -> int:  # fmt: skip
    """Copy the (key, prediction) rows of the table `scored` into pgai.prediction_log for model `name` v`version`
    (with `variant`, the version is that column of `scored`: the split's choice per row); `source` is the table
    that was scored (the log rows' `sources`). The rows logged. ModelError when the log cannot be written."""
    table = sql.Identifier(*catalog.parse_relation_name(scored))
    chosen = sql.SQL("s.{}").format(sql.Identifier(variant)) if variant else sql.Literal(version)
    variant_sql = sql.SQL("s.{}").format(sql.Identifier(variant)) if variant else sql.SQL("NULL")
    statement = sql.SQL(
        "INSERT INTO pgai.prediction_log (name, version, variant, key, prediction, sources) "
        "SELECT {name}, {chosen}, {variant}, s.{key}::text, s.prediction::text, ARRAY[{source}::regclass] "
        "FROM {table} AS s"
    ).format(name=sql.Literal(name), chosen=chosen, variant=variant_sql, key=sql.Identifier(key),
             source=sql.Literal(source), table=table)  # fmt: skip
    try:
        return max(conn.execute(statement).rowcount, 0)
    except psycopg.Error as exc:
        raise ModelError(
            f"{scored} holds the predictions, but the prediction log could not be written ({server_message(exc)}): "
            "score with --no-log, or ask for INSERT on pgai.prediction_log"
        ) from None


@dataclass
class SplitScore:
    """What `score_split` wrote: rows of `table` scored through the split of model `name` into `into`."""

    name: str
    table: str
    into: str
    rows: int
    shares: dict[int, float]
    logged: int
    seconds: float

    def summary(self) -> str:
        split = ", ".join(f"v{v} {s:.0%}" for v, s in self.shares.items())
        log = f"; {self.logged:,} rows logged" if self.logged else "; not logged"
        return (f"scored {self.rows:,} rows of {self.table} through the split of {self.name} ({split}) into "
                f"{self.into} (key, variant, prediction) in {self.seconds:.2f} s{log}")  # fmt: skip

    def __repr__(self) -> str:
        return self.summary()


def score_split(
    conn: psycopg.Connection, name: str, table: str, into: str, *, key: str | None = None, log: bool = True
) -> SplitScore:
    """CREATE TABLE `into` AS (key, variant, prediction) of every row of `table` through pgai.variant_NAME and
    pgai.predict_NAME_split (the split's batch path, in the database), then log it. ModelError when the model has
    no split, the table lacks a column or `into` exists."""
    plan = get_split(conn, name)
    mv = registry.get(conn, name, plan.versions[0])
    read = catalog.reader(conn)
    found = catalog.resolve_relation(read, table)
    if found is None:
        raise ModelError(f"no table {table!r}: give --table as it appears in %pgai tables")
    columns = [a.name for a in catalog.read_attributes(read, found)]
    keys = catalog.primary_key(read, found)
    key = key or (keys[0] if len(keys) == 1 else None)
    if key is None:
        raise ModelError(f"{table} has no single-column primary key: give the row key with --key")
    missing = [c for c in [key, *mv.feature_names] if c not in columns]
    if missing:
        raise ModelError(f"{table} lacks column(s) {missing}: the model takes {mv.feature_names}")
    if catalog.resolve_relation(read, into) is not None:
        raise ModelError(f"{into} already exists: choose another --into or drop it first")
    k = sql.SQL("t.{}::text").format(sql.Identifier(key))
    args = sql.SQL(", ").join([k, *[sql.SQL("t.{}").format(sql.Identifier(f)) for f in mv.feature_names]])
    statement = sql.SQL(
        "CREATE TABLE {into} AS SELECT t.{key}, pgai.{variant}({k}) AS variant, pgai.{predict}({args}) AS prediction "
        "FROM {table} AS t"
    ).format(into=sql.Identifier(*catalog.parse_relation_name(into)), key=sql.Identifier(key), k=k, args=args,
             variant=sql.Identifier(f"variant_{name}"), predict=sql.Identifier(f"predict_{name}_split"),
             table=sql.SQL(found.regclass))  # type: ignore[arg-type]  # fmt: skip
    started = time.perf_counter()
    with conn.transaction():
        rows = max(conn.execute(statement).rowcount, 0)
        logged = log_predictions(conn, name, mv.version, into, key, found.regclass, variant="variant") if log else 0
    return SplitScore(name, table, into, rows, plan.shares(), logged, time.perf_counter() - started)

"""The feature capability (`session.features`): define and list feature views, build point-in-time training sets."""

from __future__ import annotations

import html
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from pgai_magic import catalog
from pgai_magic.cell import convert
from pgai_magic.db import read_only, server_message
from pgai_magic.errors import FeatureError, PgaiError
from pgai_magic.features import asof, views
from pgai_magic.features.request import TrainingSetRequest
from pgai_magic.features.views import FeatureView, ViewRequest
from pgai_magic.setup import ServerState, requires
from pgai_magic.sqltext import Statement

__all__ = ["FeatureStore", "TrainingQuery", "TrainingSet"]


@dataclass
class TrainingSet:
    """A point-in-time training set: its rows (`frame`, or the table `into`), how it was computed, what from."""

    id: int
    rows: int
    strategy: str
    reason: str
    seconds: float
    views: list[dict[str, Any]]
    sql: str
    frame: pd.DataFrame | None = None
    into: str | None = None
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        used = ", ".join(f"{v['name']} v{v['version']} ({', '.join(v['features'])})" for v in self.views)
        where = f" into {self.into}" if self.into else ""
        return (f"training set #{self.id}: {self.rows:,} label rows{where} with {used}, as of each label's time; "
                f"{self.strategy} plan ({self.reason}) in {self.seconds:.2f} s")  # fmt: skip

    def _repr_html_(self) -> str:
        notes = "".join(f"<p style='color:#a60'>{html.escape(n)}</p>" for n in self.notes)
        table = self.frame.head(10).to_html(index=False, border=0) if self.frame is not None else ""
        return f"<div class='pgai-training-set'><p>{html.escape(self.summary())}</p>{notes}{table}</div>"

    def __repr__(self) -> str:
        return self.summary()


@dataclass(frozen=True)
class TrainingQuery:
    """What `model train --features` trains on: one read query of the features and the target, and its lineage
    (the training set's id, labels, views and versions, ttl) for the model registry."""

    sql: str
    features: list[str]
    lineage: dict[str, Any]
    notes: list[str]


class FeatureStore:
    """The feature views of one server and their point-in-time joins. Methods that need the pgai schema raise
    PrivilegeError naming the GRANTs when this role cannot use it."""

    def __init__(self, state: ServerState) -> None:
        self.state = state
        self.db = state.db

    @requires("features")
    def __call__(self) -> pd.DataFrame:
        """The feature views (latest version of each): name, version, entity, time, features, sources."""
        return views.list_views(self.db.control)

    @requires("features define")
    def define(self, request: ViewRequest) -> tuple[FeatureView, bool]:
        """Record a view (a new version when its definition changed); (the view, whether a version was made)."""
        return views.define(self.db.control, request, self.db.read_timeout_s)

    @requires("features")
    def get(self, name: str, version: int | None = None) -> FeatureView:
        """A view's version (the latest unless `version`)."""
        return views.get(self.db.control, name, version)

    @requires("features drop")
    def drop(self, name: str) -> int:
        """Remove every version of a view; how many were removed."""
        return views.drop(self.db.control, name)

    def _plan(self, request: TrainingSetRequest) -> tuple[asof.Plan, asof.Chosen]:
        conn, timeout = self.db.control, self.db.read_timeout_s
        p = asof.plan(conn, request.labels, request.refs, request.label_time, request.ttl, timeout)
        return p, asof.choose(conn, p, request.strategy, timeout)

    def _record(self, p: asof.Plan, strategy: str, target: str | None, n_rows: int | None) -> int:
        conn = self.db.control
        sources = sorted({*catalog.query_sources(catalog.reader(conn), p.labels), *p.sources})
        row = conn.execute(
            """INSERT INTO pgai.training_sets (labels, label_time, views, ttl, strategy, target, n_rows, sources)
               VALUES (%s, %s, %s, %s, %s, %s, %s,
                       %s::oid[]::regclass[])
               RETURNING id""",
            (p.labels, p.label_time, Jsonb([pick.lineage() for pick in p.picks]), p.ttl_text, strategy, target,
             n_rows, sources),
        ).fetchone()  # fmt: skip
        return int(row[0]) if row else 0

    @requires("features training-set")
    def training_set(self, request: TrainingSetRequest) -> TrainingSet:
        """Join each label row with the latest row of each view at or before its label time (within the ttl), in
        PostgreSQL; the rows as a DataFrame, or written to the new table `request.into`.

        FeatureError for a bad labels query, view, feature or ttl; when `into` exists."""
        p, chosen = self._plan(request)
        started = time.perf_counter()
        frame = None
        if request.into is not None:
            rows = self._create(request.into, chosen)
        else:
            frame = self._read(chosen)
            rows = len(frame)
        seconds = time.perf_counter() - started
        set_id = self._record(p, chosen.strategy, request.into, rows)
        lineage = [pick.lineage() for pick in p.picks]
        return TrainingSet(set_id, rows, chosen.strategy, chosen.why, seconds, lineage, chosen.sql, frame,
                           request.into, chosen.hints)  # fmt: skip

    def _read(self, chosen: asof.Chosen) -> pd.DataFrame:
        try:
            result = self.db.run_readonly(Statement(chosen.sql), timeout_s=self.db.read_timeout_s,
                                          planner=chosen.planner)  # fmt: skip
        except PgaiError as err:
            raise FeatureError(f"the training set query failed: {err}") from None
        return convert.to_pandas(result.table) if result.table is not None else pd.DataFrame()

    def _create(self, into: str, chosen: asof.Chosen) -> int:
        """Write the training set to the new table `into`. Its query (the labels' and the views' queries) only ever
        runs READ ONLY, so a function it calls cannot write: into an empty temporary table made from its columns
        (planned, not run), within the statement timeout of the read-only path, then copied to `into`."""
        conn = self.db.control
        parts = catalog.parse_relation_name(into)
        if catalog.find_relation(catalog.reader(conn), catalog.quoted_name(*parts), into) is not None:
            raise FeatureError(f"{into} already exists: choose another --into or drop it first")
        target, stage = sql.Identifier(*parts), sql.Identifier(f"pgai_training_set_{uuid.uuid4().hex[:12]}")
        query = sql.SQL(chosen.sql)  # type: ignore[arg-type]
        try:
            conn.execute(sql.SQL("CREATE TEMP TABLE {} AS {} WITH NO DATA").format(stage, query))
            with read_only(conn, self.db.read_timeout_s, commit=True, what="the training set query"):
                asof.set_planner(conn, chosen.planner)
                conn.execute(sql.SQL("INSERT INTO pg_temp.{} {}").format(stage, query))
            cur = conn.execute(sql.SQL("CREATE TABLE {} AS TABLE pg_temp.{}").format(target, stage))
        except psycopg.Error as exc:
            raise FeatureError(f"the training set could not be written to {into}: {server_message(exc)}") from None
        finally:
            conn.execute(sql.SQL("DROP TABLE IF EXISTS pg_temp.{}").format(stage))
        return max(cur.rowcount, 0)

    @requires("model train --features")
    def training_query(
        self, labels: str, features: str | tuple[str, ...], target: str, *, label_time: str | None = None,
        ttl: str | None = None,
    ) -> TrainingQuery:  # fmt: skip
        """The read query `model train` fits on: the views' features of each label row (as of its time) and the
        label column `target`; the training set is recorded and named in the lineage."""
        request = TrainingSetRequest(labels, features, label_time, ttl)
        p, chosen = self._plan(request)
        names = [c for c, _ in p.label_columns]
        if target not in names:
            raise FeatureError(f"the labels have no column {target!r} (--target): they have {names}")
        picked = sql.SQL(", ").join(sql.Identifier(c) for c in [*p.feature_columns, target])
        query = sql.SQL("SELECT {} FROM ({}) AS ts").format(picked, sql.SQL(chosen.sql)).as_string(self.db.control)  # type: ignore[arg-type]
        set_id = self._record(p, chosen.strategy, None, None)
        lineage = {"training_set": set_id, "labels": p.labels, "label_time": p.label_time, "ttl": p.ttl_text,
                   "views": [pick.lineage() for pick in p.picks]}  # fmt: skip
        return TrainingQuery(query, p.feature_columns, lineage, chosen.hints)

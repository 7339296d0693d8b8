"""pgai's own tables follow the source tables' privileges: a role that may read schema `shop` only reads no row of
another schema's embedding side tables, queues, question memory or model registry, while `similar`, `ask` and
`model list / show` keep working for what it may read (docs/privileges.md, run as written)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest

from pgai_magic.errors import ModelError, PgaiError
from pgai_magic.nl2sql.service import Answer
from pgai_magic.session import Session
from tests.pg_helpers import database_and_role, scalar
from tests.reliability.test_privileges import grants
from tests.tiny_model import build_tiny_model

HR_SALARIES = "SELECT level::float8 AS level, pay::float8 AS pay FROM hr.salaries"
SHOP_ORDERS = "SELECT id::float8 AS x, total::float8 AS total FROM shop.orders"


@dataclass
class World:
    name: str
    role: str
    admin_dsn: str
    role_dsn: str
    model: str

    def admin(self) -> Session:
        s = Session(self.admin_dsn)
        s.set_embedder(self.model)
        return s

    def analyst(self) -> Session:
        s = Session(self.role_dsn)
        s.set_embedder(self.model)
        return s

    def run(self, section: str, kind: str = "grants", dsn: str | None = None) -> list[Any]:
        """Run a block of docs/privileges.md (names substituted); the first value of each statement's result."""
        out = []
        with psycopg.connect(dsn or self.admin_dsn, autocommit=True) as conn:
            for statement in grants(section, kind, analyst=self.role, mydb=self.name, shop="shop"):
                cur = conn.execute(statement.encode())
                out.append(cur.fetchone()[0] if cur.description else None)  # type: ignore[index]
        return out


@pytest.fixture(scope="module")
def world(pg_dsn: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """A database with schemas shop and hr, each with an embedded column; `analyst` may read shop only (the
    read, read-pgai, question-memory and write-pgai grants of docs/privileges.md); the admin remembers
    questions and trains a model on each schema; a row of each embedded table waits in its queue."""
    folder = tmp_path_factory.mktemp("tiny")
    os.chmod(folder, 0o755)
    with database_and_role(pg_dsn, "src") as (name, role, admin, role_dsn):
        world = World(name, role, admin, role_dsn, str(build_tiny_model(folder)))
        _populate(world)
        yield world


def _populate(world: World) -> None:
    with psycopg.connect(world.admin_dsn, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA shop; CREATE SCHEMA hr")
        conn.execute("CREATE TABLE shop.tickets (id int PRIMARY KEY, body text)")
        conn.execute("INSERT INTO shop.tickets SELECT g, 'parcel ' || g || ' came late' FROM generate_series(1, 40) g")
        conn.execute("CREATE TABLE shop.orders (id int PRIMARY KEY, total numeric)")
        conn.execute("INSERT INTO shop.orders SELECT g, g * 2.5 FROM generate_series(1, 200) g")
        conn.execute("CREATE TABLE hr.notes (id int PRIMARY KEY, body text)")
        conn.execute("INSERT INTO hr.notes VALUES (1, 'salary of alice is secret'), (2, 'bob asked for a raise')")
        conn.execute("CREATE TABLE hr.salaries (id int PRIMARY KEY, level int, pay numeric)")
        conn.execute("INSERT INTO hr.salaries SELECT g, g % 7, 1000 + (g % 7) * 300 FROM generate_series(1, 200) g")
        conn.execute("CREATE TABLE hr.events (emp_id int, ts timestamptz, score float8)")
        conn.execute("INSERT INTO hr.events SELECT g % 10, '2026-01-01'::timestamptz + g * interval '1 day', g "
                     "FROM generate_series(1, 50) g")  # fmt: skip
        conn.execute("CREATE TABLE shop.visits (customer_id int, ts timestamptz, pages float8)")
        conn.execute("INSERT INTO shop.visits SELECT g % 10, '2026-01-01'::timestamptz + g * interval '1 day', g "
                     "FROM generate_series(1, 50) g")  # fmt: skip
        conn.execute("CREATE TABLE shop.staff (id int PRIMARY KEY, level float8)")  # scored by the HR model
        conn.execute("INSERT INTO shop.staff SELECT g, g % 7 FROM generate_series(1, 30) g")
    world.run("read")
    world.run("admin")
    with world.admin() as s:
        for column in ("shop.tickets.body", "hr.notes.body"):
            s.embed(column, progress=False)
        s.vectors.stop_worker()
        s.train("m_hr", "pay", HR_SALARIES, task="regression")
        s.models.monitor("m_hr", HR_SALARIES.replace("pay::float8 AS pay", "pay::float8 AS actual"))
        for question, schema in (("how many notes are there", "hr"), ("how many tickets are there", "shop")):
            s.ask(question, schema=schema, accept=True)
        s.sql("INSERT INTO shop.tickets VALUES (41, 'a new ticket'); INSERT INTO hr.notes VALUES (3, 'carol quits')")
        _derive(s)
    for section in ("read-pgai", "question-memory", "write-pgai"):
        world.run(section)


HR_LABELS = "SELECT emp_id, ts + interval '1 hour' AS label_time, score > 25 AS quit FROM hr.events"


def _derive(s: Session) -> None:
    """The admin's rows derived from hr (and one from shop): feature views, a training set, a monitoring schedule
    run by the worker (its run and alert), and predictions of the HR model logged for hr's and shop's rows."""
    from pgai_magic.inference.schedule import ScheduleRequest

    s.define_features("hr_view", "emp_id", "ts", "SELECT emp_id, ts, score FROM hr.events")
    s.define_features("shop_view", "customer_id", "ts", "SELECT customer_id, ts, pages FROM shop.visits")
    assert len(s.training_set(HR_LABELS, "hr_view").frame) == 50
    actual = HR_SALARIES.replace("pay::float8 AS pay", "pay::float8 AS actual")
    s.models.schedule(ScheduleRequest("m_hr", actual, "1d", alert="n >= 1"))
    assert len(s.models.run_due()) == 1
    s.models.score("m_hr", "hr.salaries", "hr.salaries_scored", key="id")
    s.models.score("m_hr", "shop.staff", "shop.staff_scored", key="id")  # shop's rows, the model of hr's


DERIVED_HR = {  # what the admin derived from hr, as the admin sees it
    "feature_views WHERE name = 'hr_view'": 1,
    "training_sets": 1,
    "model_reference WHERE name = 'm_hr'": 1,
    "monitor_schedules WHERE name = 'm_hr'": 1,
    "model_monitoring WHERE name = 'm_hr'": 2,
    "alerts WHERE name = 'm_hr'": 1,
    "prediction_log WHERE name = 'm_hr'": 230,
    "prediction_log WHERE name = 'm_hr' AND sources = ARRAY['shop.staff'::regclass]": 30,
}


def _count(dsn: str, query: str) -> int:
    with psycopg.connect(dsn) as conn:
        return int(scalar(conn, query))


def test_the_documented_check_reads_no_row_of_another_schema(world: World) -> None:
    assert world.run("isolation", "check", world.role_dsn) == [0] * 11
    # what the check counts is there: the admin sees it, and the analyst sees its own schema's side tables
    assert _count(world.admin_dsn, "SELECT count(*) FROM pgai.hr_notes_body_embedding") == 2
    assert _count(world.admin_dsn, "SELECT count(*) FROM pgai.hr_notes_body_queue") == 1
    assert _count(world.role_dsn, "SELECT count(*) FROM pgai.shop_tickets_body_embedding") == 40
    assert _count(world.role_dsn, "SELECT count(*) FROM pgai.shop_tickets_body_queue") == 1


def test_memory_and_registry_show_the_analyst_only_what_it_may_read(world: World) -> None:
    assert _count(world.admin_dsn, "SELECT count(*) FROM pgai.questions WHERE scope = 'hr'") == 1
    assert _count(world.admin_dsn, "SELECT count(*) FROM pgai.model_monitoring") == 2
    for table in ("questions WHERE scope = 'hr'", "models WHERE name = 'm_hr'", "model_monitoring"):
        assert _count(world.role_dsn, f"SELECT count(*) FROM pgai.{table}") == 0, table
    with world.analyst() as s:
        assert "hr" not in set(s.questions.memory.history()["scope"])
        assert "m_hr" not in set(s.models()["name"])
        with pytest.raises(ModelError, match="no model named 'm_hr'"):
            s.models.info("m_hr")
        with pytest.raises(ModelError, match=r"'m_hr' is taken by versions .* may not read: choose another name"):
            s.train("m_hr", "total", SHOP_ORDERS, task="regression")


def test_feature_views_training_sets_monitoring_and_the_log_show_the_analyst_nothing_of_hr(world: World) -> None:
    for table, count in DERIVED_HR.items():
        assert _count(world.admin_dsn, f"SELECT count(*) FROM pgai.{table}") == count, table
        assert _count(world.role_dsn, f"SELECT count(*) FROM pgai.{table}") == 0, table
    assert _count(world.role_dsn, "SELECT count(*) FROM pgai.feature_views WHERE name = 'shop_view'") == 1
    with world.analyst() as s:
        assert list(s.features()["name"]) == ["shop_view"]
        assert s.models.alerts().empty and s.models.schedules().empty
        found = s.training_set("SELECT customer_id, ts AS label_time FROM shop.visits", "shop_view").frame
        assert len(found) == 50
    # the analyst's own training set (shop's) is the one it sees
    assert _count(world.role_dsn, "SELECT count(*) FROM pgai.training_sets") == 1


def test_similar_ask_and_models_keep_working_for_what_the_analyst_may_read(world: World) -> None:
    answers: list[Answer] = []
    with world.analyst() as s:
        found = s.similar("shop.tickets.body", "parcel 7 came late", k=3)
        assert len(found) == 3 and found.attrs["search"] == "exact"  # a small table is searched exactly
        s.vectors.exact_below = 0  # and through the HNSW index, as a large one is
        indexed = s.similar("shop.tickets.body", "parcel 7 came late", k=3)
        assert indexed.attrs["search"] == "hnsw" and list(indexed["id"]) == list(found["id"])
        with pytest.raises(PgaiError):
            s.similar("hr.notes.body", "salary", k=1)
        result = s.ask("how many tickets are there", schema="shop", on_answer=answers.append)
        assert result.iloc[0, 0] == 41  # type: ignore[union-attr]
        assert answers[-1].source == "memory"  # the admin's verified answer, whose table the analyst may read
        version = s.train("m_shop", "total", SHOP_ORDERS, task="regression")
        assert version.version == 1 and "m_shop" in set(s.models()["name"])
        assert s.models.info("m_shop").name == "m_shop"
    assert _count(world.role_dsn, "SELECT count(*) FROM pgai.models WHERE name = 'm_shop'") == 1


def test_the_search_keeps_its_hnsw_index_under_the_policy(world: World) -> None:
    import numpy as np
    from pgvector.psycopg import register_vector

    from pgai_magic.vectors import search
    from pgai_magic.vectors.target import find_target

    with psycopg.connect(world.role_dsn) as conn:
        register_vector(conn)
        target = find_target(conn, "shop.tickets.body")
        conn.execute("SET enable_seqscan = off")  # a 40-row table: the planner would scan it; the index must be usable
        params = {"q": np.ones(target.dim, dtype=np.float32), "n": 5, "k": 5}
        hnsw, exact = (search._query(target, None, exact=e).as_string(conn) for e in (False, True))
        plan = "\n".join(r[0] for r in conn.execute("EXPLAIN " + hnsw, params).fetchall())
        assert len(conn.execute(exact, params).fetchall()) == 5
    assert "Index Scan using shop_tickets_body_embedding_hnsw" in plan, plan
    assert "embedding_visible_" in plan  # under the side table's policy


def test_a_source_with_row_level_security_shows_only_its_visible_rows(world: World) -> None:
    with psycopg.connect(world.admin_dsn, autocommit=True) as conn:
        conn.execute("ALTER TABLE shop.tickets ENABLE ROW LEVEL SECURITY")
        conn.execute(f"CREATE POLICY even ON shop.tickets FOR SELECT TO {world.role} USING (id % 2 = 0)")
        conn.execute(f"CREATE POLICY writes ON shop.tickets FOR INSERT TO {world.role} WITH CHECK (true)")
        conn.execute(f"GRANT INSERT ON shop.tickets TO {world.role}")
    try:
        ids = _ids(world.role_dsn, "SELECT id FROM pgai.shop_tickets_body_embedding")
        assert ids and all(i % 2 == 0 for i in ids) and len(ids) == 20
        with world.analyst() as s:
            found = s.similar("shop.tickets.body", "parcel 7 came late", k=5)
            assert len(found) == 5 and all(i % 2 == 0 for i in found["id"])
            s.sql("INSERT INTO shop.tickets VALUES (43, 'an odd ticket')")  # allowed to the analyst; queued
        assert 43 in _ids(world.admin_dsn, "SELECT id FROM pgai.shop_tickets_body_queue")
    finally:
        with psycopg.connect(world.admin_dsn, autocommit=True) as conn:
            conn.execute("ALTER TABLE shop.tickets DISABLE ROW LEVEL SECURITY")


def test_questions_remembered_before_get_their_sources_and_hide(world: World) -> None:
    with psycopg.connect(world.admin_dsn, autocommit=True) as conn:
        qid = scalar(
            conn,
            "INSERT INTO pgai.questions (question, template, sql, source, scope, embedder, dim, embedding, sources) "
            "SELECT 'which notes mention alice', 'which notes mention alice', 'SELECT body FROM notes', 'translator', "
            "'hr', embedder, dim, embedding, NULL FROM pgai.questions WHERE scope = 'hr' LIMIT 1 RETURNING id",
        )
    assert _count(world.role_dsn, f"SELECT count(*) FROM pgai.questions WHERE id = {qid}") == 1  # NULL: not known yet
    with world.analyst() as s:
        assert s.questions.memory_ready()  # opening the memory records the relations of older questions
    assert _count(world.role_dsn, f"SELECT count(*) FROM pgai.questions WHERE id = {qid}") == 0
    with psycopg.connect(world.admin_dsn) as conn:
        assert scalar(conn, "SELECT sources::text[] FROM pgai.questions WHERE id = %s", (qid,)) == ["hr.notes"]


def test_status_names_side_tables_that_do_not_follow_their_source(world: World) -> None:
    with world.admin() as s:
        assert not any("do not follow" in w for w in s.status().warnings)
        s.db.control.execute("ALTER TABLE pgai.hr_notes_body_queue NO FORCE ROW LEVEL SECURITY")
        try:
            warned = [w for w in s.status().warnings if "do not follow" in w]
            assert len(warned) == 1 and "hr.notes.body" in warned[0] and "runs its %pgai embed again" in warned[0]
        finally:
            s.db.control.execute("SELECT pgai.protect_embedding(id) FROM pgai.embedded_columns")
        assert not any("do not follow" in w for w in s.status().warnings)


def _ids(dsn: str, query: str) -> list[int]:
    with psycopg.connect(dsn) as conn:
        return sorted(int(r[0]) for r in conn.execute(query))

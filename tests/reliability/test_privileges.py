"""Least privilege: a plain role (no CREATE, no pgai schema) reads; the GRANTs of docs/privileges.md, run as
written, unlock each feature; a server without pgvector says how to get it and migrates once it is there."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from pgai_magic.errors import PrivilegeError
from pgai_magic.session import Session
from tests.pg_helpers import database_and_role, scalar
from tests.tiny_model import build_tiny_model

ROOT = Path(__file__).resolve().parents[2]


def grants(section: str, kind: str = "grants", **names: str) -> list[str]:
    """The statements of one `<!-- kind: section -->` block of docs/privileges.md, names substituted."""
    doc = (ROOT / "docs" / "privileges.md").read_text()
    match = re.search(rf"<!-- {kind}: {section} -->\s*```sql\n(.*?)```", doc, re.S)
    assert match, f"docs/privileges.md has no {kind}: {section} block"
    text = match.group(1)
    for word, value in names.items():
        text = re.sub(rf"\b{word}\b", value, text)
    return [s.strip() for s in text.split(";") if s.strip()]


@dataclass
class Db:
    name: str
    role: str
    admin_dsn: str
    role_dsn: str

    def run(self, section: str) -> None:
        with psycopg.connect(self.admin_dsn, autocommit=True) as conn:
            for statement in grants(section, analyst=self.role, mydb=self.name, shop="shop"):
                conn.execute(statement.encode())


@pytest.fixture(scope="module")
def db(pg_dsn: str) -> Iterator[Db]:
    """A fresh database with shop.orders / shop.tickets and a LOGIN role that has no privilege at all yet."""
    with database_and_role(pg_dsn, "ro") as (name, role, admin, role_dsn):
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute("CREATE SCHEMA shop")
            conn.execute("CREATE TABLE shop.orders (id int PRIMARY KEY, city text, total numeric, placed date)")
            conn.execute(
                "INSERT INTO shop.orders SELECT g, (ARRAY['paris', 'rome', 'oslo'])[1 + g % 3], g * 1.5, "
                "date '2024-01-01' + g FROM generate_series(1, 300) g"
            )
            conn.execute("CREATE TABLE shop.tickets (id int PRIMARY KEY, body text)")
            conn.execute("INSERT INTO shop.tickets VALUES (1, 'refund for a late parcel'), (2, 'password reset'), "
                         "(3, 'broken card charge'), (4, 'late delivery again')")  # fmt: skip
        yield Db(name, role, admin, role_dsn)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("tiny")
    os.chmod(folder, 0o755)
    return str(build_tiny_model(folder))


def test_1_a_read_only_role_runs_sql_ask_and_insights(db: Db) -> None:
    db.run("read")
    with Session(db.role_dsn) as s:
        assert s.state.state_missing and "docs/privileges.md" in s.state.state_missing
        assert any("docs/privileges.md" in w for w in s.status()["warnings"])
        assert s.sql("SELECT count(*) AS n FROM shop.orders")["n"][0] == 300
        assert s.ask("how many orders are there", schema="shop").iloc[0, 0] == 300  # type: ignore[union-attr]
        assert len(s.insights("shop.orders", budget=10)) > 0
        assert len(s.insights(query="SELECT city, total, placed FROM shop.orders", budget=10)) > 0
        with pytest.raises(PrivilegeError, match=r"ask an admin to run the GRANTs .* docs/privileges\.md"):
            s.models()
        for call in (lambda: s.embed("shop.tickets.body"), lambda: s.similar("shop.tickets.body", "x")):
            with pytest.raises(PrivilegeError, match=r"no pgvector extension.*superuser runs CREATE EXTENSION vector"):
                call()
    with psycopg.connect(db.admin_dsn) as conn:
        assert scalar(conn, "SELECT to_regnamespace('pgai')") is None


def test_2_after_the_admin_set_up_the_read_pgai_grants_give_similar(db: Db, tiny: str) -> None:
    db.run("admin")
    with Session(db.admin_dsn) as admin:  # the admin's first connect creates and migrates the pgai schema
        admin.embed("shop.tickets.body", model=tiny, progress=False)
        admin.vectors.stop_worker()
    with Session(db.role_dsn) as s:
        assert s.state.state_missing and "an admin created it, but this role may not read it" in s.state.state_missing
        memory = s.status().capabilities["question memory"]  # the privilege is missing, not pgvector
        assert "pgvector" not in memory and f"GRANT USAGE ON SCHEMA pgai TO {db.role}" in memory, memory
        with pytest.raises(PrivilegeError, match=r"similar keeps its state.*docs/privileges\.md"):
            s.similar("shop.tickets.body", "late parcel", k=2)
    db.run("read-pgai")
    with Session(db.role_dsn) as s:
        assert s.state.state_missing is None
        memory = s.status().capabilities["question memory"]
        assert "lacks INSERT on pgai.questions" in memory and f"ON pgai.questions TO {db.role}" in memory, memory
        found = s.similar("shop.tickets.body", "late parcel", k=2)
        assert len(found) == 2 and set(found["id"]) <= {1, 2, 3, 4}
        with pytest.raises(PrivilegeError, match=r"model train.*docs/privileges\.md"):
            s.train("m_priv", "total", "SELECT id::float8 AS x, total FROM shop.orders")


def test_3_question_memory_and_write_grants_give_remembered_questions_and_models(db: Db) -> None:
    db.run("question-memory")
    db.run("write-pgai")
    with Session(db.role_dsn) as s:
        s.ask("how many orders are there", schema="shop")
        assert len(s.questions.history()) >= 1
        version = s.train("m_priv", "total", "SELECT id::float8 AS x, total::float8 AS total FROM shop.orders",
                          task="regression")  # fmt: skip
        assert version is not None
        assert s.sql("SELECT pgai.predict_m_priv(10.0) AS p")["p"][0] == pytest.approx(15.0, rel=0.05)


def test_a_server_without_pgvector_says_how_to_get_it_and_migrates_when_it_appears(pg_dsn: str) -> None:
    # the role owns the database, and may not create pgvector
    with database_and_role(pg_dsn, "nov", owns=True) as (_name, _owner, admin, dsn):
        with Session(dsn) as s:
            assert s.state.extensions["vector"] is None and s.state.state_missing is None
            assert any("020_question_memory (needs the vector extension)" in w for w in s.status()["warnings"])
            assert "CREATE EXTENSION vector" in s.status().capabilities["question memory"]
            s.sql("CREATE TABLE notes (id int PRIMARY KEY, body text)")
            with pytest.raises(PrivilegeError, match=r"no pgvector extension.*CREATE EXTENSION vector"):
                s.embed("notes.body")
        with psycopg.connect(admin, autocommit=True) as su:
            su.execute("CREATE EXTENSION vector")
        with Session(dsn) as s:
            assert s.state.extensions["vector"]
            assert not any("020_question_memory" in w for w in s.status().get("warnings", []))
            recorded = s.sql("SELECT version FROM pgai.migrations ORDER BY version")["version"].tolist()
            assert 20 in recorded and 41 in recorded  # question memory, then its row-level security
            assert s.sql("SELECT to_regclass('pgai.questions')::text AS t")["t"][0] == "pgai.questions"

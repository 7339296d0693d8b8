"""pgai's tables of rows derived from user tables record their `sources` and show a row only to a role that may
read every one of them (row-level security with pgai.sources_readable)."""

from __future__ import annotations

import uuid
from pathlib import Path

import psycopg
from psycopg.conninfo import make_conninfo

from pgai_magic.session import Session
from tests.pg_helpers import database_and_role

DERIVED = ("feature_views", "training_sets", "model_reference", "monitor_schedules", "model_monitoring", "alerts",
           "prediction_log")  # fmt: skip


MODEL_BOUND = {"model_reference", "monitor_schedules", "model_monitoring", "alerts", "prediction_log"}


def test_every_derived_table_has_sources_and_its_policy(session: Session, conn: psycopg.Connection) -> None:
    rows = conn.execute(
        """SELECT c.relname, c.relrowsecurity, format_type(a.atttypid, NULL),
                  (SELECT array_agg(pg_get_expr(p.polqual, p.polrelid)) FROM pg_policy p WHERE p.polrelid = c.oid)
           FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'sources'
           WHERE c.relnamespace = 'pgai'::regnamespace AND c.relname = ANY(%s)""",
        (list(DERIVED),),
    ).fetchall()
    assert sorted(r[0] for r in rows) == sorted(DERIVED)
    for name, secured, type_, policies in rows:
        assert secured and type_ == "regclass[]", name
        assert len(policies) == 1, (name, policies)  # one permissive policy: no second one widens it
        assert policies[0].lstrip("(").startswith("pgai.sources_readable(sources)"), (name, policies)
        assert ("pgai.models" in policies[0]) == (name in MODEL_BOUND), (name, policies)


def test_sources_readable_is_defined_once() -> None:
    from pgai_magic.setup._migrations import available

    defining = [m.name for m in available() if "FUNCTION pgai.sources_readable" in m.sql]
    assert defining == ["source_privileges"]


def test_sources_readable_follows_the_roles_privileges(session: Session, pg_dsn: str, conn: psycopg.Connection) -> None:
    role, table = f"r_{uuid.uuid4().hex[:8]}", f"t_{uuid.uuid4().hex[:8]}"
    conn.execute(f"CREATE TABLE public.{table} (x int)")
    conn.execute(f"CREATE ROLE {role} LOGIN")
    try:
        conn.execute(f"GRANT USAGE ON SCHEMA pgai TO {role}")
        oid = conn.execute(f"SELECT 'public.{table}'::regclass::oid").fetchone()[0]
        with psycopg.connect(make_conninfo(pg_dsn, user=role), autocommit=True) as other:
            check = "SELECT pgai.sources_readable(%s::oid[]::regclass[])"
            assert other.execute(check, ([],)).fetchone()[0] is True  # derived from nothing: everyone
            assert other.execute(check, ([oid],)).fetchone()[0] is False
            conn.execute(f"GRANT SELECT ON public.{table} TO {role}")
            assert other.execute(check, ([oid],)).fetchone()[0] is True
            conn.execute(f"DROP TABLE public.{table}")
            assert other.execute(check, ([oid],)).fetchone()[0] is False  # a dropped source: nobody but the owner
    finally:
        conn.execute(f"DROP TABLE IF EXISTS public.{table}")
        conn.execute(f"DROP OWNED BY {role}")
        conn.execute(f"DROP ROLE {role}")


# What 050–052 made before 040 existed: their own, weaker sources_readable (no USAGE on the schema) and a policy per
# table; model_monitoring had one too. A database set up then runs 040, 041 and 053 later.
BEFORE_040 = """
CREATE OR REPLACE FUNCTION pgai.sources_readable(sources regclass[]) RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT coalesce(bool_and(coalesce(has_table_privilege(s, 'SELECT'), false)), true) FROM unnest(sources) AS s
$$;
""" + "".join(
    f"ALTER TABLE pgai.{t} ENABLE ROW LEVEL SECURITY;\n"
    f"CREATE POLICY {t}_sources ON pgai.{t} USING (pgai.sources_readable(sources));\n"
    for t in DERIVED
)

POLICIES = """
SELECT c.relname, p.polname, pg_get_expr(p.polqual, p.polrelid)
FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid
WHERE c.relnamespace = 'pgai'::regnamespace AND c.relname = ANY(%s) ORDER BY 1, 2
"""
TABLES = [*DERIVED, "models", "model_splits", "questions"]  # not the side tables of embedded columns
READABLE = "SELECT pg_get_functiondef('pgai.sources_readable(regclass[])'::regprocedure)"


def test_a_database_set_up_before_040_gets_the_same_function_and_policies(
    session: Session, conn: psycopg.Connection, pg_dsn: str, tmp_path: Path
) -> None:
    from pgai_magic.setup._migrations import apply_migrations, available

    early = tmp_path / "sql"
    early.mkdir()
    for m in available():
        if m.version < 40 or 50 <= m.version <= 52:
            (early / f"{m.version:03d}_{m.name}.sql").write_text(m.sql + (BEFORE_040 if m.version == 52 else ""))
    with database_and_role(pg_dsn, "upgrade") as (_, _, admin, _):
        with psycopg.connect(admin, autocommit=True) as old:
            old.execute("CREATE EXTENSION vector")
            assert [m.version for m in apply_migrations(old, early)][-3:] == [50, 51, 52]
            assert {r[1] for r in old.execute(POLICIES, (TABLES,))} == {f"{t}_sources" for t in DERIVED}
            assert [m.version for m in apply_migrations(old)] == [40, 41, 53]
            assert old.execute(POLICIES, (TABLES,)).fetchall() == conn.execute(POLICIES, (TABLES,)).fetchall()
            assert old.execute(READABLE).fetchone() == conn.execute(READABLE).fetchone()
    assert "has_schema_privilege" in conn.execute(READABLE).fetchone()[0]

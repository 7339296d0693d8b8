"""What `ask` may read is what the role may read: a role that reads one schema off its search path gets answers
from that schema's tables (schema-qualified), never from a same-named table it may not read."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from pgai_magic.errors import TranslationError
from pgai_magic.session import Session
from tests.pg_helpers import database_and_role


@pytest.fixture(scope="module")
def sales_db(pg_dsn: str) -> Iterator[tuple[str, str]]:
    """A database with sales.orders (readable by the role) and public.orders (not readable); the role's search
    path is the default ("$user", public). Returns (the role's DSN, the admin's DSN)."""
    with database_and_role(pg_dsn, "rc") as (name, role, admin, role_dsn):
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"GRANT CONNECT, TEMPORARY ON DATABASE {name} TO {role}")
            conn.execute("CREATE SCHEMA sales")
            conn.execute("CREATE TABLE sales.orders (id int PRIMARY KEY, city text, total numeric)")
            conn.execute("INSERT INTO sales.orders SELECT g, 'paris', g FROM generate_series(1, 7) g")
            conn.execute("CREATE TABLE public.orders (id int PRIMARY KEY, city text, total numeric)")
            conn.execute("INSERT INTO public.orders SELECT g, 'rome', g FROM generate_series(1, 40) g")
            conn.execute("CREATE TABLE sales.secret (id int)")  # in a readable schema, but no SELECT on it
            conn.execute(f"GRANT USAGE ON SCHEMA sales TO {role}")
            conn.execute(f"GRANT SELECT ON sales.orders TO {role}")
        yield role_dsn, admin


def test_ask_reads_the_readable_table_off_the_search_path(sales_db: tuple[str, str]) -> None:
    role_dsn, _ = sales_db
    with Session(role_dsn) as s:
        answer = s.ask("how many orders are there", dry_run=True)
        assert "sales.orders" in str(answer)
        assert s.ask("how many orders are there").iloc[0, 0] == 7  # type: ignore[union-attr]


def test_the_catalog_holds_only_tables_the_role_may_select(sales_db: tuple[str, str]) -> None:
    role_dsn, admin = sales_db
    with Session(role_dsn) as s:
        catalog = s.questions.catalog()
        assert sorted(catalog.tables) == ["sales.orders"]
        assert catalog.qualified(catalog.tables["sales.orders"])
        assert catalog.scope == ("public",)  # questions are remembered under the search path, as before
        with pytest.raises(TranslationError, match="no tables in public"):  # --schema restricts; none readable
            s.ask("how many orders are there", schema="public")
        role = s.sql("SELECT current_user AS r")["r"][0]
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"GRANT SELECT ON sales.secret TO {role}")
        try:  # a GRANT changes the catalog's fingerprint: the cached catalog is read again
            assert sorted(s.questions.catalog().tables) == ["sales.orders", "sales.secret"]
        finally:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f"REVOKE SELECT ON sales.secret FROM {role}")

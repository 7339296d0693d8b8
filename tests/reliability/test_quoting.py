"""Printed SQL is safe to paste: every identifier quoted where needed, hostile names included."""

from __future__ import annotations

import psycopg
import pytest
import sqlglot
from sqlglot import exp

from pgai_magic.session import Session
from pgai_magic.sqltext import quote_ident
from tests.pg_helpers import scalar

HOSTILE = "t; DROP TABLE x; --"


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("orders", "orders"),
        ("Orders", '"Orders"'),
        ("select", '"select"'),
        ("user", '"user"'),
        ("a b", '"a b"'),
        ('we"ird', '"we""ird"'),
        (HOSTILE, '"t; DROP TABLE x; --"'),
        ("café", '"café"'),
    ],
)
def test_quote_ident_quotes_what_postgresql_would(name: str, shown: str, conn: psycopg.Connection) -> None:
    assert quote_ident(name) == shown
    assert scalar(conn, "SELECT quote_ident(%s)", (name,)) == shown


def test_the_search_hint_after_embed_quotes_a_hostile_table_name(
    own_session: Session, conn: psycopg.Connection, schema: str, tiny_model_dir: str
) -> None:
    from pgai_magic.vectors.sync import drop
    from pgai_magic.vectors.target import list_targets

    conn.execute(f'CREATE TABLE {schema}."{HOSTILE}" ("Key" int PRIMARY KEY, "select" text)')
    conn.execute(f"""INSERT INTO {schema}."{HOSTILE}" VALUES (1, 'late parcel'), (2, 'refund')""")
    conn.execute("CREATE TABLE IF NOT EXISTS public.x (a int)")
    try:
        own_session.set_embedder(tiny_model_dir)
        result = own_session.embed(f'{schema}."{HOSTILE}"."select"', model=tiny_model_dir, progress=False)
        own_session.vectors.stop_worker()
        hint = result.summary().split("   or   ", 1)[1]
        statements = [s for s in sqlglot.parse(hint, dialect="postgres") if s is not None]
        assert len(statements) == 1 and isinstance(statements[0], exp.Select), hint
        assert not list(statements[0].find_all(exp.Drop))
        rows = own_session.sql(hint.replace("pgai.embed('your text')", "pgai.embed('late parcel')"))
        assert len(rows) == 2
        assert scalar(conn, "SELECT to_regclass('public.x') IS NOT NULL")
    finally:
        for target in list_targets(conn):
            if target.schema == schema:
                drop(conn, target)


def test_did_you_mean_advice_works_as_typed(session: Session, conn: psycopg.Connection, schema: str) -> None:
    from pgai_magic.errors import SQLError

    conn.execute(f'CREATE TABLE {schema}."Orders Archive" ("Total Due" int, plain int)')
    conn.execute(f'INSERT INTO {schema}."Orders Archive" VALUES (7, 1)')
    with pytest.raises(SQLError) as err:
        session.sql(f'SELECT 1 FROM {schema}."Orders Archiv"')
    hint = err.value.hint or ""
    suggested = hint.removeprefix("did you mean table ").split(" or ")[0].rstrip("?")
    assert suggested == f'{schema}."Orders Archive"', hint
    assert session.sql(f"SELECT count(*) AS n FROM {suggested}")["n"][0] == 1  # the advice runs as typed
    session.execute(f"SET search_path = {schema}, public")
    try:
        with pytest.raises(SQLError) as err:
            session.sql('SELECT "Total Du" FROM "Orders Archive"')
        hint = err.value.hint or ""
        assert '"Total Due"' in hint, hint
    finally:
        session.execute("RESET search_path")

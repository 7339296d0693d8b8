"""Unrelated tables to put next to the sales schema: planted sales facts, telecom customers, trips and a FAQ.

Real databases hold many tables; these four share words with the sales schema ("sales", "revenue",
"customers", "region", "channel", "category", "product") but no foreign keys with it, so questions about
the sales schema must still find their tables. Deterministic given the sizes.
"""

from __future__ import annotations

from psycopg import sql

from pgai_magic.datasets import LoadTarget, churn, connection_of, planted

__all__ = ["TABLES", "load"]

TABLES = ("sales_facts", "telecom_customers", "trips", "faq")

_TRIPS = """
CREATE TABLE {t} AS
SELECT g AS trip_id, (ARRAY['north', 'south', 'east', 'west'])[1 + g % 4] AS region,
       round((5 + 30 * abs(sin(g)))::numeric, 2) AS fare,
       timestamptz '2025-01-01' + (g * 37 % 525600) * interval '1 minute' AS started_at,
       g % 11 = 0 AS disputed
FROM generate_series(1, {n}) g
"""
_FAQ_QUESTIONS = [
    "How do I return an order?",
    "Where is my order?",
    "How do I change my email address?",
    "Which payment methods are accepted?",
    "How long does delivery take?",
    "Can I cancel an order?",
]


def load(
    conn_or_session: LoadTarget,
    schema: str = "public",
    *,
    facts: int = 50_000,
    customers: int = 2000,
    trips: int = 2000,
) -> dict[str, int]:
    """(Re)create the four unrelated tables in `schema`; returns the row count of each."""
    conn = connection_of(conn_or_session)
    s = sql.Identifier(schema)
    conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(s))
    planted.load(conn, table=f"{schema}.sales_facts", n=facts)
    churn.load(conn, table="telecom_customers", n=customers, schema=schema)
    with conn.transaction():
        for table in ("trips", "faq"):
            conn.execute(sql.SQL("DROP TABLE IF EXISTS {}.{}").format(s, sql.Identifier(table)))
        conn.execute(sql.SQL(_TRIPS).format(t=sql.Identifier(schema, "trips"), n=sql.Literal(trips)))
        conn.execute(sql.SQL("ALTER TABLE {} ADD PRIMARY KEY (trip_id)").format(sql.Identifier(schema, "trips")))
        conn.execute(
            sql.SQL("CREATE TABLE {} (id int PRIMARY KEY, question text, answer text)").format(
                sql.Identifier(schema, "faq")
            )
        )
        with conn.cursor().copy(sql.SQL("COPY {} FROM STDIN").format(sql.Identifier(schema, "faq"))) as copy:
            for i in range(1, 31):
                question = f"{_FAQ_QUESTIONS[i % len(_FAQ_QUESTIONS)]} ({i})"
                copy.write_row((i, question, f"See the help page, section {i}."))
    for table in ("trips", "faq"):
        conn.execute(sql.SQL("ANALYZE {}.{}").format(s, sql.Identifier(table)))
    return {"sales_facts": facts, "telecom_customers": customers, "trips": trips, "faq": 30}

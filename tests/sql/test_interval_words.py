"""Intervals in words: `interval_words` writes what PostgreSQL's IntervalStyle postgres_verbose does, without '@'."""

from __future__ import annotations

import psycopg

from pgai_magic.db import interval_words

CASES = ["1h", "1 hour", "1d", "1 day 12 hours", "30min", "1w", "90s", "1.5s", "1 year 2 mons", "-1 hour",
         "1 mon -2 days", "0", "2 days 03:04:05", "-3 days"]  # fmt: skip


def test_interval_words_match_the_servers_verbose_style(conn: psycopg.Connection) -> None:
    conn.execute("SET intervalstyle = 'postgres_verbose'")
    try:
        for text in CASES:
            row = conn.execute(
                "SELECT i::text, (extract(year FROM i) * 12 + extract(month FROM i))::int, extract(day FROM i)::int, "
                "(extract(hour FROM i) * 3600000000 + extract(minute FROM i) * 60000000 "
                "+ extract(microseconds FROM i))::bigint FROM (SELECT %s::interval AS i) AS x",
                (text,),
            ).fetchone()
            assert row is not None
            assert "@ " + interval_words(*row[1:]) == row[0], text
    finally:
        conn.execute("RESET intervalstyle")

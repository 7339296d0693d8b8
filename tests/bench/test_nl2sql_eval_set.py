"""The issue-13 NL→SQL evaluation: its comparison rule, and its question set against real data.

The rule's cases are pure logic; the set's gold SQL is run on a real PostgreSQL for the three small schemas
(flights, 336 776 rows, is left to the benchmark itself).
"""

from __future__ import annotations

import datetime as dt
import decimal
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import psycopg
import pytest
import sqlglot
import yaml

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH / "nl2sql_eval"))

from compare import gold_is_ordered, results_match  # noqa: E402
from load_schemas import load_all  # noqa: E402

TAGS = {"simple", "filter_value", "aggregate", "group_by", "topk_words", "join_inferred", "join_declared", "ratio",
        "date_window", "date_arith", "duration", "units", "ordering", "chinese"}  # fmt: skip
SPEC = yaml.safe_load((BENCH / "nl2sql_eval" / "questions.yaml").read_text(encoding="utf-8"))


def test_extra_columns_and_column_order_are_free() -> None:
    gold = [("JFK", 3)]
    assert results_match(gold, [(3, "JFK")])
    assert results_match(gold, [("x", 3, "JFK")])
    assert not results_match(gold, [("JFK",)])
    assert not results_match(gold, [("JFK", 4)])


def test_numbers_compare_with_relative_tolerance() -> None:
    assert results_match([(decimal.Decimal("12.6390702573047081"),)], [(12.639070257,)])
    assert not results_match([(12.6390702573,)], [(12.6391,)])
    assert results_match([(0.0,)], [(0,)])


def test_rows_are_a_multiset_unless_the_gold_orders_them() -> None:
    gold = [("a", 1), ("b", 2)]
    flipped = [("b", 2), ("a", 1)]
    assert results_match(gold, flipped)
    assert not results_match(gold, flipped, ordered=True)
    assert not results_match(gold, [("a", 1)])
    assert gold_is_ordered("SELECT name FROM airlines ORDER BY name")
    assert not gold_is_ordered("SELECT name FROM airlines")


def test_rows_tied_on_the_order_key_may_swap() -> None:
    gold = [("x", 9), ("y", 5), ("z", 5)]
    assert results_match(gold, [("x", 9), ("z", 5), ("y", 5)], ordered=True, order_key=[1])
    assert not results_match(gold, [("y", 5), ("x", 9), ("z", 5)], ordered=True, order_key=[1])


def test_midnight_timestamps_equal_dates() -> None:
    assert results_match([(dt.date(2013, 12, 1), 5)], [(dt.datetime(2013, 12, 1, tzinfo=dt.timezone.utc), 5)])
    assert not results_match([(dt.date(2013, 12, 1),)], [(dt.datetime(2013, 12, 1, 6),)])


def test_the_set_is_large_bilingual_and_tagged() -> None:
    questions = SPEC["questions"]
    assert len(questions) >= 220
    assert len({q["id"] for q in questions}) == len(questions)
    langs = Counter(q["lang"] for q in questions)
    assert langs["zh"] >= 40 and langs["en"] >= 100
    assert {q["schema"] for q in questions} == {"flights", "penguins", "sklearn", "hr"}
    for q in questions:
        assert set(q["tags"]) <= TAGS, q["id"]
        assert ("chinese" in q["tags"]) == (q["lang"] == "zh"), q["id"]
        for gold in [q["gold"], *q.get("alt", [])]:
            sqlglot.parse_one(gold, dialect="postgres")


def _run_golds(conn: psycopg.Connection, schema: str) -> dict[str, list[Any]]:
    out = {}
    for q in SPEC["questions"]:
        if q["schema"] == schema:
            conn.execute(f"SET search_path TO {schema}")
            out[q["id"]] = [conn.execute(g).fetchall() for g in [q["gold"], *q.get("alt", [])]]
    return out


@pytest.mark.parametrize("schema", ["penguins", "sklearn", "hr"])
def test_every_gold_runs_and_answers(pg_dsn: str, schema: str) -> None:
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        counts = load_all(conn, (schema,))
        assert all(n > 0 for n in counts.values())
        results = _run_golds(conn, schema)
        conn.execute(f"DROP SCHEMA {schema} CASCADE")
    for qid, per_gold in results.items():
        for rows in per_gold:
            assert rows, f"{qid}: the gold returned no rows"
            assert any(v is not None for v in rows[0]), f"{qid}: the gold's first row is all NULL"


def test_hr_comments_are_chinese(pg_dsn: str) -> None:
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        load_all(conn, ("hr",))
        row = conn.execute(
            "SELECT obj_description('hr.employees'::regclass), col_description('hr.employees'::regclass, 3)"
        ).fetchone()
        conn.execute("DROP SCHEMA hr CASCADE")
    assert row == ("员工信息表", "性别")

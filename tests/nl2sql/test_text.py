"""Question text: tokens, numbers and time phrases (pure logic, no database; Chinese: tests/nl2sql/test_zh.py)."""

from __future__ import annotations

import datetime as dt

from pgai_magic.nl2sql.text import lemma, tokenize
from pgai_magic.nl2sql.timeexpr import Bound, find_time_ranges

TODAY = dt.date(2026, 11, 20)


def test_tokens_keep_quoted_literals_as_typed_and_read_numbers() -> None:
    toks = tokenize("What's the revenue of 'Home & Kitchen' over $1,500 since 2024-06-30 for ten days?")
    kinds = {t.text: (t.kind, t.value) for t in toks}
    assert kinds["home & kitchen"] == ("quoted", "Home & Kitchen")
    assert kinds["$1,500"] == ("num", 1500)
    assert kinds["2024-06-30"] == ("date", dt.date(2024, 6, 30))
    assert kinds["ten"] == ("num", 10)
    assert [t.text for t in toks[:3]] == ["what", "is", "the"]


def test_lemmas() -> None:
    assert [lemma(w) for w in ("categories", "statuses", "orders", "sales", "boxes", "status")] == [
        "category",
        "status",
        "order",
        "sales",
        "box",
        "status",
    ]


def _ranges(text: str) -> list[list[tuple[str, Bound]]]:
    return [r.conditions for r in find_time_ranges(tokenize(text), TODAY)]


def test_time_phrases() -> None:
    ago = lambda n, unit: Bound("ago", n=n, unit=unit)  # noqa: E731
    date = lambda y, m, d: Bound("date", dt.date(y, m, d))  # noqa: E731
    assert _ranges("sales in the past week") == [[(">=", ago(1, "week"))]]
    assert _ranges("orders in the last 3 months") == [[(">=", ago(3, "month"))]]
    assert _ranges("orders placed in 2024") == [[(">=", date(2024, 1, 1)), ("<", date(2025, 1, 1))]]
    assert _ranges("customers who signed up after 2024-06-30") == [[(">", date(2024, 6, 30))]]
    assert _ranges("revenue in March 2025") == [[(">=", date(2025, 3, 1)), ("<", date(2025, 4, 1))]]
    assert _ranges("orders since 2025") == [[(">=", date(2025, 1, 1))]]
    assert _ranges("orders between 2024-01-01 and 2024-03-31") == [[(">=", date(2024, 1, 1)), ("<", date(2024, 4, 1))]]
    assert _ranges("revenue last year") == [
        [(">=", Bound("trunc", n=-1, unit="year")), ("<", Bound("trunc", unit="year"))]
    ]
    assert _ranges("revenue in Q2 2025") == [[(">=", date(2025, 4, 1)), ("<", date(2025, 7, 1))]]
    assert _ranges("more than 2000 orders") == []
    assert _ranges("the top 10 products") == []

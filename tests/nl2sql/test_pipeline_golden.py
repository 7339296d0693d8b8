"""Golden files of the translator's passes: for a few questions over a small in-memory catalog (no server), the
state after each pass of pgai_magic.nl2sql.pipeline.RULES (the fields it changed) is compared with
tests/nl2sql/golden/<name>.json.

A difference fails the test. After a deliberate change to a pass, regenerate the files and review the diff:

    PGAI_UPDATE_GOLDEN=1 python -m pytest tests/nl2sql/test_pipeline_golden.py
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

import pytest

from pgai_magic.catalog import Catalog, Column, ForeignKey, Table
from pgai_magic.errors import GuardError, PgaiError, TranslationError
from pgai_magic.nl2sql.generator import Request, TranslatorGenerator
from pgai_magic.nl2sql.pipeline import READ_RULES, RULES, State, run, trace
from pgai_magic.nl2sql.snapshot import trace_snapshot
from pgai_magic.nl2sql.translator import Translator

GOLDEN = Path(__file__).parent / "golden"
TODAY = dt.date(2024, 6, 30)

QUESTIONS = {
    "count_in_year": "how many orders were placed in 2024?",
    "total_by_country": "total amount by country",
    "top_products": "top 3 products by quantity",
    "value_filter": "customers in Germany",
    "last_months": "average amount of orders in the last 3 months",
    "other_group": "average temperature in Berlin",
    "refused_unknown": "how did the zebra migration affect quokka sightings",
    "refused_write": "delete all orders",
}


def _col(table: str, name: str, type_: str, kind: str, **kw: Any) -> Column:
    return Column(f"shop.{table}", name, type_, kind, **kw)


def _table(name: str, columns: list[Column], pk: str, rows: int, fks: tuple[ForeignKey, ...] = ()) -> Table:
    for c in columns:
        c.primary_key = c.name == pk
        c.foreign_key = next((fk for fk in fks if fk.columns == (c.name,)), None)
    return Table("shop", name, "table", None, columns, (pk,) if pk else (), list(fks), rows)


def shop_catalog() -> Catalog:
    """customers, products, orders, order_items joined by foreign keys, and an unrelated weather table."""
    customers = _table(
        "customers",
        [
            _col("customers", "customer_id", "integer", "number"),
            _col("customers", "name", "text", "text", n_distinct=50.0),
            _col("customers", "country", "text", "text", values=["Germany", "France", "Brazil"], categorical=True),
            _col("customers", "signup_date", "date", "date"),
        ],
        "customer_id",
        50,
    )
    products = _table(
        "products",
        [
            _col("products", "product_id", "integer", "number"),
            _col("products", "name", "text", "text", n_distinct=20.0),
            _col("products", "category", "text", "text", values=["Books", "Games"], categorical=True),
            _col("products", "price", "numeric", "number"),
        ],
        "product_id",
        20,
    )
    order_fk = ForeignKey("shop.orders", ("customer_id",), "shop.customers", ("customer_id",))
    orders = _table(
        "orders",
        [
            _col("orders", "order_id", "integer", "number"),
            _col("orders", "customer_id", "integer", "number"),
            _col("orders", "order_date", "date", "date", nullable=False),
            _col("orders", "status", "text", "text", values=["shipped", "cancelled"], categorical=True),
            _col("orders", "amount", "numeric", "number"),
        ],
        "order_id",
        500,
        (order_fk,),
    )
    item_fks = (
        ForeignKey("shop.order_items", ("order_id",), "shop.orders", ("order_id",)),
        ForeignKey("shop.order_items", ("product_id",), "shop.products", ("product_id",)),
    )
    items = _table(
        "order_items",
        [
            _col("order_items", "item_id", "integer", "number"),
            _col("order_items", "order_id", "integer", "number"),
            _col("order_items", "product_id", "integer", "number"),
            _col("order_items", "quantity", "integer", "number"),
        ],
        "item_id",
        1500,
        item_fks,
    )
    weather = _table(
        "weather",
        [
            _col("weather", "day", "date", "date"),
            _col("weather", "city", "text", "text", values=["Berlin", "Paris"], categorical=True),
            _col("weather", "temperature", "numeric", "number"),
        ],
        "",
        700,
    )
    tables = {t.key: t for t in (customers, products, orders, items, weather)}
    return Catalog(("shop",), tables, qualify=False, fingerprint="golden")


@pytest.fixture(scope="module")
def translator() -> Translator:
    return Translator(shop_catalog(), conn=None, trgm=None)


def _traced(translator: Translator, question: str) -> list[dict[str, Any]]:
    """The trace of `question` through RULES; a refusal ends it with the pass that refused and its message."""
    start = State(question, translator, TODAY, translator.min_confidence)
    states: list[tuple[str, State]] = []
    state, error = start, None
    for rule in RULES:
        try:
            state = rule(state)
        except PgaiError as exc:
            error = {"pass": rule.__name__, "refused": f"{type(exc).__name__}: {exc}"}
            break
        states.append((rule.__name__, state))
    steps = trace_snapshot(states, start)
    return steps + ([error] if error else [])


@pytest.mark.parametrize("name", sorted(QUESTIONS))
def test_each_pass_matches_its_golden_file(translator: Translator, name: str) -> None:
    got = json.dumps(_traced(translator, QUESTIONS[name]), indent=1, ensure_ascii=False) + "\n"
    path = GOLDEN / f"{name}.json"
    if os.environ.get("PGAI_UPDATE_GOLDEN") == "1":
        path.write_text(got, encoding="utf-8")
    assert path.exists(), f"no golden file {path}: run with PGAI_UPDATE_GOLDEN=1 to write it, then review it"
    assert got == path.read_text(encoding="utf-8"), (
        f"the passes changed what they make of {QUESTIONS[name]!r}; if intended, regenerate with "
        "PGAI_UPDATE_GOLDEN=1 and review the diff of " + str(path)
    )


def test_the_pipeline_agrees_with_translate(translator: Translator) -> None:
    for question in ("how many orders were placed in 2024?", "top 3 products by quantity"):
        state = run(State(question, translator, TODAY, translator.min_confidence))
        assert state.sql == translator.translate(question, today=TODAY).sql
        assert state.sql.startswith("SELECT")


def test_a_prefix_of_the_passes_stops_after_linking(translator: Translator) -> None:
    state = run(State("total amount by country", translator, TODAY), READ_RULES)
    assert state.analysis is not None and state.plan is None and state.sql == ""
    assert [it.kind for it in state.analysis.items] == ["agg", "mention", "by", "mention"]
    assert state.readings[0][1] is state.analysis and state.reader is state.readings[0][0]


def test_passes_leave_the_state_they_are_given_alone(translator: Translator) -> None:
    start = State("top 3 products by quantity", translator, TODAY)
    states = trace(start)
    linked = states[1][1]
    before = (linked.analysis, linked.used, linked.plan)
    again = run(linked, RULES[2:])
    assert (linked.analysis, linked.used, linked.plan) == before
    assert again.sql == states[-1][1].sql
    with pytest.raises(dataclasses.FrozenInstanceError):
        linked.question = "something else"  # type: ignore[misc]
    assert states[-1][1].analysis is not linked.analysis  # `score` derived a new analysis


def test_today_is_an_argument_of_the_translation(translator: Translator) -> None:
    question = "how many orders in June"  # the June before `today`
    this_year = translator.translate(question, today=dt.date(2024, 6, 30)).sql
    last_year = translator.translate(question, today=dt.date(2023, 3, 31)).sql
    assert "'2024-06-01'" in this_year and "'2022-06-01'" in last_year
    assert translator.today is None  # nothing was set on the translator
    dated = Translator(shop_catalog(), conn=None, trgm=None, today=dt.date(2023, 3, 31))  # a default date
    assert dated.translate(question).sql == last_year


def test_the_translator_generator_finishes_the_reading_it_is_handed(translator: Translator) -> None:
    question = "how many orders were placed in 2024?"
    reading = translator.read(question, today=TODAY)

    class NoRereading(Translator):
        def read(self, question: str, *, today: dt.date | None = None) -> State:
            raise AssertionError("the question was read again")

    again = NoRereading(shop_catalog(), conn=None, trgm=None)
    checked: list[str] = []
    request = Request(question, again.catalog, checked.append, reading.read_analysis(), today=TODAY, reading=reading)
    got = TranslatorGenerator(again).generate(request)
    assert got.sql == translator.finish(reading).sql == checked[0]
    assert got.source == "translator"


def test_refusals_happen_in_their_pass(translator: Translator) -> None:
    with pytest.raises(GuardError):
        run(State("delete all orders", translator, TODAY), RULES[:1])
    with pytest.raises(TranslationError, match=r"not confident enough|cannot answer"):
        run(State("how did the zebra migration affect quokka sightings", translator, TODAY))

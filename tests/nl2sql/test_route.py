"""Routing between the rule and learned translators (nl2sql/route.py): what the judge compares, the threshold in
the strict and default modes, the rule answers the learned translator cannot write, Chinese questions.

The data is the sales dataset of the `shop` fixture and a small table made here; the questions are written here.
"""

from __future__ import annotations

import threading

import psycopg
import pytest

from pgai_magic.catalog import load_catalog
from pgai_magic.errors import TranslationError
from pgai_magic.nl2sql import loading
from pgai_magic.nl2sql.evaluate import gold_is_ordered, results_match
from pgai_magic.nl2sql.generator import Generated, Request
from pgai_magic.nl2sql.learned.model import LinearModel, model
from pgai_magic.nl2sql.route import RouteModel, Router, compare, route_model, shape
from pgai_magic.nl2sql.translator import Translator
from pgai_magic.session import Session

SHOP_SEED = 3  # the sales data of the `shop` fixture (tests/conftest.py)


def _request(conn: psycopg.Connection, translator: Translator, question: str) -> Request:
    reading = translator.read(question)

    def validate(sql: str) -> None:
        conn.execute("EXPLAIN " + sql)  # type: ignore[arg-type]  # SQL the translators wrote

    return Request(question, translator.catalog, validate, reading.read_analysis(), [], reading.today, reading)


def _router(conn: psycopg.Connection, translator: Translator, **kw: object) -> Router:
    return Router(translator, conn, model(), kw.pop("judge", route_model()), **kw)  # type: ignore[arg-type]


def _judge(threshold: float) -> RouteModel:
    """A judge that rates every answer 0.5 (no weights, no bias) with the given threshold."""
    return RouteModel(LinearModel({}, 0.0), LinearModel({}, 0.0), threshold)


def test_shape_reads_columns_groups_and_aggregates() -> None:
    s = shape(
        "SELECT p.brand, AVG(p.price) FROM products p JOIN order_items i ON i.product_id = p.product_id"
        " GROUP BY p.brand"
    )
    assert s.columns == {"brand", "price", "product_id"}
    assert s.grouped == {"brand"}
    assert s.aggregated == {"price"}
    assert not shape("SELEC nonsense FROM").parsed


def test_compare_flags_a_dropped_grouping_and_a_key_aggregate() -> None:
    keys = frozenset({"order_id"})
    grouped = shape("SELECT brand, AVG(price) FROM products GROUP BY brand")
    flat = shape("SELECT AVG(order_id) FROM orders")
    feats = compare(flat, grouped, keys)
    assert feats["drops_group"] == 1.0 and feats["key_agg"] == 1.0 and feats["drops"] == pytest.approx(2 / 3)
    back = compare(grouped, flat, keys)
    assert back["adds_group"] == 1.0 and back["other_key_agg"] == 1.0 and back["drops"] == pytest.approx(1 / 3)
    assert compare(grouped, None, keys)["other_none"] == 1.0


def test_shipped_judge_prefers_agreeing_answers_and_has_a_threshold() -> None:
    judge = route_model()
    assert 0.3 < judge.threshold < 0.95
    base = {"learned_conf": 0.6, "rule_conf": 1.0}
    assert judge.learned.prob({**base, "agree": 1.0}) > judge.learned.prob({**base, "agree": 0.0})
    assert judge.learned.prob({**base, "c_drops": 1.0}) < judge.learned.prob(base)


@pytest.mark.parametrize(
    ("question", "gold"),
    [
        ("mean product price for each brand", "SELECT brand, AVG(price) FROM products GROUP BY brand"),
        ("how many orders are there", "SELECT COUNT(*) FROM orders"),
    ],
)
def test_routed_answer_has_the_gold_value(
    shop_translator: tuple[psycopg.Connection, Translator], question: str, gold: str
) -> None:
    conn, translator = shop_translator
    got = _router(conn, translator).generate(_request(conn, translator, question))
    rows = conn.execute(got.sql).fetchall()  # type: ignore[arg-type]  # SQL the translators wrote
    expected = conn.execute(gold).fetchall()  # type: ignore[arg-type]  # SQL written in this test
    assert results_match(expected, rows, ordered=gold_is_ordered(gold)), (question, got.sql)
    assert got.confidence is not None and 0.0 <= got.confidence <= 1.0


def test_strict_mode_refuses_below_the_threshold_default_mode_says_so(
    shop_translator: tuple[psycopg.Connection, Translator],
) -> None:
    conn, translator = shop_translator
    question = "how many customers are there"
    with pytest.raises(TranslationError, match=r"threshold 0\.99"):
        _router(conn, translator, judge=_judge(0.99), trust_rules=False).generate(_request(conn, translator, question))
    given: Generated = _router(conn, translator, judge=_judge(0.99)).generate(_request(conn, translator, question))
    assert given.confidence == 0.5
    assert any("below the calibrated threshold 0.99" in n for n in given.notes)
    # the note gives the header's figure and says why a rule answer is given below the threshold
    assert any(n.startswith(f"confidence {given.confidence:.2f} is below") and "rule answer is still given" in n
               for n in given.notes)  # fmt: skip
    assert conn.execute(given.sql).fetchone() == conn.execute("SELECT COUNT(*) FROM customers").fetchone()  # type: ignore[arg-type]
    above = _router(conn, translator, judge=_judge(0.4), trust_rules=False).generate(
        _request(conn, translator, question)
    )
    assert above.confidence == 0.5 and not any("below" in n for n in above.notes)


def test_rule_answers_the_learned_translator_cannot_write_are_given_in_strict_mode(
    shop_translator: tuple[psycopg.Connection, Translator],
) -> None:
    conn, translator = shop_translator
    router = _router(conn, translator, judge=_judge(0.99), trust_rules=False)
    got = router.generate(_request(conn, translator, "number of orders per month in 2024"))
    assert "date_trunc" in got.sql.lower() or "extract" in got.sql.lower(), got.sql
    assert not any("outside the learned translator" in n for n in got.notes), got.notes  # confident: no noise
    gold = (
        "SELECT date_trunc('month', order_date)::date, COUNT(*) FROM orders "
        "WHERE order_date >= '2024-01-01' AND order_date < '2025-01-01' GROUP BY 1"
    )
    rows = conn.execute(got.sql).fetchall()  # type: ignore[arg-type]  # SQL the translators wrote
    assert results_match(conn.execute(gold).fetchall(), rows, ordered=False), got.sql


def test_chinese_question_reaches_the_learned_translator_in_english(conn: psycopg.Connection, schema: str) -> None:
    conn.execute(f'SET search_path = "{schema}"')
    conn.execute("CREATE TABLE singer (singer_id int PRIMARY KEY, name text, country text, age int)")
    conn.execute(
        "INSERT INTO singer VALUES (1, 'Joe Sharp', 'Netherlands', 52), (2, 'Timbaland', 'United States', 32),"
        " (3, 'Justin Brown', 'France', 29), (4, 'Rose White', 'France', 41)"
    )
    translator = Translator(load_catalog(conn, [schema]), conn=conn)
    log: list = []
    router = _router(conn, translator, record=log)
    router.judgement(_request(conn, translator, "有多少歌手？"))
    learned = next(o for o in log[0].options if o.source == "learned")
    assert conn.execute(learned.sql).fetchone() == (4,), learned.sql  # type: ignore[arg-type]


def test_loading_is_pending_only_between_begin_and_finish(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loading, "_started", threading.Event())
    monkeypatch.setattr(loading, "_done", threading.Event())
    assert not loading.pending()  # no warm-up: a question reads the data itself
    loading.begin()
    assert loading.pending()
    loading.finish()
    assert not loading.pending()


def test_question_asked_while_the_learned_data_loads_is_answered_by_the_rules(
    session: Session, shop: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(loading, "_started", threading.Event())
    monkeypatch.setattr(loading, "_done", threading.Event())
    loading.begin()
    answer = session.questions.translate("how many products are there", schema=shop, remember=False, use_memory=False)
    assert any("still loading" in n for n in answer.notes), answer.notes
    conn = session.db.control
    gold = conn.execute(f'SELECT COUNT(*) FROM "{shop}".products').fetchone()  # type: ignore[arg-type]  # test's SQL
    conn.execute(f'SET search_path = "{shop}"')  # type: ignore[arg-type]  # the schema the answer was written for
    try:
        assert conn.execute(answer.sql).fetchone() == gold, answer.sql  # type: ignore[arg-type]  # translator's SQL
    finally:
        conn.execute("RESET search_path")
    loading.finish()
    later = session.questions.translate("how many products are there", schema=shop, remember=False, use_memory=False)
    assert not any("still loading" in n for n in later.notes), later.notes


def test_a_quantity_in_a_unit_is_converted_by_the_rules_not_compared_bare(
    conn: psycopg.Connection, schema: str
) -> None:
    conn.execute(f'SET search_path = "{schema}"')
    conn.execute("CREATE TABLE parcel (parcel_id int PRIMARY KEY, city text, weight_g int)")
    conn.execute(
        "INSERT INTO parcel SELECT g, (ARRAY['Lyon', 'Oslo'])[1 + g % 2], g * 150 FROM generate_series(1, 40) g"
    )
    translator = Translator(load_catalog(conn, [schema]), conn=conn)
    got = _router(conn, translator, trust_rules=False).generate(
        _request(conn, translator, "how many parcels weigh more than 3 kg")
    )
    assert (
        conn.execute(got.sql).fetchone() == conn.execute("SELECT COUNT(*) FROM parcel WHERE weight_g > 3000").fetchone()
    )  # type: ignore[arg-type]


def test_mentions_needs_a_question_word_in_the_answer() -> None:
    from pgai_magic.nl2sql.route import mentions

    assert not mentions("how many widgets are there?", "SELECT COUNT(*) FROM cars")
    assert mentions("How many singers do we have?", "SELECT count(*) FROM singer")
    assert mentions("average horsepower of the cars", "SELECT AVG(horse_power) FROM vehicles")
    assert mentions("list the names of singers from France", "SELECT name FROM people WHERE country = 'France'")


def test_a_question_about_a_table_that_is_not_there_is_not_answered_from_another(
    conn: psycopg.Connection, schema: str
) -> None:
    conn.execute(f'SET search_path = "{schema}"')
    conn.execute("CREATE TABLE cars (car_id int PRIMARY KEY, name text, horsepower int, origin text)")
    conn.execute("INSERT INTO cars VALUES (1, 'chevelle', 130, 'USA'), (2, 'corolla', 70, 'Japan')")
    translator = Translator(load_catalog(conn, [schema]), conn=conn)
    log: list = []
    router = _router(conn, translator, record=log)
    with pytest.raises(TranslationError) as refused:
        router.generate(_request(conn, translator, "how many widgets are there?"))
    assert str(refused.value).count("rephrase it") == 1, str(refused.value)  # the advice, once
    assert str(refused.value).count("--teach") == 1, str(refused.value)
    # the learned translator did answer (from the only table): the answer is dropped, not never made
    assert any(o.source == "learned" and "cars" in o.sql for o in log[0].options)
    got = router.generate(_request(conn, translator, "how many cars are there?"))
    assert conn.execute(got.sql).fetchone() == (2,), got.sql  # type: ignore[arg-type]  # SQL the router wrote

"""The one 'did you mean' of the package: the pure function, and the places that phrase their advice with it."""

from __future__ import annotations

import re
from typing import Any

import psycopg
import pytest

from pgai_magic.catalog import closest, did_you_mean
from pgai_magic.errors import InsightError, ModelError, SQLError


def test_closest_is_case_insensitive_and_keeps_the_spelling() -> None:
    assert closest("revenu", ["Revenue", "region", "units"]) == ["Revenue"]
    assert closest("ORDERS", ["orders", "order_items"], n=2) == ["orders", "order_items"]
    assert closest("zzz", ["orders"]) == []


def test_did_you_mean_phrases_the_closest_names() -> None:
    assert did_you_mean("revenu", ["revenue", "region"]) == "did you mean 'revenue'?"
    assert did_you_mean("zzz", ["revenue"]) is None
    # pools are tried in order: the first holding a close name gives the advice
    assert did_you_mean("custmers", ["x.inventory"], ["customers"], kind="table", show=str) == (
        "did you mean table customers?"
    )
    assert did_you_mean("custmers", ["customer"], ["customers"], show=str) == "did you mean customer?"
    advice = did_you_mean("ordr", ["order", "orders", "ordre"], kind="column", n=3, show=str)
    assert advice is not None and advice.startswith("did you mean column ") and advice.count(" or ") == 2


def test_every_place_uses_the_same_advice(session: Any, conn: psycopg.Connection, schema: str) -> None:
    conn.execute(f'CREATE TABLE "{schema}".shipments (id int, weight_kg float8, sent date)')
    conn.execute(
        f"INSERT INTO \"{schema}\".shipments SELECT i, i * 1.5, DATE '2024-01-01' + i FROM generate_series(1, 50) i"
    )
    with pytest.raises(SQLError) as err:  # the SQL error hint (42P01)
        session.sql(f'SELECT * FROM "{schema}".shipment')
    assert (err.value.hint or "").startswith("did you mean table ") and "shipments" in (err.value.hint or "")
    # the insight engine: the table, then a column
    with pytest.raises(InsightError, match=re.escape("does not exist; did you mean 'shipments'?")):
        session.insights(f"{schema}.shipment", budget=10)
    with pytest.raises(Exception, match=re.escape("measure 'weight_k' is not a column; did you mean 'weight_kg'?")):
        session.insights(f"{schema}.shipments", measure="weight_k", budget=10)
    # the model registry
    from sklearn.linear_model import LogisticRegression

    name = f"dym_{schema}"
    session.deploy(LogisticRegression().fit([[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1]), name)
    try:
        with pytest.raises(ModelError, match=re.escape(f"no model named '{name}x' — did you mean '{name}'?")):
            session.models.info(name + "x")
    finally:
        session.models.drop(name)

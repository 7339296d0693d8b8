"""The point-in-time join equals pandas' merge_asof(direction="backward", by=entity), row for row, in both plans.

Random data with ties (equal feature times broken by the created column; label times equal to feature times),
NULL entities and NULL feature values, late-arriving rows (inserted out of time order) and a ttl; and the property
that no label row ever receives a feature from after its label time (or older than the ttl).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pandas as pd
import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg import sql

from pgai_magic.features import TrainingSetRequest, ViewRequest
from pgai_magic.session import Session

BASE = datetime(2024, 1, 1, tzinfo=timezone.utc)
PROPERTY = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)


@st.composite
def scenario(draw: st.DrawFn) -> dict:
    """Feature rows (entity, minute, value, category) in arrival order and labels (entity, minute); small domains
    so that times tie and entities repeat."""
    entity = st.one_of(st.none(), st.integers(1, 4)) if draw(st.booleans()) else st.integers(1, 4)
    rows = draw(st.lists(st.tuples(entity, st.integers(0, 30), st.one_of(st.none(), st.floats(-5, 5, width=32)),
                                   st.sampled_from(["a", "b", None])), max_size=40))  # fmt: skip
    labels = draw(st.lists(st.tuples(st.one_of(st.none(), st.integers(0, 5)), st.integers(0, 35)), min_size=1,
                           max_size=30))  # fmt: skip
    ttl = draw(st.one_of(st.none(), st.integers(1, 12)))
    return {"rows": rows, "labels": labels, "ttl": ttl}


@pytest.fixture()
def store(session: Session, schema: str) -> tuple[Session, str]:
    return session, schema


def _load(conn: psycopg.Connection, schema: str, data: dict) -> tuple[str, str]:
    suffix = uuid.uuid4().hex[:8]
    events, labels = f"events_{suffix}", f"labels_{suffix}"
    conn.execute(sql.SQL("CREATE TABLE {} (customer_id bigint, ts timestamptz, created bigint, amount float8, "
                         "plan text)").format(sql.Identifier(schema, events)))  # fmt: skip
    conn.execute(sql.SQL("CREATE TABLE {} (id int, customer_id bigint, label_time timestamptz, churned boolean)")
                 .format(sql.Identifier(schema, labels)))  # fmt: skip
    with conn.cursor() as cur:
        # arrival order is the list order: `created` counts it, and the rows go in as they arrive (late ones too)
        cur.executemany(
            sql.SQL("INSERT INTO {} VALUES (%s, %s, %s, %s, %s)").format(sql.Identifier(schema, events)),
            [(e, BASE + timedelta(minutes=m), n, v, p) for n, (e, m, v, p) in enumerate(data["rows"])],
        )
        cur.executemany(
            sql.SQL("INSERT INTO {} VALUES (%s, %s, %s, %s)").format(sql.Identifier(schema, labels)),
            [(i, e, BASE + timedelta(minutes=m), i % 2 == 0) for i, (e, m) in enumerate(data["labels"])],
        )
    return events, labels


def _times(minutes: pd.Series) -> pd.Series:
    values = [BASE + timedelta(minutes=int(m)) for m in minutes]
    return pd.Series(values, index=minutes.index, dtype="datetime64[us, UTC]")


def _expected(data: dict) -> pd.DataFrame:
    """merge_asof on the same rows: the feature rows sorted by time then arrival (the last of a tie wins)."""
    right = pd.DataFrame(data["rows"], columns=["customer_id", "minute", "amount", "plan"])
    right["created"] = range(len(right))
    right = right.dropna(subset=["customer_id"])  # SQL: a NULL entity matches nothing (pandas pairs NaN with NaN)
    right["customer_id"] = right["customer_id"].astype("int64")
    right["ts"] = _times(right["minute"])
    right = right.sort_values(["ts", "created"], kind="stable")[["customer_id", "ts", "amount", "plan"]]
    right["seen_at"] = right["ts"]
    left = pd.DataFrame(data["labels"], columns=["customer_id", "minute"])
    left["id"] = range(len(left))
    left["customer_id"] = left["customer_id"].astype("Int64").astype("float64")
    right["customer_id"] = right["customer_id"].astype("float64")
    left["label_time"] = _times(left["minute"])
    left = left.sort_values("label_time", kind="stable")
    tolerance = None if data["ttl"] is None else pd.Timedelta(minutes=data["ttl"])
    merged = pd.merge_asof(left, right.drop(columns="ts"), left_on="label_time", right_on="seen_at",
                           by="customer_id", direction="backward", tolerance=tolerance)  # fmt: skip
    return merged.sort_values("id").set_index("id")[["amount", "plan", "seen_at"]]


def _ours(session: Session, schema: str, events: str, labels: str, ttl: int | None, strategy: str) -> pd.DataFrame:
    request = TrainingSetRequest(
        f"SELECT id, customer_id, label_time, churned FROM {schema}.{labels}",
        f"v_{events}", ttl=None if ttl is None else f"{ttl} minutes", strategy=strategy,
    )  # fmt: skip
    got = session.features.training_set(request)
    assert got.strategy == strategy and got.rows == len(got.frame)
    return got.frame.sort_values("id").set_index("id")


@PROPERTY
@given(data=scenario())
def test_the_as_of_join_equals_merge_asof_in_both_plans(store: tuple[Session, str], data: dict) -> None:
    session, schema = store
    events, labels = _load(session.db.control, schema, data)
    view = f"v_{events}"
    session.features.define(ViewRequest(view, "customer_id", "ts", query=f"SELECT customer_id, ts, created, amount, "
                                        f"plan, ts AS seen_at FROM {schema}.{events}", created="created"))  # fmt: skip
    try:
        expected = _expected(data)
        for strategy in ("lateral", "sweep"):
            ours = _ours(session, schema, events, labels, data["ttl"], strategy)
            assert list(ours.index) == list(expected.index)
            for column in ("amount", "plan", "seen_at"):
                mine, theirs = ours[column].tolist(), expected[column].tolist()
                same = [(pd.isna(a) and pd.isna(b)) or a == b for a, b in zip(mine, theirs)]
                assert all(same), (strategy, column, [(i, a, b) for i, a, b, s in
                                                      zip(ours.index, mine, theirs, same) if not s][:5])  # fmt: skip
            # never a row from the future, nor one older than the ttl
            seen = ours["seen_at"].dropna()
            label_time = ours.loc[seen.index, "label_time"]
            assert (seen <= label_time).all()
            if data["ttl"] is not None:
                assert (seen >= label_time - pd.Timedelta(minutes=data["ttl"])).all()
    finally:
        session.features.drop(view)

"""The chart an answer's shape calls for: time series and measure-by-category results charted, others not."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd

from pgai_magic.workflow.autochart import MAX_BARS, answer_chart, chart_shape


def _months(n: int) -> pd.Series:
    return pd.Series(pd.date_range("2024-01-01", periods=n, freq="MS"))


def test_a_date_with_measures_is_a_line_chart_with_a_line_per_measure() -> None:
    frame = pd.DataFrame({"month": _months(6), "revenue": [Decimal("10.50")] * 6, "orders": range(6)})
    shape = chart_shape(frame)
    assert shape is not None and (shape.kind, shape.x, shape.measures) == ("line", "month", ("revenue", "orders"))
    spec = answer_chart(frame).to_dict()
    assert spec["mark"]["type"] == "line"
    assert spec["transform"][0]["fold"] == ["revenue", "orders"]
    single = answer_chart(frame[["month", "revenue"]]).to_dict()
    assert single["encoding"]["y"]["field"] == "revenue"
    assert {row["revenue"] for row in single["datasets"][single["data"]["name"]]} == {10.5}


def test_an_integer_year_column_is_a_time_axis() -> None:
    frame = pd.DataFrame({"order_year": [2022, 2023, 2024], "total": [1.0, 2.0, 3.0]})
    shape = chart_shape(frame)
    assert shape is not None and (shape.kind, shape.x) == ("line", "order_year")
    assert chart_shape(pd.DataFrame({"customer_id": [2022, 2023, 2024], "total": [1.0, 2.0, 3.0]})) is None


def test_a_label_with_one_measure_is_a_bar_chart() -> None:
    frame = pd.DataFrame({"channel": ["web", "store", "phone"], "sales": [Decimal("1.25"), Decimal(2), Decimal(3)]})
    shape = chart_shape(frame)
    assert shape is not None and (shape.kind, shape.x, shape.measures) == ("bar", "channel", ("sales",))
    spec = answer_chart(frame).to_dict()
    assert spec["mark"]["type"] == "bar" and spec["encoding"]["x"]["field"] == "channel"


def test_shapes_that_call_for_no_chart() -> None:
    assert chart_shape(pd.DataFrame({"n": [42]})) is None  # one value
    assert chart_shape(pd.DataFrame({"channel": ["web"], "sales": [1.0]})) is None  # one row
    names = pd.DataFrame({"name": ["a", "b"], "email": ["a@x", "b@x"]})
    assert chart_shape(names) is None  # no measure
    assert chart_shape(pd.DataFrame({"id": [1, 2], "total": [3.0, 4.0]})) is None  # two numbers, no label
    repeated = pd.DataFrame({"city": ["Oslo", "Oslo", "Rome"], "total": [1.0, 2.0, 3.0]})
    assert chart_shape(repeated) is None  # a label repeated: not one measure per category
    many = pd.DataFrame({"name": [f"p{i}" for i in range(MAX_BARS + 1)], "price": range(MAX_BARS + 1)})
    assert chart_shape(many) is None and chart_shape(many.head(MAX_BARS)) is not None
    two_labels = pd.DataFrame({"city": ["a", "b"], "channel": ["x", "y"], "total": [1.0, 2.0]})
    assert chart_shape(two_labels) is None
    flags = pd.DataFrame({"month": _months(2), "active": [True, False]})
    assert chart_shape(flags) is None  # booleans are not measures

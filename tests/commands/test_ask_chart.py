"""%pgai ask shows a chart under the table when the answer is a time series or a measure by category."""

from __future__ import annotations

from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell

from pgai_magic.display import ResultFrame

SHOP_SEED = 3  # the sales data of the `shop` fixture (tests/conftest.py)
SHOP_SCALE = 0.2


def _teach(ip: InteractiveShell, shop: str, question: str, sql: str) -> None:
    ip.run_cell_magic("pgai", f'ask --schema {shop} --teach "{question}"', sql)


def _shown(ip: InteractiveShell, value: Any) -> str:
    """The HTML the notebook shows for a cell's value (what IPython's display formatter makes of it)."""
    data, _ = ip.display_formatter.format(value)
    return str(data.get("text/html", ""))


@pytest.mark.slow
def test_a_time_series_answer_shows_a_line_chart_under_its_table(ip: InteractiveShell, shop: str) -> None:
    question = "revenue for each month"
    _teach(
        ip,
        shop,
        question,
        f"SELECT date_trunc('month', o.order_date)::date AS month, sum(i.quantity * i.unit_price) AS revenue "
        f"FROM {shop}.orders o JOIN {shop}.order_items i USING (order_id) GROUP BY 1 ORDER BY 1",
    )
    value = ip.run_line_magic("pgai", f"ask --schema {shop} {question}")
    assert isinstance(value, ResultFrame) and list(value.columns) == ["month", "revenue"] and len(value) > 1
    assert value.chart is not None and value.chart.to_dict()["mark"]["type"] == "line"
    shown = _shown(ip, value)
    img = '<img src="data:image/svg+xml;base64,'  # an image of the SVG: shown by untrusted notebooks too
    assert "<table" in shown and img in shown and shown.index("<table") < shown.index(img) and "<svg" not in shown


def test_a_measure_by_category_shows_a_bar_chart(ip: InteractiveShell, shop: str) -> None:
    question = "number of customers in each country"
    sql = f"SELECT country, count(*) AS customers FROM {shop}.customers GROUP BY country ORDER BY 2 DESC"
    _teach(ip, shop, question, sql)
    value = ip.run_line_magic("pgai", f"ask --schema {shop} {question}")
    assert value.chart is not None and value.chart.to_dict()["mark"]["type"] == "bar"
    assert "data:image/svg+xml;base64," in _shown(ip, value)
    skipped = ip.run_line_magic("pgai", f"ask --no-chart --schema {shop} {question}")
    assert isinstance(skipped, ResultFrame) and skipped.equals(value)
    assert skipped.chart is None
    shown = _shown(ip, skipped)
    assert "<table" in shown and "<img" not in shown


def test_answers_of_other_shapes_show_no_chart(ip: InteractiveShell, shop: str) -> None:
    question = "names and emails of the customers"
    _teach(ip, shop, question, f"SELECT name, email FROM {shop}.customers ORDER BY name LIMIT 20")
    listing = ip.run_line_magic("pgai", f"ask --schema {shop} {question}")
    assert len(listing) > 1 and listing.chart is None and "<img" not in _shown(ip, listing)
    _teach(ip, shop, "how many orders are there", f"SELECT count(*) AS orders FROM {shop}.orders")
    single = ip.run_line_magic("pgai", f"ask --schema {shop} how many orders are there")
    assert len(single) == 1 and single.chart is None

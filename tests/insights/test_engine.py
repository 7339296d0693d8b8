"""Insights against the real PostgreSQL: planted facts found, in-database aggregation, budget, options, command."""

from __future__ import annotations

import re
import time
from typing import Any

import pandas as pd
import psycopg
import pytest

from pgai_magic.datasets import planted
from pgai_magic.errors import ConfigError, InsightError
from pgai_magic.insights import COLUMNS, find_insights
from pgai_magic.insights.render import cards_html, chart
from pgai_magic.session import Session

N_ROWS = 60_000


@pytest.fixture(scope="module")
def sales(pconn: psycopg.Connection, module_schema: str) -> str:
    """The planted sales table (60k rows, same facts as the 1M benchmark table) in the module's schema."""
    planted.load(pconn, f"{module_schema}.sales_facts", n=N_ROWS)
    return f"{module_schema}.sales_facts"


@pytest.fixture(scope="module")
def found(session: Session, sales: str) -> pd.DataFrame:
    return session.insights(sales)


def test_generator_is_deterministic_and_plants_its_facts() -> None:
    a, b = planted.generate(5_000, seed=1), planted.generate(5_000, seed=1)
    assert a.equals(b) and not a.equals(planted.generate(5_000, seed=2))
    df = planted.generate(50_000).to_pandas()
    assert df["customer_age"].isna().mean() == pytest.approx(0.4, abs=0.01)
    assert df["weight_kg"].corr(df["shipping_cost"]) > 0.85
    share = df.groupby("product")["revenue"].sum().max() / df["revenue"].sum()
    assert share > 0.5 and df.groupby("product")["revenue"].sum().idxmax() == planted.BIG_PRODUCT


def test_matcher_recognises_each_fact_and_rejects_near_misses() -> None:
    spike = {"kind": "spike", "columns": ("region", "revenue"), "filters": {"region": "west"}, "when": "2025-03-01"}
    assert planted.FACTS[0].matches(spike)
    assert not planted.FACTS[0].matches({**spike, "when": "2024-03-01"})
    assert not planted.FACTS[0].matches({**spike, "filters": {"region": "east"}})
    frame = pd.DataFrame([{"kind": "missing", "columns": ("customer_age",)}, spike])
    assert planted.match_facts(frame) == {
        "spike": 2,
        "growth": None,
        "drop": None,
        "concentration": None,
        "missing": 1,
        "correlation": None,
    }


def test_every_planted_fact_is_in_the_top_15(found: pd.DataFrame) -> None:
    ranks = planted.match_facts(found)
    assert all(rank is not None and rank <= 15 for rank in ranks.values()), (ranks, found[["kind", "summary"]])


def test_result_frame_is_ranked_and_each_summary_is_one_sentence_with_names_and_numbers(found: pd.DataFrame) -> None:
    assert list(found.columns) == COLUMNS and 0 < len(found) <= 15
    assert found["kind"].iloc[0] == "overview" and "overview" not in set(found["kind"].iloc[1:])
    assert found["score"].iloc[1:].is_monotonic_decreasing
    for row in found.itertuples():
        text = row.summary
        assert text.endswith(".") and not re.search(r"\.\s+[A-Z]", text), text
        assert re.search(r"\d", text), text
        named = [c for c in row.columns if c in text]
        assert named == list(row.columns), (row.columns, text)
        for value in (*row.focus, *row.filters.values()):
            assert str(value) in text, (value, text)


def test_attributes_describe_the_run(found: pd.DataFrame, sales: str) -> None:
    attrs = found.attrs
    assert attrs["source"] == sales and attrs["rows_analysed"] == N_ROWS
    assert (
        attrs["time"] == "order_date" and attrs["bucket"] == "month" and attrs["primary"] == ["revenue", "unit_price"]
    )
    assert set(attrs["dimensions"]) == {"region", "channel", "category", "product"}
    assert "order_id" not in attrs["measures"] and "revenue" in attrs["measures"]
    assert attrs["tests"] > len(found) and all(s["done"] for s in attrs["stages"])
    assert any("GROUPING SETS" in q for q in attrs["sql"])


def _count_driver_rows(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Count every row any psycopg cursor hands to Python (the engine must use fetchall only)."""
    seen = {"rows": 0}
    original = psycopg.Cursor.fetchall

    def fetchall(self: psycopg.Cursor) -> list[Any]:
        rows = original(self)
        seen["rows"] += len(rows)
        return rows

    def refuse(self: psycopg.Cursor, *a: Any, **k: Any) -> Any:
        raise AssertionError("the insight engine fetched rows outside its fetch function")

    monkeypatch.setattr(psycopg.Cursor, "fetchall", fetchall)
    monkeypatch.setattr(psycopg.Cursor, "fetchmany", refuse)
    monkeypatch.setattr(psycopg.Cursor, "__iter__", refuse)
    return seen


def test_rows_transferred_grow_with_groups_not_with_table_size(
    pconn: psycopg.Connection, sales: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    schema = sales.split(".")[0]
    planted.load(pconn, f"{schema}.sales_tenth", n=N_ROWS // 10)
    options = {"measure": "revenue,units", "time": "order_date", "dimensions": "region,channel,category,product"}
    counts = []
    for table in (f"{schema}.sales_tenth", sales):
        seen = _count_driver_rows(monkeypatch)
        frame = find_insights(pconn, table=table, **options)
        monkeypatch.undo()
        assert seen["rows"] == frame.attrs["rows_fetched"]  # the engine's one fetch path saw every row
        counts.append(seen["rows"])
    small, big = counts
    assert big < 2_000  # aggregated rows only: groups of the cube and the top products
    assert big <= 1.1 * small  # ten times the rows, (nearly) the same number of groups


def test_a_tiny_budget_still_returns_the_cheap_insights_from_pg_stats(pconn: psycopg.Connection, sales: str) -> None:
    started = time.perf_counter()
    frame = find_insights(pconn, table=sales, budget=0.01)
    elapsed = time.perf_counter() - started
    assert elapsed < 1.5  # catalog reads only
    missing = frame[frame["kind"] == "missing"]
    assert missing["columns"].tolist() == [("customer_age",)]
    assert "estimated from pg_stats" in missing["summary"].iloc[0]
    stages = {s["stage"]: s for s in frame.attrs["stages"]}
    assert not stages["profile"]["done"]


def test_a_scan_that_outruns_the_budget_is_cancelled_on_the_server(pconn: psycopg.Connection, sales: str) -> None:
    schema = sales.split(".")[0]
    pconn.execute(
        f'CREATE OR REPLACE VIEW "{schema}".slow_sales AS '
        f'SELECT s.*, pg_sleep(0.001)::text AS pause FROM "{schema}".sales_facts s'
    )
    started = time.perf_counter()
    frame = find_insights(pconn, table=f"{schema}.slow_sales", budget=1.0)
    elapsed = time.perf_counter() - started
    assert elapsed < 1.0 + 0.8, elapsed
    assert any(not s["done"] and "stopped after" in s["note"] for s in frame.attrs["stages"])
    assert pconn.execute("SHOW statement_timeout").fetchone()[0] == "0"  # the session setting is restored


def test_sampling_uses_tablesample_and_keeps_the_strong_facts(pconn: psycopg.Connection, sales: str) -> None:
    frame = find_insights(pconn, table=sales, sample=0.3)
    assert frame.attrs["sampled"]["profile"] == 0.3 and frame.attrs["sampled"]["top:product"] == 0.3
    assert any("TABLESAMPLE BERNOULLI" in q for q in frame.attrs["sql"])
    assert 0.1 * N_ROWS < frame.attrs["rows_analysed"] < 0.5 * N_ROWS
    ranks = planted.match_facts(frame)
    assert all(ranks[k] is not None for k in ("concentration", "missing", "correlation", "drop")), ranks


def test_missing_statistics_are_gathered_first(pconn: psycopg.Connection, sales: str) -> None:
    schema = sales.split(".")[0]
    planted.load(pconn, f"{schema}.fresh", n=3_000, analyze=False)
    query = "SELECT count(*) FROM pg_stats WHERE schemaname = %s AND tablename = 'fresh'"
    assert pconn.execute(query, (schema,)).fetchone()[0] == 0
    frame = find_insights(pconn, table=f"{schema}.fresh")
    assert frame.attrs["stages"][0]["note"] == "analysed"
    assert pconn.execute(query, (schema,)).fetchone()[0] > 0


def test_query_mode_analyses_a_select(session: Session, sales: str) -> None:
    frame = session.insights(query=f"SELECT order_date, region, units, revenue FROM {sales} WHERE category = 'garden'")
    assert frame.attrs["source"] == "the query" and frame.attrs["rows_analysed"] < N_ROWS / 5
    trends = frame[frame["kind"] == "trend"]
    assert (trends["direction"] == "up").any(), frame[["kind", "summary"]]


def test_explicit_measure_time_and_dimensions(session: Session, sales: str) -> None:
    frame = session.insights(sales, measure="units", time="order_date", dimensions=["region"], top=5)
    assert len(frame) <= 5 and frame.attrs["primary"] == ["units"] and frame.attrs["dimensions"] == ["region"]
    spikes = frame[frame["kind"] == "spike"]
    assert spikes["filters"].tolist()[:1] == [{"region": "west"}] and spikes["measure"].iloc[0] == "units"


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"table": "sales_factz"}, InsightError, "does not exist"),
        ({"measure": "revenu"}, ConfigError, "did you mean 'revenue'"),
        ({"measure": "region"}, ConfigError, "not a number"),
        ({"time": "region"}, ConfigError, "not a date"),
        ({"top": 0}, ConfigError, "--top"),
        ({"budget": 0}, ConfigError, "--budget"),
        ({"table": None, "query": "DELETE FROM x"}, ConfigError, "one SELECT"),
        ({"table": None, "query": "WITH d AS (DELETE FROM x RETURNING *) SELECT * FROM d"}, ConfigError, "only read"),
        ({"query": "SELECT 1"}, ConfigError, "not both"),
    ],
)
def test_bad_input_gets_a_clear_error(
    session: Session, sales: str, kwargs: dict[str, Any], error: type, message: str
) -> None:
    args = {"table": sales, **kwargs}
    if args["table"] == "sales_factz":  # in the test's schema
        args["table"] = sales.replace("sales_facts", "sales_factz")
    with pytest.raises(error, match=re.escape(message)):
        session.insights(**args)


def test_table_names_follow_postgres_case_rules(pconn: psycopg.Connection, sales: str) -> None:
    schema = sales.split(".")[0]
    pconn.execute(f'CREATE TABLE "{schema}"."Mixed Case" AS SELECT * FROM {sales} LIMIT 2000')
    pconn.execute(f'CREATE TABLE "{schema}".lowered AS SELECT * FROM {sales} LIMIT 2000')
    assert find_insights(pconn, table=f'{schema}."Mixed Case"', top=3).attrs["rows_analysed"] == 2000
    assert find_insights(pconn, table=f"{schema}.LOWERED", top=3).attrs["rows_analysed"] == 2000


def _context(session: Session) -> tuple[Any, list[str]]:
    from pgai_magic.commands import Context, Settings

    shown: list[str] = []
    ctx = Context(
        get_session=lambda: session,
        set_session=lambda s: None,
        namespace={},
        settings=Settings(),
        show_html=shown.append,
        show=lambda v: None,
        say=lambda m: None,
    )
    return ctx, shown


def test_command_shows_cards_with_charts_and_returns_the_frame(session: Session, sales: str) -> None:
    from pgai_magic.commands import COMMANDS

    ctx, shown = _context(session)
    frame = COMMANDS["insights"].run(ctx, f"{sales} --top 4 --budget 10 --out ins", None)
    assert len(frame) == 4 and ctx.namespace["ins"] is frame
    assert shown == []  # the frame displays as its cards: rendered once
    page = frame._repr_html_()
    assert page.count("<div style='display:inline-block") == 4 and page.count('src="data:image/svg+xml;base64,') >= 3
    assert "<svg" not in page and "<style" not in page and "class=" not in page  # readable untrusted, too
    assert "#1 overview" in repr(frame) and "#4 " in repr(frame)  # the plain-text form: one entry per card
    assert "aggregated rows fetched" in page
    cell = f"SELECT * FROM {sales} WHERE region = 'west'"
    by_cell = COMMANDS["insights"].run(ctx, "--top 3 --no-charts", cell)
    assert len(by_cell) == 3 and "<img" not in by_cell._repr_html_() and by_cell.attrs["source"] == "the query"
    with pytest.raises(ConfigError, match="name a table"):
        COMMANDS["insights"].run(ctx, "--top 3", None)
    with pytest.raises(ConfigError, match="invalid int value"):
        COMMANDS["insights"].run(ctx, f"{sales} --top many", None)


def test_cards_escape_text_and_charts_are_altair(found: pd.DataFrame) -> None:
    row = found.iloc[0].copy()
    row["summary"] = "<script>alert(1)</script>"
    assert "<script>alert" not in cards_html(pd.DataFrame([row]), with_charts=False)
    for _, r in found.iterrows():
        spec = chart(r)
        if spec is not None:
            assert "$schema" in spec.to_dict()


def test_the_magic_dispatches_to_the_insights_command(session: Session, sales: str) -> None:
    from IPython.core.interactiveshell import InteractiveShell

    from pgai_magic.magic import Pgai

    shell = InteractiveShell.instance()
    magics = Pgai(shell)
    magics.connections.add("default", session)  # the test server's session, not a new embedded one
    shell.register_magics(magics)
    frame = shell.run_line_magic("pgai", f"insights {sales} --top 2 --no-charts")
    assert isinstance(frame, pd.DataFrame) and len(frame) == 2
    assert frame["kind"].iloc[0] == "overview" and frame["score"].iloc[1] > 0


def test_each_kind_of_insight_on_a_table_built_for_it(pconn: psycopg.Connection, sales: str) -> None:
    """Constant, duplicates, high cardinality, a month-of-year pattern, concentration, category outlier, segment
    deviation."""
    table = f"{sales.split('.')[0]}.shop"
    pconn.execute(f"""
        CREATE TABLE {table} AS
        WITH r AS (
            SELECT g, (hashint4(g) & 65535) / 65536.0 AS u1, (hashint4(g + 7919) & 65535) / 65536.0 AS u2,
                   (hashint4(g + 104729) & 65535) / 65536.0 AS u3, (hashint4(g + 15485863) & 65535) / 65536.0 AS u4
            FROM generate_series(1, 20000) g
        ), s AS (
            SELECT g, DATE '2023-01-01' + (g % 730) AS day, 'S' || (1 + floor(u2 * 5))::int AS store, u3, u4,
                   CASE WHEN u1 < 0.8 THEN floor(u1 / 0.08) ELSE 10 + floor((u1 - 0.8) / 0.2 * 90) END AS c
            FROM r
        )
        SELECT g AS id, day, store, 'ok'::text AS status, 'c' || c AS customer, 'u' || (g % 14000) AS email,
               CASE WHEN u3 < CASE WHEN store = 'S2' THEN 0.9 ELSE 0.5 END THEN 'web' ELSE 'shop' END AS channel,
               round((50 * (1 + 0.6 * sin(2 * pi() * (extract(month FROM day) - 1) / 12))
                      * CASE WHEN store = 'S5' THEN 3 ELSE 1 END * (0.8 + 0.4 * u4))::numeric, 2) AS amount
        FROM s
    """)
    pconn.execute(
        f"INSERT INTO {table} SELECT id + 100000, day, store, status, customer, email, channel, amount "
        f"FROM {table} WHERE id <= 500"
    )
    pconn.execute(f"ANALYZE {table}")
    frame = find_insights(pconn, table=table, top=60)
    kinds = set(frame["kind"])
    expected = {
        "constant",
        "duplicates",
        "high_cardinality",
        "calendar",
        "concentration",
        "category_outlier",
        "segment_deviation",
        "id_like",
    }
    assert expected <= kinds, (expected - kinds, frame[["kind", "summary"]])
    row = frame[frame["kind"] == "duplicates"].iloc[0]
    assert "500 rows" in row["summary"] and "ignoring id" in row["summary"]
    season = frame[(frame["kind"] == "calendar") & (frame["subject"].str.contains("month of year"))].iloc[0]
    assert "highest in April" in season["summary"] and season["measure"] == "amount"
    outlier = frame[(frame["kind"] == "category_outlier") & (frame["measure"] == "amount")].iloc[0]
    assert outlier["focus"] == ("S5",) and outlier["direction"] == "up"
    deviation = frame[frame["kind"] == "segment_deviation"].iloc[0]
    assert set(deviation["columns"]) == {"store", "channel"} and "S2" in deviation["focus"]
    concentration = frame[frame["kind"] == "concentration"].iloc[0]
    assert concentration["columns"] == ("customer",)


def test_statistics_rolled_up_in_the_database_match_pandas(pconn: psycopg.Connection, sales: str) -> None:
    """Moments and Pearson r from centred sums (NULL-aware pairs) equal what pandas computes on the rows."""
    from pgai_magic.insights import analyse

    _, _, frames = analyse(pconn, table=sales)
    wide = frames.wide
    assert wide is not None
    rows = pconn.execute(
        f"SELECT units::float8, unit_price::float8, revenue::float8, customer_age::float8, weight_kg, "
        f"shipping_cost::float8 FROM {sales}"
    ).fetchall()
    df = pd.DataFrame(rows, columns=["units", "unit_price", "revenue", "customer_age", "weight_kg", "shipping_cost"])
    for (a, b), got in wide["corr"].items():
        pair = df[[a, b]].dropna()
        assert got["pairs"] == len(pair)
        assert got["corr"] == pytest.approx(pair[a].corr(pair[b]), abs=1e-9), (a, b)
    for m in df.columns:
        mom = wide["moments"][m]
        assert mom["sum"] == pytest.approx(df[m].sum(), rel=1e-9)
        assert (mom["min"], mom["max"]) == pytest.approx((df[m].min(), df[m].max()))
    assert wide["nonnull"]["customer_age"] == df["customer_age"].notna().sum()
    from pgai_magic.insights.rules.distribution import _moments

    for m in ("revenue", "customer_age"):
        got = _moments(wide["moments"][m], wide["nonnull"][m])
        assert got is not None and got[2] == pytest.approx(df[m].skew(), rel=1e-3)

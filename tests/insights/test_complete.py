"""Completeness, one finding per fact and honest numbers, on small tables built in PostgreSQL for each class."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import psycopg
import pytest

from pgai_magic.insights import find_insights
from pgai_magic.session import Session
from tests.pg_helpers import magic_error

# 30k orders from 2024-01-10 to 2024-12-20 (partial first and last months): evening and weekend peaks in rows,
# a 45% NULL coupon, region 'r1' with lower and 'r4' with higher ratings, delay rising with rain, fee ~ items (1..5)
ORDERS = """
CREATE TABLE {t} AS
WITH r AS (
    SELECT g, (hashint4(g) & 65535) / 65536.0 AS u1, (hashint4(g + 7919) & 65535) / 65536.0 AS u2,
           (hashint4(g + 104729) & 65535) / 65536.0 AS u3, (hashint4(g + 15485863) & 65535) / 65536.0 AS u4,
           (hashint4(g + 32452843) & 65535) / 65536.0 AS u5
    FROM generate_series(1, 30000) g
), d AS (
    SELECT *, TIMESTAMP '2024-01-10' + floor(u1 * 345) * interval '1 day' AS day FROM r
)
SELECT g AS id,
       day + CASE WHEN u2 < 0.5 THEN 18 + floor(u3 * 4) ELSE floor(u3 * 24) END * interval '1 hour' AS ordered_at,
       'r' || (1 + floor(u4 * 5))::int AS region,
       CASE WHEN u5 < 0.45 THEN NULL ELSE 'C' || (1 + floor(u5 * 100) % 3)::int END AS coupon,
       1 + (g % 5) AS items,
       round((2 * (1 + (g % 5)) + 2 * (u2 - 0.5))::numeric, 2) AS fee,
       round((CASE WHEN u5 < 0.15 THEN 1.5 * u3 ELSE 0 END)::numeric, 2) AS rain,
       round((CASE WHEN u5 < 0.15 THEN 40 ELSE 10 END + 20 * u3)::numeric, 1) AS delay_min,
       round((3.5 + CASE WHEN floor(u4 * 5) = 0 THEN -1 WHEN floor(u4 * 5) = 3 THEN 0.8 ELSE 0 END + u2 - 0.5)::numeric,
             2) AS rating
FROM d
WHERE extract(isodow FROM day) >= 6 OR u2 < 0.62   -- weekdays thinned: weekends carry more orders
"""


@pytest.fixture(scope="module")
def orders(pconn: psycopg.Connection, module_schema: str) -> str:
    pconn.execute(ORDERS.format(t=f"{module_schema}.orders"))
    pconn.execute(f"ANALYZE {module_schema}.orders")
    return f"{module_schema}.orders"


@pytest.fixture(scope="module")
def found(pconn: psycopg.Connection, orders: str) -> pd.DataFrame:
    return find_insights(pconn, table=orders, top=40)


def _rows(frame: pd.DataFrame, kind: str) -> pd.DataFrame:
    return frame[frame["kind"] == kind]


def test_calendar_patterns_at_every_grain_on_complete_months_only(found: pd.DataFrame) -> None:
    calendar = _rows(found, "calendar")
    rows = calendar[~calendar["summary"].str.startswith("Average")]  # counts and totals (an average is its own)
    by_hour = rows[rows["subject"].str.contains("hour of day")]
    by_weekday = rows[rows["subject"].str.contains("weekday")]
    assert len(by_hour) == 1 and re.search(r"highest at (18|19|20|21)h", by_hour["summary"].iloc[0])
    assert len(by_weekday) == 1 and re.search(r"highest on (Saturday|Sunday)", by_weekday["summary"].iloc[0])
    for text in calendar["summary"]:  # the partial January and December are left out, and the text says so
        assert "2024-02-01 to 2024-11-30, complete months" in text, text


def test_no_spike_or_change_at_a_partial_edge_period(found: pd.DataFrame) -> None:
    events = found[found["kind"].isin(["spike", "change_point"])]
    assert not any(str(w).startswith(("2024-01", "2024-12")) for w in events["when"]), events["summary"].tolist()


def test_category_outliers_worse_and_better(found: pd.DataFrame) -> None:
    outliers = _rows(found, "category_outlier")
    rating = outliers[outliers["measure"] == "rating"]
    # one finding per dimension: the groups above the typical group and those below, each with its mean
    assert len(rating) == 1 and set(rating["focus"].iloc[0]) == {"r1", "r4"}, rating["summary"].tolist()
    text = rating["summary"].iloc[0]
    assert re.search(r"highest for 'r4' \([0-9.]+, [0-9.,k]+ rows\)", text) and "lowest for 'r1'" in text, text


def test_null_groups_are_named_missing_never_nan(found: pd.DataFrame) -> None:
    assert not found["summary"].str.contains(r"'nan'|'None'|= nan").any()
    missing = _rows(found, "missing")
    assert list(missing["subject"]) == ["coupon"] and "45%" in missing["summary"].iloc[0]
    contributors = found[
        found["kind"].isin(["top_contributor", "concentration"]) & (found["subject"].str.contains("coupon"))
    ]
    assert not any("NULL" in f or "None" in f for f in contributors["focus"].sum() or ())


def test_low_cardinality_integer_correlation(found: pd.DataFrame) -> None:
    # items (1..5) is analysed as a measure; fee = 2 × items ± 1 (r ≈ 0.98) is nearly the same quantity, which
    # the overview states once instead of a correlation finding
    corr = _rows(found, "correlation")
    overview = _rows(found, "overview")["summary"].iloc[0]
    assert not any(set(c) == {"items", "fee"} for c in corr["columns"]), corr["summary"].tolist()
    assert re.search(r"(items and fee|fee and items) are nearly one quantity \(r = 0\.9[5-9]\)", overview), overview


def test_one_finding_per_fact(found: pd.DataFrame) -> None:
    keys = list(zip(found["kind"], found["subject"], strict=True))
    assert len(keys) == len(set(keys))
    calendar = _rows(found, "calendar")  # rows and a total by the same grain are one pattern; an average its own
    grains = [(ev["grain"], text.startswith("Average")) for ev, text in zip(calendar["evidence"], calendar["summary"])]
    assert len(grains) == len(set(grains))


def test_a_named_measure_gets_drivers_and_no_row_count_findings(pconn: psycopg.Connection, orders: str) -> None:
    frame = find_insights(pconn, table=orders, measure="delay_min", top=30)
    assert not (frame["measure"] == "rows").any(), frame[frame["measure"] == "rows"]["summary"].tolist()
    rain = frame[(frame["kind"] == "driver") & frame["columns"].apply(lambda c: "rain" in c)]
    assert len(rain) == 1 and rain["direction"].iloc[0] == "up", frame["summary"].tolist()
    assert "Higher rain goes with higher delay_min" in rain["summary"].iloc[0]


def test_every_finding_carries_sql_that_reproduces_its_number(pconn: psycopg.Connection, found: pd.DataFrame) -> None:
    assert found["sql"].notna().all()
    for sql in found["sql"]:
        assert re.match(r"\s*SELECT\b", sql, re.IGNORECASE), sql
    outlier = _rows(found, "category_outlier").iloc[0]
    result = pd.DataFrame(pconn.execute(outlier["sql"]).fetchall(), columns=["value", "rows", "measure", "share"])
    got = float(result.loc[result["value"] == outlier["focus"][0], "measure"].iloc[0])
    ev = outlier["evidence"]
    assert got == pytest.approx(ev["y"][ev["x"].index(outlier["focus"][0])], rel=1e-9)
    hour = _rows(found, "calendar")[lambda f: f["subject"].str.contains("hour")].iloc[0]
    rows = pconn.execute(hour["sql"]).fetchall()
    per_hour = {int(part): float(value) for part, value, _ in rows}
    ev = hour["evidence"]
    days = (pd.Timestamp("2024-12-01") - pd.Timestamp("2024-02-01")).days
    peak = int(ev["highlight"].rstrip("h"))
    assert per_hour[peak] / days == pytest.approx(max(ev["y"]), rel=1e-9)


def test_sampled_figures_say_about_and_the_sample_size(pconn: psycopg.Connection, orders: str) -> None:
    frame = find_insights(pconn, table=orders, top=10, sample=0.3)
    sampled = frame[frame["kind"].isin(["calendar", "category_outlier", "correlation", "trend", "spike"])]
    assert len(sampled) > 0
    for text in sampled["summary"]:
        assert "about" in text and re.search(r"sample of [\d.,k]+ rows, 30\.\d% of the table", text), text
    overview = frame.iloc[0]
    assert overview["kind"] == "overview" and "about" in overview["summary"]


def test_overview_first(found: pd.DataFrame) -> None:
    first = found.iloc[0]
    assert (
        first["kind"] == "overview" and "rows" in first["summary"] and "ordered_at from 2024-01-10" in first["summary"]
    )


def test_html_report_is_self_contained(
    session: Session, orders: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from IPython.core.interactiveshell import InteractiveShell

    from pgai_magic.magic import Pgai

    shell = InteractiveShell.instance()
    magics = Pgai(shell)
    magics.connections.add("default", session)
    shell.register_magics(magics)
    target = tmp_path / "report.html"
    frame = shell.run_line_magic("pgai", f"insights {orders} --top 6 --html {target}")
    page = target.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "data:image/svg+xml;base64," in page and "<script" not in page
    assert "http://" not in page.replace("http://www.w3.org", "") and "https://" not in page
    for sql in frame["sql"]:
        assert sql.replace("<", "&lt;").replace(">", "&gt;").replace("'", "&#x27;").replace('"', "&quot;") in page
    said = magic_error(shell, f"insights {orders} --top 2 --html {tmp_path}/no/such/dir/r.html").headline()
    assert "--html" in said and "does not exist" in said


GROWTH = """
CREATE TABLE {t} AS
WITH r AS (
    SELECT g, (hashint4(g) & 65535) / 65536.0 AS u1, (hashint4(g + 7919) & 65535) / 65536.0 AS u2,
           (hashint4(g + 104729) & 65535) / 65536.0 AS u3
    FROM generate_series(1, 40000) g
)
SELECT g AS id,
       DATE '2023-01-01' + CASE WHEN u3 < 0.3 THEN floor(sqrt(u1) * 731) ELSE floor(u1 * 731) END::int AS day,
       CASE WHEN u3 < 0.3 THEN 'garden' ELSE 'c' || (1 + floor(u3 * 10) % 4)::int END AS category,
       'r' || (1 + floor(u2 * 4))::int AS region,
       round((10 + 5 * u2)::numeric, 2) AS amount
FROM r
"""


def test_a_growth_one_segment_explains_is_reported_once_and_attributed(pconn: psycopg.Connection, orders: str) -> None:
    table = f"{orders.split('.')[0]}.growth"
    pconn.execute(GROWTH.format(t=table))
    pconn.execute(f"ANALYZE {table}")
    frame = find_insights(pconn, table=table, top=40)
    trends = frame[frame["kind"] == "trend"]
    garden = trends[trends["filters"].apply(lambda f: f.get("category") == "garden")]
    assert len(garden) >= 1, frame["summary"].tolist()
    assert any("without category = 'garden' the rest changes by" in t for t in garden["summary"]), garden["summary"]
    regions = trends[trends["filters"].apply(lambda f: "region" in f)]
    assert regions.empty, regions["summary"].tolist()


def test_the_generated_scans_run_read_only(pconn: psycopg.Connection, orders: str) -> None:
    from pgai_magic.insights import analyse

    _, runner, _ = analyse(pconn, table=orders, top=5)
    sent = runner.queries
    switch = sent.index("SET default_transaction_read_only = on")
    scans = [i for i, q in enumerate(sent) if "GROUPING SETS" in q]
    assert scans and min(scans) > switch  # every aggregate scan comes after the switch
    assert pconn.execute("SHOW default_transaction_read_only").fetchone() == ("off",)  # and it is undone
    pconn.execute("SET default_transaction_read_only = on")
    try:  # what the switch does to a write on this connection
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            pconn.execute(f"UPDATE {orders} SET rating = rating WHERE id = 1")
    finally:
        pconn.execute("RESET default_transaction_read_only")

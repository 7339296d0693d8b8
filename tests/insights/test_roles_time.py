"""Column roles, local time and trivial dependencies on small flight-like tables built in PostgreSQL (no options).

The tables have what real tables have: calendar parts of the time column (year, month, day, hour, minute, in the
data's local time beside a UTC instant), a clock time written as hhmm, a flight number, two columns that are one
quantity in two forms, small groups with high averages, a population-like column unique per row.
"""

from __future__ import annotations

import re

import pandas as pd
import psycopg
import pytest

from pgai_magic.insights import find_insights, quantiles
from pgai_magic.session import Session

# 9,000 flights in 2023, scheduled at local (New York) hours 5..22; delays climb through the local day; carriers
# 'F9' and 'FL' (about 2% of flights each) are 25 minutes later than the rest
FLIGHTS = """
CREATE TABLE {t} AS
WITH r AS (
    SELECT g, (hashint4(g) & 65535) / 65536.0 AS u1, (hashint4(g + 7919) & 65535) / 65536.0 AS u2,
           (hashint4(g + 104729) & 65535) / 65536.0 AS u3, (hashint4(g + 15485863) & 65535) / 65536.0 AS u4
    FROM generate_series(1, 9000) g
), l AS (
    SELECT *, DATE '2023-01-01' + floor(u1 * 365)::int AS day_local, 5 + floor(u2 * 18)::int AS h,
           floor(u3 * 60)::int AS mi,
           CASE WHEN u4 < 0.02 THEN 'F9' WHEN u4 < 0.04 THEN 'FL' ELSE 'C' || (floor(u4 * 8))::int END AS carrier
    FROM r
)
SELECT extract(year FROM day_local)::int AS year, extract(month FROM day_local)::int AS month,
       extract(day FROM day_local)::int AS day, h AS hour, mi AS minute, h * 100 + mi AS sched_dep_time,
       carrier, 1 + (hashint4(g + 3) & 4095) AS flight,
       round((2 * h - 10 + CASE WHEN carrier IN ('F9', 'FL') THEN 25 ELSE 0 END + 30 * (u3 - 0.5))::numeric, 1)
           AS dep_delay,
       200 + (hashint4(g + 11) & 2047) AS distance,
       ((day_local + make_interval(hours => h, mins => mi))::timestamp AT TIME ZONE 'America/New_York')
           AS time_hour
FROM l
"""
PARTS = {"year", "month", "day", "hour", "minute", "sched_dep_time", "flight"}


@pytest.fixture(scope="module")
def flights(pconn: psycopg.Connection, module_schema: str) -> str:
    table = f"{module_schema}.flights"
    pconn.execute(FLIGHTS.format(t=table))
    pconn.execute(f"ALTER TABLE {table} ADD COLUMN air_time numeric, ADD COLUMN arr_delay numeric")
    pconn.execute(  # air_time follows distance (one quantity in two forms); arr_delay follows dep_delay
        f"UPDATE {table} SET air_time = round(distance / 8.0 + 5 * ((hashint4(flight) & 255) / 256.0), 1), "
        "arr_delay = dep_delay + round((5 * ((hashint4(flight + 1) & 255) / 256.0) - 2.5)::numeric, 1)"
    )
    pconn.execute(f"ANALYZE {table}")
    return table


@pytest.fixture(scope="module")
def found(pconn: psycopg.Connection, flights: str) -> pd.DataFrame:
    pconn.execute("SET TimeZone = 'UTC'")
    try:
        return find_insights(pconn, table=flights)
    finally:
        pconn.execute("RESET TimeZone")


@pytest.fixture(scope="module")
def frame(pconn: psycopg.Connection, flights: str) -> pd.DataFrame:
    rows = pconn.execute(f"SELECT hour, carrier, dep_delay::float8, time_hour FROM {flights}").fetchall()
    return pd.DataFrame(rows, columns=["hour", "carrier", "dep_delay", "time_hour"])


def test_no_card_sums_or_correlates_a_calendar_part_a_clock_time_or_a_code(found: pd.DataFrame) -> None:
    for row in found.itertuples():
        if row.kind == "overview":
            assert not re.search(r"\b(year|month|day|hour|minute|sched_dep_time|flight) total\b", row.summary)
            continue
        assert row.measure not in PARTS, row.summary
        if row.kind in ("correlation", "driver", "skew", "outliers"):
            assert not set(row.columns) & PARTS, row.summary


def test_parts_codes_and_near_identities_are_stated_once_in_the_overview(found: pd.DataFrame) -> None:
    overview = found["summary"].iloc[0]
    assert found["kind"].iloc[0] == "overview"
    assert "calendar parts of time_hour: year, month, day, hour, minute" in overview, overview
    assert "clock times (hhmm): sched_dep_time" in overview and "codes and keys: flight" in overview, overview
    assert re.search(r"(air_time and distance|distance and air_time) are nearly one quantity", overview), overview
    assert re.search(r"(dep_delay and arr_delay|arr_delay and dep_delay) are nearly one quantity", overview), overview
    pairs = [frozenset(c) for c in found[found["kind"].isin(["correlation", "driver"])]["columns"]]
    assert frozenset({"air_time", "distance"}) not in pairs and frozenset({"dep_delay", "arr_delay"}) not in pairs


def test_the_small_groups_with_the_worst_average_are_named_together(found: pd.DataFrame, frame: pd.DataFrame) -> None:
    cards = found[(found["kind"] == "category_outlier") & (found["measure"] == "dep_delay")]
    assert len(cards) == 1, found["summary"].tolist()
    text = cards["summary"].iloc[0]
    means = frame.groupby("carrier")["dep_delay"].mean()
    for carrier in ("F9", "FL"):  # each named with its exact mean
        got = re.search(rf"'{carrier}' \(([0-9.]+), ", text)
        assert got and abs(float(got.group(1)) - means[carrier]) < 0.06, text
    assert re.search(r"highest for '(F9|FL)' .*'(F9|FL)'", text), text


def _hour_card(frame: pd.DataFrame) -> str:
    cards = frame[(frame["kind"] == "calendar") & frame["summary"].str.startswith("Average dep_delay by hour of day")]
    assert len(cards) == 1, frame["summary"].tolist()
    return str(cards["summary"].iloc[0])


def test_hours_come_from_the_tables_local_hour_column_and_say_so(found: pd.DataFrame, frame: pd.DataFrame) -> None:
    text = _hour_card(found)  # the session reads time_hour in UTC, the table records the local hour
    assert "local hours from the column hour" in text, text
    by_hour = frame.groupby("hour")["dep_delay"].mean()
    got = re.search(r"highest at ([0-9]+)h \(([-0-9.]+)\), lowest at ([0-9]+)h \(([-0-9.]+)\)", text)
    assert got, text
    assert int(got.group(1)) == by_hour.idxmax() and int(got.group(3)) == by_hour.idxmin(), (text, by_hour)
    assert abs(float(got.group(2)) - by_hour.max()) < 0.06 and abs(float(got.group(4)) - by_hour.min()) < 0.06


@pytest.fixture(scope="module")
def instants(pconn: psycopg.Connection, flights: str, module_schema: str) -> str:
    """The same flights with only the UTC instant: no local calendar columns."""
    table = f"{module_schema}.instants"
    pconn.execute(f"CREATE TABLE {table} AS SELECT carrier, dep_delay, time_hour FROM {flights}")
    pconn.execute(f"ANALYZE {table}")
    return table


@pytest.mark.parametrize("zone", ["America/New_York", "Asia/Tokyo"])
def test_without_local_columns_hours_are_read_in_the_session_time_zone(
    pconn: psycopg.Connection, instants: str, frame: pd.DataFrame, zone: str
) -> None:
    pconn.execute("SELECT set_config('TimeZone', %s, false)", (zone,))
    try:
        text = _hour_card(find_insights(pconn, table=instants))
    finally:
        pconn.execute("RESET TimeZone")
    assert f"in time zone {zone}" in text, text
    local = pd.to_datetime(frame["time_hour"], utc=True).dt.tz_convert(zone).dt.hour
    by_hour = frame.groupby(local)["dep_delay"].mean()
    got = re.search(r"highest at ([0-9]+)h \(([-0-9.]+)\)", text)
    assert got and int(got.group(1)) == by_hour.idxmax(), (text, by_hour)


def test_a_session_time_zone_reaches_the_engines_own_connection(own_session: Session, instants: str) -> None:
    own_session.sql("SET TimeZone = 'America/New_York'")
    text = _hour_card(own_session.insights(instants))
    assert "in time zone America/New_York" in text, text
    assert re.search(r"highest at 2[0-2]h", text), text  # 5..22 local: the latest hours are the worst


# one year of hourly observations ending on the evening of December 30th (local), in UTC: month of year is complete
OBSERVATIONS = """
CREATE TABLE {t} AS
SELECT TIMESTAMPTZ '2023-01-01 05:00+00' + g * interval '1 hour' AS time_hour,
       round((55 - 22 * cos(2 * pi() * (g / 24.0 - 15) / 365.0) + 4 * sin(2 * pi() * (g % 24 - 9) / 24.0)
              + 3 * ((hashint4(g) & 255) / 256.0 - 0.5))::numeric, 1) AS temp,
       (hashint4(g + 5) & 1023) AS population
FROM generate_series(0, 8736) g
"""


def test_month_of_year_seasonality_of_an_average_in_a_year_of_utc_hours(
    pconn: psycopg.Connection, module_schema: str
) -> None:
    table = f"{module_schema}.observations"
    pconn.execute(OBSERVATIONS.format(t=table))
    pconn.execute(f"ANALYZE {table}")
    found = find_insights(pconn, table=table)
    cards = found[found["summary"].str.startswith("Average temp by month of year")]
    assert len(cards) == 1, found["summary"].tolist()
    assert re.search(r"highest in (July|August) .*lowest in (January|February)", cards["summary"].iloc[0])


GAPMINDER = """
CREATE TABLE {t} AS
SELECT 'country ' || c AS country, CASE WHEN c % 4 = 0 THEN 'Africa' ELSE 'Other' END AS continent, y AS year,
       round((40 + (y - 1952) * 0.4 + CASE WHEN c % 4 = 0 THEN -10 ELSE 5 END + (hashint4(c * 100 + y) & 15))::numeric,
             2) AS life_exp,
       (round(100000 * exp((c % 50) / 5.0)) + (hashint4(c * 7 + y) & 65535))::bigint AS pop
FROM generate_series(1, 120) c, generate_series(1952, 2007, 5) y
"""


def test_a_population_is_a_measure_years_are_not_summed_and_quantiles_are_exact(
    pconn: psycopg.Connection, module_schema: str
) -> None:
    table = f"{module_schema}.gapminder"
    pconn.execute(GAPMINDER.format(t=table))
    pconn.execute(f"ANALYZE {table}")
    found = find_insights(pconn, table=table, top=30)
    assert "pop" in found.attrs["measures"] and "year" not in found.attrs["measures"], found.attrs
    assert not ((found["kind"] == "id_like") & found["columns"].map(lambda c: "pop" in c)).any()
    assert "year total" not in found["summary"].iloc[0] and "calendar parts: year" in found["summary"].iloc[0]
    pops = pd.Series([r[0] for r in pconn.execute(f"SELECT pop::float8 FROM {table}").fetchall()])
    skew = found[(found["kind"] == "skew") & (found["measure"] == "pop")]
    assert len(skew) == 1, found["summary"].tolist()
    median = re.search(r"vs median ([0-9.]+)M", skew["summary"].iloc[0])
    assert median and "about" not in skew["summary"].iloc[0], skew["summary"].iloc[0]
    assert abs(float(median.group(1)) * 1e6 - pops.median()) <= 0.006 * pops.median()


def test_quantiles_from_pg_stats_are_marked_as_estimates(
    pconn: psycopg.Connection, module_schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    table = f"{module_schema}.gapminder_estimated"
    pconn.execute(GAPMINDER.format(t=table))
    pconn.execute(f"ANALYZE {table}")
    monkeypatch.setattr(quantiles, "EXACT_CELLS", 0)  # as for a table too large to sort every measure
    found = find_insights(pconn, table=table, top=30)
    shape = found[found["kind"].isin(["skew", "outliers"])]
    assert len(shape) >= 1, found["summary"].tolist()
    for text in shape["summary"]:
        assert "about" in text and "estimated from pg_stats' sample" in text, text

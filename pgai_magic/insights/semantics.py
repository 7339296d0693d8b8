"""What a column is (calendar part, clock time, code, key, amount, ratio, measure), judged from its name, type,
range and cardinality as pg_stats sees them, and the grain of a time column.

A number is not a measure because of its type: `month` (1..12) is a part of a date, `dep_time` (517 = 5:17) a
clock time written as hhmm, `flight` (1545) a code, a unique integer counting 1..N a key; none of them adds up.
Among real measures, an amount (revenue, units, rainfall) adds up over rows and is analysed by its total; any other
quantity (a delay, a temperature, a price, a body mass, a population counted again every year) is analysed by its
average. The vocabulary follows the "semantic types" of data-profiling tools (Sherlock, Hulsebos et al., KDD 2019;
ydata-profiling's type system) reduced to what changes an aggregate: additive or not, a measure or not.
"""

from __future__ import annotations

import re

import pandas as pd

from pgai_magic.insights.model import ColumnInfo

__all__ = [
    "ADDITIVE",
    "CALENDAR_RANGES",
    "ID_NAME",
    "MEASURE_ROLES",
    "column_role",
    "name_words",
    "time_grain",
    "value_bounds",
]

ID_NAME = re.compile(r"(^id$|_id$|_key$|_uuid$|_guid$|_no$|_number$|_code$|[a-z]Id$)")
# a part of a date or time of day, and the range its values must lie in
CALENDAR_RANGES = {
    "year": (1000.0, 2999.0),
    "yr": (1000.0, 2999.0),
    "quarter": (1.0, 4.0),
    "qtr": (1.0, 4.0),
    "month": (1.0, 12.0),
    "week": (0.0, 53.0),
    "day": (1.0, 31.0),
    "dow": (0.0, 7.0),
    "weekday": (0.0, 7.0),
    "doy": (1.0, 366.0),
    "hour": (0.0, 24.0),
    "hr": (0.0, 24.0),
    "minute": (0.0, 59.0),
    "second": (0.0, 60.0),
}
CODE_WORDS = {"flight", "zip", "zipcode", "postcode", "postal", "phone", "fips", "isbn", "sku", "serial", "ticket"}
# an integer named after a kind of entity is its number, not a quantity: state 30, firm 4, region 2
ENTITY_WORDS = {
    "state", "county", "country", "region", "district", "province", "city", "municipality", "ward", "station",
    "store", "shop", "branch", "firm", "company", "plant", "site", "school", "hospital",
    "patient", "subject", "respondent", "team", "player", "product", "item", "group", "cluster", "class", "category",
}  # fmt: skip
# a year written with two digits (63 for 1963) when every value lies in 0..99 and they span at least this many
TWO_DIGIT_YEARS = 3
# words (or word beginnings) of the name: an amount adds up over rows, unless another word says it is a rate
ADDITIVE = (
    "revenue", "sales", "amount", "total", "profit", "turnover", "spend", "value", "cost", "quantity", "qty", "units",
    "volume", "count", "cnt", "fee", "precip", "rainfall", "snowfall", "income", "expense", "payment", "bytes",
    "clicks", "visits", "orders",
)  # fmt: skip
NOT_ADDITIVE = (
    "price", "rate", "ratio", "pct", "percent", "share", "age", "score", "rating", "avg", "mean", "temp", "lat",
    "lon", "duration", "delay", "latency", "wait", "speed", "visib", "humid", "pressure", "time", "minutes",
    "seconds", "days", "pop", "life",
)  # fmt: skip
MEASURE_ROLES = ("amount", "ratio", "measure")
INTEGER_TYPES = ("smallint", "integer", "bigint")


def name_words(name: str) -> list[str]:
    """'sched_dep_time' → ['sched', 'dep', 'time']; 'lifeExp' → ['life', 'exp']; 'Miles_per_Gallon' → ['miles',
    'per', 'gallon']."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    return [w.lower() for w in re.split(r"[^A-Za-z0-9]+", spaced) if w]


def value_bounds(col: ColumnInfo) -> tuple[float, float] | None:
    """The smallest and largest values pg_stats saw (histogram bounds and most common values)."""
    values: list[float] = list(col.hist)
    try:
        values += [float(v) for v in col.mcv]
    except ValueError:
        return None
    return (min(values), max(values)) if values else None


def _integral(col: ColumnInfo) -> bool:
    if col.type in INTEGER_TYPES:
        return True
    try:
        seen = [*col.hist, *(float(v) for v in col.mcv)]
    except ValueError:
        return False
    return bool(seen) and all(float(v).is_integer() for v in seen)


def _calendar_part(col: ColumnInfo, words: list[str]) -> str | None:
    """The calendar part a column holds ('hour', 'year'), when its name says so and its values fit the range (a
    year in four digits, or in two: 63..92); a year-month written yyyymm (201907) is a 'period'."""
    if not words or not _integral(col):
        return None
    bounds = value_bounds(col)
    if bounds is None:
        return None
    if words[-1] in ("period", "yyyymm", "yearmonth", "ym") and _yyyymm(col, bounds):
        return "period"
    if words[-1] not in CALENDAR_RANGES:
        return None
    lo, hi = CALENDAR_RANGES[words[-1]]
    if words[-1] in ("year", "yr") and 0 <= bounds[0] and bounds[1] <= 99 and bounds[1] - bounds[0] >= TWO_DIGIT_YEARS:
        return words[-1]
    if bounds[0] < lo or bounds[1] > hi:
        return None
    return words[-1]


def _yyyymm(col: ColumnInfo, bounds: tuple[float, float]) -> bool:
    """Values like 201907: six digits, a plausible year, a month 01..12."""
    if bounds[0] < 100001 or bounds[1] > 299912:
        return False
    seen = [*col.hist, *(float(v) for v in col.mcv)]
    return all(1 <= int(v) % 100 <= 12 for v in seen)


def _clock_time(col: ColumnInfo, words: list[str]) -> bool:
    """A time of day written as hhmm (517 = 5:17): named *time, integral, within 0..2400, minutes under 60."""
    if "time" not in words or not _integral(col):
        return False
    bounds = value_bounds(col)
    if bounds is None or bounds[0] < 0 or bounds[1] > 2400:
        return False
    seen = [*col.hist, *(float(v) for v in col.mcv)]
    return all(int(v) % 100 < 60 for v in seen)


def _dense_key(col: ColumnInfo, n_rows: float) -> bool:
    """A unique integer counting through its range (1..N): a surrogate key, not a quantity."""
    nd = col.n_distinct or 0.0
    unique = col.unique or (n_rows > 50 and nd >= 0.95 * n_rows)
    bounds = value_bounds(col)
    if not unique or col.type not in INTEGER_TYPES or bounds is None:
        return False
    return bounds[1] - bounds[0] + 1 <= 2.0 * max(nd, 1.0)


def column_role(col: ColumnInfo, n_rows: float) -> str:
    """One of: calendar (a part of a date: year, month, hour, ...), clock (hhmm), code (an identifier or code),
    key (a unique dense integer), amount (adds up: revenue, units, rainfall), ratio (a share or rate), measure
    (any other quantity, analysed by its average), or the column's kind for non-numbers (text, bool, time,
    other)."""
    if col.kind != "numeric":
        return col.kind
    words = name_words(col.name)
    if _calendar_part(col, words):
        return "calendar"
    if _clock_time(col, words):
        return "clock"
    if ID_NAME.search(col.name) or (words and words[-1] in CODE_WORDS | ENTITY_WORDS and _integral(col)):
        return "code"
    if _dense_key(col, n_rows):
        return "key"
    if any(w.startswith(("ratio", "pct", "percent", "share", "rate")) for w in words):
        return "ratio"
    if any(w.startswith(ADDITIVE) for w in words) and not any(w.startswith(NOT_ADDITIVE) for w in words):
        return "amount"
    return "measure"


def calendar_part(col: ColumnInfo) -> str | None:
    """The calendar part of a column whose role is calendar ('year', 'month', 'hour', ...)."""
    return _calendar_part(col, name_words(col.name))


def time_grain(col: ColumnInfo) -> str | None:
    """The grain a time column's values are recorded at, from the values pg_stats saw: 'year' (all January 1st),
    'month' (all first days of a month), 'day' (all midnights, or a date), else None (finer)."""
    values = [v for v in (*col.hist_text, *col.mcv) if v]
    if not values:
        return "day" if col.type == "date" else None
    try:
        stamps = pd.to_datetime(pd.Series(values), utc=True, format="mixed")
    except (ValueError, TypeError):
        return None
    if col.type != "date" and ((stamps.dt.hour != 0) | (stamps.dt.minute != 0) | (stamps.dt.second != 0)).any():
        return None
    if (stamps.dt.day == 1).all():
        return "year" if (stamps.dt.month == 1).all() else "month"
    return "day"

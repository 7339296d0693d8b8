"""A sales table with planted facts (spike, growth, drop, concentration, NULLs, correlation) and their matcher."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from psycopg import sql

from pgai_magic.datasets import LoadTarget, connection_of

__all__ = ["FACTS", "PlantedFact", "generate", "load", "match_facts"]

START = dt.date(2023, 1, 1)
DAYS = 1096  # 2023-01-01 .. 2025-12-31
REGIONS = ("north", "south", "east", "west", "central")
CHANNELS = ("online", "store", "partner")
CATEGORIES = ("electronics", "home", "garden", "toys", "sports", "books", "beauty", "grocery")
PRODUCTS_PER_CATEGORY = 25
BIG_PRODUCT = "P-0007"  # an electronics product holding most of the revenue
SPIKE_REGION, SPIKE_MONTH = "west", dt.date(2025, 3, 1)
GROWING, DROPPING = "garden", "toys"
DROP_DATE = dt.date(2024, 7, 1)


@dataclass(frozen=True)
class PlantedFact:
    """One fact planted in the data, and how to recognise an insight row that reports it."""

    name: str
    description: str
    kinds: tuple[str, ...]
    columns: tuple[str, ...]
    focus: tuple[str, ...] = ()
    measure: str | None = None
    direction: str | None = None
    when: dt.date | None = None
    tolerance_days: int = 0

    def matches(self, row: Mapping[str, Any]) -> bool:
        """True when an insight row (kind, columns, filters, focus, measure, direction, when) reports this fact."""

        def get(key: str) -> Any:
            value = row.get(key)
            return None if isinstance(value, float) and value != value else value  # NaN from a sparse frame

        if get("kind") not in self.kinds:
            return False
        if not set(self.columns) <= set(get("columns") or ()):
            return False
        named = {str(v) for v in (get("focus") or ())} | {str(v) for v in (get("filters") or {}).values()}
        if not set(self.focus) <= named:
            return False
        if self.measure is not None and get("measure") != self.measure:
            return False
        if self.direction is not None and get("direction") != self.direction:
            return False
        if self.when is not None:
            when = get("when")
            if not when:
                return False
            if abs((dt.date.fromisoformat(str(when)[:10]) - self.when).days) > self.tolerance_days:
                return False
        return True


FACTS: tuple[PlantedFact, ...] = (
    PlantedFact(
        "spike",
        f"revenue in region {SPIKE_REGION!r} spikes in {SPIKE_MONTH:%Y-%m} (units x4)",
        ("spike",),
        ("region",),
        focus=(SPIKE_REGION,),
        when=SPIKE_MONTH,
        tolerance_days=31,
    ),
    PlantedFact(
        "growth",
        f"category {GROWING!r} grows steadily (orders x5 over three years)",
        ("trend",),
        ("category",),
        focus=(GROWING,),
        direction="up",
    ),
    PlantedFact(
        "drop",
        f"category {DROPPING!r} drops by 65% from {DROP_DATE}",
        ("change_point",),
        ("category",),
        focus=(DROPPING,),
        direction="down",
        when=DROP_DATE,
        tolerance_days=62,
    ),
    PlantedFact(
        "concentration",
        f"product {BIG_PRODUCT!r} holds most of the revenue",
        ("top_contributor", "concentration"),
        ("product",),
        focus=(BIG_PRODUCT,),
        measure="revenue",
    ),
    PlantedFact("missing", "customer_age is 40% NULL", ("missing",), ("customer_age",)),
    PlantedFact(
        "correlation",
        "weight_kg and shipping_cost are correlated (r about 0.9)",
        ("correlation",),
        ("weight_kg", "shipping_cost"),
    ),
)


def match_facts(frame: pd.DataFrame, facts: Iterable[PlantedFact] = FACTS) -> dict[str, int | None]:
    """For each fact, the 1-based rank of the first insight row that reports it (None: not found)."""
    rows: list[Mapping[str, Any]] = [{str(k): v for k, v in r.items()} for r in frame.to_dict("records")]
    found: dict[str, int | None] = {}
    for fact in facts:
        found[fact.name] = next((i + 1 for i, row in enumerate(rows) if fact.matches(row)), None)
    return found


def _days_uniform(rng: np.random.Generator, k: int) -> np.ndarray:
    return rng.integers(0, DAYS, k)


def _days_growing(rng: np.random.Generator, k: int) -> np.ndarray:
    # density proportional to 0.4 + 1.6 t on [0, 1): inverse CDF of (0.4 t + 0.8 t^2) / 1.2
    u = rng.random(k)
    t = (-0.4 + np.sqrt(0.16 + 3.84 * u)) / 1.6
    return np.minimum((t * DAYS).astype(np.int64), DAYS - 1)


def _days_dropping(rng: np.random.Generator, k: int) -> np.ndarray:
    cut = (DROP_DATE - START).days
    before = rng.random(k) < cut / (cut + (DAYS - cut) * 0.35)
    return np.where(before, rng.integers(0, cut, k), rng.integers(cut, DAYS, k))


def generate(n: int = 1_000_000, seed: int = 0) -> pa.Table:
    """The rows of the planted sales table as an Arrow table (deterministic for a given n and seed)."""
    rng = np.random.default_rng(seed)
    n_products = len(CATEGORIES) * PRODUCTS_PER_CATEGORY
    big = int(BIG_PRODUCT.split("-")[1])
    category = rng.integers(0, len(CATEGORIES), n)
    days = np.empty(n, dtype=np.int64)
    for idx, name in enumerate(CATEGORIES):
        mask = category == idx
        maker = _days_growing if name == GROWING else _days_dropping if name == DROPPING else _days_uniform
        days[mask] = maker(rng, int(mask.sum()))
    # products: uniform inside their category, except the big one (40% of electronics rows)
    product = category * PRODUCTS_PER_CATEGORY + rng.integers(0, PRODUCTS_PER_CATEGORY, n)
    electronics = category == CATEGORIES.index("electronics")
    product[electronics & (rng.random(n) < 0.4)] = big
    base_price = np.round(rng.lognormal(3.5, 0.6, n_products), 2)
    base_price[big] = 1500.0
    unit_price = np.round(base_price[product] * rng.uniform(0.9, 1.1, n), 2)
    region = rng.integers(0, len(REGIONS), n)
    channel = rng.choice(len(CHANNELS), n, p=[0.5, 0.35, 0.15])
    units = 1 + rng.poisson(2.0, n)
    month_start = (np.datetime64(START) + days).astype("datetime64[M]")
    spike = (region == REGIONS.index(SPIKE_REGION)) & (month_start == np.datetime64(SPIKE_MONTH, "M"))
    units[spike] *= 4
    revenue = np.round(units * unit_price, 2)
    age = np.clip(np.round(rng.normal(42, 12, n)), 18, 80).astype(np.int64)
    age_missing = rng.random(n) < 0.4
    weight = np.round(rng.lognormal(0.5, 0.5, n), 3)
    shipping = np.round(3.0 + 2.2 * weight + rng.normal(0, 1.0, n), 2)
    order = np.argsort(days, kind="stable")  # rows arrive in date order, as appended sales do

    def labels(names: Iterable[str], codes: np.ndarray) -> pa.Array:
        return pc.take(pa.array(list(names), pa.string()), pa.array(codes[order]))

    return pa.table(
        {
            "order_id": pa.array(np.arange(1, n + 1), pa.int64()),
            "order_date": pa.array((np.datetime64(START) + days[order]).astype("datetime64[D]"), pa.date32()),
            "region": labels(REGIONS, region),
            "channel": labels(CHANNELS, channel),
            "category": labels(CATEGORIES, category),
            "product": labels((f"P-{i:04d}" for i in range(n_products)), product),
            "units": pa.array(units[order], pa.int32()),
            "unit_price": pa.array(unit_price[order], pa.float64()),
            "revenue": pa.array(revenue[order], pa.float64()),
            "customer_age": pa.array(age[order], pa.int32(), mask=age_missing[order]),
            "weight_kg": pa.array(weight[order], pa.float64()),
            "shipping_cost": pa.array(shipping[order], pa.float64()),
        }
    )


_DDL = """
CREATE TABLE {table} (
    order_id bigint NOT NULL,
    order_date date NOT NULL,
    region text NOT NULL,
    channel text NOT NULL,
    category text NOT NULL,
    product text NOT NULL,
    units integer NOT NULL,
    unit_price numeric(10, 2) NOT NULL,
    revenue numeric(12, 2) NOT NULL,
    customer_age integer,
    weight_kg double precision NOT NULL,
    shipping_cost numeric(8, 2) NOT NULL
)
"""


def _identifier(table: str) -> sql.Composable:
    parts = table.split(".")
    return sql.Identifier(*parts)


def load(
    conn_or_session: LoadTarget, table: str = "sales_facts", n: int = 1_000_000, seed: int = 0, *, analyze: bool = True
) -> tuple[PlantedFact, ...]:
    """(Re)create `table` with `n` planted sales rows (COPY from generated CSV); returns the planted facts."""
    conn = connection_of(conn_or_session)
    data = generate(n, seed)
    buffer = io.BytesIO()
    pacsv.write_csv(data, buffer, pacsv.WriteOptions(include_header=False))
    ident = _identifier(table)
    with conn.transaction():
        conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(ident))
        conn.execute(sql.SQL(_DDL).format(table=ident))
        with conn.cursor().copy(sql.SQL("COPY {} FROM STDIN (FORMAT csv)").format(ident)) as copy:
            view = buffer.getbuffer()
            for start in range(0, len(view), 1 << 20):
                copy.write(view[start : start + (1 << 20)])
        conn.execute(sql.SQL("ALTER TABLE {} ADD PRIMARY KEY (order_id)").format(ident))
    if analyze:
        conn.execute(sql.SQL("ANALYZE {}").format(ident))
    return FACTS

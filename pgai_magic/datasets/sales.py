"""The tutorial sales dataset: customers, products, orders and order items, with keys and comments.

Orders run from 2023-01-01 up to the database's `current_date` at load time, so questions such as
"the past week" or "the last 3 months" always find rows. The data is deterministic given the seed
and the load date.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
from psycopg import sql

from pgai_magic.datasets import LoadTarget, connection_of
from pgai_magic.db import scalar

__all__ = ["START_DATE", "TABLES", "load"]

START_DATE = dt.date(2023, 1, 1)
TABLES = ("order_items", "orders", "products", "customers")

_COUNTRIES: dict[str, tuple[float, list[str]]] = {
    "Germany": (0.16, ["Berlin", "Munich", "Hamburg", "Cologne"]),
    "United States": (0.20, ["New York", "Chicago", "San Francisco", "Austin"]),
    "United Kingdom": (0.11, ["London", "Manchester", "Edinburgh"]),
    "France": (0.11, ["Paris", "Lyon", "Marseille"]),
    "Spain": (0.07, ["Madrid", "Barcelona", "Valencia"]),
    "Italy": (0.07, ["Rome", "Milan", "Turin"]),
    "Netherlands": (0.05, ["Amsterdam", "Rotterdam"]),
    "Japan": (0.06, ["Tokyo", "Osaka"]),
    "China": (0.06, ["Shanghai", "Beijing", "Shenzhen"]),
    "Brazil": (0.04, ["São Paulo", "Rio de Janeiro"]),
    "Canada": (0.04, ["Toronto", "Vancouver", "Montreal"]),
    "Australia": (0.03, ["Sydney", "Melbourne"]),
}
_SEGMENTS = (["consumer", "small business", "enterprise"], [0.62, 0.26, 0.12])
_FIRST = (
    "Anna Ben Carla David Elena Felix Grace Hugo Ines Jonas Karin Leo Maria Nils Olga Paul Rosa Sven Tara "
    "Umar Vera Wei Yuki Zoe Liam Mia Noah Emma Lucas Sofia Mateo Chloe Arjun Hana Omar Lea Ivan Nora Kai Lina"
).split()
_LAST = (
    "Schmidt Smith Martin Garcia Rossi Jansen Tanaka Wang Silva Brown Muller Dubois Lopez Bianchi Visser Sato "
    "Chen Santos Wilson Fischer Moreau Fernandez Romano Bakker Suzuki Li Costa Taylor Weber Laurent"
).split()
_CATEGORIES: dict[str, tuple[float, list[str]]] = {
    "Electronics": (180.0, ["Headphones", "Smartphone", "Laptop", "Tablet", "Monitor", "Speaker", "Camera"]),
    "Home & Kitchen": (45.0, ["Blender", "Kettle", "Toaster", "Cookware Set", "Coffee Maker", "Knife Block"]),
    "Books": (18.0, ["Cookbook", "Novel", "Travel Guide", "Atlas", "Biography"]),
    "Clothing": (40.0, ["Jacket", "Sneakers", "Hoodie", "Jeans", "Raincoat"]),
    "Sports": (55.0, ["Yoga Mat", "Tennis Racket", "Bicycle Helmet", "Dumbbells", "Running Shoes"]),
    "Toys": (25.0, ["Puzzle", "Building Blocks", "Board Game", "Plush Bear"]),
    "Beauty": (22.0, ["Face Cream", "Shampoo", "Perfume", "Hair Dryer"]),
    "Garden": (35.0, ["Garden Hose", "Pruning Shears", "Plant Pot", "Lawn Sprinkler"]),
}
_BRANDS = ["Contoso", "Fabrikam", "Northwind", "Litware", "Proseware", "Tailspin", "Woodgrove", "Wingtip", "Lucerne"]
_STYLES = ["Classic", "Pro", "Lite", "Max", "Eco", "Plus", "Mini", "Ultra"]
_STATUSES = ["completed", "cancelled", "returned", "pending"]
_STATUS_P = np.array([0.86, 0.08, 0.06, 0.0])  # pending only happens to recent orders
_RECENT_STATUS_P = np.array([0.55, 0.08, 0.02, 0.35])
_CHANNELS = (["online", "mobile app", "in-store", "phone"], [0.45, 0.25, 0.22, 0.08])

_DDL = """
CREATE TABLE {s}.customers (
    customer_id integer PRIMARY KEY,
    name text NOT NULL,
    email text NOT NULL UNIQUE,
    country text NOT NULL,
    city text NOT NULL,
    segment text NOT NULL,
    signup_date date NOT NULL
);
CREATE TABLE {s}.products (
    product_id integer PRIMARY KEY,
    name text NOT NULL UNIQUE,
    category text NOT NULL,
    brand text NOT NULL,
    price numeric(10, 2) NOT NULL CHECK (price > 0)
);
CREATE TABLE {s}.orders (
    order_id integer PRIMARY KEY,
    customer_id integer NOT NULL REFERENCES {s}.customers (customer_id),
    order_date date NOT NULL,
    status text NOT NULL CHECK (status IN ('completed', 'cancelled', 'returned', 'pending')),
    channel text NOT NULL
);
CREATE TABLE {s}.order_items (
    order_item_id integer PRIMARY KEY,
    order_id integer NOT NULL REFERENCES {s}.orders (order_id),
    product_id integer NOT NULL REFERENCES {s}.products (product_id),
    quantity integer NOT NULL CHECK (quantity > 0),
    unit_price numeric(10, 2) NOT NULL,
    amount numeric(12, 2) NOT NULL
);
CREATE INDEX ON {s}.orders (customer_id);
CREATE INDEX ON {s}.orders (order_date);
CREATE INDEX ON {s}.order_items (order_id);
CREATE INDEX ON {s}.order_items (product_id);
"""

_COMMENTS = {
    "customers": (
        "customers (clients) who place orders",
        {
            "customer_id": "unique customer number",
            "name": "customer full name",
            "email": "customer email address",
            "country": "country the customer lives in",
            "city": "city the customer lives in",
            "segment": "customer segment: consumer, small business or enterprise",
            "signup_date": "date the customer signed up (registered)",
        },
    ),
    "products": (
        "products (items) the shop sells",
        {
            "product_id": "unique product number",
            "name": "product name",
            "category": "product category",
            "brand": "brand (manufacturer) of the product",
            "price": "current list price in EUR",
        },
    ),
    "orders": (
        "orders (purchases) placed by customers",
        {
            "order_id": "unique order number",
            "customer_id": "the customer who placed the order",
            "order_date": "date the order was placed",
            "status": "order status: completed, cancelled, returned or pending",
            "channel": "sales channel: online, mobile app, in-store or phone",
        },
    ),
    "order_items": (
        "order lines: one product in one order",
        {
            "order_item_id": "unique order line number",
            "order_id": "the order this line belongs to",
            "product_id": "the product sold",
            "quantity": "units sold on this line",
            "unit_price": "price per unit paid, in EUR",
            "amount": "sales amount (revenue) of the line in EUR: quantity times unit price",
        },
    ),
}


def _customers(rng: np.random.Generator, n: int, today: dt.date) -> list[tuple[Any, ...]]:
    countries = list(_COUNTRIES)
    weights = np.array([_COUNTRIES[c][0] for c in countries])
    span = (today - dt.date(2022, 1, 1)).days
    rows = []
    for i in range(1, n + 1):
        country = countries[rng.choice(len(countries), p=weights / weights.sum())]
        cities = _COUNTRIES[country][1]
        first, last = _FIRST[rng.integers(len(_FIRST))], _LAST[rng.integers(len(_LAST))]
        signup = dt.date(2022, 1, 1) + dt.timedelta(days=int(rng.integers(0, max(span - 30, 1))))
        rows.append(
            (
                i,
                f"{first} {last}",
                f"{first}.{last}.{i}@example.com".lower(),
                country,
                cities[rng.integers(len(cities))],
                rng.choice(_SEGMENTS[0], p=_SEGMENTS[1]),
                signup,
            )
        )
    return rows


def _products(rng: np.random.Generator, n: int) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = []
    names: set[str] = set()
    categories = list(_CATEGORIES)
    while len(rows) < n:
        category = categories[len(rows) % len(categories)]
        base, nouns = _CATEGORIES[category]
        brand = _BRANDS[rng.integers(len(_BRANDS))]
        name = f"{brand} {_STYLES[rng.integers(len(_STYLES))]} {nouns[rng.integers(len(nouns))]}"
        if name in names:
            continue
        names.add(name)
        price = float(np.floor(base * rng.lognormal(0.0, 0.5))) + 0.99
        rows.append((len(rows) + 1, name, category, brand, round(price, 2)))
    return rows


def load(
    conn_or_session: LoadTarget,
    schema: str = "public",
    seed: int = 0,
    scale: float = 1.0,
    *,
    replace: bool = True,
) -> dict[str, int]:
    """Create and fill the sales tables in `schema`; returns the row count of each table.

    `scale` = 1 gives 400 customers, 80 products, about 5 orders a day since 2023-01-01 and
    2.5 lines per order. `replace` drops the four tables first when they exist.
    """
    if scale <= 0:
        raise ValueError(f"scale must be positive, not {scale}")
    conn = connection_of(conn_or_session)
    rng = np.random.default_rng(seed)
    today: dt.date = scalar(conn, "SELECT current_date")
    s = sql.Identifier(schema)
    n_customers, n_products = max(int(400 * scale), 20), max(int(80 * scale), 16)
    customers = _customers(rng, n_customers, today)
    products = _products(rng, n_products)
    popularity = rng.zipf(1.6, n_products).astype(float)
    popularity /= popularity.sum()
    orders: list[tuple[Any, ...]] = []
    items: list[tuple[Any, ...]] = []
    day = START_DATE
    item_id = 0
    while day <= today:
        for _ in range(rng.poisson(5.0 * scale)):
            cust = customers[rng.integers(len(customers))]
            status = rng.choice(_STATUSES, p=_RECENT_STATUS_P if (today - day).days < 10 else _STATUS_P)
            order_id = len(orders) + 1
            orders.append((order_id, cust[0], day, status, rng.choice(_CHANNELS[0], p=_CHANNELS[1])))
            for pid in rng.choice(
                n_products, size=min(int(rng.integers(1, 5)), n_products), replace=False, p=popularity
            ):
                product = products[int(pid)]
                quantity = int(min(rng.geometric(0.55), 8))
                unit_price = round(float(product[4]) * (0.9 if rng.random() < 0.15 else 1.0), 2)
                item_id += 1
                items.append((item_id, order_id, product[0], quantity, unit_price, round(quantity * unit_price, 2)))
        day += dt.timedelta(days=1)
    with conn.transaction():
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(s))
        if replace:
            for table in TABLES:
                conn.execute(sql.SQL("DROP TABLE IF EXISTS {}.{} CASCADE").format(s, sql.Identifier(table)))
        for stmt in _DDL.split(";"):
            if stmt.strip():
                conn.execute(sql.SQL(stmt).format(s=s))  # type: ignore[arg-type]
        for table, rows in (
            ("customers", customers),
            ("products", products),
            ("orders", orders),
            ("order_items", items),
        ):
            with conn.cursor().copy(sql.SQL("COPY {}.{} FROM STDIN").format(s, sql.Identifier(table))) as copy:
                for row in rows:
                    copy.write_row(row)
            comment, columns = _COMMENTS[table]
            conn.execute(sql.SQL("COMMENT ON TABLE {}.{} IS {}").format(s, sql.Identifier(table), sql.Literal(comment)))
            for column, text in columns.items():
                conn.execute(
                    sql.SQL("COMMENT ON COLUMN {}.{}.{} IS {}").format(
                        s, sql.Identifier(table), sql.Identifier(column), sql.Literal(text)
                    )
                )
    for table in TABLES:
        conn.execute(sql.SQL("ANALYZE {}.{}").format(s, sql.Identifier(table)))
    return {"customers": len(customers), "products": len(products), "orders": len(orders), "order_items": len(items)}

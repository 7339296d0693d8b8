"""The tutorial churn dataset: telecom customers with a churned flag, deterministic given the seed.

Churn follows a known logistic rule (month-to-month contracts, short tenure, high charges, support
calls and electronic checks raise it), so models have something real to find. `drift` shifts the
population (higher charges, more month-to-month contracts, more support calls) to show monitoring.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from psycopg import sql

from pgai_magic.datasets import LoadTarget, connection_of

__all__ = ["COLUMNS", "FEATURES", "TARGET", "frame", "load"]

CONTRACTS = ["month-to-month", "one year", "two year"]
PAYMENTS = ["electronic check", "mailed check", "bank transfer", "credit card"]
INTERNET = ["fiber optic", "dsl", "none"]
FEATURES = ["age", "tenure_months", "monthly_charges", "total_charges", "contract", "payment_method",
            "internet_service", "support_calls", "paperless_billing"]  # fmt: skip
TARGET = "churned"
COLUMNS = {
    "customer_id": "bigint PRIMARY KEY", "age": "integer NOT NULL", "tenure_months": "integer NOT NULL",
    "monthly_charges": "float8 NOT NULL", "total_charges": "float8", "contract": "text NOT NULL",
    "payment_method": "text NOT NULL", "internet_service": "text", "support_calls": "integer NOT NULL",
    "paperless_billing": "boolean NOT NULL", "churned": "boolean NOT NULL",
}  # fmt: skip


def frame(n: int = 5000, *, seed: int = 0, drift: float = 0.0) -> pd.DataFrame:
    """`n` customers; `drift` in [0, 1] moves the population away from the seed's baseline."""
    rng = np.random.default_rng(seed)
    d = float(drift)
    contract_p = np.array([0.5 + 0.3 * d, 0.27 - 0.15 * d, 0.23 - 0.15 * d])
    contract = rng.choice(CONTRACTS, size=n, p=contract_p / contract_p.sum())
    payment = rng.choice(PAYMENTS, size=n, p=[0.34, 0.22, 0.22, 0.22])
    internet = rng.choice(INTERNET, size=n, p=[0.44, 0.34, 0.22]).astype(object)
    internet[rng.random(n) < 0.03] = None  # unknown for a few customers
    age = np.clip(rng.normal(45, 14, n), 18, 90).round().astype(int)
    long_contract = contract != "month-to-month"
    tenure = np.clip(rng.gamma(2.0, 12 + 12 * long_contract, n), 0, 72).round().astype(int)
    tenure[rng.random(n) < 0.03] = 0  # signed up this month
    base = np.where(internet == "fiber optic", 85.0, np.where(internet == "dsl", 60.0, 25.0))
    monthly = np.round(base + rng.normal(0, 12, n) + 25 * d, 2).clip(15, 150)
    total = np.round(monthly * tenure * rng.uniform(0.95, 1.05, n), 2)
    total[tenure == 0] = np.nan  # no bill yet
    calls = rng.poisson(1.2 + 1.5 * d + 0.8 * (internet == "fiber optic"), n)
    paperless = rng.random(n) < 0.6
    z = (
        -1.6 + 1.3 * (contract == "month-to-month") - 0.6 * (contract == "two year") - 0.045 * tenure
        + 0.022 * (monthly - 65) + 0.38 * calls + 0.45 * (payment == "electronic check")
        + 0.3 * (internet == "fiber optic") - 0.012 * (age - 45) + 0.2 * paperless
    )  # fmt: skip
    churned = rng.random(n) < 1.0 / (1.0 + np.exp(-z))
    return pd.DataFrame({
        "customer_id": np.arange(1, n + 1, dtype=np.int64), "age": age, "tenure_months": tenure,
        "monthly_charges": monthly, "total_charges": total, "contract": contract, "payment_method": payment,
        "internet_service": internet, "support_calls": calls, "paperless_billing": paperless, "churned": churned,
    })  # fmt: skip


def load(
    conn_or_session: LoadTarget,
    table: str = "churn",
    n: int = 5000,
    *,
    seed: int = 0,
    drift: float = 0.0,
    schema: str | None = None,
) -> str:
    """(Re)create `table` with `n` customers; returns the qualified table name."""
    conn = connection_of(conn_or_session)
    data = frame(n, seed=seed, drift=drift)
    ident = sql.Identifier(schema, table) if schema else sql.Identifier(table)
    columns = sql.SQL(", ").join(sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(t)) for c, t in COLUMNS.items())
    names = sql.SQL(", ").join(sql.Identifier(c) for c in COLUMNS)
    rows = data.astype(object).where(data.notna(), None).itertuples(index=False, name=None)
    with conn.transaction():
        conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(ident))
        conn.execute(sql.SQL("CREATE TABLE {} ({})").format(ident, columns))
        with conn.cursor().copy(sql.SQL("COPY {} ({}) FROM STDIN").format(ident, names)) as copy:
            for row in rows:
                copy.write_row(row)
        comment = sql.Literal(f"telecom customers (pgai_magic churn dataset, seed {seed}, drift {drift})")
        conn.execute(sql.SQL("COMMENT ON TABLE {} IS {}").format(ident, comment))
        conn.execute(sql.SQL("ANALYZE {}").format(ident))
    return f"{schema}.{table}" if schema else table

"""The tutorial event dataset: a shop's raw orders and support tickets over eight months, and monthly churn labels;
deterministic given the seed.

Each customer has a hidden engagement: engaged customers order more and spend more, and open fewer tickets;
whether a customer churns in the month after a label date follows a known logistic rule of the last months'
activity, so a model trained on point-in-time features has something real to find. The last month (`changed`)
can bring a pricing change: larger orders and more tickets, the drift monitoring should catch.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import pandas as pd
from psycopg import sql

from pgai_magic.datasets import LoadTarget, connection_of

__all__ = ["MONTHS", "START", "frames", "load"]

START = datetime(2024, 1, 1, tzinfo=timezone.utc)
MONTHS = 8
_COLUMNS = {
    "orders": {"order_id": "bigint PRIMARY KEY", "customer_id": "bigint NOT NULL", "ordered_at": "timestamptz NOT NULL",
               "amount": "float8 NOT NULL"},
    "tickets": {"ticket_id": "bigint PRIMARY KEY", "customer_id": "bigint NOT NULL",
                "opened_at": "timestamptz NOT NULL", "severity": "integer NOT NULL"},
    "churn_labels": {"customer_id": "bigint NOT NULL", "label_time": "timestamptz NOT NULL",
                     "churned": "boolean NOT NULL"},
}  # fmt: skip


def _month_start(m: int) -> datetime:
    return START.replace(month=START.month + m)  # MONTHS + 1 < 12: within the year


def frames(customers: int = 400, *, seed: int = 0, changed: float = 0.0) -> dict[str, pd.DataFrame]:
    """orders, tickets and churn_labels for `customers` customers over MONTHS months from START; `changed` in
    [0, 1] scales the last month's pricing change (orders 1 + 1.2·changed larger, tickets 1 + 2·changed as many)."""
    rng = np.random.default_rng(seed)
    engagement = rng.normal(0, 1, customers)
    orders, tickets, labels = [], [], []
    recent = np.zeros((customers, 2))  # last month's spend and tickets per customer
    for m in range(MONTHS):
        start, days = _month_start(m), (_month_start(m + 1) - _month_start(m)).days
        shift = changed if m == MONTHS - 1 else 0.0
        n_orders = rng.poisson(np.clip(2.0 + 1.2 * engagement, 0.2, None))
        n_tickets = rng.poisson(np.clip(0.6 - 0.35 * engagement, 0.05, None) * (1 + 2 * shift))
        spend = np.zeros(customers)
        for c in range(customers):
            amounts = rng.gamma(2.0, max(8.0, 30 + 9 * engagement[c]), n_orders[c]) * (1 + 1.2 * shift)
            spend[c] = amounts.sum()
            for a in amounts:
                orders.append((c + 1, start + timedelta(seconds=float(rng.uniform(0, days * 86400))), round(a, 2)))
            for _ in range(n_tickets[c]):
                when = start + timedelta(seconds=float(rng.uniform(0, days * 86400)))
                tickets.append((c + 1, when, int(rng.integers(1, 4 + (engagement[c] < -1)))))
        recent = np.column_stack([spend, n_tickets])
        z = -1.2 - 0.9 * engagement + 0.5 * recent[:, 1] - 0.008 * recent[:, 0]
        churned = rng.random(customers) < 1 / (1 + np.exp(-z))
        labels += [(c + 1, _month_start(m + 1), bool(churned[c])) for c in range(customers)]
    order_frame = pd.DataFrame(orders, columns=["customer_id", "ordered_at", "amount"])
    order_frame.insert(0, "order_id", np.arange(1, len(order_frame) + 1))
    ticket_frame = pd.DataFrame(tickets, columns=["customer_id", "opened_at", "severity"])
    ticket_frame.insert(0, "ticket_id", np.arange(1, len(ticket_frame) + 1))
    return {"orders": order_frame, "tickets": ticket_frame,
            "churn_labels": pd.DataFrame(labels, columns=["customer_id", "label_time", "churned"])}  # fmt: skip


def load(
    conn_or_session: LoadTarget, customers: int = 400, *, seed: int = 0, changed: float = 0.0, schema: str = "events"
) -> list[str]:
    """(Re)create the tables orders, tickets and churn_labels in `schema` (made when missing); their qualified
    names."""
    conn = connection_of(conn_or_session)
    made = []
    with conn.transaction():
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
        for table, data in frames(customers, seed=seed, changed=changed).items():
            ident = sql.Identifier(schema, table)
            columns = sql.SQL(", ").join(sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(t))
                                         for c, t in _COLUMNS[table].items())  # fmt: skip
            conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(ident))
            conn.execute(sql.SQL("CREATE TABLE {} ({})").format(ident, columns))
            names = sql.SQL(", ").join(sql.Identifier(c) for c in data.columns)
            with conn.cursor().copy(sql.SQL("COPY {} ({}) FROM STDIN").format(ident, names)) as copy:
                for row in data.itertuples(index=False, name=None):
                    copy.write_row(row)
            conn.execute(sql.SQL("ANALYZE {}").format(ident))
            made.append(f"{schema}.{table}")
    return made

"""Generated customer-support tickets (any number, deterministic): FAQ questions dressed as real messages."""

from __future__ import annotations

import random

from psycopg import sql

from pgai_magic.datasets import LoadTarget, connection_of, faq

__all__ = ["load", "texts"]

_OPENERS = [
    "",
    "",
    "Hi,",
    "Hello,",
    "Good morning,",
    "Hey there,",
    "Dear support team,",
    "Quick question:",
    "Sorry to bother you again,",
    "I hope you can help me.",
]
_PRODUCTS = [
    "running shoes",
    "winter jacket",
    "coffee machine",
    "phone case",
    "wool sweater",
    "desk lamp",
    "backpack",
    "wireless headphones",
    "yoga mat",
    "kitchen knife set",
    "rain boots",
    "gift card",
]
_DETAILS = [
    "My order number is {n}.",
    "I ordered the {product} on {day}.",
    "This is the {nth} time I am writing about this.",
    "It was a {product} for my {who}.",
    "I paid {amount} euros for it.",
    "Please help me as soon as possible.",
    "Thanks in advance for your help.",
    "I have been a customer for {years} years and this never happened before.",
    "The tracking page has not changed since {day}.",
    "I already tried the chat but nobody answered.",
    "Can someone call me back at your earliest convenience?",
    "I need this sorted out before {day} because it is a birthday present.",
    "Your website did not give me any useful information about it.",
    "I attached a photo of the {product} to this message.",
]
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "the 3rd", "the 17th", "last week"]
_NTH = ["second", "third", "fourth"]
_WHO = ["daughter", "son", "wife", "husband", "mother", "friend", "colleague"]


def texts(n: int, seed: int = 0) -> list[str]:
    """`n` ticket texts of 5 to about 80 words, the same for the same `seed`."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    cores = [q for _, q, _, _ in faq.ENTRIES] + [p for p, _ in faq.paraphrases()]
    out = []
    for _ in range(n):
        parts = [rng.choice(_OPENERS), rng.choice(cores)]
        for detail in rng.sample(_DETAILS, rng.choice((0, 0, 1, 1, 2, 3, 4))):
            parts.append(
                detail.format(
                    n=rng.randrange(100000, 999999),
                    product=rng.choice(_PRODUCTS),
                    day=rng.choice(_DAYS),
                    nth=rng.choice(_NTH),
                    who=rng.choice(_WHO),
                    amount=rng.randrange(5, 400),
                    years=rng.randrange(2, 15),
                )
            )
        out.append(" ".join(p for p in parts if p))
    return out


def load(
    session_or_conn: LoadTarget, n: int, table: str = "tickets", *, schema: str | None = None, seed: int = 0
) -> int:
    """Create `table` (id primary key, body) with `n` generated tickets, replacing an existing one."""
    conn = connection_of(session_or_conn)
    name = sql.Identifier(schema, table) if schema else sql.Identifier(table)
    with conn.transaction():
        conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(name))
        conn.execute(sql.SQL("CREATE TABLE {} (id integer PRIMARY KEY, body text NOT NULL)").format(name))
        with conn.cursor() as cur, cur.copy(sql.SQL("COPY {} (id, body) FROM STDIN").format(name)) as copy:
            for i, text in enumerate(texts(n, seed), 1):
                copy.write_row((i, text))
    return n

"""Values the catalog does not list (high-cardinality text columns) looked up in the data for a question's names.

The spans looked up are the ones that look like values: quoted text, runs of capitalised words after the first
word ('Michael Goodrich', 'Los Angeles'), and codes mixing letters and digits ('ACCT-211'). Each is compared, case
insensitively, with the text columns whose distinct values the catalog did not keep, one read-only query per table
(the stored value equal to the span, any case, for all its such columns), on tables of at most `MAX_ROWS` rows.
"""

from __future__ import annotations

import re

import psycopg
from psycopg import sql

from pgai_magic.catalog import Catalog
from pgai_magic.db import read_only
from pgai_magic.errors import PgaiError
from pgai_magic.nl2sql.learned.features import Question, ValueHit, offsets

__all__ = ["MAX_ROWS", "probe_values", "value_spans"]

MAX_ROWS = 200_000
_MAX_SPANS = 4
_CAPS = re.compile(r"(?<=\s)[A-Z][\w'.&-]*(?:\s+(?:of\s+|de\s+|the\s+)?[A-Z][\w'.&-]*)*")
_CODE = re.compile(r"\b(?=[\w-]*\d)(?=[\w-]*[A-Za-z])[A-Za-z0-9]+(?:-[A-Za-z0-9]+)+\b|\b[A-Za-z]+\d+\w*\b")


def value_spans(q: Question) -> list[tuple[str, int, int]]:
    """(text as typed, first token, end token) of the spans that look like values, quoted text first."""
    out: list[tuple[str, int, int]] = [(v, i, i + 1) for i, v in q.quoted()]
    offs = offsets(q)
    for pattern in (_CODE, _CAPS):
        for m in pattern.finditer(q.text):
            inside = [i for i, (a, b) in enumerate(offs) if a >= 0 and a < m.end() and b > m.start()]
            text = m.group().strip(".,;:?!'\"")
            if inside and len(text) > 1 and all(s[0] != text for s in out):
                out.append((text, inside[0], inside[-1] + 1))
    return out[:_MAX_SPANS]


def probe_values(q: Question, catalog: Catalog, conn: psycopg.Connection, timeout_s: float = 1.0) -> list[ValueHit]:
    """Hits of the question's value-like spans (not already hits) in columns whose values the catalog lacks."""
    taken = {(h.start, h.end) for h in q.hits}
    spans = [s for s in value_spans(q) if not any(a <= s[1] < b for a, b in taken)]
    if not spans:
        return []
    found: list[ValueHit] = []
    for t in catalog.tables.values():
        cols = [c for c in t.columns if c.kind == "text" and c.values is None and not c.primary_key]
        if not cols or t.rows > MAX_ROWS:
            continue
        checks = [
            sql.SQL("min({c}::text) FILTER (WHERE lower({c}::text) = lower({v}))").format(
                c=sql.Identifier(c.name), v=sql.Literal(text)
            )
            for text, _, _ in spans
            for c in cols
        ]
        query = sql.SQL("SELECT {} FROM {}").format(sql.SQL(", ").join(checks), sql.Identifier(t.schema, t.name))
        try:
            with read_only(conn, timeout_s):
                row = conn.execute(query).fetchone()
        except (psycopg.Error, PgaiError):
            continue
        if row is None:
            continue
        k = 0
        for _text, start, end in spans:
            for c in cols:
                if row[k] is not None:
                    found.append(ValueHit(c, row[k], start, end))
                k += 1
    return found

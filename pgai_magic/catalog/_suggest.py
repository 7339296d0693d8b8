"""'Did you mean …': the one close-name suggestion of the package (tables, columns, models), and the SQL error hint.

`did_you_mean` is the only fuzzy "did you mean" in pgai_magic: the SQL error hint below, the insight engine's
table and column checks (insights.roles) and the model registry (inference.registry) all phrase their advice
with it. Closeness is difflib's ratio (Ratcliff/Obershelp), compared case-insensitively.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable

import psycopg

from pgai_magic.catalog._relation import column_names, relation_names
from pgai_magic.errors import SQLError
from pgai_magic.sqltext import quote_ident

__all__ = ["CUTOFF", "add_suggestion", "closest", "did_you_mean"]

CUTOFF = 0.6  # difflib's default: the least similarity ratio (0..1) of a name worth suggesting

# the server's own message shapes: relation "x" does not exist / column "y" does not exist
_QUOTED = re.compile(r'"([^"]+)"')


def closest(word: str, candidates: Iterable[str], *, n: int = 1, cutoff: float = CUTOFF) -> list[str]:
    """Up to `n` of `candidates` closest to `word` (similarity ratio ≥ `cutoff`), best first, as spelled in
    `candidates`; compared case-insensitively (of names differing only in case, the last one is kept)."""
    lowered = {c.lower(): c for c in candidates}
    hits = difflib.get_close_matches(word.lower(), list(lowered), n=n, cutoff=cutoff)
    return [lowered[h] for h in hits]


def did_you_mean(
    word: str,
    *pools: Iterable[str],
    kind: str | None = None,
    n: int = 1,
    show: Callable[[str], str] = repr,
) -> str | None:
    """'did you mean KIND 'a' or 'b'?' for the names closest to `word`, or None when none is close.

    `pools` are tried in order and the first holding a close name gives the advice (e.g. qualified names,
    then bare ones); `show` prints each name (repr by default: 'revenue'); `kind` ("table", "column") is
    named before them when given. Callers put the advice after their own message: "…; did you mean 'x'?".
    """
    for pool in pools:
        hits = closest(word, pool, n=n)
        if hits:
            what = f"{kind} " if kind else ""
            return f"did you mean {what}" + " or ".join(show(h) for h in hits) + "?"
    return None


def _as_typed(dotted: str) -> str:
    """'schema.Table' or 'alias.Column' as SQL that runs when pasted: each part quoted where PostgreSQL needs it."""
    return ".".join(quote_ident(part) for part in dotted.split(".", 1))


def add_suggestion(err: SQLError, conn: psycopg.Connection) -> SQLError:
    """Fill err.hint with close names when the server reports an unknown table (42P01) or column (42703).

    The names come from the catalog (pgai_magic.catalog.relation_names / column_names); a catalog read that
    fails leaves the error as it was.
    """
    if err.sqlstate not in ("42P01", "42703"):
        return err
    if err.hint and err.hint.startswith("Perhaps you meant to reference the column"):
        hint = "did you mean" + err.hint.removeprefix("Perhaps you meant to reference")
        err.hint = _QUOTED.sub(lambda m: _as_typed(m.group(1)), hint)  # the server's "alias.column", as typed
        return err
    if err.hint:
        return err
    match = _QUOTED.search(err.message)
    if not match:
        return err
    name = match.group(1).split(".")[-1]
    try:
        names = relation_names(conn) if err.sqlstate == "42P01" else column_names(conn)
    except psycopg.Error:
        return err
    if err.sqlstate == "42P01":
        # as typed in SQL: each part quoted only where PostgreSQL needs it, so the advice works when pasted
        advice = did_you_mean(
            name,
            names,
            [n.split(".")[-1] for n in names],
            kind="table",
            n=3,
            show=lambda h: ".".join(quote_ident(part) for part in h.split(".")),
        )
    else:
        advice = did_you_mean(name, names, kind="column", n=3, show=quote_ident)
    if advice:
        err.hint = advice
    return err

"""When a remembered answer may answer a new question: the same wording, or the same reading by the translator.

A remembered (verified) question is a candidate when its masked template is close to the new one (cosine of
their embeddings, from `QuestionMemory.nearest`). Closeness alone is not safe: "customers in Berlin" is as close
to "customers in Germany" as a paraphrase, yet asks about another column. So a candidate is reused only when

- its literal slots are the new question's (same kinds in the same order) and its SQL takes the new literals
  (`adapt_sql`), and
- the new question has no content word the translator ignored that the remembered one lacks (an ignored "not",
  "weekly" or "percentage" would make two different questions look alike), and
- either **same meaning**: similarity >= `threshold` and the same meaning signature (`cue_signature`: cue words
  plus the tables, columns, concepts and value columns the question links to) -- this works for questions the
  translator cannot answer, the usual reason to teach one;
- or **same reading**: similarity >= `floor` and the translator reads both questions (the remembered one with
  the new literals put in) as the same query.

This is semantic parsing used as a paraphrase test (Berant & Liang 2014): two questions that parse to the same
logical form are paraphrases, whatever their wording. Literals are compared as slots and adapted, never ignored.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlglot

from pgai_magic.nl2sql.adapt import adapt_sql

__all__ = ["Candidate", "Reader", "Reading", "ReusePolicy", "canonical_sql"]


@dataclass(frozen=True)
class Reading:
    """How the translator reads a question: its SQL (None when it refuses) and the content words it ignored."""

    sql: str | None
    ignored: frozenset[str]


Reader = Callable[[str], Reading]


def canonical_sql(sql: str) -> str | None:
    """One spelling of a query (sqlglot, postgres dialect, identifiers normalised); None when it does not parse."""
    try:
        return sqlglot.parse_one(sql, dialect="postgres").sql(dialect="postgres", normalize=True)
    except sqlglot.errors.SqlglotError:
        return None


@dataclass(frozen=True)
class Candidate:
    """A remembered question considered for reuse: its question, literals, signature, SQL and similarity."""

    question: str
    literals: list[tuple[str, Any]]
    cues: list[str]
    sql: str
    similarity: float


@dataclass(frozen=True)
class ReusePolicy:
    """The rules above; `threshold` and `floor` are cosine similarities in [0, 1]; `read=False` turns the
    same-reading rule off (only the signature rule is left)."""

    threshold: float = 0.8
    floor: float = 0.5
    read: bool = True

    def decide(
        self, memo: Candidate, question: str, literals: list[tuple[str, Any]], cues: list[str], reader: Reader
    ) -> tuple[str, str] | None:
        """(the memo's SQL adapted to `literals`, why: 'same meaning' | 'same reading'), or None: not reusable.

        `question`, `literals` and `cues` are the new question's (template_of, cue_signature); `reader` reads a
        question with the translator, called only for candidates that pass the cheaper checks.
        """
        if memo.similarity < self.floor or [k for k, _ in memo.literals] != [k for k, _ in literals]:
            return None
        sql = adapt_sql(memo.sql, memo.literals, literals)
        if sql is None:
            return None
        new, old = reader(question), reader(memo.question)
        if not new.ignored <= old.ignored:
            return None  # a word the translator skipped here may carry what the remembered question lacks
        if memo.similarity >= self.threshold and sorted(memo.cues) == sorted(cues):
            return sql, "same meaning"
        if self.read and _same_query(new, old, memo.literals, literals):
            return sql, "same reading"
        return None


Literals = list[tuple[str, Any]]


def _same_query(new: Reading, old: Reading, old_literals: Literals, literals: Literals) -> bool:
    """Whether the translator's query for the new question is its query for the old one with the new literals."""
    if new.sql is None or old.sql is None:
        return False
    moved = adapt_sql(old.sql, old_literals, literals)
    if moved is None:
        return False
    ours, theirs = canonical_sql(new.sql), canonical_sql(moved)
    return ours is not None and ours == theirs

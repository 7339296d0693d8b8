"""A question as the translator reads it: tokens, what each span means, and how much of it was understood."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pgai_magic.nl2sql.lexicon import STOPWORDS
from pgai_magic.nl2sql.linking import Mention
from pgai_magic.nl2sql.text import Tok

__all__ = ["Analysis", "Item", "content", "literals"]


@dataclass(frozen=True)
class Item:
    """A cue, mention, number or time phrase found in the question, in question order (tokens start..end)."""

    start: int
    end: int
    kind: str
    arg: str = ""
    mention: Mention | None = None
    value: Any = None


@dataclass(frozen=True)
class Analysis:
    """A question read by the translator: tokens, what each span means, and how much of it was understood.

    `weight[i]` (0..1) is how well token i is explained; a pass that learns more derives a new Analysis
    (`dataclasses.replace`), never edits this one.
    """

    question: str
    english: str
    toks: tuple[Tok, ...]
    items: tuple[Item, ...]
    weight: tuple[float, ...]

    def tables(self) -> list[str]:
        """Tables the question names (directly or through a column or value)."""
        found: list[str] = []
        for it in self.items:
            m = it.mention
            if m is None:
                continue
            for key in ([m.table] if m.table else []) + [c.table for c in m.columns[:1]]:
                if key not in found:
                    found.append(key)
        return found

    def unexplained(self) -> list[str]:
        return [t.text for t, w in zip(self.toks, self.weight) if w <= 0 and content(t)]

    def confidence(self) -> float:
        weights = [w for t, w in zip(self.toks, self.weight) if content(t)]
        return 1.0 if not weights else sum(min(w, 1.0) for w in weights) / len(weights)


def content(tok: Tok) -> bool:
    return tok.kind != "sym" and tok.text not in STOPWORDS and tok.lemma not in STOPWORDS


def literals(analysis: Analysis) -> list[tuple[str, Any, int, int]]:
    """The question's literals: ('number', 10, start, end), ('date', '2024-01-01', ...), ('value', 'Germany', ...)."""
    found: list[tuple[str, Any, int, int]] = []
    for it in analysis.items:
        if it.kind == "num":
            found.append(("number", it.value, it.start, it.end))
        elif it.kind == "time":
            for tok_i in range(it.start, it.end):
                tok = analysis.toks[tok_i]
                if tok.kind == "date":
                    found.append(("date", tok.value.isoformat(), tok_i, tok_i + 1))
                elif tok.kind == "num":
                    is_year = isinstance(tok.value, int) and 1900 <= tok.value <= 2100
                    found.append(("year" if is_year else "number", tok.value, tok_i, tok_i + 1))
        elif it.kind == "mention" and it.mention is not None and it.mention.kind == "value":
            found.append(("value", it.mention.value, it.start, it.end))
    return sorted(found, key=lambda f: f[2])

"""The offline translator: cue words, schema and value linking and time phrases fill a plan, built by sqlglot."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import psycopg
from sqlglot import exp

from pgai_magic.catalog import Catalog
from pgai_magic.errors import GuardError, TranslationError
from pgai_magic.nl2sql.build import Plan, build
from pgai_magic.nl2sql.lexicon import CUES, STOPWORDS, SYNONYMS
from pgai_magic.nl2sql.linking import EmbeddingLinker, Mention, SchemaIndex, link_values, trgm_schema
from pgai_magic.nl2sql.resolve import assemble
from pgai_magic.nl2sql.text import Tok, has_cjk, to_english, tokenize
from pgai_magic.nl2sql.timeexpr import find_time_ranges

__all__ = ["Analysis", "Item", "Translation", "Translator", "literals"]

_UNITS = {"day": "day", "week": "week", "month": "month", "quarter": "quarter", "year": "year"}
_POLITE = {
    "please",
    "can",
    "could",
    "would",
    "will",
    "you",
    "i",
    "want",
    "to",
    "let",
    "us",
    "let's",
    "lets",
    "kindly",
    "go",
    "ahead",
    "and",
    "now",
    "just",
    "we",
    "need",
    "should",
    "must",
    "show",
    "me",
    "how",
    "do",
}
_ALWAYS_WRITE = {"delete", "drop", "truncate", "insert"}


@dataclass
class Item:
    """A cue, mention, number or time phrase found in the question, in question order."""

    start: int
    end: int
    kind: str
    arg: str = ""
    mention: Mention | None = None
    value: Any = None
    used: bool = False


@dataclass
class Analysis:
    """A question read by the translator: tokens, what each span means, and how much of it was understood."""

    question: str
    english: str
    toks: list[Tok]
    items: list[Item]
    weight: list[float]

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
        return [t.text for t, w in zip(self.toks, self.weight) if w <= 0 and _content(t)]

    def confidence(self) -> float:
        content = [w for t, w in zip(self.toks, self.weight) if _content(t)]
        return 1.0 if not content else sum(min(w, 1.0) for w in content) / len(content)


def _content(tok: Tok) -> bool:
    return tok.kind != "sym" and tok.text not in STOPWORDS and tok.lemma not in STOPWORDS


@dataclass
class Translation:
    """SQL for a question, with the plan behind it and how sure the translator is."""

    sql: str
    expression: exp.Expr
    confidence: float
    plan: Plan
    analysis: Analysis
    notes: list[str] = field(default_factory=list)


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


class Translator:
    """Question -> SQL without a language model, for the schemas of one catalog."""

    def __init__(
        self,
        catalog: Catalog,
        *,
        conn: psycopg.Connection | None = None,
        embedder: Any = None,
        today: dt.date | None = None,
        min_confidence: float = 0.75,
    ) -> None:
        self.catalog = catalog
        self.conn = conn
        self.index = SchemaIndex(catalog)
        self.trgm = trgm_schema(conn)
        self.embedder = embedder
        self._embedding_linker: EmbeddingLinker | None = None
        self.today = today
        self.min_confidence = min_confidence

    # -- reading the question ------------------------------------------------------------
    def analyze(self, question: str) -> Analysis:
        """Tokens, cues and links of `question` (no SQL yet)."""
        english = to_english(question) if has_cjk(question) else question
        toks = tokenize(english)
        _refuse_writes(toks)
        n = len(toks)
        weight = [1.0 if not _content(t) else 0.0 for t in toks]
        taken = [False] * n
        items: list[Item] = []

        def take(item: Item, score: float = 1.0) -> None:
            items.append(item)
            for k in range(item.start, item.end):
                taken[k] = True
                weight[k] = max(weight[k], score)

        for tr in find_time_ranges(toks, self.today):
            take(Item(tr.start, tr.end, "time", value=tr))
        for i, tok in enumerate(toks):
            if tok.kind == "quoted" and not taken[i]:
                found = self._quoted(toks, i)
                if found is not None:
                    take(Item(i, i + 1, "mention", mention=found), found.score)
        self._scan(toks, taken, take)
        for m in link_values(self.conn, self.catalog, toks, [not t for t in taken], trgm=self.trgm):
            take(Item(m.start, m.end, "mention", mention=m), m.score)
        for i, tok in enumerate(toks):
            if taken[i] or tok.kind != "word" or not _content(tok):
                continue
            fuzzy = self.index.fuzzy(toks, i)
            if fuzzy is not None:
                take(Item(i, i + 1, "mention", mention=fuzzy), fuzzy.score)
        rest = [
            i
            for i, t in enumerate(toks)
            if not taken[i] and t.kind == "word" and _content(t) and len(t.text) > 2 and t.text.isascii()
        ]
        if rest and self.embedder is not None:
            if self._embedding_linker is None:
                self._embedding_linker = EmbeddingLinker(self.catalog, self.embedder)
            for m in self._embedding_linker.link(toks, rest):
                take(Item(m.start, m.end, "mention", mention=m), m.score)
        for i, tok in enumerate(toks):
            if not taken[i] and tok.kind == "num":
                items.append(Item(i, i + 1, "num", value=tok.value, arg="money" if tok.money else ""))
                taken[i] = True
                weight[i] = 1.0  # until the plan finds it no role
        items.sort(key=lambda it: it.start)
        return Analysis(question, english, toks, items, weight)

    def _scan(self, toks: list[Tok], taken: list[bool], take: Any) -> None:
        """Longest match, left to right, of schema names, measure words and cue phrases."""
        n, i = len(toks), 0
        longest = max(self.index.max_len, 4)
        while i < n:
            if taken[i]:
                i += 1
                continue
            hit: Item | None = None
            for size in range(min(longest, n - i), 0, -1):
                if any(taken[i : i + size]):
                    continue
                span = toks[i : i + size]
                if any(t.kind not in ("word", "sym") for t in span):
                    continue
                m = self.index.lookup(toks, i, i + size) or self._synonym_lookup(toks, i, i + size)
                if m is not None:
                    hit = Item(i, i + size, "mention", mention=m)
                    break
                text = " ".join(t.text for t in span)
                cue = CUES.get(text) or (CUES.get(span[0].lemma) if size == 1 else None)
                if cue is not None:
                    hit = Item(i, i + size, cue[0], cue[1])
                    if cue[0] in ("group", "by") and i + size < n and toks[i + size].lemma in _UNITS:
                        hit = Item(i, i + size + 1, "bucket", _UNITS[toks[i + size].lemma])
                    break
            if hit is None:
                i += 1
                continue
            take(hit, hit.mention.score if hit.mention else 1.0)
            i = hit.end

    def _synonym_lookup(self, toks: list[Tok], start: int, end: int) -> Mention | None:
        """A multi-word name with one word replaced by a synonym ('order lines' -> order_items)."""
        if end - start < 2:
            return None
        lemmas = [t.lemma for t in toks[start:end]]
        for k, word in enumerate(lemmas):
            for alt in SYNONYMS.get(word, ()):
                key = (*lemmas[:k], alt, *lemmas[k + 1 :])
                entry = self.index.exact.get(key)
                if entry is not None:
                    m = self.index._mention(entry, start, end, toks, 0.9, "synonym")
                    return m
        return None

    def _quoted(self, toks: list[Tok], i: int) -> Mention | None:
        """A quoted literal: a stored value of some column (exact, any case)."""
        text = str(toks[i].value)
        for t in self.catalog.tables.values():
            for c in t.columns:
                for v in c.values or []:
                    if v.lower() == text.lower():
                        return Mention(i, i + 1, "value", c.table, [c], value=v, via="quoted", text=text)
        return None

    # -- the SQL --------------------------------------------------------------------------
    def translate(self, question: str) -> Translation:
        """SQL for `question`, or TranslationError when the translator is not confident enough."""
        analysis = self.analyze(question)
        unsupported = [it for it in analysis.items if it.kind == "unsupported"]
        if unsupported:
            phrase = " ".join(t.text for t in analysis.toks[unsupported[0].start : unsupported[0].end])
            raise TranslationError(f"the built-in translator cannot express {phrase!r} in {question!r}; " + _ADVICE)
        self._check_confidence(question, analysis)
        try:
            plan, notes = assemble(analysis, self.catalog, self.index)
            for it in analysis.items:
                if it.kind == "num":  # a number that found no role was not understood
                    analysis.weight[it.start] = 1.0 if it.used else 0.0
            confidence = self._check_confidence(question, analysis)
            expression = build(plan, self.catalog)
        except TranslationError as exc:
            if "built-in translator" in str(exc):
                raise
            raise TranslationError(f"the built-in translator cannot answer {question!r}: {exc}; {_ADVICE}") from None
        return Translation(
            expression.sql(dialect="postgres", pretty=True), expression, confidence, plan, analysis, notes
        )

    def _check_confidence(self, question: str, analysis: Analysis) -> float:
        confidence = analysis.confidence()
        if confidence < self.min_confidence:
            missing = ", ".join(repr(w) for w in analysis.unexplained()) or "the question"
            raise TranslationError(
                f"the built-in translator is not confident enough ({confidence:.2f}) about {question!r}: "
                f"it did not understand {missing}; " + _ADVICE
            )
        return confidence


_ADVICE = (
    "rephrase it, configure an LLM (PGAI_LLM_BASE_URL or PGAI_LLM_PATH), "
    'or teach the SQL with %%pgai ask --teach "question"'
)


def _refuse_writes(toks: list[Tok]) -> None:
    """A question that asks to change data is refused before anything is built."""
    words = [t for t in toks if t.kind == "word"]
    head = next((t for t in words if t.text not in _POLITE), None)
    verbs = [t.text for t in words if t.text in _ALWAYS_WRITE]
    if head is not None and CUES.get(head.text, ("",))[0] == "write":
        verbs.insert(0, head.text)
    if verbs:
        raise GuardError(
            f"questions may only read data: {' '.join(t.text for t in toks)!r} asks to {verbs[0]}; "
            "nothing was run (write SQL yourself in a %%pgai cell to change data)"
        )

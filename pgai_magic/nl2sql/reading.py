"""Reading a question against one catalog: its English text and tokens, then what each span links to.

`Reader` holds what linking needs per catalog (the schema index, pg_trgm's schema, the embedder, the vocabulary
Chinese questions are linked through, and the catalog's table groups); it keeps nothing about any question.
`read_text` and `Reader.link` are the first two passes of the translator's pipeline (pgai_magic.nl2sql.pipeline).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any, Literal

import psycopg

from pgai_magic.catalog import Catalog
from pgai_magic.errors import TranslationError
from pgai_magic.nl2sql.analysis import Analysis, Item, content
from pgai_magic.nl2sql.intent import refuse_writes
from pgai_magic.nl2sql.lexicon import CUES, SYNONYMS
from pgai_magic.nl2sql.linking import (
    CachedEmbedder,
    EmbeddingLinker,
    Mention,
    SchemaIndex,
    link_values,
    ngrams,
    trgm_schema,
)
from pgai_magic.nl2sql.text import MAX_QUESTION_CHARS, Tok, tokenize
from pgai_magic.nl2sql.timeexpr import find_time_ranges
from pgai_magic.nl2sql.units import UNITS
from pgai_magic.nl2sql.zh import Vocabulary, has_cjk, to_english

__all__ = ["Reader", "read_text"]

_UNITS = {"day": "day", "week": "week", "month": "month", "quarter": "quarter", "year": "year"}
FULL_READS = 4  # table groups read in full; with more, the likeliest by names and values


def read_text(question: str, vocab: Vocabulary | None = None) -> tuple[str, list[Tok]]:
    """The question's English text and tokens; TranslationError when too long, GuardError when it asks to
    change data. A Chinese question is written in English first (pgai_magic.nl2sql.zh.to_english, in the
    question's word order: the rule translator's cue patterns were written for it), its words linked through
    `vocab` (the catalog's names, Chinese comments and stored values)."""
    if len(question) > MAX_QUESTION_CHARS:
        raise TranslationError(
            f"the question is {len(question):,} characters long; questions are limited to {MAX_QUESTION_CHARS:,}"
        )
    refuse_writes(question)
    english = to_english(question, vocab, english_order=False) if has_cjk(question) else question
    return english, tokenize(english)


class Reader:
    """What linking a question to one catalog needs; no state about any question.

    The catalog's tables are split into groups joined by foreign keys (`parts`, each a Reader of its group);
    `split=False` reads the whole catalog as one group; `trgm` is pg_trgm's schema when known (False: look it
    up on `conn`). The embedding linker is made on first use (the embedder may still be loading).
    """

    def __init__(
        self,
        catalog: Catalog,
        *,
        conn: psycopg.Connection | None = None,
        embedder: Any = None,
        split: bool = True,
        trgm: str | Literal[False] | None = False,
    ) -> None:
        self.catalog = catalog
        self.conn = conn
        self.index = SchemaIndex(catalog)
        self.trgm = trgm_schema(conn) if trgm is False else trgm
        self.embedder = CachedEmbedder(embedder) if embedder is not None and split else embedder
        self._embedding_linker: EmbeddingLinker | None = None
        self.zh = Vocabulary.of(catalog, embedder=self.embedder)
        groups = catalog.components() if split else []
        self.parts: list[Reader] = []
        if len(groups) > 1:
            self.parts = [
                Reader(catalog.subset(g), conn=conn, embedder=self.embedder, split=False, trgm=self.trgm or None)
                for g in groups
            ]
        # stored value -> the groups that hold it (per catalog, built once)
        self.value_groups: dict[str, set[int]] = {}
        for part in self.parts:
            for t in part.catalog.tables.values():
                for c in t.columns:
                    for v in c.values or []:
                        self.value_groups.setdefault(v.lower(), set()).add(id(part))

    def likely_parts(self, question: str, english: str, toks: list[Tok], today: dt.date | None) -> list[Reader]:
        """The few table groups whose names or stored values the question uses most (read in full next)."""
        light = [(part, part.link(question, english, toks, today, light=True)) for part in self.parts]
        score = {
            id(part): sum((it.end - it.start) * it.mention.score for it in a.items if it.mention) for part, a in light
        }
        for i, j, text in ngrams(toks, [True] * len(toks)):
            for part_id in self.value_groups.get(text, ()):
                score[part_id] += j - i
        order = sorted(self.parts, key=lambda p: (-round(score[id(p)], 6), -len(p.catalog.tables)))
        return [p for p in order if score[id(p)] > 0][:FULL_READS] or order[:1]

    def link(
        self, question: str, english: str, toks: list[Tok], today: dt.date | None, *, light: bool = False
    ) -> Analysis:
        """What each span of the question means within this reader's catalog (time phrases relative to
        `today`; None: the machine's date); `light` skips value and embedding links."""
        n = len(toks)
        weight = [1.0 if not content(t) else 0.0 for t in toks]
        taken = [False] * n
        items: list[Item] = []

        def take(item: Item, score: float = 1.0) -> None:
            items.append(item)
            for k in range(item.start, item.end):
                taken[k] = True
                weight[k] = max(weight[k], score)

        for tr in find_time_ranges(toks, today):
            take(Item(tr.start, tr.end, "time", value=tr))
        for i, tok in enumerate(toks):
            if tok.kind == "quoted" and not taken[i]:
                found = self._quoted(toks, i)
                if found is not None:
                    take(Item(i, i + 1, "mention", mention=found), found.score)
        self._units(toks, taken, take)
        self._scan(toks, taken, take)
        if not light:
            for m in link_values(self.conn, self.catalog, toks, [not t for t in taken], trgm=self.trgm):
                take(Item(m.start, m.end, "mention", mention=m), m.score)
        for i, tok in enumerate(toks):
            if taken[i] or tok.kind != "word" or not content(tok):
                continue
            fuzzy = self.index.fuzzy(toks, i)
            if fuzzy is not None:
                take(Item(i, i + 1, "mention", mention=fuzzy), fuzzy.score)
        if not light:
            self._embedded(toks, taken, take)
        for i, tok in enumerate(toks):
            if not taken[i] and tok.kind == "num":
                items.append(Item(i, i + 1, "num", value=tok.value, arg="money" if tok.money else ""))
                taken[i] = True
                weight[i] = 1.0  # until the plan finds it no role
        items.sort(key=lambda it: it.start)
        return Analysis(question, english, tuple(toks), tuple(items), tuple(weight))

    def _units(self, toks: list[Tok], taken: list[bool], take: Callable[..., None]) -> None:
        """'2 hours', '90 minutes': a unit the comparison converts; '13 percent': the number's unit."""
        spans = _asks_duration(toks)
        for i, tok in enumerate(toks):
            after_number = i > 0 and toks[i - 1].kind == "num"
            if not taken[i] and tok.kind == "word" and tok.lemma in UNITS and (after_number or spans):
                take(Item(i, i + 1, "unit", tok.lemma))
            elif not taken[i] and after_number and tok.text in ("percent", "%", "pct", "per cent"):
                take(Item(i, i + 1, "unit", "percent"))  # '13 percent': the number's unit, not a share

    def _embedded(self, toks: list[Tok], taken: list[bool], take: Callable[..., None]) -> None:
        """Words nothing else linked, matched to column names and comments by the embedder (when loaded)."""
        rest = [
            i
            for i, t in enumerate(toks)
            if not taken[i] and t.kind == "word" and content(t) and len(t.text) > 2 and t.text.isascii()
        ]
        if rest and self.embedder is not None and getattr(self.embedder, "ready", True):
            if self._embedding_linker is None:
                self._embedding_linker = EmbeddingLinker(self.catalog, self.embedder)
            for m in self._embedding_linker.link(toks, rest):
                take(Item(m.start, m.end, "mention", mention=m), m.score)

    def _scan(self, toks: list[Tok], taken: list[bool], take: Callable[..., None]) -> None:
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
                hit = self._cue(toks, i, size)
                if hit is not None:
                    break
            if hit is None:
                i += 1
                continue
            take(hit, hit.mention.score if hit.mention else 1.0)
            i = hit.end

    def _cue(self, toks: list[Tok], i: int, size: int) -> Item | None:
        """The cue phrase of tokens i..i+size ('how many', 'top', 'by'), a time bucket for 'by month'."""
        span, n = toks[i : i + size], len(toks)
        text = " ".join(t.text for t in span)
        cue = CUES.get(text) or (CUES.get(span[0].lemma) if size == 1 else None)
        if cue is None:
            return None
        unit_column = i + size < n and self._names_column(toks, i + size)
        if cue[0] in ("group", "by") and i + size < n and toks[i + size].lemma in _UNITS and not unit_column:
            return Item(i, i + size + 1, "bucket", _UNITS[toks[i + size].lemma])
        return Item(i, i + size, cue[0], cue[1])

    def _names_column(self, toks: list[Tok], i: int) -> bool:
        """Whether token i names a column outright ('by month' with an integer `month` column: that column)."""
        m = self.index.lookup(toks, i, i + 1)
        return m is not None and m.kind == "column" and any(c.is_numeric for c in m.columns)

    def _synonym_lookup(self, toks: list[Tok], start: int, end: int) -> Mention | None:
        """A multi-word name with one word replaced by a synonym ('order lines' -> order_items)."""
        if end - start < 2:
            return None
        lemmas = [t.lemma for t in toks[start:end]]
        for k, word in enumerate(lemmas):
            for alt in SYNONYMS.get(word, ()):
                key = (*lemmas[:k], alt, *lemmas[k + 1 :])
                entry = self.index.exact.get(key)
                if entry is not None and not any(word in (v.lower() for v in c.values or ()) for c, _ in entry.columns):
                    # ('consumer segment' is the segment 'consumer', not 'customer segment')
                    return self.index._mention(entry, start, end, toks, 0.9, "synonym")
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


def _asks_duration(toks: list[Tok]) -> bool:
    """'days between …', 'how long …', 'duration of …': time words are units there, not day/hour columns."""
    text = " ".join(t.text for t in toks)
    return "how long" in text or "duration" in text or bool(re.search(r"\b(days|weeks|hours|years) between\b", text))

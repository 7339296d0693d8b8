"""The offline translator: cue words, schema and value linking and time phrases fill a plan, built by sqlglot."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import psycopg
from sqlglot import exp

from pgai_magic.catalog import Catalog
from pgai_magic.errors import TranslationError
from pgai_magic.nl2sql.analysis import Analysis, Item, content, literals
from pgai_magic.nl2sql.build import Plan, build
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
from pgai_magic.nl2sql.resolve import assemble
from pgai_magic.nl2sql.text import MAX_QUESTION_CHARS, Tok, has_cjk, tokenize
from pgai_magic.nl2sql.timeexpr import find_time_ranges
from pgai_magic.nl2sql.units import UNITS
from pgai_magic.nl2sql.zhlink import zh_names, zh_to_english

__all__ = ["Analysis", "Item", "Translation", "Translator", "literals"]  # Analysis, Item, literals: nl2sql.analysis

_UNITS = {"day": "day", "week": "week", "month": "month", "quarter": "quarter", "year": "year"}


@dataclass
class Translation:
    """SQL for a question, with the plan behind it and how sure the translator is."""

    sql: str
    expression: exp.Expr
    confidence: float
    plan: Plan
    analysis: Analysis
    notes: list[str] = field(default_factory=list)


class Translator:
    """Question -> SQL without a language model, for the schemas of one catalog.

    The catalog's tables are split into groups joined by foreign keys; each group is read as if it were
    the whole database, and the question goes to the group that understands most of its words (ties: the
    group with more tables). So words that also name an unrelated table elsewhere do not pull it in.
    `split=False` reads the whole catalog as one group; `trgm` is pg_trgm's schema when known (False: look it up).
    """

    def __init__(
        self,
        catalog: Catalog,
        *,
        conn: psycopg.Connection | None = None,
        embedder: Any = None,
        today: dt.date | None = None,
        min_confidence: float = 0.75,
        split: bool = True,
        trgm: str | Literal[False] | None = False,
    ) -> None:
        self.catalog = catalog
        self.conn = conn
        self.index = SchemaIndex(catalog)
        self.trgm = trgm_schema(conn) if trgm is False else trgm
        self.embedder = CachedEmbedder(embedder) if embedder is not None and split else embedder
        self._embedding_linker: EmbeddingLinker | None = None
        self.min_confidence = min_confidence
        self.zh = zh_names(catalog)
        groups = catalog.components() if split else []
        self.parts: list[Translator] = []
        if len(groups) > 1:
            self.parts = [
                Translator(
                    catalog.subset(g),
                    conn=conn,
                    embedder=self.embedder,
                    min_confidence=min_confidence,
                    split=False,
                    trgm=self.trgm or None,
                )
                for g in groups
            ]
        self._ranked: dict[tuple[str, dt.date | None], list[tuple[Translator, Analysis]]] = {}
        self._values: dict[str, set[int]] | None = None
        self.today = today

    @property
    def today(self) -> dt.date | None:
        return self._today

    @today.setter
    def today(self, value: dt.date | None) -> None:
        self._today = value
        for part in getattr(self, "parts", []):
            part.today = value

    # -- reading the question ------------------------------------------------------------
    def analyze(self, question: str) -> Analysis:
        """Tokens, cues and links of `question` (no SQL yet), in the table group that understands it best."""
        if not self.parts:
            return self._analyze(question)
        return _copy(self.ranked(question)[0][1])

    def ranked(self, question: str) -> list[tuple[Translator, Analysis]]:
        """The table groups that may answer `question`, best first, each with its reading of the question."""
        if not self.parts:
            return [(self, self._analyze(question))]
        key = (question, self.today)
        found = self._ranked.get(key)  # the reading of the question being asked is reused once, by translate
        if found is None:
            text = _read(question, self.zh)
            found = [(part, part._analyze(question, read=text)) for part in self._likely_parts(question, text)]
            order = {id(part): k for k, part in enumerate(self.parts)}
            found.sort(key=lambda pa: (-round(pa[1].confidence(), 6), -len(pa[0].catalog.tables), order[id(pa[0])]))
            self._ranked = {key: found}
        return found

    def _likely_parts(self, question: str, read: tuple[str, list[Tok]]) -> list[Translator]:
        """The few table groups whose names or stored values the question uses most (read in full next)."""
        light = [(part, part._analyze(question, light=True, read=read)) for part in self.parts]
        toks = read[1]
        score = {
            id(part): sum((it.end - it.start) * it.mention.score for it in a.items if it.mention) for part, a in light
        }
        if self._values is None:
            self._values = {}
            for part in self.parts:
                for t in part.catalog.tables.values():
                    for c in t.columns:
                        for v in c.values or []:
                            self._values.setdefault(v.lower(), set()).add(id(part))
        for i, j, text in ngrams(toks, [True] * len(toks)):
            for part_id in self._values.get(text, ()):
                score[part_id] += j - i
        order = sorted(self.parts, key=lambda p: (-round(score[id(p)], 6), -len(p.catalog.tables)))
        return [p for p in order if score[id(p)] > 0][:_FULL_READS] or order[:1]

    def _analyze(self, question: str, *, light: bool = False, read: tuple[str, list[Tok]] | None = None) -> Analysis:
        """The analysis within this translator's own catalog; `light` skips value and embedding links;
        `read` is the question's English text and tokens when already known."""
        english, toks = read if read is not None else _read(question, self.zh)
        n = len(toks)
        weight = [1.0 if not content(t) else 0.0 for t in toks]
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
        spans = _asks_duration(toks)
        for i, tok in enumerate(toks):  # '2 hours', '90 minutes': a unit the comparison converts
            after_number = i > 0 and toks[i - 1].kind == "num"
            if not taken[i] and tok.kind == "word" and tok.lemma in UNITS and (after_number or spans):
                take(Item(i, i + 1, "unit", tok.lemma))
            elif not taken[i] and after_number and tok.text in ("percent", "%", "pct", "per cent"):
                take(Item(i, i + 1, "unit", "percent"))  # '13 percent': the number's unit, not a share
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
        rest = [
            i
            for i, t in enumerate(toks)
            if not taken[i] and t.kind == "word" and content(t) and len(t.text) > 2 and t.text.isascii()
        ]
        if rest and self.embedder is not None and not light and getattr(self.embedder, "ready", True):
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
                    unit_column = i + size < n and self._names_column(toks, i + size)
                    if (
                        cue[0] in ("group", "by")
                        and i + size < n
                        and toks[i + size].lemma in _UNITS
                        and not unit_column
                    ):
                        hit = Item(i, i + size + 1, "bucket", _UNITS[toks[i + size].lemma])
                    break
            if hit is None:
                i += 1
                continue
            take(hit, hit.mention.score if hit.mention else 1.0)
            i = hit.end

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
        if not self.parts:
            return self._translate(question, self._analyze(question))
        ranked = self.ranked(question)
        self._ranked.pop((question, self.today), None)
        errors: list[TranslationError] = []
        chosen: Translation | None = None
        others: list[str] = []
        for part, analysis in ranked:
            if chosen is not None:
                if round(analysis.confidence(), 6) < round(chosen.analysis.confidence(), 6):
                    break
                try:  # as good a reading elsewhere: said, not used
                    part._translate(question, _copy(analysis))
                except TranslationError:
                    continue
                others.append(", ".join(sorted(t.name for t in part.catalog.tables.values())[:4]))
                continue
            _refuse_mixed(question, part, analysis, ranked)
            try:
                chosen = part._translate(question, _copy(analysis))
            except TranslationError as exc:
                errors.append(exc)
        if chosen is None:
            raise errors[0]
        if others:
            tables = ", ".join(sorted(self.catalog.tables[k].name for k in chosen.plan.tables()))
            chosen.notes.append(
                f"answered from {tables}; the question could also be about {'; '.join(others)} "
                "(name one of those tables to ask about it)"
            )
        return chosen

    def _translate(self, question: str, analysis: Analysis) -> Translation:
        unsupported = [it for it in analysis.items if it.kind == "unsupported"]
        if unsupported:
            phrase = " ".join(t.text for t in analysis.toks[unsupported[0].start : unsupported[0].end])
            raise TranslationError(f"the built-in translator cannot express {phrase!r} in {question!r}; " + _ADVICE)
        self._check_confidence(question, analysis)
        for tok, w in zip(analysis.toks, analysis.weight):
            if tok.kind == "quoted" and w <= 0:
                raise TranslationError(
                    f"the built-in translator cannot answer {question!r}: {tok.value!r} is not a value stored in "
                    "any column of these tables (quoted text must match a stored value; check spelling and case)"
                )
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
        names = _unexplained_names(analysis)
        if names:
            raise TranslationError(
                f"the built-in translator cannot answer {question!r}: {', '.join(repr(n) for n in names)} looks like "
                "a name or value, but no table, column or stored value matches it (a filter would be lost); " + _ADVICE
            )
        confidence = analysis.confidence()
        if confidence < self.min_confidence:
            missing = ", ".join(repr(w) for w in analysis.unexplained()) or "the question"
            raise TranslationError(
                f"the built-in translator is not confident enough ({confidence:.2f}) about {question!r}: "
                f"it did not understand {missing}; " + _ADVICE
            )
        return confidence


def _asks_duration(toks: list[Tok]) -> bool:
    """'days between …', 'how long …', 'duration of …': time words are units there, not day/hour columns."""
    text = " ".join(t.text for t in toks)
    return "how long" in text or "duration" in text or bool(re.search(r"\b(days|weeks|hours|years) between\b", text))


def _unexplained_names(analysis: Analysis) -> list[str]:
    """Capitalised words inside an English question ('to Denver', 'American Airlines') that nothing explains."""
    if analysis.english is not analysis.question:
        return []
    found = []
    spans = re.finditer(r"(?<=[a-z0-9,;:] )([A-Z][A-Za-z]+)", analysis.question)
    capital = {m.group(1).lower() for m in spans}
    for tok, w in zip(analysis.toks, analysis.weight):
        if w <= 0 and tok.kind == "word" and tok.text in capital and content(tok):
            found.append(tok.text)
    return found


_FULL_READS = 4  # table groups read in full; with more, the likeliest by names and values
_STRONG = 0.85  # a column, measure or value link this sure in another table group means the question spans groups


def _read(question: str, names: dict[str, str] | None = None) -> tuple[str, list[Tok]]:
    """The question's English text and tokens; GuardError when it asks to change data."""
    if len(question) > MAX_QUESTION_CHARS:
        raise TranslationError(
            f"the question is {len(question):,} characters long; questions are limited to {MAX_QUESTION_CHARS:,}"
        )
    refuse_writes(question)
    english = zh_to_english(question, names or {}) if has_cjk(question) else question
    if english is not question:
        refuse_writes(english)
    return english, tokenize(english)


def _refuse_mixed(
    question: str, part: Translator, analysis: Analysis, ranked: list[tuple[Translator, Analysis]]
) -> None:
    """A word this group of tables does not know but another group names as a column or value: the question
    spans tables no foreign key joins, and is refused rather than answered without that word."""
    for i, (tok, w) in enumerate(zip(analysis.toks, analysis.weight)):
        if w > 0 or not content(tok) or tok.kind not in ("word", "quoted"):
            continue
        for other, read in ranked:
            hit = next(
                (
                    it.mention
                    for it in read.items
                    if it.mention is not None
                    and it.start <= i < it.end
                    and it.mention.kind in ("column", "concept", "value")
                    and it.mention.score >= _STRONG
                ),
                None,
            )
            if other is part or hit is None:
                continue
            where = hit.columns[0].table if hit.columns else str(hit.table)
            here = ", ".join(sorted(t.name for t in part.catalog.tables.values())[:4])
            raise TranslationError(
                f"the built-in translator cannot answer {question!r}: {tok.text!r} names "
                f"{other.catalog.tables[where].name if where in other.catalog.tables else where}, "
                f"which no foreign key joins to the tables the rest of the question is about ({here}); "
                "ask about one of them at a time, or configure an LLM"
            )


def _copy(analysis: Analysis) -> Analysis:
    """A copy whose items and weights a plan may mark without touching the original."""
    items = [replace(it) for it in analysis.items]
    return Analysis(analysis.question, analysis.english, analysis.toks, items, list(analysis.weight))


_ADVICE = (
    "rephrase it, configure an LLM (PGAI_LLM_BASE_URL or PGAI_LLM_PATH), "
    'or teach the SQL with %%pgai ask --teach "question"'
)

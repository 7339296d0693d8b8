"""Schema and value linking: which tables, columns, measures and stored values the words of a question name."""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import psycopg
from psycopg import sql

from pgai_magic.catalog import Catalog, Column, extension_schema, reader, words
from pgai_magic.nl2sql.lexicon import ABBREVIATIONS, CONCEPTS, COUNTRY_ALIASES, CUES, STOPWORDS, SYNONYMS, UNIT_WORDS
from pgai_magic.nl2sql.text import Tok, lemma

__all__ = ["CachedEmbedder", "EmbeddingLinker", "Mention", "SchemaIndex", "link_values", "ngrams", "trgm_schema"]

_PLACE_PREPOSITIONS = frozenset(("in", "from", "at", "to", "into"))
_GENERIC = {"id", "date", "name", "at", "is", "has", "number", "code", "type", "no", "num", "key", "value", "time"}


@dataclass
class Mention:
    """A span of question tokens naming a table, a column (candidates), a measure concept or a stored value."""

    start: int
    end: int
    kind: str
    table: str | None = None
    columns: list[Column] = field(default_factory=list)
    concept: str | None = None
    value: str | None = None
    score: float = 1.0
    via: str = "name"
    text: str = ""

    @property
    def column(self) -> Column | None:
        return self.columns[0] if self.columns else None


@dataclass
class _Entry:
    kind: str
    table: str | None
    columns: list[tuple[Column, float]]
    concept: str | None = None
    score: float = 1.0


def _lemmas(name: str) -> tuple[str, ...]:
    return tuple(lemma(w) for w in words(name))


class SchemaIndex:
    """Phrases (tuples of lemmas) that name the tables, columns and measures of one catalog."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.exact: dict[tuple[str, ...], _Entry] = {}
        self.partial: dict[str, list[tuple[Column, float]]] = {}
        self.comment_words: dict[str, list[tuple[str, Column | None]]] = {}
        self.max_len = 1
        for t in catalog.tables.values():
            tw = _lemmas(t.name)
            self._add(tw, _Entry("table", t.key, []))
            for c in t.columns:
                cw = _lemmas(c.name)
                self._add(cw, _Entry("column", None, [(c, 1.0)]))
                for variant in name_variants(cw):
                    self._add(variant, _Entry("column", None, [(c, 1.0)], score=0.95))
                    if tw and variant[: len(tw)] != tw:
                        self._add(tw + variant, _Entry("column", t.key, [(c, 1.0)], score=0.95))
                if cw[: len(tw)] != tw:
                    self._add(tw + cw, _Entry("column", t.key, [(c, 1.0)]))
                    if len(tw) > 1:
                        self._add(tw[-1:] + cw, _Entry("column", t.key, [(c, 1.0)]))
                if not c.is_key:
                    for w in {cw[0], cw[-1]} if len(cw) > 1 else set():
                        weight = 0.55 if w in _GENERIC else 0.75
                        self.partial.setdefault(w, []).append((c, weight))
                elif c.primary_key and cw[-1] == "id":  # 'the IDs of customers': customer_id, a column
                    self.partial.setdefault("id", []).append((c, 0.55))
        for concept, (triggers, _words, _agg) in CONCEPTS.items():
            cands = self.concept_columns(concept)
            if not cands:
                continue
            for trigger in triggers:
                key = tuple(lemma(w) for w in trigger.split())
                if key not in self.exact:
                    self._add(key, _Entry("concept", None, cands, concept=concept))
        self._index_comments()

    def _add(self, key: tuple[str, ...], entry: _Entry) -> None:
        old = self.exact.get(key)
        if old is None:
            self.exact[key] = entry
        elif old.kind == "column" and entry.kind == "column" and old.table == entry.table:
            old.columns.extend(c for c in entry.columns if c not in old.columns)
        elif entry.kind == "table" and old.kind != "table":
            self.exact[key] = entry
        self.max_len = max(self.max_len, len(key))

    def concept_columns(self, concept: str) -> list[tuple[Column, float]]:
        """Numeric columns that measure `concept` (by name 1.0, by comment 0.8), best first."""
        col_words = set(CONCEPTS[concept][1])
        found = []
        for t in self.catalog.tables.values():
            for c in t.columns:
                if not c.is_numeric or c.is_key:
                    continue
                if set(_lemmas(c.name)) & col_words:
                    found.append((c, 1.0))
                elif c.comment and set(words(c.comment)) & col_words:
                    found.append((c, 0.8))
        return sorted(found, key=lambda cs: -cs[1])

    def _index_comments(self) -> None:
        counts: Counter[str] = Counter()
        pairs = []
        for t in self.catalog.tables.values():
            items: list[tuple[str | None, Column | None]] = [(t.comment, None)]
            items += [(c.comment, c) for c in t.columns if not c.is_key]
            for text, col in items:
                for w in {lemma(w) for w in words(text or "")} - STOPWORDS:
                    counts[w] += 1
                    pairs.append((w, t.key, col))
        for w, table, col in pairs:
            if counts[w] <= 2 and len(w) > 2:
                self.comment_words.setdefault(w, []).append((table, col))

    def lookup(self, toks: Sequence[Tok], start: int, end: int) -> Mention | None:
        """The table, column or concept named exactly by tokens [start, end)."""
        entry = self.exact.get(tuple(t.lemma for t in toks[start:end]))
        if entry is None:
            return None
        return self._mention(entry, start, end, toks, 1.0, "name")

    def _mention(self, entry: _Entry, start: int, end: int, toks: Sequence[Tok], score: float, via: str) -> Mention:
        text = " ".join(t.text for t in toks[start:end])
        cols = [c for c, _ in sorted(entry.columns, key=lambda cs: -cs[1])]
        return Mention(start, end, entry.kind, entry.table, cols, entry.concept, None, score * entry.score, via, text)

    def fuzzy(self, toks: Sequence[Tok], i: int) -> Mention | None:
        """One uncovered word linked by synonym, partial column name or comment (lower scores)."""
        tok = toks[i]
        for word in SYNONYMS.get(tok.lemma, ()) + SYNONYMS.get(tok.text, ()):
            entry = self.exact.get((word,))
            if entry is not None:
                return self._mention(entry, i, i + 1, toks, 0.85, "synonym")
            if word in self.partial:
                cols = sorted(self.partial[word], key=lambda cs: -cs[1])
                return Mention(i, i + 1, "column", None, [c for c, _ in cols], score=0.75, via="synonym", text=tok.text)
        for stem in (tok.lemma, *stems(tok.text)):
            if stem in self.partial:
                cols = sorted(self.partial[stem], key=lambda cs: -cs[1])
                return Mention(
                    i, i + 1, "column", None, [c for c, _ in cols], score=cols[0][1], via="partial", text=tok.text
                )
        hits = self.comment_words.get(tok.lemma)
        if hits:
            table, col = hits[0]
            if col is None:
                return Mention(i, i + 1, "table", table, score=0.7, via="comment", text=tok.text)
            return Mention(
                i, i + 1, "column", None, [c for _, c in hits if c is not None], score=0.7, via="comment", text=tok.text
            )
        return None


def name_variants(name: tuple[str, ...]) -> list[tuple[str, ...]]:
    """Other ways a question says a column name: abbreviations spelt out ('dep delay' -> 'departure delay'),
    a unit suffix left out ('body mass g' -> 'body mass'), or both."""
    found: list[tuple[str, ...]] = []
    bases = [name]
    if len(name) > 1 and name[-1] in UNIT_WORDS:
        bases.append(name[:-1])
        found.append(name[:-1])
    for base in bases:
        spelt: list[list[str]] = [[]]
        for word in base:
            options = [word, *ABBREVIATIONS.get(word, ())]
            spelt = [done + option.split() for done in spelt for option in options][:8]
        found += [tuple(lemma(w) for w in words) for words in spelt if tuple(words) != base]
    return [
        v
        for k, v in enumerate(found)
        if v and v not in found[:k] and not (len(v) == 1 and (v[0] in CUES or v[0] in STOPWORDS))
    ]


def stems(word: str) -> list[str]:
    """Verb forms back to a name's word: 'hired' -> 'hire', 'shipped' -> 'ship', 'joining' -> 'join'."""
    found = []
    for suffix, add in (("ed", ""), ("d", ""), ("ing", ""), ("ing", "e"), ("ied", "y"), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            stem = word[: -len(suffix)] + add
            found.append(stem)
            if not add and len(stem) > 3 and stem[-1] == stem[-2]:
                found.append(stem[:-1])
    return found


def ngrams(toks: Sequence[Tok], free: Sequence[bool], longest: int = 4) -> list[tuple[int, int, str]]:
    """(start, end, lowercase text) of the runs of up to `longest` free tokens that may name a stored value."""
    grams = []
    for i in range(len(toks)):
        if not free[i] or toks[i].kind not in ("word", "quoted") or toks[i].text in STOPWORDS:
            continue
        if toks[i].kind == "word" and toks[i].lemma == "id" and not (i and toks[i - 1].text in _PLACE_PREPOSITIONS):
            continue  # 'the ID of …' asks for a key, not for a stored value 'ID' ('in ID': Idaho's code)
        for j in range(i + 1, min(len(toks), i + longest) + 1):
            if not free[j - 1]:
                break
            last = toks[j - 1]
            if last.kind not in ("word", "quoted") or (j - 1 > i and last.text in STOPWORDS):
                continue
            text = " ".join(COUNTRY_ALIASES.get(t.text, t.text) for t in toks[i:j])
            grams.append((i, j, text))
    return grams


def trgm_schema(conn: psycopg.Connection | None) -> str | None:
    """The schema pg_trgm is installed in (its functions are called qualified), or None without it."""
    if conn is None:
        return None
    try:
        found = extension_schema(reader(conn), "pg_trgm")
    except psycopg.Error:
        return None
    return None if found is None else found.strip('"')


def link_values(
    conn: psycopg.Connection | None,
    catalog: Catalog,
    toks: Sequence[Tok],
    free: Sequence[bool],
    *,
    threshold: float = 0.5,
    trgm: str | None = None,
) -> list[Mention]:
    """Stored values named in the question (pg_trgm similarity over the catalog's distinct text values)."""
    grams = ngrams(toks, free)
    values = [(c, v) for t in catalog.tables.values() for c in t.columns if c.values for v in c.values]
    if not grams or not values:
        return []
    scores = _similarities(conn if trgm else None, trgm or "", [g[2] for g in grams], [v.lower() for _, v in values])
    best: list[tuple[float, int, int, int]] = []
    for gi, vi, score in scores:
        i, j, text = grams[gi]
        value = values[vi][1].lower()
        if text != value and (len(text) <= 3 or score < threshold or toks[i].kind == "quoted"):
            continue
        exact = text == value
        best.append((score + (0.5 if exact else 0.0) + 0.01 * (j - i), gi, vi, j - i))
    best.sort(key=lambda b: -b[0])
    taken: set[int] = set()
    found: list[Mention] = []
    for score, gi, vi, _n in best:
        i, j, text = grams[gi]
        if taken & set(range(i, j)):
            # the same span may name one value in several columns (a city and a store, say)
            same = [
                m for m in found if m.start == i and m.end == j and m.value and m.value.lower() == values[vi][1].lower()
            ]
            if same and values[vi][0] not in same[0].columns:
                same[0].columns.append(values[vi][0])
            continue
        taken |= set(range(i, j))
        col, value = values[vi]
        found.append(Mention(i, j, "value", col.table, [col], None, value, min(score, 1.0), "trigram", text))
    return found


def _similarities(
    conn: psycopg.Connection | None, trgm: str, grams: list[str], values: list[str]
) -> list[tuple[int, int, float]]:
    """(gram index, value index, similarity) for pairs above pg_trgm's similarity threshold."""
    if conn is not None:
        query = sql.SQL(
            """SELECT g.i - 1, v.j - 1, {s}.similarity(g.t, v.t)
               FROM unnest(%s::text[]) WITH ORDINALITY AS g(t, i),
                    unnest(%s::text[]) WITH ORDINALITY AS v(t, j)
               WHERE g.t OPERATOR({s}.%%) v.t"""
        ).format(s=sql.Identifier(trgm))
        try:
            rows = conn.execute(query, (grams, values)).fetchall()
            return [(int(a), int(b), float(s)) for a, b, s in rows]
        except psycopg.Error:
            pass  # pg_trgm unusable here: the stricter Python matcher below
    out = []
    for gi, g in enumerate(grams):
        for vi, v in enumerate(values):
            ratio = difflib.SequenceMatcher(None, g, v).ratio()
            if ratio >= 0.8:
                out.append((gi, vi, ratio))
    return out


class EmbeddingLinker:
    """Links a word to the table or column whose name means the same (sentence-embedding similarity)."""

    def __init__(self, catalog: Catalog, embedder: Any, *, threshold: float = 0.6, margin: float = 0.03) -> None:
        self.embedder = embedder
        self.threshold = threshold
        self.margin = margin
        self.targets: list[tuple[str, Column | None]] = []
        texts = []
        for t in catalog.tables.values():
            self.targets.append((t.key, None))
            texts.append(" ".join(words(t.name)))
            for c in t.columns:
                if not c.is_key:
                    self.targets.append((t.key, c))
                    texts.append(" ".join(words(c.name)))
        self.matrix = embedder.embed_batch(texts) if texts else np.zeros((0, 1), dtype=np.float32)

    def link(self, toks: Sequence[Tok], positions: list[int]) -> list[Mention]:
        if not positions or not len(self.targets):
            return []
        vectors = self.embedder.embed_batch([toks[i].text for i in positions])
        sims = vectors @ self.matrix.T
        found = []
        for row, i in zip(sims, positions):
            order = np.argsort(-row)
            best = int(order[0])
            other = next((int(k) for k in order[1:] if self.targets[int(k)] != self.targets[best]), None)
            gap = float(row[best] - row[other]) if other is not None else 1.0
            if float(row[best]) < self.threshold or gap < self.margin:
                continue
            table, col = self.targets[best]
            kind = "table" if col is None else "column"
            found.append(
                Mention(
                    i,
                    i + 1,
                    kind,
                    table if col is None else None,
                    [col] if col else [],
                    score=float(row[best]),
                    via="embedding",
                    text=toks[i].text,
                )
            )
        return found


class CachedEmbedder:
    """An embedder that remembers the vectors of recent texts (several table groups embed the same words)."""

    def __init__(self, embedder: Any, *, size: int = 4096) -> None:
        self.embedder = embedder
        self.size = size
        self._seen: dict[str, np.ndarray] = {}

    @property
    def name(self) -> str:  # looked up when needed: naming a lazily loaded model must not load it
        return str(getattr(self.embedder, "name", "embedder"))

    @property
    def ready(self) -> bool:
        return bool(getattr(self.embedder, "ready", True))

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        missing = list(dict.fromkeys(t for t in texts if t not in self._seen))
        if missing:
            for text, vector in zip(missing, self.embedder.embed_batch(missing)):
                self._seen[text] = np.asarray(vector, dtype=np.float32)
        out = np.stack([self._seen[t] for t in texts]) if texts else np.zeros((0, 1), dtype=np.float32)
        while len(self._seen) > self.size:
            self._seen.pop(next(iter(self._seen)))
        return out

"""Schema-linking features of a question against each column and table (the match features of RAT-SQL).

A question is read into tokens (pgai_magic.nl2sql.text.tokenize); each token carries the English words it may
stand for (`Question.alts`: its text and lemma, plus any gloss a caller adds, e.g. English words for a Chinese
span). For a column the features are name matches (exact phrase, share of its words, fuzzy), its table's match,
stored-value hits (a text value of the column written in the question), its type and key role, and the words around
its best mention (left/right context) — the schema-linking features of RAT-SQL (Wang et al., ACL 2020) and IRNet
(Guo et al., ACL 2019), scored by a linear model trained on Spider train.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pgai_magic.catalog import Catalog, Column, Table
from pgai_magic.catalog_model import words
from pgai_magic.nl2sql.text import Tok, lemma, tokenize

__all__ = ["Question", "ValueHit", "column_features", "name_words", "read_question", "table_features"]

_GENERIC = frozenset({"id", "name", "code", "number", "type"})
_STOP = frozenset({"the", "of", "a", "an", "in", "is", "to", "for", "by", "on", "at", "and", "or", "with"})
_NAME_WORDS = frozenset({"name", "title", "first", "last", "fname", "lname"})
_CUES = 12  # leading tokens of the question kept as global cue features


@dataclass
class ValueHit:
    """A stored value of `column` written in the question at tokens [start, end)."""

    column: Column
    value: str
    start: int
    end: int


@dataclass
class Question:
    """A question read for linking: tokens, per-token candidate words, numbers, quoted text, value hits."""

    text: str
    toks: list[Tok]
    alts: list[set[str]]
    hits: list[ValueHit] = field(default_factory=list)

    @property
    def lemmas(self) -> list[str]:
        return [t.lemma for t in self.toks]

    def numbers(self) -> list[tuple[int, Any]]:
        """(token index, value) of each number in the question."""
        return [(i, t.value) for i, t in enumerate(self.toks) if t.kind == "num"]

    def quoted(self) -> list[tuple[int, str]]:
        return [(i, str(t.value)) for i, t in enumerate(self.toks) if t.kind == "quoted"]


def read_question(text: str, glosses: dict[int, Iterable[str]] | None = None) -> Question:
    """`text` as tokens with their candidate words; `glosses` adds English words to tokens by index."""
    toks = tokenize(text)
    alts = [{t.text, t.lemma} for t in toks]
    for i, extra in (glosses or {}).items():
        if 0 <= i < len(alts):
            alts[i] |= {lemma(w.lower()) for w in extra} | {w.lower() for w in extra}
    return Question(text, toks, alts)


def name_words(name: str) -> list[str]:
    """The lemmas of an identifier's words, without function words: 'singer_in_concert' -> ['singer', 'concert']."""
    found = [lemma(w) for w in words(name)]
    return [w for w in found if w not in _STOP] or found


def _match(q: Question, target: Sequence[str]) -> tuple[float, float, int, int]:
    """(share of `target` words in the question, 1.0 if they occur as one phrase, start, end of the best span)."""
    if not target:
        return 0.0, 0.0, -1, -1
    n = len(target)
    for i in range(len(q.toks) - n + 1):
        if all(target[k] in q.alts[i + k] for k in range(n)):
            return 1.0, 1.0, i, i + n
    found = [i for i, alts in enumerate(q.alts) if any(w in alts for w in target)]
    share = len({w for w in target if any(w in alts for alts in q.alts)}) / n
    if not found:
        return 0.0, 0.0, -1, -1
    return share, 0.0, found[0], found[-1] + 1


def _fuzzy(q: Question, name: str) -> float:
    """The best difflib ratio of the identifier (no underscores) against question words and word pairs."""
    flat = name.replace("_", "").lower()
    best = 0.0
    low = [t.text for t in q.toks]
    for i in range(len(low)):
        for span in (low[i], "".join(low[i : i + 2])):
            if abs(len(span) - len(flat)) <= 3 and len(flat) >= 3:
                best = max(best, difflib.SequenceMatcher(None, span, flat).ratio())
    return best


def find_values(q: Question, catalog: Catalog, longest: int = 6) -> list[ValueHit]:
    """Stored text values (the catalog's distinct values) written in the question, longest spans first."""
    index: dict[str, list[tuple[Column, str]]] = {}
    for t in catalog.tables.values():
        for c in t.columns:
            for v in c.values or ():
                key = " ".join(v.lower().split())
                if key and not key.isdigit() and len(key) <= 60:
                    index.setdefault(key, []).append((c, v))
    raw = [t.text if t.kind != "quoted" else str(t.value).lower() for t in q.toks]
    hits: list[ValueHit] = []
    taken = [False] * len(raw)
    for n in range(longest, 0, -1):
        for i in range(len(raw) - n + 1):
            if any(taken[i : i + n]):
                continue
            found = index.get(" ".join(raw[i : i + n]))
            if found:
                hits += [ValueHit(c, v, i, i + n) for c, v in found]
                taken[i : i + n] = [True] * n
    return hits


def _context(q: Question, start: int, end: int, prefix: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for k, i in enumerate((start - 1, start - 2, start - 3)):
        if i >= 0:
            out[f"{prefix}L{min(k, 1)}:{q.toks[i].lemma if q.toks[i].kind == 'word' else q.toks[i].kind}"] = 1.0
    for k, i in enumerate((end, end + 1, end + 2)):
        if i < len(q.toks):
            out[f"{prefix}R{min(k, 1)}:{q.toks[i].lemma if q.toks[i].kind == 'word' else q.toks[i].kind}"] = 1.0
    return out


def table_features(q: Question, t: Table) -> dict[str, float]:
    """Match features of table `t` (its name's words against the question)."""
    share, phrase, start, end = _match(q, name_words(t.name))
    f = {"t_share": share, "t_phrase": phrase, "t_fuzzy": _fuzzy(q, t.name)}
    f["t_ncols"] = math.log1p(len(t.columns))
    f["t_hit"] = float(any(h.column.table == t.key for h in q.hits))
    if start >= 0:
        f["t_pos"] = start / max(1, len(q.toks))
    return f


def column_features(q: Question, t: Table, c: Column, tf: dict[str, float]) -> dict[str, float]:
    """Features of column `c` of table `t` (`tf`: the table's features) for the role models."""
    target = [w for w in name_words(c.name)]
    core = [w for w in target if w not in _GENERIC] or target
    share, phrase, start, end = _match(q, target)
    core_share, core_phrase, cs, ce = _match(q, core)
    f: dict[str, float] = {"bias": 1.0, "share": share, "phrase": phrase, "core_share": core_share}
    f["core_phrase"] = core_phrase
    f["fuzzy"] = _fuzzy(q, c.name)
    f.update({k: v for k, v in tf.items() if k != "t_ncols"})
    f["kind:" + c.kind] = 1.0
    f["pk"] = float(c.primary_key)
    f["fk"] = float(c.foreign_key is not None)
    f["first"] = float(c.position <= 1)
    f["namelike"] = float(any(w in _NAME_WORDS for w in target))
    f["id_like"] = float(target[-1:] == ["id"])
    hits = [h for h in q.hits if h.column is c]
    f["value_hit"] = float(bool(hits))
    if hits:
        f["value_only"] = 1.0 / len({id(h.column) for h in q.hits if h.start == hits[0].start})
    if hits:
        start, end = hits[0].start, hits[0].end
    f["has_num"] = float(bool(q.numbers())) * float(c.kind == "number")
    if core_share > 0 and start < 0:
        start, end = cs, ce
    if start >= 0 and (share > 0 or hits):
        f["mentioned"] = 1.0
        f["pos"] = start / max(1, len(q.toks))
        f.update(_context(q, start, end, ""))
    f.update(_cues(q, c.kind))
    for k in list(f):
        if k.startswith(("L", "R")) and share + core_share == 0 and not hits:
            del f[k]
    return f


def _cues(q: Question, kind: str) -> dict[str, float]:
    """The question's leading words and superlative/comparison words, crossed with the column's kind."""
    out: dict[str, float] = {}
    for t in q.toks[:_CUES]:
        if t.kind == "word":
            out[f"Q:{t.lemma}|{kind}"] = 1.0
    return out


def ngram_keys(q: Question) -> list[str]:
    """The question's words for the neighbour index: lemmas, with numbers, values and quoted text masked."""
    masked = [t.lemma if t.kind == "word" else t.kind.upper() for t in q.toks]
    for h in q.hits:
        for i in range(h.start, h.end):
            masked[i] = "VALUE"
    return masked


def schema_mask(q: Question, catalog: Catalog) -> list[str]:
    """`ngram_keys` with words that name a table or a column replaced by TABLE / COLUMN (the masked question of
    DAIL-SQL, Gao et al. VLDB 2024)."""
    masked = ngram_keys(q)
    names: dict[str, str] = {}
    for t in catalog.tables.values():
        for w in name_words(t.name):
            names.setdefault(w, "TABLE")
        for c in t.columns:
            for w in name_words(c.name):
                if w not in _GENERIC:
                    names.setdefault(w, "COLUMN")
    return [names.get(w, w) if masked[i] == q.toks[i].lemma else w for i, w in enumerate(masked)]


def schema_features(q: Question, catalog: Catalog) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, float]]]:
    """(features by column key 'schema.table.column', features by table key) of `q` over `catalog`, with each
    column's match compared with the best match of any column (rank features)."""
    tables: dict[str, dict[str, float]] = {}
    cols: dict[str, dict[str, float]] = {}
    for t in catalog.tables.values():
        tables[t.key] = tf = table_features(q, t)
        for c in t.columns:
            cols[f"{t.key}.{c.name}"] = column_features(q, t, c, tf)
    for name in ("share", "core_share"):
        best = max((f[name] for f in cols.values()), default=0.0)
        for f in cols.values():
            if f[name] > 0:
                f[name + "_best"] = float(f[name] >= best)
                f[name + "_gap"] = f[name] - best
    best_t = max((f["t_share"] for f in tables.values()), default=0.0)
    for key, f in tables.items():
        if f["t_share"] > 0:
            f["t_best"] = float(f["t_share"] >= best_t)
    for key, f in cols.items():
        tf = tables[key.rpartition(".")[0]]
        if "t_best" in tf:
            f["t_best"] = tf["t_best"]
    return cols, tables


def sparse(rows: Iterable[dict[str, float]], vocab: dict[str, int]) -> list[list[tuple[int, float]]]:
    """Feature dicts as (index, value) lists in `vocab` (unknown names dropped)."""
    return [[(vocab[k], v) for k, v in r.items() if k in vocab] for r in rows]

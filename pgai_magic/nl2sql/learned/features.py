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
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pgai_magic.catalog import Catalog, Column, Table, words
from pgai_magic.nl2sql.text import Tok, lemma, tokenize

__all__ = ["Question", "ValueHit", "column_features", "name_words", "read_question", "table_features", "window"]

_GENERIC = frozenset({"id", "name", "code", "number", "type"})
_STOP = frozenset({"the", "of", "a", "an", "in", "is", "to", "for", "by", "on", "at", "and", "or", "with"})
_NAME_WORDS = frozenset({"name", "title", "first", "last", "fname", "lname"})


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
        """(token index, value) of each number in the question that is not part of a stored value written in it
        (the 211 of 'ACCT-211')."""
        inside = {i for h in self.hits for i in range(h.start, h.end)}
        return [(i, t.value) for i, t in enumerate(self.toks) if t.kind == "num" and i not in inside]

    def quoted(self) -> list[tuple[int, str]]:
        """(token index, text) of quoted text and of dates (ISO 8601: '1978-06-26'), the literals a WHERE may
        compare a column with when no stored value is written in the question."""
        out = []
        for i, t in enumerate(self.toks):
            if t.kind == "quoted":
                out.append((i, str(t.value)))
            elif t.kind == "date" and hasattr(t.value, "isoformat"):
                out.append((i, t.value.isoformat()))
        return out


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


def abbreviates(short: str, words_: Sequence[str]) -> bool:
    """Whether identifier word `short` abbreviates the question words `words_` ('fname' ~ 'first name', 'dept' ~
    'department', 'qty' ~ 'quantity', 'dob' ~ 'date of birth'; not 'age' ~ 'average'): one word by a prefix or a
    consonant skeleton, several words by their letters in order with every word's initial."""
    full = "".join(words_)
    if len(short) < 3 or not full or full[0] != short[0] or len(full) <= len(short) or not short.isalpha():
        return False
    if len(words_) == 1 and not full.startswith(short[:3]) and any(ch in "aeiou" for ch in short[1:]):
        return False
    it = iter(full)
    if not all(ch in it for ch in short):
        return False
    initials = iter(short)
    return all(w[0] in initials for w in words_)


def _abbr(q: Question, target: Sequence[str]) -> float:
    """Share of `target` words that abbreviate one to three consecutive question words (not matched exactly)."""
    low = [t.text for t in q.toks]
    hit = 0
    for w in target:
        if any(w in alts for alts in q.alts):
            hit += 1
            continue
        if any(abbreviates(w, low[i : i + n]) for n in (1, 2, 3) for i in range(len(low) - n + 1)):
            hit += 1
    return hit / len(target) if target else 0.0


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


def window(q: Question, target: Sequence[str]) -> dict[str, float]:
    """How closely the question writes a name of several words: `tight` = words / the narrowest run of tokens that
    holds them all (1.0 for a phrase in either order), `of_phrase` = 1.0 for the name's last word, 'of' (and
    'the'), then its other words ('names of sponsors' for sponsor_name, 'date of birth' for birth_date)."""
    if len(target) < 2:
        return {}
    at: dict[str, list[int]] = {w: [i for i, alts in enumerate(q.alts) if w in alts] for w in target}
    if not all(at.values()):
        return {}
    need = set(target)
    marks = sorted((i, w) for w in need for i in at[w])
    width, have, lo = len(q.toks) + 1, Counter[str](), 0
    for i, w in marks:  # the narrowest window of marks holding every word (two pointers)
        have[w] += 1
        while len(have) == len(need):
            width = min(width, i - marks[lo][0] + 1)
            have[marks[lo][1]] -= 1
            if not have[marks[lo][1]]:
                del have[marks[lo][1]]
            lo += 1
    out = {"tight": len(need) / max(width, len(need))}
    head, rest = target[-1], list(target[:-1])
    for i in at[head]:
        k = i + 1
        if k < len(q.toks) and q.toks[k].lemma == "of":
            k += 1 + int(k + 1 < len(q.toks) and q.toks[k + 1].lemma == "the")
            if k + len(rest) <= len(q.toks) and all(w in q.alts[k + n] for n, w in enumerate(rest)):
                out["of_phrase"] = 1.0
    return out


def _fuzzy(q: Question, name: str) -> float:
    """The best difflib ratio of the identifier (no underscores) against question words and word pairs."""
    flat = name.replace("_", "").lower()
    best = 0.0
    low = [t.text for t in q.toks]
    for i in range(len(low)):
        for span in (low[i], "".join(low[i : i + 2])):
            if abs(len(span) - len(flat)) <= 3 and len(flat) >= 3:
                sm = difflib.SequenceMatcher(None, span, flat)
                if sm.real_quick_ratio() > best and sm.quick_ratio() > best:  # upper bounds of ratio(): same max
                    best = max(best, sm.ratio())
    return best


def offsets(q: Question) -> list[tuple[int, int]]:
    """The character span of each token in the lower-cased question text ((-1, -1) where it is not found as is)."""
    text = q.text.lower().replace("’", "'")
    out, cursor = [], 0
    for t in q.toks:
        probe = t.text if t.kind != "quoted" else str(t.value).lower()
        at = text.find(probe, cursor)
        if at < 0:
            out.append((-1, -1))
            continue
        out.append((at, at + len(probe)))
        cursor = at + len(probe)
    return out


def _span(offs: list[tuple[int, int]], start: int, end: int) -> tuple[int, int] | None:
    """The tokens [i, j) covering characters [start, end)."""
    inside = [i for i, (a, b) in enumerate(offs) if a >= 0 and a < end and b > start]
    return (inside[0], inside[-1] + 1) if inside else None


def value_index(catalog: Catalog) -> dict[str, list[tuple[Column, str]]]:
    """The catalog's stored text values by their lower-cased, space-normalised text (two characters or more; a
    value of digits only from four digits on, matched in the question only where it is quoted)."""
    index: dict[str, list[tuple[Column, str]]] = {}
    for t in catalog.tables.values():
        for c in t.columns:
            for v in c.values or ():
                key = " ".join(v.lower().split())
                if len(key) >= 2 and (len(key) >= 4 or not key.isdigit()) and len(key) <= 60 and key not in _STOP:
                    index.setdefault(key, []).append((c, v))
    return index


def find_values(
    q: Question, catalog: Catalog, index: dict[str, list[tuple[Column, str]]] | None = None
) -> list[ValueHit]:
    """Stored text values written in the question (whole words, any case), longest first, spans not overlapping."""
    index = index if index is not None else value_index(catalog)
    text = " ".join(q.text.lower().replace("’", "'").split(" "))
    found: list[tuple[int, int, str]] = []
    for key in index:
        at = text.find(key)
        while at >= 0:
            end = at + len(key)
            if (at == 0 or not text[at - 1].isalnum()) and (end == len(text) or not text[end].isalnum()):
                if not key.isdigit() or (at > 0 and text[at - 1] in "'\"" and text[end : end + 1] in ("'", '"')):
                    found.append((at, end, key))
                    break
            at = text.find(key, at + 1)
    found.sort(key=lambda f: (-(f[1] - f[0]), f[0]))
    offs = offsets(q)
    hits: list[ValueHit] = []
    taken: list[tuple[int, int]] = []
    for a, b, key in found:
        if any(a < y and b > x for x, y in taken):
            continue
        span = _span(offs, a, b)
        if span is None:
            continue
        taken.append((a, b))
        hits += [ValueHit(c, v, span[0], span[1]) for c, v in index[key]]
    return hits + _lemma_hits(q, index, hits)


def _lemma_hits(q: Question, index: dict[str, list[tuple[Column, str]]], hits: list[ValueHit]) -> list[ValueHit]:
    """Stored values written in the question in another form of their words ('females' for 'female', 'Democrats'
    for 'Democrat'): runs of one to four words whose lemmas, joined by spaces, are a stored value, outside the
    spans already found, longest first."""
    taken = {i for h in hits for i in range(h.start, h.end)}
    out: list[ValueHit] = []
    for n in (4, 3, 2, 1):
        for i in range(len(q.toks) - n + 1):
            span = range(i, i + n)
            if any(k in taken or q.toks[k].kind != "word" for k in span):
                continue
            key = " ".join(q.toks[k].lemma for k in span)
            if key == " ".join(q.toks[k].text for k in span) or key in _STOP or len(key) < 3:
                continue
            for c, v in index.get(key, ()):
                out.append(ValueHit(c, v, i, i + n))
            if key in index:
                taken.update(span)
    return out


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
    share, phrase, start, _end = _match(q, name_words(t.name))
    f = {"t_share": share, "t_phrase": phrase, "t_fuzzy": _fuzzy(q, t.name), "t_abbr": _abbr(q, name_words(t.name))}
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
    f.update(window(q, target))
    table_words = [w for w in name_words(t.name) if w not in target]
    if table_words:  # 'names of the clubs' for club.name, 'club names' (the column's table written beside it)
        f.update({"q_" + k: v for k, v in window(q, [*table_words, *target]).items()})
    f["abbr"] = _abbr(q, target)
    f["core_abbr"] = _abbr(q, core)
    f.update({k: v for k, v in tf.items() if k != "t_ncols"})
    f["kind:" + c.kind] = 1.0
    f["pk"] = float(c.primary_key)
    f["fk"] = float(c.foreign_key is not None)
    f["first"] = float(c.position <= 1)
    f["namelike"] = float(any(w in _NAME_WORDS for w in target))
    if f["namelike"] and q.toks and q.toks[0].kind == "word":  # 'Who …', 'Which …': the question's first word
        f[f"F:{q.toks[0].lemma}|name"] = 1.0
    f["id_like"] = float(target[-1:] == ["id"])
    hits = [h for h in q.hits if h.column is c]
    f["value_hit"] = float(bool(hits))
    if hits:
        f["value_len"] = min(len(hits[0].value), 20) / 20
        f["value_only"] = 1.0 / len({id(h.column) for h in q.hits if h.start == hits[0].start})
        near = [*range(max(0, hits[0].start - 2), hits[0].start), *range(hits[0].end, hits[0].end + 2)]
        if any(w in q.alts[i] for i in near if i < len(q.alts) for w in core):  # 'Los Angeles county'
            f["value_named"] = 1.0
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
    """The question's words crossed with the column's kind ('recent' with dates, 'average' with numbers …)."""
    out: dict[str, float] = {}
    for t in q.toks:
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
    for f in tables.values():
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

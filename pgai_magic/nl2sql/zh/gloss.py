"""A Chinese question as spans: each piece of the text with its offsets, its English candidates and its kind.

    gloss("国家是英国的登山者最高得分是多少？", vocab) ->
        [Span('国家', 0, 2, ('country', 'nation', ...), 'name'), Span('是', 2, 3, ('is',), 'function'),
         Span('英国', 3, 5, ('"United Kingdom"', ...), 'value'), ...]

Kinds: 'value' (a quoted literal, or a word whose English is a stored value), 'name' (a word whose English names a
table or column, or a phrase of a Chinese comment), 'number', 'time' (numbers.phrases), 'function' (hand lexicon),
'word' (a dictionary word that links to nothing here), 'latin' (text typed in Latin letters, kept), 'unknown'
(no gloss), 'space' (punctuation and blanks). The first English candidate of a span is the one to render.

Segmentation: quoted text, Latin runs, time phrases, comment phrases and stored Chinese values are kept whole; the
rest is cut by jieba (rjieba, the Rust port of jieba's dictionary and HMM), and a piece neither the hand lexicon
nor CC-CEDICT knows is cut again into the fewest known words.
"""

from __future__ import annotations

import functools
import itertools
import re
from dataclasses import dataclass

from pgai_magic.nl2sql.zh import dictionary
from pgai_magic.nl2sql.zh.lexicon import (
    AGENT_SUFFIXES,
    CONTENT,
    FUNCTION,
    MEASURE_WORDS,
    NAMEABLE,
    PLACE_SUFFIXES,
    UNITS,
    WRITE_WORDS,
    agent_nouns,
)
from pgai_magic.nl2sql.zh.numbers import NUMERAL, number, phrases
from pgai_magic.nl2sql.zh.vocabulary import Choice, Vocabulary

__all__ = ["Span", "gloss"]

_QUOTED = re.compile(r'"[^"]+"|“[^”]+”|「[^」]+」|『[^』]+』|‘[^’]+’|(?<![A-Za-z0-9])\'[^\']+\'(?![A-Za-z0-9])')
_LATIN = re.compile(r"[A-Za-z][A-Za-z0-9_.&'\-]*(?:[ ]+[A-Za-z0-9][A-Za-z0-9_.&'\-]*)*|\d+(?:[.,]\d+)*%?")
_NUMBER = re.compile(rf"^(?:\d+(?:\.\d+)?{NUMERAL}*|{NUMERAL}+)$")
_NUMBER_RUN = re.compile(rf"\d+(?:\.\d+)?{NUMERAL}*|{NUMERAL}+")
_COMPARE_BEFORE = (
    "超过",
    "大于",
    "高于",
    "多于",
    "小于",
    "低于",
    "少于",
    "至少",
    "至多",
    "不到",
    "等于",
    "不超过",
    "前",
)
_SPACE = re.compile(r"^[\s\W_]+$")
_CJK = re.compile(r"[\u3400-\u9fff]")
_MAX_WORD = 8


@dataclass(frozen=True)
class Span:
    """A piece of a Chinese question: `text` at [start, end), its English candidates (best first), its kind, and
    for 'name'/'value' what it links to (`target`: 'schema.table[.column]')."""

    text: str
    start: int
    end: int
    english: tuple[str, ...]
    kind: str
    target: str = ""


def gloss(question: str, vocab: Vocabulary | None = None) -> list[Span]:
    """The spans of `question`, covering it from start to end, left to right."""
    vocab = vocab or Vocabulary()
    fixed = _fixed(question, vocab)
    spans: list[Span] = []
    at = 0
    for span in [*fixed, Span("", len(question), len(question), (), "space")]:
        if span.start > at:
            spans += _segment(question, at, span.start, vocab)
        if span.text:
            spans.append(span)
        at = span.end
    return _measure_words(spans)


def _fixed(question: str, vocab: Vocabulary) -> list[Span]:
    """Spans read whole before segmenting: quoted text, time phrases, comment phrases, Chinese values, Latin."""
    found: list[Span] = []

    def add(start: int, end: int, english: tuple[str, ...], kind: str, target: str = "") -> None:
        if start < end and not any(s.start < end and start < s.end for s in found):
            found.append(Span(question[start:end], start, end, english, kind, target))

    for m in _QUOTED.finditer(question):
        add(m.start(), m.end(), (f'"{m.group()[1:-1].strip()}"',), "value")
    for p in phrases(question):
        add(p.start, p.end, (p.english,), p.kind)
    for m in _NUMBER_RUN.finditer(question):
        if _is_number(question, m):
            add(m.start(), m.end(), (str(number(m.group())),), "number")
    names = {**vocab.comment_names, **{v: f'"{v}"' for v in vocab.zh_values}}
    if names:
        pattern = re.compile("|".join(re.escape(k) for k in sorted(names, key=len, reverse=True)))
        for m in pattern.finditer(question):
            english = names[m.group()]
            kind = "value" if english.startswith('"') else "name"
            add(m.start(), m.end(), (english,), kind, vocab.zh_values.get(m.group(), ""))
    for m in _LATIN.finditer(question):
        text = m.group()
        add(m.start(), m.end(), (text,), "number" if text[0].isdigit() else "latin")
    return sorted(found, key=lambda s: s.start)


def _is_number(question: str, m: re.Match[str]) -> bool:
    """Whether a run of numerals is a number ('两万', '三家', '超过五') rather than part of a word ('一共', '统一')."""
    text, before, after = m.group(), question[: m.start()], question[m.end() : m.end() + 2]
    try:
        number(text)
    except ValueError:
        return False
    if text[0].isdigit() or (len(text) > 1 and not any(w in FUNCTION for w in (text, text + after[:1]))):
        return not (before[-1:] in ("第", "统", "唯", "单") or (before[-1:] and before[-1] in NUMERAL))
    if before[-1:] and (before[-1] in "第统唯单万十" or (_CJK.match(before[-1]) and before[-1:] + text in FUNCTION)):
        return False
    if text + after[:1] in FUNCTION and after[:1] not in MEASURE_WORDS:
        return False
    return after[:1] in MEASURE_WORDS or after[:1] in "岁倍以人米元" or before.endswith(_COMPARE_BEFORE)


def _segment(question: str, start: int, end: int, vocab: Vocabulary) -> list[Span]:
    """Spans of question[start:end] (no fixed span inside): jieba's words, each glossed; a word and the agent
    suffix after it ('登山' + '者', '体操' + '运动员') are one word when the agent noun links ('climber')."""
    spans: list[Span] = []
    for word, a, b in _jieba().tokenize(question[start:end]):
        for piece, i, j in _known_pieces(word, a, b):
            span = _word_span(piece, start + i, start + j, vocab)
            agent = _agent(spans[-1], span, vocab) if spans else None
            if agent is not None:
                spans[-1] = agent
            else:
                spans.append(span)
    return _compounds(spans, vocab)


_JOINABLE = ("word", "name", "unknown", "value")  # a value here is a dictionary word that names a stored value


def _compounds(spans: list[Span], vocab: Vocabulary) -> list[Span]:
    """Neighbouring words whose English together names a column or table exactly are one name: '出生' + '州' ->
    'born state' (born_state), '开业' + '年份' -> 'open year' (open_year); jieba cuts such compounds, and each
    half alone links to something else or to nothing. Up to three words; every sense pair is tried."""
    out: list[Span] = []
    k = 0
    while k < len(spans):
        step, found = 1, spans[k]
        for size in (3, 2):
            group = spans[k : k + size]
            if len(group) == size and all(s.kind in _JOINABLE and _CJK.search(s.text) for s in group):
                merged = _compound(group, vocab)
                if merged is not None:
                    step, found = size, merged
                    break
        out.append(found)
        k += step
    return out


def _compound(group: list[Span], vocab: Vocabulary) -> Span | None:
    """One name span for `group` when some choice of their senses is a name's words exactly (None otherwise)."""
    senses = [[e for e in s.english[:6] if e.strip() and not e.startswith('"')] for s in group]
    for choice in itertools.product(*senses):
        phrase = " ".join(choice)
        found = vocab.name(phrase)
        if found.kind:
            text = "".join(s.text for s in group)
            return Span(text, group[0].start, group[-1].end, (found.text, phrase), "name", found.target)
    return None


def _agent(before: Span, suffix: Span, vocab: Vocabulary) -> Span | None:
    """'登山' + '者' -> 'climber', '摔跤' + '手' -> 'wrestler', '体操' + '运动员' -> 'gymnast': the agent noun of
    the word before, when it links to the schema (None otherwise)."""
    if suffix.text not in AGENT_SUFFIXES or before.kind not in ("word", "name", "unknown"):
        return None
    bases = [before.text] + ([before.text + "运动"] if suffix.text == "运动员" else [])  # 健美运动: bodybuilding
    nouns = [n for base in bases for sense in dictionary.senses(base) for n in agent_nouns(sense)]
    choice = vocab.choose(nouns) if nouns else Choice("")
    if not choice.kind:
        if before.kind == "name" and suffix.text in "人者员方" and vocab.choose(before.english[:1]).score >= 0.9:
            # '提名人': 提名 already names the nominee column; the suffix adds nothing
            return Span(before.text + suffix.text, before.start, suffix.end, before.english, "name", before.target)
        return None
    return Span(before.text + suffix.text, before.start, suffix.end, (choice.text, *nouns), "name", choice.target)


@functools.lru_cache(maxsize=1)
def _jieba():  # type: ignore[no-untyped-def]
    """jieba's tokenizer with the hand lexicon's words added (so '按字母顺序' or '叫什么' stay whole)."""
    import rjieba

    tokenizer = rjieba.Jieba()
    for words, freq in ((FUNCTION, 200_000), (UNITS, 100_000), (CONTENT, 50_000)):
        for word in words:
            if len(word) > 1:
                tokenizer.add_word(word, freq, None)
    return tokenizer


def _known(word: str) -> bool:
    return word in FUNCTION or word in CONTENT or word in UNITS or dictionary.has_word(word)


def _known_pieces(word: str, a: int, b: int) -> list[tuple[str, int, int]]:
    """`word` (at [a, b)) as one piece when known (or not Chinese), else cut into the fewest known pieces
    (dynamic programming over dictionary words; an unknown character stays a piece of its own)."""
    if len(word) == 1 or _known(word) or not _CJK.search(word) or _NUMBER.match(word):
        return [(word, a, b)]
    n = len(word)
    none: list[int] = []
    best: list[tuple[int, list[int]]] = [(0, none)] + [(n + 1, none)] * n
    for j in range(1, n + 1):
        for i in range(max(0, j - _MAX_WORD), j):
            piece = word[i:j]
            if j - i == 1 or _known(piece) or _NUMBER.match(piece):
                cost = best[i][0] + 1
                if cost < best[j][0]:
                    best[j] = (cost, [*best[i][1], i])
    cuts = [*best[n][1], n]
    return [(word[i:j], a + i, a + j) for i, j in itertools.pairwise(cuts)]


def _word_span(word: str, start: int, end: int, vocab: Vocabulary) -> Span:
    """One word glossed: punctuation, a number, a function word, or a content word linked to the schema."""
    if _SPACE.match(word):
        return Span(word, start, end, (" ",), "space")
    if _NUMBER.match(word):
        try:
            return Span(word, start, end, (str(number(word)),), "number")
        except ValueError:
            pass
    if word in FUNCTION and word not in CONTENT:
        named = vocab.choose(dictionary.senses(word)) if word in NAMEABLE else Choice("")
        if named.kind in ("column", "table") and named.score >= 1.0:  # '排名在10到15之间': the ranking column
            return Span(word, start, end, (named.text, FUNCTION[word]), "name", named.target)
        return Span(word, start, end, (FUNCTION[word],), "function")
    if word in CONTENT and not CONTENT[word]:  # '测量', '含量': no meaning for the query
        return Span(word, start, end, ("",), "function")
    candidates = _candidates(word)
    if not candidates:
        if word in UNITS:
            return Span(word, start, end, (UNITS[word],), "function")
        if word[-1] in PLACE_SUFFIXES and len(word) > 2:
            return _place(word, start, end, vocab)
        return Span(word, start, end, (word,), "unknown")
    choice = vocab.choose(candidates)
    if not choice.kind and word[-1] in PLACE_SUFFIXES and len(word) > 2:
        place = _place(word, start, end, vocab)
        if place.kind != "word":
            return place
    if not choice.kind:
        near = vocab.nearest(candidates)
        if word not in CONTENT or near.kind == "table":  # a business word only to a table: 飞机 'plane' ~ aircraft
            choice = near
    return _linked(word, start, end, choice, candidates)


def _candidates(word: str) -> tuple[str, ...]:
    """The English a word may mean: the hand lexicon's business word first, then CC-CEDICT's senses."""
    found = [CONTENT[word]] if CONTENT.get(word) else []
    if UNITS.get(word):
        found.append(UNITS[word])
    found += [s for s in dictionary.senses(word) if s not in found]
    return tuple(found)


def _place(word: str, start: int, end: int, vocab: Vocabulary) -> Span:
    """'上海市', '浙江省', '亚洲': the place without its suffix when that links (a value such as 'Shanghai')."""
    base = word[:-1]
    senses = tuple(s.split(",")[0] for s in dictionary.senses(base)) or _candidates(base)
    choice = vocab.choose(senses) if senses else Choice("")
    if choice.kind:
        return _linked(word, start, end, choice, senses)
    english = senses[0] if senses else base
    return Span(word, start, end, (f"{english} {PLACE_SUFFIXES[word[-1]]}",), "word")


def _linked(word: str, start: int, end: int, choice: Choice, candidates: tuple[str, ...]) -> Span:
    english = (choice.text, *(c for c in candidates if c != choice.text))
    if not choice.kind:  # unlinked: a dictionary sense that reads as a request to change data goes last
        english = tuple(sorted(english, key=lambda c: c.split(" ")[0].lower() in WRITE_WORDS))
    kind = "value" if choice.kind == "value" else "name" if choice.kind else "word"
    return Span(word, start, end, english, kind, choice.target)


def _measure_words(spans: list[Span]) -> list[Span]:
    """A measure word after a number or 多少/几 says only what is counted: '三家' -> 3, '多少个' -> how many."""
    out: list[Span] = []
    for span in spans:
        counted = out and (out[-1].kind == "number" or out[-1].english[:1] in (("how many",), ("per",)))
        if counted and len(span.text) == 1 and span.text in MEASURE_WORDS:
            out.append(Span(span.text, span.start, span.end, ("",), "function"))
            continue
        out.append(span)
    return out

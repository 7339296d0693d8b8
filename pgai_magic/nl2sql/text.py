"""Question text: tokens with lemmas, numbers, dates, quoted values (Chinese is written in English first: nl2sql.zh)."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from pgai_magic.nl2sql.lexicon import MONTHS, NUMBER_WORDS

__all__ = ["MAX_QUESTION_CHARS", "Tok", "clean_question", "lemma", "tokenize"]

MAX_QUESTION_CHARS = 2000  # a question, not a document: longer text is refused before it is read
_TOKEN = re.compile(
    r"""(?P<quoted>"[^"]+"|“[^”]+”|(?<![\w])'[^']+'(?![\w]))
      |(?P<date>\d{4}-\d{1,2}-\d{1,2})
      |(?P<num>[$€£]?\d+(?:,\d{3})*(?:\.\d+)?(?:k\b|m\b)?)
      |(?P<sym>>=|<=|<>|!=|>|<|=)
      |(?P<word>q[1-4]\b|[a-z]+(?:[-.'][a-z]+)*\.?|&|'s|[\u3400-\u9fff])
    """,
    re.VERBOSE | re.IGNORECASE,
)
_CURRENCY = {"euro", "euros", "eur", "dollar", "dollars", "usd", "bucks", "€", "$"}


@dataclass
class Tok:
    """One token of a question: its text, lemma, kind ('word', 'num', 'date', 'quoted', 'sym') and value."""

    text: str
    lemma: str
    kind: str = "word"
    value: Any = None
    money: bool = False


def clean_question(text: str) -> str:
    """`text` with control, invisible-format and surrogate characters as spaces (PostgreSQL text holds no NUL)."""
    if text.isprintable():
        return text
    return "".join(ch if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cf", "Cs") else " " for ch in text)


_IRREGULAR = {
    "people": "person",
    "children": "child",
    "men": "man",
    "women": "woman",
    "data": "data",
    "sales": "sales",
    "goods": "goods",
    "news": "news",
    "analyses": "analysis",
    "series": "series",
    "ids": "id",
    "species": "species",
}


def lemma(word: str) -> str:
    """A simple English singular: 'categories' -> 'category', 'statuses' -> 'status', 'orders' -> 'order'."""
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("sses", "shes", "ches", "xes", "zes", "uses")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _number(text: str) -> float | int:
    raw = text.lstrip("$€£").replace(",", "")
    factor = 1
    if raw.endswith("k"):
        raw, factor = raw[:-1], 1000
    elif raw.endswith("m"):
        raw, factor = raw[:-1], 1_000_000
    value = float(raw) * factor
    return int(value) if value.is_integer() else value


_W2N = frozenset(
    """zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen
    seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred thousand million
    billion""".split()
)


def _number_word(word: str) -> bool:
    return all(part in _W2N for part in word.split("-"))


def _word_number(text: str) -> int:
    from word2number import w2n

    return int(w2n.word_to_num(text.replace("-", " ")))


def _extend_number(toks: list[Tok], word: str) -> None:
    """'twenty' + 'five' -> 25, 'one' + 'hundred' -> 100 (word2number reads the whole run)."""
    text = f"{toks[-1].text} {word}"
    try:
        value = _word_number(text)
    except ValueError:
        toks.append(Tok(word, word, "num", NUMBER_WORDS.get(word, 0)))
        return
    toks[-1] = Tok(text, text, "num", value)


def tokenize(question: str) -> list[Tok]:
    """Tokens of an (English) question; number words become numbers, month names keep their text."""
    text = question.replace("’", "'").replace("‘", "'")
    text = re.sub(r"\b(what|who|where|how|that|it|there)'s\b", r"\1 is", text, flags=re.IGNORECASE)
    text = re.sub(r"\b(\w+)n't\b", r"\1 not", text, flags=re.IGNORECASE)
    toks: list[Tok] = []
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup or "word"
        if kind == "quoted":
            value = m.group()[1:-1].strip()  # as typed: a literal keeps its case
            toks.append(Tok(value.lower(), value.lower(), "quoted", value))
            continue
        raw = m.group().lower()
        if kind == "date":
            try:
                y, mo, d = (int(p) for p in raw.split("-"))
                toks.append(Tok(raw, raw, "date", dt.date(y, mo, d)))
            except ValueError:
                toks.append(Tok(raw, raw))
        elif kind == "num":
            toks.append(Tok(raw, raw, "num", _number(raw), money=raw[0] in "$€£"))
        elif kind == "sym":
            toks.append(Tok(raw, raw, "sym"))
        else:
            word = raw.rstrip(".") if raw.count(".") == 1 and raw.endswith(".") else raw
            if _number_word(word) and toks and toks[-1].kind == "num" and toks[-1].text.split()[-1] in _W2N:
                _extend_number(toks, word)
            elif word in NUMBER_WORDS and word not in MONTHS:
                toks.append(Tok(word, word, "num", NUMBER_WORDS[word]))
            elif _number_word(word):
                toks.append(Tok(word, word, "num", _word_number(word)))
            elif word in _CURRENCY and toks and toks[-1].kind == "num":
                toks[-1].money = True
            else:
                toks.append(Tok(word, lemma(word)))
    return toks

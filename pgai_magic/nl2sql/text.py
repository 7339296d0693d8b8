"""Question text: Chinese to English lexicon mapping, tokens with lemmas, numbers, dates and quoted values."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from pgai_magic.nl2sql.lexicon import MONTHS, NUMBER_WORDS, ZH_PHRASES

__all__ = ["MAX_QUESTION_CHARS", "Tok", "clean_question", "has_cjk", "lemma", "to_english", "tokenize", "zh_number"]

MAX_QUESTION_CHARS = 2000  # a question, not a document: longer text is refused before it is read
_CJK = re.compile(r"[\u3400-\u9fff]")
_ZH_NUM = "[0-9零〇一二两三四五六七八九十百千万]+"
_ZH_UNITS = {
    "天": "days",
    "日": "days",
    "周": "weeks",
    "星期": "weeks",
    "礼拜": "weeks",
    "月": "months",
    "季度": "quarters",
    "年": "years",
}
_ZH_FIXED = {
    "上周": " last week ",
    "上星期": " last week ",
    "上个月": " last month ",
    "上月": " last month ",
    "本周": " this week ",
    "这周": " this week ",
    "本星期": " this week ",
    "本月": " this month ",
    "这个月": " this month ",
    "今年": " this year ",
    "去年": " last year ",
    "今天": " today ",
    "昨天": " yesterday ",
    "本季度": " this quarter ",
    "近期": " recent ",
}
_MONTH_NAMES = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
_PUNCT = str.maketrans({c: " " for c in '？?，,。！!、；;：:（）()【】[]《》“”"「」'}) | {
    0xFF10 + i: str(i) for i in range(10)
}
_MAX_PHRASE = max(len(p) for p in ZH_PHRASES)

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


def has_cjk(text: str) -> bool:
    return bool(_CJK.search(text))


def zh_number(text: str) -> int:
    """'12' -> 12, '十' -> 10, '二十五' -> 25, '一百' -> 100, '两千' -> 2000 (cn2an's "smart" mode)."""
    if text.isdigit():
        return int(text)
    import cn2an

    return int(cn2an.cn2an(text.replace("两", "二"), "smart"))


def to_english(question: str) -> str:
    """Map a Chinese (or mixed) question onto the English words the translator understands."""
    text = question.translate(_PUNCT)
    text = re.sub(r"(\d{4})年(\d{1,2})月(\d{1,2})[日号]?", lambda m: f" {m[1]}-{int(m[2]):02d}-{int(m[3]):02d} ", text)
    text = re.sub(r"(\d{4})年(\d{1,2})月", lambda m: f" {_MONTH_NAMES[int(m[2]) - 1]} {m[1]} ", text)
    text = re.sub(r"(\d{4}-\d{2}-\d{2}|\d{4}年)\s*(之后|以后|后)", lambda m: f" after {m[1].rstrip('年')} ", text)
    text = re.sub(r"(\d{4}-\d{2}-\d{2}|\d{4}年)\s*(之前|以前|前)", lambda m: f" before {m[1].rstrip('年')} ", text)
    text = re.sub(r"自\s*(\d{4})年?\s*以来", lambda m: f" since {m[1]}-01-01 ", text)
    text = re.sub(r"(\d{4})年", lambda m: f" in {m[1]} ", text)
    text = re.sub(
        rf"(过去|最近|近|前|上)\s*的?\s*({_ZH_NUM})\s*个?\s*(天|日|周|星期|礼拜|月|季度|年)",
        lambda m: f" last {zh_number(m[2])} {_ZH_UNITS[m[3]]} ",
        text,
    )
    for phrase, english in _ZH_FIXED.items():
        text = text.replace(phrase, english)
    text = re.sub(rf"前\s*({_ZH_NUM})\s*(个|名|位|款|家|种|大)?", lambda m: f" top {zh_number(m[1])} ", text)
    text = re.sub(rf"({_ZH_NUM})\s*(个|名|位|款|家|种)", lambda m: f" {zh_number(m[1])} ", text)
    text = re.sub(  # 'two hours', 'three penguins': a numeral before a unit or a measure word
        r"([零〇一二两三四五六七八九十百千万]+)(?=只|条|次|人|天|小时|分钟|周|公斤|千克|元|岁|年|月)",
        lambda m: f" {zh_number(m[1])} ",
        text,
    )
    text = re.sub(
        r"(\d+)\s*(天|日|周|星期|个月|月|年)\s*(之前|以前|前)",
        lambda m: f" {m[1]} {_ZH_UNITS[m[2].removeprefix('个')]} ago ",
        text,
    )
    out: list[str] = []
    i = 0
    while i < len(text):
        if not _CJK.match(text[i]):
            out.append(text[i])
            i += 1
            continue
        for size in range(min(_MAX_PHRASE, len(text) - i), 0, -1):
            mapped = ZH_PHRASES.get(text[i : i + size])
            if mapped is not None:
                out.append(f" {mapped} ")
                i += size
                break
        else:
            out.append(f" {text[i]} ")  # unknown character: stays, and counts as not understood
            i += 1
    return re.sub(r"\s+", " ", "".join(out)).strip()


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

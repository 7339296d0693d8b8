"""A glossed Chinese question written as the English question the translator reads.

    render(gloss("按身高从低到高列出人的出生日期", vocab))
        -> 'by height lowest to highest list people birth date'

Each span gives its first English candidate, in the question's order (the translator reads cues and names, not
grammar), with the few changes Chinese word order needs: a number followed by 以上/以下 is 'more than N' /
'less than N' ('at least' / 'at most' with 及 or 或); 多少/几 that end a question after an aggregate ask for a
value ('what'), not a count; in such a question, a superlative is the aggregate ('最高的支持率是多少': the
maximum). Quoted values and numbers are kept exactly.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pgai_magic.nl2sql.zh.gloss import Span
from pgai_magic.nl2sql.zh.lexicon import MEASURE_WORDS, UNITS
from pgai_magic.nl2sql.zh.order import order

__all__ = ["render"]

_CLAUSE_END = re.compile(r"[，,。；;？?！!\n]")
_COMPARATORS = ("more than", "less than", "at least", "at most", "equal to", "longer than", "shorter than")


def render(spans: Sequence[Span], *, english_order: bool = True) -> str:
    """The English words of `spans`, with N以上/以下 and a closing 多少 rewritten; in English word order
    (zh.order) unless `english_order` is False (the words in the question's order, as the rule translator's
    cue patterns read them)."""
    words = [s.english[0] if s.english else "" for s in spans]
    asks_value = False  # 多少 after an aggregate or 是多少: a value, not rows
    for k, span in enumerate(spans):
        if span.kind == "number":
            _bound(spans, words, k)
        elif words[k] in ("how many", "what is") and _ends(spans, k) and not _counts(spans, k):
            if words[k] == "what is" or _aggregates_before(spans, words, k):
                words[k] = "what"
                asks_value = True
    for k, word in enumerate(words):
        if word in _EXTREMES and _aggregate(spans, words, k, asks_value and not _LISTS & set(words)):
            words[k] = _EXTREMES[word]
        elif word == "in" and _before_bound(words, k):  # '年龄在25岁以上': age more than 25
            words[k] = ""
    ordered = [w for w in (order(words, spans) if english_order else words) if w.strip()]
    text = " ".join(w for k, w in enumerate(ordered) if not _repeats(w, ordered[k + 1 : k + 2]))
    return re.sub(r"\s+", " ", text).strip()


def _aggregate(spans: Sequence[Span], words: list[str], k: int, asks_value: bool) -> bool:
    """Whether the superlative at k is an aggregate: right before the noun it measures ('最小体重': the minimum
    weight), or alone before 的 in a question asking a value ('最高的支持率是多少'); not when it ends a modifier
    ('总成绩最高的健美运动员': the body builder with the highest total)."""
    after = next((i for i in range(k + 1, len(spans)) if words[i].strip() or spans[i].text == "的"), None)
    if after is None:
        return False
    rest = [w for w in words[k + 1 :] if w.strip()]
    if asks_value and all(w in _EXTREMES or w in ("and", "or", "what") for w in rest):
        return True  # '旅客数最多和最少分别是多少': the maximum and the minimum
    if spans[after].kind in ("name", "word") and spans[after].text != "的":
        return True
    alone = k == 0 or spans[k - 1].text == "的" or not any(w.strip() for w in words[:k]) or words[k - 1] == "is"
    return asks_value and spans[after].text == "的" and alone


def _repeats(word: str, after: list[str]) -> bool:
    """Whether the next word says `word` again ('in' before 'in 2010' from 在2010年)."""
    return bool(after) and (after[0] == word or after[0].startswith(word + " "))


def _before_bound(words: list[str], k: int) -> bool:
    following = next((w for w in words[k + 1 :] if w.strip()), "")
    return following.startswith((*_COMPARATORS, "between"))


def _bound(spans: Sequence[Span], words: list[str], k: int) -> None:
    """'25岁及以上' -> 'at least 25', '两个以上' -> 'more than 2' (the words of spans k… rewritten in place)."""
    j, inclusive, joins = k + 1, False, []
    ends = ("以上", "以下", "或以上", "或以下", "及以上", "及以下")
    while (
        j < len(spans)
        and spans[j].text not in ends
        and (spans[j].english[:1] == ("",) or spans[j].text in UNITS or spans[j].text in "及或")
    ):
        inclusive = inclusive or spans[j].text in ("及", "或")
        if spans[j].text in "及或":
            joins.append(j)
        j += 1
    if j >= len(spans) or spans[j].text not in ends:
        return  # '超过3300或高度超过100': the 或 is 'or', not part of a bound
    for i in joins:  # '25岁及以上': at least 25
        words[i] = ""
    before = next((words[i] for i in range(k - 1, -1, -1) if words[i].strip()), "")
    if before in _COMPARATORS:
        return
    above = spans[j].text.endswith("以上")
    inclusive = inclusive or spans[j].text.startswith(("及", "或"))
    words[k] = (
        f"{('at least' if above else 'at most') if inclusive else ('more than' if above else 'less than')} {words[k]}"
    )


_EXTREMES = {"highest": "maximum", "most": "maximum", "largest": "maximum", "biggest": "maximum",
             "lowest": "minimum", "fewest": "minimum", "smallest": "minimum", "least": "minimum"}  # fmt: skip
_LISTS = frozenset(("which", "who", "where", "name", "list", "show"))
_AGGREGATES = frozenset(
    "average total maximum minimum median highest lowest most fewest largest smallest longest shortest".split()
)


def _aggregates_before(spans: Sequence[Span], words: list[str], k: int) -> bool:
    """Whether the clause before span k asks for an aggregate or an extreme ('平均有多少': a value, not a count)."""
    for i in range(k - 1, -1, -1):
        if _CLAUSE_END.search(spans[i].text):
            return False
        if words[i] in _AGGREGATES:
            return True
    return False


def _counts(spans: Sequence[Span], k: int) -> bool:
    """'有几家', '多少个': a measure word after the question word asks for a count."""
    return (k + 1 < len(spans) and spans[k + 1].text in MEASURE_WORDS) or spans[k].text.endswith(tuple(MEASURE_WORDS))


def _ends(spans: Sequence[Span], k: int) -> bool:
    """Whether nothing but punctuation and particles follows span k in its clause."""
    for span in spans[k + 1 :]:
        if _CLAUSE_END.search(span.text):
            return True
        if span.english and span.english[0].strip():
            return False
    return True

"""English word order for a glossed Chinese question: a modifier before 的 goes after the noun it modifies.

    order(words, spans)   # the words of `render`, one per span
    '列出一场比赛都没赢过的飞机名称'  'list 1 match did not win aircraft name'
                                  -> 'list aircraft name that 1 match did not win'
    '国际旅客最多的机场'            -> 'airport with the most international passenger'
    '最高的山叫什么名字'            -> 'what is the name of highest mountain'
    '每部电影的片名'                -> 'title for each film'

Chinese puts every modifier before its noun (A 的 B: the B of A; 比赛最多的城市: the city with the most matches);
English puts a clause after it ('that …', 'with …', 'of …'). Translators read English cue order ('name of',
'with the most', 'that did not'): the questions they learned from are English. Each clause (up to a punctuation
mark) is cut at 的 into segments, folded from the right: a segment of nouns is 'of' it, one ending with a
superlative is 'with the <superlative> …', one with a comparison is 'with …', any other is 'that …'; a single
adjective stays before its noun. A command word leading the clause (list, show) stays first, and a question word
ending it (是什么, 叫什么名字, 是哪个) goes first, as English asks.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

__all__ = ["order"]

_CLAUSE_END = re.compile(r"[，,。；;？?！!\n]")
_LEADS = frozenset(("show", "list", "find", "give", "tell"))
_TAILS = {"what": "what is", "what is": "what is", "which": "which", "who": "who", "name": "what is the name of"}
SUPERLATIVES = frozenset(
    "highest most largest lowest fewest smallest most expensive cheapest best-selling most popular earliest latest "
    "most recent longest shortest heaviest lightest youngest oldest fastest slowest most common".split(" ")
) | {"most expensive", "best-selling", "most popular", "most recent", "most common"}
_COMPARE = ("more than", "less than", "at least", "at most", "equal to", "longer than", "shorter than", "between")
_NEGATIONS = frozenset(("not", "never", "no", "did not", "do not", "do not have", "without", "except", "excluding"))
_NOUNISH = frozenset(("name", "value", "word", "latin", "unknown", "time"))
_DETERMINERS = frozenset(("all", "distinct", "the"))
_AGGREGATES = frozenset(("total", "average", "maximum", "minimum", "median"))
_PREDICATES = SUPERLATIVES | _NEGATIONS | {"is", "which", "what", "what is", "who", "how many"}


class _Span(Protocol):
    @property
    def text(self) -> str: ...
    @property
    def kind(self) -> str: ...


def order(words: Sequence[str], spans: Sequence[_Span]) -> list[str]:
    """`words` (one per span, '' for a span with no English) in English order, clause by clause; a sort order
    ('按身高升序': by height ascending) goes last, as 'in ascending order of height'."""
    out: list[str] = []
    sort: list[str] = []
    clause: list[tuple[str, str]] = []  # (word, kind); kind 'de' marks 的
    for word, span in [*zip(words, spans, strict=True), ("", _End())]:
        if _CLAUSE_END.search(span.text) or isinstance(span, _End):
            rest, by = _sort_order(clause)
            out += _clause(rest)
            sort += by
            clause = []
        elif span.text.endswith("的") and not word.strip():  # 的, and 过的 as jieba keeps it ('攀登过的山')
            clause.append(("", "de"))
        elif word.strip():
            clause.append((word, span.kind))
    return out + sort


class _End:
    text = "。"
    kind = "space"


_ASCENDING = frozenset(("ascending", "lowest to highest", "fewest to most"))
_DESCENDING = frozenset(("descending", "highest to lowest", "most to fewest"))
_SORTS = _ASCENDING | _DESCENDING | {"sorted", "order", "ranked by", "oldest first", "youngest first"}


def _sort_order(items: list[tuple[str, str]]) -> tuple[list[tuple[str, str]], list[str]]:
    """A 'by X <direction>' in `items` taken out as 'in <direction> order of X' (the clause without it, the
    phrase); `items` unchanged when it has none."""
    by = next((i for i, (w, _) in enumerate(items) if w == "by"), None)
    if by is None:
        return items, []
    end = next((i for i in range(by + 1, len(items)) if items[i][0] in _SORTS), None)
    if end is None:
        return items, []
    last = end
    while last + 1 < len(items) and items[last + 1][0] in _SORTS:
        last += 1
    words = {w for w, _ in items[end : last + 1]}
    key = [w for w, kind in items[by + 1 : end] if kind != "de"]
    direction = "ascending " if words & _ASCENDING else "descending " if words & _DESCENDING else ""
    if not key or key in (["letter"], ["alphabet"]):  # '按升序列出', '按字母升序': in (alphabetical) order
        kind = "alphabetical " if key else ""
        return items[:by] + items[last + 1 :], [f"in {direction}{kind}order"]
    extra = sorted(words - _SORTS)  # 'oldest first'
    phrase = [f"in {direction}order of", *key] if direction else ["ordered by", *key, *extra]
    return items[:by] + items[last + 1 :], phrase


def _clause(items: list[tuple[str, str]]) -> list[str]:
    lead: list[str] = []
    while items and items[0][0] in _LEADS:
        lead.append(items.pop(0)[0])
    tail: list[str] = []
    while items and items[-1][0] in _TAILS and items[-1][1] == "function":
        tail.insert(0, _TAILS[items.pop()[0]])
    while items and items[-1][0] == "is":
        items.pop()  # '是' before a question word: 'what is' says it
    segments: list[list[tuple[str, str]]] = [[]]
    for item in items:
        if item[1] == "de":
            segments.append([])
        else:
            segments[-1].append(item)
    segments = [s for s in segments if s]
    if not segments:
        return lead + tail
    front = tail[:1] if tail else []
    both = _both(segments)
    if both is not None:
        return lead + front + both
    if any(w in ("and", "or") for s in segments[1:-1] for w, _ in s):  # 'A的机场和B的机场': not one noun phrase
        return lead + front + [w for s in segments for w, _ in s]
    return lead + front + _fold(segments)


def _fold(segments: list[list[tuple[str, str]]]) -> list[str]:
    """Segments cut at 的 as one English noun phrase: each modifier attached after the noun that follows it."""
    phrase = [w for w, _ in segments[-1]]
    for mod in reversed(segments[:-1]):
        if any(w in _PREDICATES or w.startswith(_COMPARE) for w in phrase):
            phrase = [w for w, _ in mod] + phrase  # '城市举办的赛事最多': the head is a clause, not a noun
        else:
            phrase = _attach(phrase, mod)
    return phrase


def _both(segments: list[list[tuple[str, str]]]) -> list[str] | None:
    """'既有高度超过5600的山又有高度低于5200的山的国家' -> 'country that have both mountain with height more than 5600
    and mountain with height less than 5200': the two noun phrases of 既…又… each in English order, after the noun
    they describe; None when the clause is not of that shape."""
    if len(segments) < 3 or segments[0][0][0] != "both":
        return None
    split = [(i, j) for i, s in enumerate(segments[1:-1], 1) for j, (w, _) in enumerate(s) if w == "and"]
    if len(split) != 1:
        return None
    i, j = split[0]
    left = [segments[0][1:], *segments[1:i], segments[i][:j]]
    right = [segments[i][j + 1 :], *segments[i + 1 : -1]]
    if not all(left) or not all(right):
        return None
    head = [w for w, _ in segments[-1]]
    return [*head, "that have both", *_fold(left), "and", *_fold(right)]


def _attach(head: list[str], mod: list[tuple[str, str]]) -> list[str]:
    """`mod` (the words before a 的) attached to `head` (the noun phrase after it), in English order."""
    words = [w for w, _ in mod]
    if all(kind == "time" for _, kind in mod):  # '2024年的总销售额': total revenue in 2024
        return [*head, *words]
    if len(words) == 1 and (words[0] in SUPERLATIVES or words[0] in _DETERMINERS or words[0] in _AGGREGATES):
        return words + head  # '最高的山': highest mountain
    if words[0] == "per":
        return [*head, "for each", *words[1:]]
    if "how many" in words:  # '球员有多少种不同的位置': how many distinct positions of players
        i = words.index("how many")
        return [*words[i:], *head, "of", *(w for w in words[:i] if w != "have")]
    if any(w in _NEGATIONS for w in words):
        return [*head, "that", *words]
    if words[-1] in ("most common", "most popular"):  # '摔跤手最常见的统治期': the most common reign of wrestlers
        return [words[-1], *head, "of", *words[:-1]]
    if words[-1] in SUPERLATIVES and len(words) > 2 and mod[0][1] == "word":  # '举办比赛最多': hosted the most
        return [*head, "that", words[0], "the", words[-1], *words[1:-1]]
    if words[-1] in SUPERLATIVES and len(words) > 1:
        return [*head, "with the", words[-1], *words[:-1]]  # '国际旅客最多的机场': with the most passengers
    if any(w.startswith(_COMPARE) or w == "is" for w in words):  # '有一个以上办公室的建筑': with more than 1 office
        return [*head, "with", *(w for w in words if w != "have")]
    kinds = {kind for _, kind in mod}
    if all(kind in _NOUNISH or w in _DETERMINERS for w, kind in mod) and not {"time", "word"} <= kinds:
        return [*head, "of", *words]  # not '2024年6月30日之后注册': a time and a verb are a clause
    return [*head, "that", *words]

"""Chinese numbers, dates and time phrases as English: the phrases a rule can read exactly, with their offsets.

    number("两万") -> 20000, number("450万") -> 4500000, number("1.85") -> 1.85, number("十五") -> 15
    phrases("2010年以后开业的") -> [Phrase(0, 7, 'after 2010', 'time')]

Chinese numerals are read by cn2an ("smart" mode: digits and numerals mixed, 万/亿 as multipliers), with 两 read
as 二. Time phrases ('过去三个月', '2024年6月', '上周', '前十名') and ranges ('在10到15之间': 'between 10 and 15')
become the English words the translator reads.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["MONTHS", "NUMERAL", "Phrase", "number", "phrases"]

NUMERAL = "[0-9零〇一二两三四五六七八九十百千万亿]"
_NUM = rf"(?:\d+(?:\.\d+)?{NUMERAL}*|{NUMERAL}+)"
MONTHS = "january february march april may june july august september october november december".split()
_UNITS = {"天": "days", "日": "days", "周": "weeks", "星期": "weeks", "礼拜": "weeks", "月": "months",
          "季度": "quarters", "年": "years"}  # fmt: skip
_FIXED = {
    "上周": "last week", "上星期": "last week", "上个月": "last month", "上月": "last month", "本周": "this week",
    "这周": "this week", "本星期": "this week", "本月": "this month", "这个月": "this month", "今年": "this year",
    "去年": "last year", "今天": "today", "昨天": "yesterday", "本季度": "this quarter",
}  # fmt: skip
_MONTH_NUMERALS = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二"]


@dataclass(frozen=True)
class Phrase:
    """A phrase read by a rule: [start, end) in the text, its English, and its kind ('time' or 'number')."""

    start: int
    end: int
    english: str
    kind: str


def number(text: str) -> int | float:
    """The value of a number written in digits, Chinese numerals or both ('两万' -> 20000, '1.5万' -> 15000);
    ValueError when `text` is not a number."""
    try:
        return _plain(float(text))
    except ValueError:
        pass
    import cn2an

    try:
        return _plain(float(cn2an.cn2an(text.replace("两", "二"), "smart")))
    except (ValueError, KeyError, IndexError) as exc:
        raise ValueError(f"{text!r} is not a number") from exc


def _plain(value: float) -> int | float:
    return int(value) if value.is_integer() else value


def _n(text: str) -> str:
    value = number(text)
    return str(value)


def _day(m: re.Match[str]) -> str:
    """'2024年6月30日之后' -> 'after 2024-06-30'."""
    day = f"{m[1]}-{int(m[2]):02d}-{int(m[3]):02d}"
    if not m[4]:
        return day
    return f"{'after' if m[4] in ('之后', '以后', '后') else 'before'} {day}"


def _month(text: str) -> str:
    return MONTHS[_MONTH_NUMERALS.index(text) if text in _MONTH_NUMERALS else int(text) - 1]


_BETWEEN_UNIT = r"(?:年|岁|米|公里|公斤|千克|元|美元|分|个|人|名|家|次)?"
_RULES: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str], str]] = [
    (
        re.compile(
            rf"(?:在|介于|处于)?\s*({_NUM}){_BETWEEN_UNIT}\s*(?:到|至|和|与|-|~|～)\s*({_NUM}){_BETWEEN_UNIT}\s*之间"
        ),
        lambda m: f"between {_n(m[1])} and {_n(m[2])}",
        "number",
    ),
    (re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})[日号]?\s*(之后|以后|后|之前|以前|前)?"), lambda m: _day(m), "time"),
    (re.compile(r"(\d{4})年(\d{1,2})月(?!\d)"), lambda m: f"{_month(m[2])} {m[1]}", "time"),
    (re.compile(r"(\d{4})年?\s*(?:及|或|和)\s*(?:之后|以后)"), lambda m: f"{m[1]} or later", "time"),
    (re.compile(r"(\d{4})年?\s*(?:及|或|和)\s*(?:之前|以前)"), lambda m: f"{m[1]} or earlier", "time"),
    (re.compile(r"(\d{4}-\d{2}-\d{2}|\d{4}年)\s*(?:之后|以后|后)"), lambda m: f"after {m[1].rstrip('年')}", "time"),
    (re.compile(r"(\d{4}-\d{2}-\d{2}|\d{4}年)\s*(?:之前|以前|前)"), lambda m: f"before {m[1].rstrip('年')}", "time"),
    (re.compile(r"自\s*(\d{4})年?\s*以来"), lambda m: f"since {m[1]}-01-01", "time"),
    (re.compile(r"(\d{4})年(?!代|龄|度|级|限|纪|轻|份额)"), lambda m: f"in {m[1]}", "time"),
    (
        re.compile(rf"(?:过去|最近|近|前|上)\s*的?\s*({_NUM})\s*个?\s*(天|日|周|星期|礼拜|月|季度|年)"),
        lambda m: f"last {_n(m[1])} {_UNITS[m[2]]}",
        "time",
    ),
    (re.compile("|".join(sorted(_FIXED, key=len, reverse=True))), lambda m: _FIXED[m[0]], "time"),
    (
        re.compile(rf"({_NUM})\s*(天|日|周|星期|个月|月|年)\s*(?:之前|以前|前)"),
        lambda m: f"{_n(m[1])} {_UNITS[m[2].removeprefix('个')]} ago",
        "time",
    ),
    (
        re.compile(r"(十[一二]|[一二三四五六七八九十])月份?|(1[0-2]|[1-9])月份?(?![0-9])"),
        lambda m: _month(m[1] or m[2]),
        "time",
    ),
    (re.compile(rf"前\s*({_NUM})\s*(?:个|名|位|款|家|种|大|条|部|座|艘)?"), lambda m: f"top {_n(m[1])}", "number"),
]


def phrases(text: str) -> list[Phrase]:
    """The time and ranking phrases of `text` the rules read, left to right, not overlapping (earlier rules win
    where two start together)."""
    found: list[Phrase] = []
    for pattern, english, kind in _RULES:
        for m in pattern.finditer(text):
            if any(p.start < m.end() and m.start() < p.end for p in found):
                continue
            try:
                found.append(Phrase(m.start(), m.end(), english(m), kind))
            except ValueError:
                continue
    return sorted(found, key=lambda p: p.start)

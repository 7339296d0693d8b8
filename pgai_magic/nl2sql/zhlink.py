"""Chinese questions on schemas described in Chinese: comment phrases and stored Chinese values linked before the
question is mapped onto English words (text.to_english)."""

from __future__ import annotations

import re

from pgai_magic.catalog import Catalog, words
from pgai_magic.nl2sql.text import has_cjk, lemma, to_english

__all__ = ["zh_names", "zh_to_english"]


def zh_names(catalog: Catalog) -> dict[str, str]:
    """Chinese comments of tables and columns -> the English words of their names ('性别' -> 'gender',
    '员工信息表' and '员工' -> 'employees'), so Chinese questions link through the comments."""
    found: dict[str, str] = {}
    pieces: dict[str, set[str]] = {}
    for t in catalog.tables.values():
        pairs = [(t.comment, t.name)] + [(c.comment, c.name) for c in t.columns]
        for comment, name in pairs:
            english = " ".join(lemma(w) for w in words(name))  # Chinese has no plural: 部门 is one department
            if not comment or not has_cjk(comment) or not english:
                continue
            for part in re.split(r"[\s,，;；:：、。()（）\[\]【】/|]+", comment):
                part = part.strip()
                if not has_cjk(part):
                    continue
                found.setdefault(part, english)
                for suffix in _ZH_SUFFIXES:
                    if part.endswith(suffix) and len(part) > len(suffix) + 1:
                        found.setdefault(part[: -len(suffix)], english)
                for size in range(2, len(part)):
                    for i in range(len(part) - size + 1):
                        pieces.setdefault(part[i : i + size], set()).add(english)
    for piece, owners in pieces.items():
        if len(owners) == 1 and has_cjk(piece) and piece not in found:
            found[piece] = next(iter(owners))  # '工资' of '月工资': a piece only one comment has
    for t in catalog.tables.values():
        for c in t.columns:
            for v in c.values or []:
                if has_cjk(v) and '"' not in v:
                    found.setdefault(v, f'"{v}"')  # a stored Chinese value, linked as a quoted literal
    return found


_ZH_SUFFIXES = ("信息表", "数据表", "记录表", "明细表", "表", "信息", "记录", "数据", "明细", "列表")


def _apply_zh_names(question: str, names: dict[str, str]) -> str:
    """`question` with the longest Chinese comment phrases replaced by their names' English words."""
    if not names:
        return question
    pattern = re.compile("|".join(re.escape(k) for k in sorted(names, key=len, reverse=True)))
    return pattern.sub(lambda m: f" {names[m.group()]} ", question)


def zh_to_english(question: str, names: dict[str, str]) -> str:
    """to_english, after comment phrases became names; stored Chinese values come back as quoted literals."""
    values: list[str] = []

    def hold(m: re.Match[str]) -> str:
        values.append(m.group())
        return f" zhvalue{len(values) - 1} "

    held = re.sub(r'"[^"]*"', hold, _apply_zh_names(question, names))
    english = to_english(held)
    return re.sub(r"zhvalue(\d+)", lambda m: values[int(m.group(1))], english)

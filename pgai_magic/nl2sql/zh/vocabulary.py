"""What a schema calls things, for linking Chinese words to it: English name words of tables and columns, their
Chinese comments, and stored values.

    vocab = Vocabulary.of(catalog)
    vocab.choose(("house pet",))              -> Choice('pets', 'table', 'public.pets', 0.8)
    vocab.choose(("clean and jerk",))         -> Choice('clean jerk', 'column', 'body_builder.clean_jerk', 0.9)
    vocab.choose(("United Kingdom", "UK"))    -> Choice('"United Kingdom"', 'value', 'climber.country', 1.0)
    vocab.comment_names                       -> {'客户名称': 'customer name', '客户': 'customer', ...}

A candidate English phrase links when its words are a name's words (1.0), lie inside one name ('clean and jerk'
-> clean_jerk, 0.9), end with a name's last word ('military rank' -> rank, 0.7), or spell a name written as one
word ('bodybuilder' ~ body_builder, 0.6); a candidate that is a stored value (any case) links as that value.
Only pgai_magic.catalog (and the English singular of nl2sql.text) is used; nothing here knows how the English
translator links words.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pgai_magic.catalog import Catalog, words
from pgai_magic.nl2sql.text import lemma as singular  # a plain English singular: Chinese has no plural

__all__ = ["Choice", "Vocabulary"]

_STOP = frozenset(
    "a an the of in on at to for from with by and or is are be as its it this that one ones sth sb".split()
)
_COMMENT_SPLIT = re.compile(r"[\s,，;；:：、。()（）\[\]【】/|]+")
_COMMENT_SUFFIXES = ("信息表", "数据表", "记录表", "明细表", "表", "信息", "记录", "数据", "明细", "列表")
_CJK = re.compile(r"[\u3400-\u9fff]")


def _key(text: str) -> tuple[str, ...]:
    return tuple(singular(w) for w in words(text) if w not in _STOP)


@dataclass(frozen=True)
class Choice:
    """The English a Chinese word is rendered as: `text`, what it links to (`kind` 'table' | 'column' | 'value' |
    '' for none, `target` its 'schema.table[.column]'), and how sure the link is (0..1)."""

    text: str
    kind: str = ""
    target: str = ""
    score: float = 0.0


@dataclass
class Vocabulary:
    """The names (English words -> what they name), Chinese comment phrases and stored values of one schema."""

    names: dict[tuple[str, ...], tuple[str, str, str]] = field(default_factory=dict)  # key -> (text, kind, target)
    values: dict[str, tuple[str, str]] = field(default_factory=dict)  # lower-case value -> (value, 'table.column')
    comment_names: dict[str, str] = field(default_factory=dict)  # Chinese phrase -> English name words
    zh_values: dict[str, str] = field(default_factory=dict)  # stored Chinese value -> 'table.column'
    embedder: Any = None  # optional: an object with embed_batch(texts) -> unit vectors (n, dim), and `ready`
    _matrix: Any = field(default=None, repr=False)

    @classmethod
    def of(cls, catalog: Catalog | None, *, embedder: Any = None) -> Vocabulary:
        """The vocabulary of `catalog`'s tables (an empty one for None); with `embedder` (a sentence-transformer:
        `embed_batch(texts)` -> unit vectors), a word no name matches may link by similarity (`nearest`)."""
        vocab = cls(embedder=embedder)
        if catalog is None:
            return vocab
        for t in catalog.tables.values():
            vocab.add_name(t.name, "table", t.key)
            vocab.add_comment(t.comment, t.name)
            for c in t.columns:
                vocab.add_name(c.name, "column", f"{t.key}.{c.name}")
                vocab.add_comment(c.comment, c.name)
                for v in c.values or []:
                    vocab.add_value(v, f"{t.key}.{c.name}")
        vocab.finish_comments()
        return vocab

    def add_name(self, name: str, kind: str, target: str) -> None:
        key = _key(name)
        if key and (key not in self.names or kind == "table"):  # Chinese has no plural: 产品 is one product
            self.names[key] = (" ".join(singular(w) for w in words(name)), kind, target)

    def add_value(self, value: str, target: str) -> None:
        if _CJK.search(value):
            if '"' not in value:
                self.zh_values.setdefault(value, target)
        elif value.strip():
            self.values.setdefault(value.strip().lower(), (value, target))

    def add_comment(self, comment: str | None, name: str) -> None:
        """'客户名称' (the comment of customer_name) and '客户名称' without its '表'/'信息' ending -> its name words."""
        english = " ".join(singular(w) for w in words(name))
        if not comment or not _CJK.search(comment) or not english:
            return
        for part in _COMMENT_SPLIT.split(comment):
            if not _CJK.search(part):
                continue
            self.comment_names.setdefault(part, english)
            for suffix in _COMMENT_SUFFIXES:
                if part.endswith(suffix) and len(part) > len(suffix) + 1:
                    self.comment_names.setdefault(part[: -len(suffix)], english)

    def finish_comments(self) -> None:
        """Pieces of comments that only one name's comment holds ('工资' of '月工资') link to that name too."""
        pieces: dict[str, set[str]] = {}
        for part, english in list(self.comment_names.items()):
            for size in range(2, len(part)):
                for i in range(len(part) - size + 1):
                    pieces.setdefault(part[i : i + size], set()).add(english)
        for piece, owners in pieces.items():
            if len(owners) == 1 and _CJK.search(piece) and piece not in self.comment_names:
                self.comment_names[piece] = next(iter(owners))

    def choose(self, candidates: Sequence[str]) -> Choice:
        """The candidate that links best (ties: the earlier one); the first candidate unlinked when none does."""
        best = Choice(candidates[0] if candidates else "")
        for k, cand in enumerate(candidates):
            found = self.link(cand)
            if found.score > best.score + 1e-9 * k:
                best = found
        return best

    def name(self, phrase: str) -> Choice:
        """The table or column whose name's words are exactly `phrase`'s ('born state' -> born_state), or Choice(phrase)
        with no kind."""
        exact = self.names.get(_key(phrase))
        return Choice(exact[0], exact[1], exact[2], 1.0) if exact is not None else Choice(phrase)

    def link(self, phrase: str) -> Choice:
        """What `phrase` (English) names in this schema: a stored value, a table or column, or nothing."""
        hit = self.values.get(phrase.strip().lower())
        if hit is not None and len(phrase) > 1:
            return Choice(f'"{hit[0]}"', "value", hit[1], 1.0)
        head = phrase.strip().lower().split(" ")[-1]
        hit = self.values.get(head) if len(phrase.split()) == 2 and len(head) > 3 else None
        if hit is not None:  # 'early morning' (早上) for 'Morning'; not 'use in total' (共用) for 'Total'
            return Choice(f'"{hit[0]}"', "value", hit[1], 0.8)
        key = _key(phrase)
        if not key:
            return Choice(phrase)
        exact = self.names.get(key)
        if exact is not None:
            return Choice(exact[0], exact[1], exact[2], 1.0)
        best = Choice(phrase)
        if " of " in phrase:  # 'name of a person' (名字) is a name, not a person: its head comes first
            key = _key(phrase.split(" of ")[0]) or key
        for name_key, (text, kind, target) in self.names.items():
            score = _overlap(key, name_key)
            if score > best.score or (score == best.score > 0 and kind == "table" and best.kind != "table"):
                shown = text if score >= 0.9 else " ".join(w for w in key if w in name_key) or text
                best = Choice(shown, kind, target, score)
        return best

    def nearest(self, candidates: Sequence[str], *, threshold: float = 0.5, margin: float = 0.08) -> Choice:
        """The name most similar to any of `candidates` by the embedder (cosine of unit vectors), when it is at
        least `threshold` and `margin` above the next name; Choice(candidates[0]) otherwise (or with no embedder,
        or while it loads)."""
        none = Choice(candidates[0] if candidates else "")
        if self.embedder is None or not candidates or not getattr(self.embedder, "ready", True):
            return none
        targets = list(self.names.values())
        if self._matrix is None:
            self._matrix = np.asarray(self.embedder.embed_batch([t[0] for t in targets]), dtype=np.float32)
        if not len(targets):
            return none
        sims = np.asarray(self.embedder.embed_batch(list(candidates)), dtype=np.float32) @ self._matrix.T
        per_target = sims.max(axis=0)
        order = np.argsort(-per_target)
        best = float(per_target[order[0]])
        second = float(per_target[order[1]]) if len(order) > 1 else -1.0
        if best < threshold or best - second < margin:
            return none
        text, kind, target = targets[int(order[0])]
        return Choice(text, kind, target, 0.5)

    def linked_words(self) -> Iterable[str]:
        """Every word of every name (for tests and tracing)."""
        return sorted({w for key in self.names for w in key})


def _overlap(key: tuple[str, ...], name: tuple[str, ...]) -> float:
    """How well the words `key` name `name`: inside it (0.9), its last word (0.7), one word of it or the head of a
    one-word compound ('work' ~ artwork, 0.5), the same letters ('bodybuilder' ~ 'body builder', 0.6); 0 when
    unrelated."""
    if len(key) > 1 and set(key) <= set(name):
        return 0.9
    if key[-1] == name[-1] and len(key[-1]) > 2:
        return 0.7
    joined, other = "".join(key), "".join(name)
    if len(joined) > 5 and difflib.SequenceMatcher(None, joined, other).ratio() >= 0.85:
        return 0.6
    if len(key) == 1 and key[0] in name and len(key[0]) > 3:
        return 0.5
    if len(key) == 1 and len(name) == 1 and len(key[0]) > 3 and name[0].endswith(key[0]):
        return 0.5  # the head of a compound written as one word: 'work' ~ artwork, 'line' ~ storyline
    return 0.0

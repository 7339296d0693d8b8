"""Requests to change data, found in a question before anything is built, and refused."""

from __future__ import annotations

import re

from pgai_magic.errors import GuardError
from pgai_magic.nl2sql.lexicon import CUES
from pgai_magic.nl2sql.text import tokenize
from pgai_magic.nl2sql.zh.lexicon import FUNCTION as ZH_FUNCTION

__all__ = ["refuse_writes"]

# words that may open a request without being its verb ('please', 'can you', 'go ahead and', 'quickly')
_POLITE = frozenset(
    """please can could would will you i want to let us let's lets kindly go ahead and now just we need should must
    show me how do then also""".split()
)
# verbs that change data wherever they stand in a question
_ALWAYS = frozenset("delete drop truncate insert erase wipe grant revoke alter purge upsert".split())
# verbs that change data (or run commands) when they open a clause ('mark order 5 as shipped')
_HEADS = frozenset(
    """mark move assign undo restore merge archive save copy lock fix vacuum reindex cluster comment execute prepare
    notify listen call commit rollback begin discard reassign import load destroy kill terminate deduplicate
    dedupe overwrite store write apply""".split()
)
_CREATED = frozenset(
    """table schema view index function procedure role user database extension trigger sequence type policy
    column""".split()
)
_NOT_AN_ORDER = frozenset({"a", "an", "me", "us", "the"})  # 'make a list of…' reads; 'make customer 4 a…' writes
# Chinese verbs that change data ('删除', '设置', '添加'): in a Chinese question they always mean a write
_ZH_WRITES = {zh: en for zh, en in ZH_FUNCTION.items() if en in _ALWAYS or CUES.get(en, ("",))[0] == "write"}
# clause boundaries: statement separators, line breaks, SQL comments and string concatenation
_CLAUSES = re.compile(r";|\n|\r|--|/\*|\*/|\|\|")


def _verb(words: list[str]) -> str | None:
    """The data-changing verb of one clause's words, or None."""
    found = next((w for w in words if w in _ALWAYS), None)
    if found is not None:
        return found
    head_at = next(
        (k for k, w in enumerate(words) if w not in _POLITE and not (w.endswith("ly") and len(w) > 4)),
        None,
    )
    if head_at is not None:
        head = words[head_at]
        if CUES.get(head, ("",))[0] == "write" or head in _HEADS:
            return head
        after = words[head_at + 1] if head_at + 1 < len(words) else ""
        if head == "make" and after and after not in _NOT_AN_ORDER:
            return head
    for k, w in enumerate(words):
        rest = words[k + 1 :]
        if w == "update" and "set" in rest:
            return w
        if w == "create" and _CREATED & set(rest[:3]):
            return w
    return None


def refuse_writes(question: str) -> None:
    """GuardError when any clause of `question` asks to change data (English words; map Chinese first)."""
    zh = next((en for word, en in _ZH_WRITES.items() if word in question), None)
    for clause in _CLAUSES.split(question):
        words = [t.text for t in tokenize(clause) if t.kind == "word"]
        verb = zh or _verb(words)
        if verb is not None:
            shown = question if len(question) <= 160 else question[:157] + "..."
            raise GuardError(
                f"questions may only read data: {shown.strip()!r} asks to {verb}; "
                "nothing was run (write SQL yourself in a %%pgai cell to change data)"
            )

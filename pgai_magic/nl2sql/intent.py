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
# verbs that change data: as the head of a clause, or anywhere when what follows is what they would change
_ALWAYS = frozenset("delete drop truncate insert erase wipe grant revoke alter purge upsert".split())
# words after a verb that make it an order ('delete from', 'drop table', 'grant select', 'delete them')
_OBJECTS = frozenset(
    """from table tables into schema database index view column role user all every everything them it these those
    privileges privilege permission permissions access select usage on rows records data""".split()
)
# words after a head verb that make it a noun ('grant amount per year', 'update frequency', 'change rate')
_NOUN_NEXT = frozenset(
    """amount amounts total totals type types id ids date dates year years size sizes count counts value values
    rate rates number numbers status history log logs frequency time times level levels per by of 's category
    categories program programs title titles name names holder holders recipient recipients period""".split()
)
_TIME_UNITS = frozenset("second minute hour day week month quarter year decade".split())
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
    """The data-changing verb of one clause's words, or None: an order, not a noun ('grant amount') or a date
    truncation ('truncate the date to month'), which read."""
    for k, w in enumerate(words):
        after = words[k + 1] if k + 1 < len(words) else ""
        if w in _ALWAYS and after in _OBJECTS and not _truncates_time(w, words[k + 1 :]):
            return w
    head_at = next(
        (k for k, w in enumerate(words) if w not in _POLITE and not (w.endswith("ly") and len(w) > 4)),
        None,
    )
    if head_at is not None:
        head = words[head_at]
        after = words[head_at + 1] if head_at + 1 < len(words) else ""
        is_order = head in _ALWAYS or CUES.get(head, ("",))[0] == "write" or head in _HEADS
        if is_order and after not in _NOUN_NEXT and not _truncates_time(head, words[head_at + 1 :]):
            return head
        if head == "make" and after and after not in _NOT_AN_ORDER:
            return head
    for k, w in enumerate(words):
        rest = words[k + 1 :]
        if w == "update" and "set" in rest:
            return w
        if w == "create" and _CREATED & set(rest[:3]):
            return w
    return None


def _truncates_time(verb: str, rest: list[str]) -> bool:
    """'truncate the date to month', 'round the timestamps to the hour': a read, not TRUNCATE."""
    if verb not in ("truncate", "round"):
        return False
    return any(w in ("to", "by") and any(u.rstrip("s") in _TIME_UNITS for u in rest[k + 1 : k + 3])
               for k, w in enumerate(rest))  # fmt: skip


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

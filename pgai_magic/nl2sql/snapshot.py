"""A translator `State` as plain JSON-ready data, pass by pass: what tests/nl2sql/golden holds and a reader inspects.

    snapshot(state)          -> {field: plain value} of every field
    trace_snapshot(states)   -> [{"pass": name, field: value …}] with only the fields each pass changed

Columns are written 'schema.table.column', tokens 'text/lemma/kind[=value]', items
'start-end kind[:arg] [mention or value]', SQL as a list of lines.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import Any

from pgai_magic.catalog import Column
from pgai_magic.nl2sql.analysis import Analysis, Item
from pgai_magic.nl2sql.linking import Mention
from pgai_magic.nl2sql.pipeline import State
from pgai_magic.nl2sql.reading import Reader
from pgai_magic.nl2sql.text import Tok

__all__ = ["snapshot", "trace_snapshot"]


def snapshot(state: State) -> dict[str, Any]:
    """Every field of `state` as plain data (strings, numbers, lists, dicts)."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(state):
        value = getattr(state, f.name)
        if f.name == "expression":
            continue  # the same as `sql`
        if f.name == "readings":
            out[f.name] = [{"tables": _tables(r), "confidence": round(a.confidence(), 6)} for r, a in value]
        elif f.name == "used":
            out[f.name] = [k for k, u in enumerate(value) if u]
        elif f.name == "sql":
            out[f.name] = value.splitlines()
        else:
            out[f.name] = _plain(value)
    return out


def trace_snapshot(states: Sequence[tuple[str, State]], start: State) -> list[dict[str, Any]]:
    """For each (pass name, state after it): the pass's name and the fields it changed, after `start`'s fields."""
    before = snapshot(start)
    steps: list[dict[str, Any]] = [{"pass": "(given)", **before}]
    for name, state in states:
        now = snapshot(state)
        steps.append({"pass": name, **{k: v for k, v in now.items() if before.get(k) != v}})
        before = now
    return steps


def _tables(reader: Reader) -> list[str]:
    return sorted(reader.catalog.tables)


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, bool)):
        return value
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, Reader):
        return _tables(value)
    if isinstance(value, Column):
        return f"{value.table}.{value.name}"
    if isinstance(value, Tok):
        return f"{value.text}/{value.lemma}/{value.kind}" + ("" if value.value is None else f"={_plain(value.value)}")
    if isinstance(value, Mention):
        return _mention(value)
    if isinstance(value, Item):
        return _item(value)
    if isinstance(value, Analysis):
        return {
            "items": [_item(it) for it in value.items],
            "weight": [round(w, 6) for w in value.weight],
            "confidence": round(value.confidence(), 6),
        }
    if isinstance(value, (set, frozenset)):
        return sorted(_plain(v) for v in value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: _plain(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if getattr(value, f.name) != f.default and getattr(value, f.name) not in ([], set(), None)
        }
    return repr(value)


def _mention(m: Mention) -> str:
    text = f"{m.kind}"
    if m.table:
        text += f" {m.table}"
    if m.columns:
        text += " [" + ", ".join(_plain(c) for c in m.columns) + "]"
    if m.concept:
        text += f" concept={m.concept}"
    if m.value is not None:
        text += f" value={m.value!r}"
    return text + f" via={m.via} score={round(m.score, 3)}"


def _item(it: Item) -> str:
    text = f"{it.start}-{it.end} {it.kind}" + (f":{it.arg}" if it.arg else "")
    if it.mention is not None:
        return f"{text} ({_mention(it.mention)})"
    if it.value is not None:
        return f"{text} {_plain(it.value)}"
    return text

"""Tab completion for %pgai lines: sub-commands, table names where a table goes, TABLE.COLUMN where a column goes.
Names come from the catalog (pgai_magic.catalog) on the session's connection, cached for a few seconds."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from pgai_magic import catalog
from pgai_magic.commands import COMMANDS
from pgai_magic.workflow import explore

__all__ = ["NameCache", "complete_line"]

_TABLE_AFTER = {"FROM", "JOIN", "INTO", "UPDATE", "TABLE", "--TABLE", "-T", "COLUMNS", "PROFILE", "PERSIST"}
_COLUMN_COMMANDS = {"embed", "similar", "plot", "profile"}


class NameCache:
    """Table and column names of a session, read at most every `ttl` seconds."""

    def __init__(self, run: Callable[..., Any], ttl: float = 10.0) -> None:
        self._read = explore.catalog_read(run)
        self._ttl = ttl
        self._tables: tuple[float, list[str]] | None = None
        self._columns: dict[str, tuple[float, list[str]]] = {}

    def tables(self) -> list[str]:
        if self._tables is None or time.monotonic() - self._tables[0] > self._ttl:
            found = catalog.list_relations(self._read, partitions=True, temporary=False, order="written", sizes=False)
            self._tables = (time.monotonic(), [r.written for r in found])
        return self._tables[1]

    def columns(self, table: str) -> list[str]:
        cached = self._columns.get(table)
        if cached is None or time.monotonic() - cached[0] > self._ttl:
            rel = catalog.find_relation(self._read, table, table)
            cached = (time.monotonic(), [a.name for a in catalog.read_attributes(self._read, rel)] if rel else [])
            self._columns[table] = cached
        return cached[1]


def complete_line(line: str, symbol: str, names: NameCache) -> list[str]:
    """Completions for the word `symbol` being typed at the end of a `%pgai …` line."""
    words = line.split()
    typed = words[1:] if words and words[0].lstrip("%") == "pgai" else words
    before = typed[:-1] if symbol and typed else typed
    if not before:
        return sorted(c for c in COMMANDS if c.startswith(symbol))
    if "." in symbol and before[0] in _COLUMN_COMMANDS:
        table, _, start = symbol.rpartition(".")
        return [f"{table}.{c}" for c in names.columns(table) if c.startswith(start)]
    if before[-1].upper() in _TABLE_AFTER or (len(before) == 1 and before[0] in _COLUMN_COMMANDS | {"columns"}):
        return [t for t in names.tables() if t.startswith(symbol)]
    return []

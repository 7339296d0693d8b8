"""Tab completion for %pgai lines and %%pgai cell bodies: sub-commands, options, table names where a table goes,
TABLE.COLUMN and alias.column where a column goes, SQL keywords. Names come from the catalog (pgai_magic.catalog) on
the session's connection, cached for a few seconds; aliases are read from the statement's tokens (sqlglot)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

from sqlglot.tokens import TokenType

from pgai_magic import catalog
from pgai_magic.commands import COMMANDS
from pgai_magic.sqltext import starts_statement, tokenize
from pgai_magic.workflow import explore

__all__ = ["KEYWORDS", "NameCache", "complete_cell", "complete_line", "complete_sql", "options_of", "sql_aliases"]

_TABLE_AFTER = {"FROM", "JOIN", "INTO", "UPDATE", "TABLE", "--TABLE", "-T", "COLUMNS", "PROFILE", "PERSIST"}
_COLUMN_COMMANDS = {"embed", "similar", "plot", "profile"}
_SQL_BODY_COMMANDS = {"insights", "explain", "unload"}  # %%pgai CMD whose cell body is SQL
KEYWORDS = (
    "SELECT", "FROM", "WHERE", "GROUP BY", "ORDER BY", "HAVING", "LIMIT", "OFFSET", "JOIN", "LEFT JOIN",
    "INNER JOIN", "FULL JOIN", "CROSS JOIN", "ON", "USING", "AS", "AND", "OR", "NOT", "IN", "EXISTS", "BETWEEN",
    "LIKE", "ILIKE", "IS NULL", "IS NOT NULL", "DISTINCT", "CASE", "WHEN", "THEN", "ELSE", "END", "WITH", "UNION",
    "UNION ALL", "INTERSECT", "EXCEPT", "ASC", "DESC", "NULLS LAST", "NULLS FIRST", "INSERT INTO", "VALUES",
    "UPDATE", "SET", "DELETE FROM", "RETURNING", "CREATE TABLE", "CREATE INDEX", "DROP TABLE", "ALTER TABLE",
    "TRUNCATE", "EXPLAIN", "ANALYZE", "BEGIN", "COMMIT", "ROLLBACK", "count(", "sum(", "avg(", "min(", "max(",
    "coalesce(", "date_trunc(", "extract(", "over (", "partition by", "filter (where",
)  # fmt: skip
_OPTION = re.compile(r"(?<![\w-])(--[a-z][a-z0-9-]*|-[a-z])\b")


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


def options_of(command: str | None) -> list[str]:
    """The options of a sub-command (read from its usage), or of a SQL cell (None): what `%pgai --⇥` offers."""
    if command is None or command not in COMMANDS:
        from pgai_magic.commands.base import sql_parser

        return sorted({o for a in sql_parser()._actions for o in a.option_strings if o.startswith("--")})
    return sorted(set(_OPTION.findall(COMMANDS[command].usage)) | {"-h"})


def complete_line(line: str, symbol: str, names: NameCache) -> list[str]:
    """Completions for the word `symbol` being typed at the end of a `%pgai …` line (or a `%%pgai …` first line)."""
    words = line.split()
    typed = words[1:] if words and words[0].lstrip("%") == "pgai" else words
    before = typed[:-1] if symbol and typed else typed
    if symbol.startswith("-"):
        command = before[0] if before and before[0] in COMMANDS else None
        return [o for o in options_of(command) if o.startswith(symbol)]
    if not before:
        return sorted(c for c in COMMANDS if c.startswith(symbol))
    if before[0] not in COMMANDS and starts_statement(" ".join(before)):  # one-line SQL
        text = " ".join(typed)
        return complete_sql(" ".join(before), text, symbol, names)
    if "." in symbol and before[0] in _COLUMN_COMMANDS:
        table, _, start = symbol.rpartition(".")
        return [f"{table}.{c}" for c in names.columns(table) if c.startswith(start)]
    if before[-1].upper() in _TABLE_AFTER or (len(before) == 1 and before[0] in _COLUMN_COMMANDS | {"columns"}):
        return [t for t in names.tables() if t.startswith(symbol)]
    return []


def complete_cell(first_line: str, before: str, body: str, symbol: str, names: NameCache) -> list[str]:
    """Completions inside a `%%pgai` cell body: SQL (tables, columns, aliases, keywords) unless the sub-command's
    body is not SQL (`%%pgai ask` takes a question). `before` is the body up to the cursor, `body` all of it."""
    words = first_line.split()
    command = words[1] if len(words) > 1 and words[1] in COMMANDS else None
    if command is not None and command not in _SQL_BODY_COMMANDS:
        return []
    return complete_sql(before[: len(before) - len(symbol)], body, symbol, names)


def complete_sql(before: str, sql: str, symbol: str, names: NameCache) -> list[str]:
    """Completions for `symbol` typed in SQL after the text `before`: after FROM / JOIN / INTO / UPDATE → tables;
    `alias.` / `table.` → its columns; elsewhere → the columns of the statement's tables, SQL keywords (in the case
    typed) and tables. `sql` is the whole statement (its FROM list names the aliases)."""
    words = before.split()
    tables = [t for t in names.tables() if t.startswith(symbol)]
    if words and words[-1].upper() in _TABLE_AFTER:
        return tables
    aliases = sql_aliases(sql)
    if "." in symbol:
        prefix, _, start = symbol.rpartition(".")
        table = aliases.get(prefix, prefix)
        return [f"{prefix}.{c}" for c in names.columns(table) if c.startswith(start)]
    low = symbol.lower()
    columns = sorted({c for t in set(aliases.values()) for c in names.columns(t) if c.lower().startswith(low)})
    upper = not symbol or symbol[:1].isupper()
    keywords = [k if upper else k.lower() for k in KEYWORDS if k.lower().startswith(low) and symbol]
    return columns + keywords + [t for t in tables if t not in columns]


def sql_aliases(sql: str) -> dict[str, str]:
    """Names the statement gives its tables: alias → table, and each table's own name (and last part) → itself.
    Read from sqlglot's tokens after FROM, JOIN and the commas of a FROM list; text it cannot read gives none."""
    try:
        tokens = tokenize(sql)
    except Exception:  # noqa: BLE001 - unfinished SQL the tokenizer cannot read: no aliases
        return {}
    found: dict[str, str] = {}
    i, in_from = 0, False
    while i < len(tokens):
        kind = tokens[i].token_type
        if kind in (TokenType.FROM, TokenType.JOIN) or (in_from and kind == TokenType.COMMA):
            in_from = True
            i = _read_table(tokens, i + 1, found)
            continue
        if kind in (TokenType.WHERE, TokenType.GROUP_BY, TokenType.ORDER_BY, TokenType.L_PAREN, TokenType.SEMICOLON):
            in_from = False
        i += 1
    return found


def _read_table(tokens: list[Any], i: int, found: dict[str, str]) -> int:
    """Read `name[.name…] [AS] [alias]` at tokens[i]; record it in `found`; the index after it."""
    parts: list[str] = []
    while i < len(tokens) and tokens[i].token_type in (TokenType.VAR, TokenType.IDENTIFIER):
        parts.append(tokens[i].text)
        if i + 1 < len(tokens) and tokens[i + 1].token_type == TokenType.DOT:
            i += 2
            continue
        i += 1
        break
    if not parts:
        return i
    table = ".".join(parts)
    found.setdefault(table, table)
    found.setdefault(parts[-1], table)
    if i < len(tokens) and tokens[i].token_type == TokenType.ALIAS:
        i += 1
    if i < len(tokens) and tokens[i].token_type in (TokenType.VAR, TokenType.IDENTIFIER):
        found[tokens[i].text] = table
        i += 1
    return i

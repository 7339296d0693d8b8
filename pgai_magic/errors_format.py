"""Render a server error as psql does: message, SQLSTATE, the offending line and a caret."""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pgai_magic.errors import SQLError


def caret_lines(statement: str, position: int) -> list[str]:
    """Return the line of `statement` holding 1-based character `position`, and a caret under it."""
    offset = max(position - 1, 0)
    start = statement.rfind("\n", 0, offset) + 1
    end = statement.find("\n", offset)
    if end == -1:
        end = len(statement)
    line_no = statement.count("\n", 0, offset) + 1
    prefix = f"LINE {line_no}: "
    line = statement[start:end]
    # the caret line copies tabs and counts wide (CJK) characters twice, so it stays under the character
    pad = "".join(
        "\t" if ch == "\t" else "  " if unicodedata.east_asian_width(ch) in "WF" else " "
        for ch in line[: offset - start]
    )
    return [prefix + line, " " * len(prefix) + pad + "^"]


def format_sql_error(err: SQLError) -> str:
    """One readable block: 'ERROR: msg (SQLSTATE x)', the line with a caret, detail and hint."""
    head = f"ERROR: {err.message}"
    if err.sqlstate:
        head += f" (SQLSTATE {err.sqlstate})"
    lines = [head]
    if err.statement and err.position:
        lines.extend(caret_lines(err.statement, err.position))
    if err.detail:
        lines.append(f"DETAIL: {err.detail}")
    if err.hint:
        lines.append(f"HINT: {err.hint}")
    if err.context:
        lines.append(f"CONTEXT: {err.context}")
    return "\n".join(lines)

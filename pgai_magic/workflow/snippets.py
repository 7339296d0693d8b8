"""Saved queries as CTEs (JupySQL's `--save` / `--with`): `--with a,b` puts the saved queries in front of a cell as
`WITH a AS (…), b AS (…)`, each snippet's own dependencies first, merged into the cell's own WITH if it has one."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlglot.tokens import TokenType

from pgai_magic.errors import ConfigError
from pgai_magic.sqltext import split_statements, tokenize

__all__ = ["check_snippet", "delete_snippet", "order_snippets", "referenced", "with_snippets"]


def referenced(sql: str, snippets: Mapping[str, Any]) -> tuple[str, ...]:
    """Saved snippet names the SQL uses as names (JupySQL resolves them without --with too)."""
    try:
        names = {t.text for t in tokenize(sql) if t.token_type == TokenType.VAR}
    except Exception:  # noqa: BLE001 - text the tokenizer cannot read uses no snippet
        return ()
    return tuple(n for n in snippets if n in names)


def check_snippet(name: str, sql: str) -> str:
    """The snippet's single statement; ConfigError for a name that is not a plain SQL name or for several statements."""
    try:
        kinds = [t.token_type for t in tokenize(name)]
    except Exception:  # noqa: BLE001
        kinds = []
    if not name.isidentifier() or kinds != [TokenType.VAR]:
        raise ConfigError(f"--save needs a name usable as a table name in SQL (not a keyword), not {name!r}")
    statements = split_statements(sql)
    if len(statements) != 1:
        raise ConfigError(f"a snippet is one query, and this cell holds {len(statements)} statements")
    return statements[0].text


def order_snippets(names: Sequence[str], snippets: Mapping[str, Any]) -> list[str]:
    """`names` and everything they use, dependencies before dependents (ConfigError for unknown names, cycles)."""
    ordered: list[str] = []
    visiting: list[str] = []

    def visit(name: str) -> None:
        if name in ordered:
            return
        if name not in snippets:
            known = ", ".join(sorted(snippets)) or "none saved yet (%%pgai --save NAME)"
            raise ConfigError(f"no saved snippet {name!r}: saved snippets are {known}")
        if name in visiting:
            cycle = " → ".join([*visiting[visiting.index(name) :], name])
            raise ConfigError(f"snippet {name!r} would use itself ({cycle})")
        visiting.append(name)
        for dep in snippets[name].uses:
            visit(dep)
        visiting.pop()
        ordered.append(name)

    for name in names:
        visit(name)
    return ordered


def delete_snippet(name: str, snippets: dict[str, Any]) -> None:
    """Forget snippet `name` (as JupySQL's `--delete`); ConfigError, changing nothing, when there is no such snippet
    or other snippets use it (they would stop working)."""
    if name not in snippets:
        known = ", ".join(sorted(snippets)) or "none saved yet (%%pgai --save NAME)"
        raise ConfigError(f"no saved snippet {name!r}: saved snippets are {known}")
    users = sorted(other for other, s in snippets.items() if name in s.uses)
    if users:
        raise ConfigError(
            f"snippet {name!r} is used by {', '.join(repr(u) for u in users)}: delete those first (nothing was deleted)"
        )
    del snippets[name]


def with_snippets(sql: str, names: Sequence[str], snippets: Mapping[str, Any]) -> str:
    """The cell's single statement prefixed by the snippets as CTEs (ConfigError if the cell holds several)."""
    if not names:
        return sql
    statements = split_statements(sql)
    if len(statements) != 1:
        raise ConfigError(f"--with prefixes one statement: the cell holds {len(statements)}")
    body = statements[0].text
    ctes = ", ".join(
        f"{name} AS (\n{split_statements(snippets[name].sql)[0].text}\n)" for name in order_snippets(names, snippets)
    )
    tokens = tokenize(body)
    if tokens and tokens[0].token_type == TokenType.WITH:
        after = 1
        recursive = len(tokens) > 1 and tokens[1].text.upper() == "RECURSIVE"
        start = tokens[after + 1].start if recursive else tokens[after].start
        return f"WITH {'RECURSIVE ' if recursive else ''}{ctes}, {body[start:]}"
    return f"WITH {ctes}\n{body}"

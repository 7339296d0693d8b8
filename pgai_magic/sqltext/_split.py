"""SQL text handling with sqlglot's tokenizer: split cells into statements, bind `:name` parameters."""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp
from sqlglot.dialects.postgres import Postgres
from sqlglot.tokens import Token, TokenType

from pgai_magic.errors import ParameterError

__all__ = [
    "WRITE_NODES",
    "Statement",
    "bind_parameters",
    "check_positional",
    "check_templates",
    "inline_placeholders",
    "quote_ident",
    "replace_spans",
    "split_statements",
    "tokenize",
]

_DIALECT = Postgres()
# sqlglot nodes that write, change the session or leave the read-only world: never allowed where only a
# read is (generated SQL, a --where filter)
WRITE_NODES: tuple[type[exp.Expr], ...] = (
    exp.Insert,
    exp.Update,
    exp.Delete,
    exp.Merge,
    exp.Create,
    exp.Drop,
    exp.Alter,
    exp.TruncateTable,
    exp.Command,
    exp.Copy,
    exp.Grant,
    exp.Transaction,
    exp.Commit,
    exp.Rollback,
    exp.Set,
    exp.Use,
    exp.Block,
    exp.Into,
)
_SLICE_LEFT = {TokenType.VAR, TokenType.NUMBER, TokenType.R_BRACKET, TokenType.R_PAREN, TokenType.NAME}


@dataclass
class Statement:
    """One statement of a cell: its text, offset in the cell, and bound parameter values."""

    text: str
    offset: int = 0
    params: list[Any] = field(default_factory=list)
    # (position in text, length there, length in the original) for each substitution, in order
    edits: list[tuple[int, int, int]] = field(default_factory=list)
    # the notebook variable behind each parameter, where one is (for error messages)
    param_names: list[str] = field(default_factory=list)

    def original_position(self, position: int) -> int:
        """Map a 1-based position in `text` back to the 1-based position in the original cell."""
        shift = 0
        for at, new_len, old_len in self.edits:
            if position - 1 >= at + new_len:
                shift += old_len - new_len
            elif position - 1 >= at:
                return at + shift + 1 + self.offset
        return position + shift + self.offset


def tokenize(sql: str) -> list[Token]:
    """Tokens of `sql` in the PostgreSQL dialect (strings, comments and dollar quotes respected)."""
    return list(_DIALECT.tokenize(sql))


def split_statements(sql: str) -> list[Statement]:
    """Split a cell on top-level semicolons; empty statements and comment-only tails are dropped."""
    try:
        tokens = tokenize(sql)
    except Exception:  # noqa: BLE001 - text sqlglot cannot tokenize goes to the server whole
        text = sql.strip().rstrip(";").strip()
        return [Statement(text=text, offset=sql.find(text))] if text else []
    statements: list[Statement] = []
    start = 0
    has_tokens = False
    for tok in tokens:
        if tok.token_type == TokenType.SEMICOLON:
            if has_tokens:
                statements.append(_slice(sql, start, tok.start))
            start = tok.end + 1
            has_tokens = False
        else:
            has_tokens = True
    if has_tokens:
        statements.append(_slice(sql, start, len(sql)))
    return statements


def _slice(sql: str, start: int, end: int) -> Statement:
    raw = sql[start:end]
    stripped = raw.lstrip()
    offset = start + (len(raw) - len(stripped))
    return Statement(text=stripped.rstrip(), offset=offset)


def _raw_strings(text: str, tokens: list[Token]) -> list[tuple[int, str]]:
    """(offset, text) of the raw STRING tokens in which sqlglot keeps the rest of a statement it does not parse
    (EXECUTE …): their positions are not reliable, so they are found after the token before them."""
    out = []
    for before, tok in itertools.pairwise(tokens):
        if tok.token_type == TokenType.STRING:
            rest = text[before.end + 1 :]
            at = before.end + 1 + len(rest) - len(rest.lstrip())
            if text.startswith(tok.text, at) and not text.startswith(("'", "$"), at):
                out.append((at, tok.text))
    return out


def _placeholders(text: str) -> list[tuple[int, int, int]] | None:
    """(start, end, n) of each `$n` placeholder outside strings and comments; None when it cannot be tokenized."""
    try:
        tokens = tokenize(text)
    except Exception:  # noqa: BLE001
        return None
    found = []
    for tok, nxt in itertools.pairwise(tokens):
        if tok.token_type == TokenType.PARAMETER and nxt.token_type == TokenType.NUMBER and nxt.start == tok.end + 1:
            if nxt.text.isdigit():
                found.append((tok.start, nxt.end + 1, int(nxt.text)))
    for at, raw in _raw_strings(text, tokens):
        inner = _placeholders(raw) or []
        found.extend((at + a, at + b, n) for a, b, n in inner)
    return sorted(found)


def parameter_names(text: str) -> list[tuple[int, int, str]]:
    """(start, end, name) of each `:name` placeholder; casts, `:=`, slices, strings, comments skipped."""
    try:
        tokens = tokenize(text)
    except Exception:  # noqa: BLE001
        return []
    found: list[tuple[int, int, str]] = []
    for at, raw in _raw_strings(text, tokens):
        found.extend((at + a, at + b, n) for a, b, n in parameter_names(raw))
    for i, tok in enumerate(tokens[:-1]):
        if tok.token_type != TokenType.COLON:
            continue
        nxt = tokens[i + 1]
        if nxt.start != tok.end + 1 or not nxt.text.isidentifier():
            continue
        if nxt.token_type in (TokenType.STRING, TokenType.IDENTIFIER):
            continue
        prev = tokens[i - 1] if i else None
        if prev is not None and prev.end + 1 == tok.start and prev.token_type in _SLICE_LEFT:
            continue  # arr[a:b] is a slice, not a parameter
        if prev is not None and prev.token_type == TokenType.L_BRACKET:
            continue  # arr[:hi] is a slice with no lower bound (write arr[(:i)] for a parameter index)
        found.append((tok.start, nxt.end + 1, nxt.text))
    return sorted(found)


_DOUBLE_BRACES = re.compile(r"\{\{\s*([A-Za-z_]\w*)\s*\}\}")
_SINGLE_BRACES = re.compile(r"(?<!\{)\{([A-Za-z_]\w*)\}(?!\})")


def check_templates(text: str, namespace: Mapping[str, Any]) -> None:
    """Refuse JupySQL/IPython templates (`{{x}}`, `{x}` naming a notebook variable): they are never expanded.

    pgai_magic binds values server-side with `:x`; a template left in the SQL would silently be literal text.
    Raises ParameterError naming the template and the `:name` to write instead.
    """
    found = _DOUBLE_BRACES.search(text)
    if found is None:
        found = next((m for m in _SINGLE_BRACES.finditer(text) if m.group(1) in namespace), None)
        if found is None:
            return
        extra = " (for a PostgreSQL array literal naming the same word, write ARRAY['x'] or '{\"x\"}')"
    else:
        extra = ""
    name = found.group(1)
    raise ParameterError(
        f"{found.group(0)} is a template, and pgai_magic does not expand templates into SQL text: write :{name} "
        f"to bind the notebook variable {name!r} as a server-side parameter{extra.replace('x', name)}"
    )


def check_positional(text: str) -> None:
    """Refuse `$1`-style placeholders typed beside `:name` parameters (the cell numbers its own parameters).

    Raises ParameterError; `$n` alone (PREPARE, a function body) is left to the server.
    """
    if not parameter_names(text):
        return
    found = _placeholders(text) or []
    if found:
        raise ParameterError(
            f"${found[0][2]} is a positional placeholder, which a cell does not bind beside :name parameters: "
            f"bind every value as :name (a notebook variable)"
        )


def bind_parameters(stmt: Statement, namespace: Mapping[str, Any]) -> Statement:
    """Replace each `:name` with `$n` and collect its value; the same name reuses its number."""
    found = parameter_names(stmt.text)
    if not found:
        return stmt
    numbers: dict[str, int] = {}
    values: list[Any] = list(stmt.params)
    names = list(stmt.param_names) + [""] * (len(values) - len(stmt.param_names))
    pieces: list[str] = []
    edits = list(stmt.edits)
    last = 0
    out_len = 0
    for start, end, name in found:
        if name not in namespace:
            raise ParameterError(
                f"parameter :{name} has no value: define a variable named {name!r} in the notebook "
                f"(or write ::{name} for a cast)"
            )
        if name not in numbers:
            values.append(namespace[name])
            names.append(name)
            numbers[name] = len(values)
        placeholder = f"${numbers[name]}"
        pieces.append(stmt.text[last:start])
        out_len += start - last
        edits.append((out_len, len(placeholder), end - start))
        pieces.append(placeholder)
        out_len += len(placeholder)
        last = end
    pieces.append(stmt.text[last:])
    return Statement(text="".join(pieces), offset=stmt.offset, params=values, edits=edits, param_names=names)


def replace_spans(stmt: Statement, spans: Sequence[tuple[int, int, str]], params: list[Any]) -> Statement:
    """Replace (start, end, new text) spans of `stmt.text`, keeping `edits` mapped to the original cell.

    Earlier edits that touch a replaced span are folded into it; the others move with the text.
    """
    old = sorted(stmt.edits)
    widened: list[tuple[int, int, str]] = []
    for start, end, new in sorted(spans):
        for at, new_len, _ in old:
            if at < end and start < at + new_len:  # overlaps: cover the whole earlier edit
                if at < start:
                    new, start = stmt.text[at:start] + new, at
                if at + new_len > end:
                    new, end = new + stmt.text[end : at + new_len], at + new_len
        widened.append((start, end, new))
    pieces: list[str] = []
    edits: list[tuple[int, int, int]] = []
    last = shift = 0
    for start, end, new in widened:
        absorbed = sum(o - n for at, n, o in old if start <= at and at + n <= end)
        pieces.append(stmt.text[last:start])
        edits.append((start + shift, len(new), end - start + absorbed))
        pieces.append(new)
        shift += len(new) - (end - start)
        last = end
    pieces.append(stmt.text[last:])
    for at, n, o in old:
        if any(start <= at and at + n <= end for start, end, _ in widened):
            continue
        moved = sum(len(new) - (end - start) for start, end, new in widened if end <= at)
        edits.append((at + moved, n, o))
    return Statement(text="".join(pieces), offset=stmt.offset, params=params, edits=sorted(edits))


def inline_placeholders(stmt: Statement, literals: Sequence[str]) -> Statement | None:
    """`stmt` with each `$n` placeholder replaced by `literals[n-1]` (positions still map to the cell).

    None when the text cannot be tokenized (the caller then binds server-side instead).
    """
    found = _placeholders(stmt.text)
    if found is None:
        return None
    spans = [(a, b, literals[n - 1]) for a, b, n in found if 0 < n <= len(literals)]
    return replace_spans(stmt, spans, [])


# PostgreSQL's reserved key words (and those reserved as names of types or functions): always quoted when printed
_RESERVED = frozenset(
    """all analyse analyze and any array as asc asymmetric both case cast check collate column constraint create
    current_catalog current_date current_role current_time current_timestamp current_user default deferrable desc
    distinct do else end except false fetch for foreign from grant group having in initially intersect into lateral
    leading limit localtime localtimestamp not null offset on only or order placing primary references returning
    select session_user some symmetric system_user table then to trailing true union unique user using variadic when
    where window with authorization binary collation concurrently cross current_schema freeze full ilike inner is
    isnull join left like natural notnull outer overlaps right similar tablesample verbose""".split()
)


def quote_ident(name: str) -> str:
    """`name` as PostgreSQL's quote_ident prints it: bare when a lowercase plain word, else double-quoted."""
    plain = name.isidentifier() and name == name.lower() and name.isascii() and name not in _RESERVED
    return name if plain else '"' + name.replace('"', '""') + '"'

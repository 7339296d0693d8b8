"""Query-time embedding: `pgai.embed('text')` in a cell becomes a bound vector parameter computed here."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlglot.tokens import Token, TokenType

from pgai_magic.errors import ParameterError
from pgai_magic.sqltext import Statement, bind_parameters, replace_spans, tokenize

__all__ = ["EmbedCall", "find_embed_calls", "replace_spans", "rewrite_embed_calls", "vector_literal"]

_NAME_TOKENS = (TokenType.VAR, TokenType.IDENTIFIER)
_TEXT_TOKENS = (TokenType.STRING, TokenType.HEREDOC_STRING, TokenType.RAW_STRING)
_HOW = "to embed a column, run %pgai embed table.column and use its <column>_embedding vectors"


@dataclass(frozen=True)
class EmbedCall:
    """One `pgai.embed(...)` in a statement: its span and the text to embed."""

    start: int
    end: int
    text: str
    model: str | None = None


def _is_name(tok: Token, name: str) -> bool:
    if tok.token_type == TokenType.IDENTIFIER:  # quoted: exact case
        return tok.text == name
    return tok.token_type == TokenType.VAR and tok.text.lower() == name


def find_embed_calls(text: str, namespace: Mapping[str, Any]) -> list[EmbedCall]:
    """Every `pgai.embed(<literal or :name>)` in `text` (found with sqlglot's tokenizer)."""
    if "embed" not in text.lower():  # most statements: no need to tokenize
        return []
    try:
        tokens = tokenize(text)
    except Exception:  # noqa: BLE001 - text sqlglot cannot tokenize goes to the server as typed
        return []
    calls: list[EmbedCall] = []
    i = 0
    while i + 3 < len(tokens):
        head = tokens[i : i + 4]
        if not (
            _is_name(head[0], "pgai")
            and head[1].token_type == TokenType.DOT
            and _is_name(head[2], "embed")
            and head[3].token_type == TokenType.L_PAREN
        ):
            i += 1
            continue
        depth, j = 1, i + 4
        while j < len(tokens) and depth:
            depth += {TokenType.L_PAREN: 1, TokenType.R_PAREN: -1}.get(tokens[j].token_type, 0)
            j += 1
        if depth:
            return calls  # unbalanced: let the server report it
        args = tokens[i + 4 : j - 1]
        call = text[tokens[i].start : tokens[j - 1].end + 1]
        commas = [k for k, tok in enumerate(args) if tok.token_type == TokenType.COMMA and _depth(args, k) == 0]
        model = None
        if len(commas) == 1 and len(args) == commas[0] + 2 and args[-1].token_type in _TEXT_TOKENS:
            model, args = args[-1].text, args[: commas[0]]
        elif commas:
            raise ParameterError(f"{call}: pgai.embed() takes the text to embed and, optionally, a model name")
        calls.append(EmbedCall(tokens[i].start, tokens[j - 1].end + 1, _argument(args, call, text, namespace), model))
        i = j
    return calls


def _depth(tokens: list[Token], index: int) -> int:
    depth = 0
    for tok in tokens[:index]:
        depth += {TokenType.L_PAREN: 1, TokenType.R_PAREN: -1}.get(tok.token_type, 0)
    return depth


def _argument(args: list[Token], call: str, text: str, namespace: Mapping[str, Any]) -> str:
    if len(args) == 1 and args[0].token_type in _TEXT_TOKENS:
        return args[0].text
    if (
        len(args) == 2
        and args[0].token_type == TokenType.COLON
        and args[1].token_type == TokenType.VAR
        and args[1].start == args[0].end + 1
    ):
        name = args[1].text
        if name not in namespace:
            raise ParameterError(f"{call}: parameter :{name} has no value: define a variable named {name!r}")
        value = namespace[name]
        if not isinstance(value, str):
            raise ParameterError(f"{call}: :{name} must be a str to embed, not {type(value).__name__}")
        return value
    if not args:
        raise ParameterError(f"{call} needs the text to embed, e.g. pgai.embed('late delivery')")
    shown = text[args[0].start : args[-1].end + 1]
    raise ParameterError(
        f"{call}: pgai.embed() embeds a text literal or a :variable in the notebook, not {shown!r} "
        f"(a column or an expression is not known before the query runs); {_HOW}"
    )


def vector_literal(vector: np.ndarray) -> str:
    """pgvector's text form, exact for float32 ('[0.1,0.2,...]')."""
    return "[" + ",".join(format(float(x), ".9g") for x in np.asarray(vector, dtype=np.float32)) + "]"


def _edits_as_spans(bound: Statement, before: str) -> list[tuple[int, int, str]]:
    """The edits of `bound` (made on `before` from scratch) as spans of `before`."""
    spans = []
    shift = 0
    for at, n, o in bound.edits:
        start = at - shift
        spans.append((start, start + o, bound.text[at : at + n]))
        shift += n - o
    return spans


def rewrite_embed_calls(
    stmt: Statement, namespace: Mapping[str, Any], embed: Callable[[list[str], str | None], np.ndarray]
) -> Statement:
    """Replace each `pgai.embed(text[, model])` with `CAST($n AS vector)` bound to its embedding, then bind `:name`s.

    `embed(texts, model)` computes the vectors (model None: the session's embedder).
    """
    calls = find_embed_calls(stmt.text, namespace)
    if not calls:
        return stmt
    params = list(stmt.params)
    numbers: dict[tuple[str, str | None], int] = {}
    for model in dict.fromkeys(call.model for call in calls):
        texts = list(dict.fromkeys(call.text for call in calls if call.model == model))
        for text, vector in zip(texts, embed(texts, model)):
            params.append(vector_literal(vector))
            numbers[(text, model)] = len(params)
    spans = [(c.start, c.end, f"CAST(${numbers[(c.text, c.model)]} AS vector)") for c in calls]
    rewritten = replace_spans(stmt, spans, params)
    # bind the other :name parameters now, so every edit is mapped in one consistent list
    bound = bind_parameters(Statement(rewritten.text, rewritten.offset, params=list(params)), namespace)
    if not bound.edits:
        return rewritten
    return replace_spans(rewritten, _edits_as_spans(bound, rewritten.text), bound.params)

"""What a statement is, read from its tokens (never guessed from the text): its kind and the path it takes.

Paths: `query` (SELECT, WITH, VALUES, TABLE: rows through the binary COPY fast path), `copy_out` (`COPY … TO
STDOUT`: the rows as a result), `copy_in` (`COPY … FROM STDIN`: refused with how to load data), `plain`
(everything else: utility, DDL, DML, SHOW, EXPLAIN, DO, CALL, cursors, LISTEN/NOTIFY — run as is).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot.tokens import Token, TokenType

from pgai_magic.sqltext._split import Statement, replace_spans, tokenize

__all__ = ["PLANNABLE", "STATEMENT_WORDS", "Route", "inner_query", "route", "starts_statement"]

# statements the planner plans (the others are utility statements)
PLANNABLE = frozenset({"SELECT", "WITH", "VALUES", "TABLE", "INSERT", "UPDATE", "DELETE", "MERGE"})

# the first word of every SQL command of PostgreSQL 18 (the reference's "SQL Commands", ABORT … VALUES)
STATEMENT_WORDS = frozenset(
    "ABORT ALTER ANALYZE ANALYSE BEGIN CALL CHECKPOINT CLOSE CLUSTER COMMENT COMMIT COPY CREATE DEALLOCATE DECLARE "
    "DELETE DISCARD DO DROP END EXECUTE EXPLAIN FETCH GRANT IMPORT INSERT LISTEN LOAD LOCK MERGE MOVE NOTIFY PREPARE "
    "REASSIGN REFRESH REINDEX RELEASE RESET REVOKE ROLLBACK SAVEPOINT SECURITY SELECT SET SHOW START TABLE TRUNCATE "
    "UNLISTEN UPDATE VACUUM VALUES WITH".split()
)


def starts_statement(text: str) -> bool:
    """Whether `text` starts as a SQL statement does: a command's first word (any case) or `(`, after any comments."""
    try:
        tokens = tokenize(text)
    except Exception:  # noqa: BLE001 - text sqlglot cannot read: judged by its first word
        words = text.split(None, 1)
        return not words or words[0].upper() in STATEMENT_WORDS
    if not tokens:  # only comments: nothing to run, which the runner says
        return True
    return tokens[0].token_type == TokenType.L_PAREN or tokens[0].text.upper() in STATEMENT_WORDS


_QUERY_HEADS = {"SELECT", "WITH", "VALUES", "TABLE"}
_WRITES = {TokenType.INSERT, TokenType.UPDATE, TokenType.DELETE, TokenType.MERGE}


@dataclass(frozen=True)
class Route:
    """How one statement runs: path, its command word, and for COPY TO STDOUT the query it reads."""

    path: str  # "query" | "copy_out" | "copy_in" | "plain"
    command: str  # the first keyword, upper case ("SELECT", "EXPLAIN", "COPY", ...)
    query: str | None = None  # copy_out: the rows to read, as a query
    span: tuple[int, int] | None = None  # copy_out: where that query stands in the text (None: synthesized)
    table: str | None = None  # copy_out of a table: its name as typed (checked on the session before reading)


def route(text: str) -> Route:
    """The Route of one statement's text (comments anywhere are allowed)."""
    try:
        tokens = tokenize(text)
    except Exception:  # noqa: BLE001 - text sqlglot cannot read runs as is; the server judges it
        return Route("plain", text.split(None, 1)[0].upper() if text.split() else "")
    if not tokens:
        return Route("plain", "")
    first = tokens[0]
    head = first.text.upper()
    if first.token_type == TokenType.L_PAREN or head in _QUERY_HEADS:
        command = _first_keyword(tokens)
        if head == "WITH" and any(t.token_type in _WRITES for t in tokens):
            return Route("plain", "WITH")  # data-modifying CTE: run as is, rows through the plain path
        if _has_into(tokens):
            return Route("plain", "SELECT")  # SELECT … INTO creates a table
        return Route("query", command)
    if head == "COPY":
        return _copy_route(text, tokens)
    return Route("plain", head)


def _first_keyword(tokens: list[Token]) -> str:
    for tok in tokens:
        if tok.token_type != TokenType.L_PAREN:
            return tok.text.upper()
    return "SELECT"


def _has_into(tokens: list[Token]) -> bool:
    depth = 0
    for tok in tokens:
        if tok.token_type == TokenType.L_PAREN:
            depth += 1
        elif tok.token_type == TokenType.R_PAREN:
            depth -= 1
        elif depth == 0 and tok.token_type == TokenType.INTO:
            return True
    return False


def _copy_route(text: str, tokens: list[Token]) -> Route:
    """COPY: TO STDOUT becomes a query for the fast path, FROM STDIN is refused, files run as is."""
    words = [t.text.upper() for t in tokens]
    rest = tokens[1:]
    if not rest:
        return Route("plain", "COPY")
    if rest[0].token_type == TokenType.L_PAREN:
        close = _matching(tokens, 1)
        if close is None:
            return Route("plain", "COPY")
        after = words[close + 1 :]
        tail = tokens[close + 3 :]
        span: tuple[int, int] | None = (tokens[1].end + 1, tokens[close].start)
        query = text[tokens[1].end + 1 : tokens[close].start]
        table = None
    else:
        # COPY table [(columns)] TO …
        i = 1
        while i < len(tokens) and tokens[i].token_type not in (TokenType.L_PAREN,) and words[i] not in ("TO", "FROM"):
            i += 1
        table = text[tokens[1].start : tokens[i - 1].end + 1]
        columns = "*"
        if i < len(tokens) and tokens[i].token_type == TokenType.L_PAREN:
            close = _matching(tokens, i)
            if close is None:
                return Route("plain", "COPY")
            columns = text[tokens[i].end + 1 : tokens[close].start].strip()
            i = close + 1
        after = words[i:]
        tail = tokens[i + 2 :]
        query = f"SELECT {columns} FROM ONLY {table}"  # COPY reads the table itself, not its children
        span = None
    if len(after) >= 2 and after[0] == "TO" and after[1] == "STDOUT":
        if not _only_options(tail):
            return Route("plain", "COPY")  # e.g. a WHERE: the server says what is wrong with it
        return Route("copy_out", "COPY", query, span, table)
    if len(after) >= 2 and after[0] == "FROM" and after[1] == "STDIN":
        return Route("copy_in", "COPY")
    return Route("plain", "COPY")


# what may follow `COPY … TO STDOUT`: the options list (PostgreSQL's COPY grammar, new and legacy forms)
_OPTION_WORDS = {
    "WITH", "FORMAT", "CSV", "TEXT", "BINARY", "HEADER", "DELIMITER", "NULL", "QUOTE", "ESCAPE", "FORCE",
    "FORCE_QUOTE", "ENCODING", "AS", "TRUE", "FALSE", "ON", "OFF", "DEFAULT", "(", ")", ",", "*", "1", "0",
}  # fmt: skip


def _only_options(tail: list[Token]) -> bool:
    """True when the tokens after TO STDOUT are COPY options (their quoted values and numbers included)."""
    return all(t.token_type in (TokenType.STRING, TokenType.NUMBER) or t.text.upper() in _OPTION_WORDS for t in tail)


def _matching(tokens: list[Token], open_at: int) -> int | None:
    depth = 0
    for j in range(open_at, len(tokens)):
        if tokens[j].token_type == TokenType.L_PAREN:
            depth += 1
        elif tokens[j].token_type == TokenType.R_PAREN:
            depth -= 1
            if depth == 0:
                return j
    return None


def inner_query(stmt: Statement, how: Route) -> Statement:
    """The query a statement reads: itself, or for COPY … TO STDOUT its query (positions still map to the cell)."""
    if how.path != "copy_out" or how.query is None:
        return stmt
    if how.span is not None:
        spans = [(0, how.span[0], ""), (how.span[1], len(stmt.text), "")]
    else:
        spans = [(0, len(stmt.text), how.query)]
    inner = replace_spans(stmt, [s for s in spans if s[0] < s[1] or s[2]], list(stmt.params))
    inner.param_names = list(stmt.param_names)
    return inner

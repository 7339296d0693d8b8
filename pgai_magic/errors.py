"""The pgai_magic error tree: every error a user sees is a PgaiError with a lowercase message."""

from __future__ import annotations

import unicodedata

__all__ = [
    "ConfigError",
    "ConnectionError",
    "EmbeddingError",
    "FeatureError",
    "GuardError",
    "InsightError",
    "InternalError",
    "ModelError",
    "ParameterError",
    "PgaiError",
    "PrivilegeError",
    "QueryCancelled",
    "ResultTooLarge",
    "SQLError",
    "ServerError",
    "TranslationError",
]


class PgaiError(Exception):
    """Base of every error raised by pgai_magic.

    `notices`: what the server said before the error (NOTICE/WARNING lines, the command tags of the statements of the
    cell that ran before it), shown above the error as psql shows them. `shown`: the message as displayed (set by the
    notebook edge, passwords redacted); `str()` gives it once set.

    In IPython a PgaiError fails the cell (Run All, nbconvert --execute and papermill stop, as psql's ON_ERROR_STOP)
    and is rendered as its message only: IPython calls `_render_traceback_` instead of printing a traceback.
    """

    notices: list[str] = []
    shown: str | None = None

    def __str__(self) -> str:
        return self.shown if self.shown is not None else super().__str__()

    def headline(self) -> str:
        """The message as the notebook shows it: `ERROR: …` for a server error, else `ClassName: message`."""
        text = str(self)
        return text if text.startswith("ERROR") else f"{type(self).__name__}: {text}"

    def _render_traceback_(self) -> list[str]:
        """IPython's hook: the lines shown for this error in place of a traceback (the message only)."""
        return self.headline().splitlines() or [type(self).__name__]


class ConfigError(PgaiError):
    """A setting, option or argument is wrong."""


class ConnectionError(PgaiError):
    """The database cannot be reached."""


class ServerError(PgaiError):
    """The embedded PostgreSQL server could not be started or used."""


class SQLError(PgaiError):
    """The server rejected a statement. Carries SQLSTATE, position and the statement."""

    def __init__(
        self,
        message: str,
        *,
        sqlstate: str | None = None,
        position: int | None = None,
        statement: str | None = None,
        hint: str | None = None,
        detail: str | None = None,
        context: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.sqlstate = sqlstate
        self.position = position
        self.statement = statement
        self.hint = hint
        self.detail = detail
        self.context = context  # where in a function or DO block it happened (the server's CONTEXT)

    def __str__(self) -> str:
        return self.shown if self.shown is not None else format_sql_error(self)


class ParameterError(PgaiError):
    """A `:name` parameter has no value in the namespace or cannot be bound."""


class QueryCancelled(PgaiError):
    """The query was cancelled (Ctrl-C or statement timeout)."""


class ResultTooLarge(PgaiError):
    """A result exceeded the configured fetch limit; the server query was cancelled."""


class GuardError(PgaiError):
    """Generated SQL was refused by the read-only guard."""


class EmbeddingError(PgaiError):
    """The embedding model or the embedding pipeline failed."""


class TranslationError(PgaiError):
    """A natural-language question could not be translated to SQL."""


class ModelError(PgaiError):
    """A model could not be compiled, deployed or found."""


class FeatureError(PgaiError):
    """A feature view could not be defined or found, or a training set could not be built."""


class InsightError(PgaiError):
    """The insight engine could not analyse the requested data."""


class InternalError(PgaiError):
    """A bug in pgai_magic (not in the input): the cell fails with one line; the traceback is kept for `%pgai debug`."""


class PrivilegeError(PgaiError):
    """The role lacks a privilege, or the server an extension, that a feature needs (says what to ask for)."""


# -- rendering a server error as psql does: message, SQLSTATE, the offending line and a caret --
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

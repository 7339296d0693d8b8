"""The pgai_magic error tree: every error a user sees is a PgaiError with a lowercase message."""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "ConnectionError",
    "EmbeddingError",
    "GuardError",
    "InsightError",
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
    cell that ran before it), shown above the error as psql shows them.
    """

    notices: list[str] = []


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
        from pgai_magic.errors_format import format_sql_error

        return format_sql_error(self)


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


class InsightError(PgaiError):
    """The insight engine could not analyse the requested data."""


class PrivilegeError(PgaiError):
    """The role lacks a privilege, or the server an extension, that a feature needs (says what to ask for)."""

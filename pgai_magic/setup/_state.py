"""What set-up found on the server (extensions, whether the `pgai` schema is usable, the version), shared by the
capabilities, and the `requires` check their methods put in front of the `pgai` schema."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pgai_magic import catalog
from pgai_magic.db import Database, scalar
from pgai_magic.display import Record
from pgai_magic.setup._migrations import install_extensions
from pgai_magic.setup._privileges import install_state, needs_state

__all__ = ["EXTENSIONS", "ServerState", "Status", "prepare_server", "requires", "server_status"]

EXTENSIONS = ("vector", "pg_trgm")
F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class ServerState:
    """The server as set-up left it: `extensions` (name → version, None when missing; pgvector is filled in
    when it appears later), `state_missing` (why this role cannot use the pgai schema, else None), the
    `server_version` (SHOW server_version) and the set-up `warnings` shown by `status`."""

    db: Database
    extensions: dict[str, str | None]
    state_missing: str | None
    server_version: str
    warnings: list[str] = field(default_factory=list)


def prepare_server(db: Database, connection_settings: Callable[[str | None], dict[str, str]]) -> ServerState:
    """Install the extensions and the pgai schema where this role may, register pgvector, give every connection
    `connection_settings(pgvector version)`, open the user's connection; what was found as a ServerState.

    Raises ConnectionError when the server cannot be reached, PgaiError when the pgai schema cannot install."""
    conn = db.control
    warnings = install_extensions(conn, EXTENSIONS)
    extensions: dict[str, str | None] = {ext: None for ext in EXTENSIONS}
    extensions.update(catalog.extension_versions(catalog.reader(conn), EXTENSIONS))
    if extensions.get("vector"):
        db.register_vector()
    db.use_settings(connection_settings(extensions.get("vector")))  # hnsw.iterative_scan
    state_missing, more = install_state(conn)  # state_missing: why the pgai schema is unusable
    version = str(scalar(conn, "SHOW server_version"))
    db.open_session()
    return ServerState(db, extensions, state_missing, version, [*warnings, *more])


def requires(feature: str, *, vector: bool = False) -> Callable[[F], F]:
    """Decorate a capability method (its object has `state: ServerState`) that uses the pgai schema (and, with
    `vector`, pgvector): privileges.needs_state's clear PrivilegeError instead of 'permission denied'."""

    def decorate(method: F) -> F:
        @functools.wraps(method)
        def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            return needs_state(feature, vector=vector)(lambda _state: method(self, *args, **kwargs))(self.state)

        return wrapper  # type: ignore[return-value]

    return decorate


@dataclass(repr=False)
class Status(Record):
    """`status`: the server, its extensions, where it runs (the embedded server's data directory, or the
    connection string of an external one with its password masked), whether a transaction is open, warnings,
    and the lines each capability adds (embedder, embedded columns, question memory, LLM backend, …).
    Shown as a two-column table; `status["label"]` reads a line as shown."""

    server: str
    pgvector: str | None
    pg_trgm: str | None
    data_directory: str | None
    connection: str | None
    in_transaction: bool
    warnings: list[str] = field(default_factory=list)
    capabilities: dict[str, Any] = field(default_factory=dict)

    @property
    def mode(self) -> str:
        """ "embedded" (the package's own server) or "external"."""
        return "embedded" if self.data_directory is not None else "external"

    def lines(self) -> dict[str, Any]:
        info: dict[str, Any] = {
            "server": self.server,
            "pgvector": self.pgvector or "not installed",
            "pg_trgm": self.pg_trgm or "not installed",
            "mode": self.mode,
        }
        if self.data_directory is not None:
            info["data directory"] = self.data_directory
        else:
            info["connection"] = self.connection
        info["in transaction"] = self.in_transaction
        if self.warnings:
            info["warnings"] = list(self.warnings)
        info.update(self.capabilities)
        return info


def server_status(state: ServerState, capability_lines: Sequence[dict[str, Any]]) -> Status:
    """The Status of `state`'s server with the lines of each capability (their "warnings" join the set-up's);
    never a password."""
    db = state.db
    warnings = list(state.warnings)
    extra: dict[str, Any] = {}
    for lines in capability_lines:
        for label, value in lines.items():
            if label == "warnings":
                warnings.extend(value)
            else:
                extra[label] = value
    return Status(
        server=f"PostgreSQL {state.server_version}",
        pgvector=state.extensions.get("vector"),
        pg_trgm=state.extensions.get("pg_trgm"),
        data_directory=str(db.embedded.data_dir) if db.embedded is not None else None,
        connection=None if db.embedded is not None else db.display_dsn,
        in_transaction=db.in_transaction,
        warnings=warnings,
        capabilities=extra,
    )

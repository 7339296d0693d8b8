"""What the role and the server allow: pgai's own schema and pgvector, checked before the features that need them.

A role that can only read its tables (no CREATE on the database, no `pgai` schema) still runs SQL cells, `ask`
(without question memory), `insights` and `similar` on columns an admin embedded; the features that keep state
say which GRANTs to ask an admin for (docs/privileges.md), and embedding commands on a server without pgvector
say how to install it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import psycopg

from pgai_magic.db import scalar, server_message
from pgai_magic.errors import PgaiError, PrivilegeError
from pgai_magic.setup._migrations import apply_migrations

if TYPE_CHECKING:
    from pgai_magic.db import Database

__all__ = ["DOC", "ServerFacts", "install_state", "needs_state", "require_vector"]

DOC = "docs/privileges.md"
F = TypeVar("F", bound=Callable[..., Any])


def install_state(conn: psycopg.Connection) -> tuple[str | None, list[str]]:
    """Apply pgai's migrations: (why the schema is not usable by this role or None, warnings for the status)."""
    skipped: list[str] = []
    missing = None
    try:
        apply_migrations(conn, skipped=skipped)
    except psycopg.errors.InsufficientPrivilege as exc:
        exists = scalar(conn, "SELECT to_regnamespace('pgai') IS NOT NULL")
        why = "an admin created it, but this role may not read it" if exists else server_message(exc)
        missing = (
            f"this role cannot use pgai's schema ({why}): SQL cells, ask (without question "
            "memory), insights and similar on columns an admin embedded work; embed, models and remembered questions "
            f"need an admin to run the GRANTs in {DOC}"
        )
    except psycopg.Error as exc:
        raise PgaiError(f"could not install the pgai schema: {server_message(exc)}") from None
    warnings = [missing] if missing else []
    warnings += [f"not installed yet: {s}; it installs when that is there" for s in skipped]
    return missing, warnings


class ServerFacts(Protocol):
    """What the checks read: the Database, the extensions found (name → version or None), why the pgai schema is
    unusable (None when it is usable) and the server version (`pgai_magic.setup.ServerState` is one)."""

    db: Database
    extensions: dict[str, str | None]
    state_missing: str | None
    server_version: str


def require_vector(server: ServerFacts) -> None:
    """PrivilegeError naming how to install pgvector when the server lacks it (checked again each time)."""
    if server.extensions.get("vector"):
        return
    version = scalar(server.db.control, "SELECT extversion FROM pg_extension WHERE extname = 'vector'")
    if version is not None:
        server.extensions["vector"] = version
        server.db.register_vector()
        return
    available = scalar(server.db.control, "SELECT true FROM pg_available_extensions WHERE name = 'vector'")
    major = str(server.server_version).split(".", 1)[0].split()[0]
    how = (
        "it is available on the server: a superuser runs CREATE EXTENSION vector in this database"
        if available
        else f"install it on the server (Debian/Ubuntu: apt-get install postgresql-{major}-pgvector; others: "
        "https://github.com/pgvector/pgvector#installation), then a superuser runs CREATE EXTENSION vector"
    )
    raise PrivilegeError(f"this server has no pgvector extension, which embeddings need: {how}; then reconnect")


def needs_state(feature: str, *, vector: bool = False) -> Callable[[F], F]:
    """Decorate a function of a `ServerFacts` that uses the `pgai` schema (and pgvector): a clear PrivilegeError
    instead of 'permission denied' or 'relation pgai.… does not exist', naming what to ask an admin for."""

    def decorate(method: F) -> F:
        @functools.wraps(method)
        def wrapper(server: ServerFacts, *args: Any, **kwargs: Any) -> Any:
            ask = f"ask an admin to run the GRANTs for {feature} in {DOC}"
            if vector:  # the server's missing piece first: no GRANT gives it
                require_vector(server)
            if server.state_missing:
                raise PrivilegeError(f"{feature} keeps its state in the pgai schema, which this role cannot use: {ask}")
            try:
                return method(server, *args, **kwargs)
            except psycopg.errors.InsufficientPrivilege as exc:
                raise PrivilegeError(f"{feature}: {server_message(exc)}: {ask}") from None
            except PrivilegeError:
                raise
            except PgaiError as err:  # a capability's own error that wraps the server's 'permission denied'
                if "permission denied" not in str(err):
                    raise
                raise PrivilegeError(f"{feature}: {err}: {ask}") from None
            except (psycopg.errors.UndefinedTable, psycopg.errors.UndefinedFunction) as exc:
                if "pgai" not in server_message(exc):
                    raise
                raise PrivilegeError(f"{feature}: {server_message(exc)}: {ask}") from None

        return wrapper  # type: ignore[return-value]

    return decorate

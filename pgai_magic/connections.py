"""The kernel's named sessions (JupySQL's connection aliases): one current, the others kept open until closed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from pgai_magic.errors import ConfigError

__all__ = ["Connections"]


class Connections:
    """Sessions by alias. `current()` opens the default one (embedded or PGAI_DSN) on first use."""

    def __init__(self, opener: Callable[[], Any]) -> None:
        self._open_default = opener
        self._sessions: dict[str, Any] = {}
        self._current: str | None = None

    def current(self) -> Any:
        if self._current is None:
            self.add("default", self._open_default())
        assert self._current is not None
        return self._sessions[self._current]

    @property
    def current_alias(self) -> str | None:
        return self._current

    def add(self, alias: str | None, session: Any) -> str:
        """Make `session` current under `alias`; without an alias it replaces the current one (closing it)."""
        if alias is None:
            alias = self._current or "default"
        old = self._sessions.get(alias)
        if old is not None and old is not session:
            old.close()
        self._sessions[alias] = session
        self._current = alias
        return alias

    def get(self, alias: str | None) -> Any:
        """The session named `alias` (the current one for None); ConfigError naming the known aliases."""
        if alias is None:
            return self.current()
        if alias not in self._sessions:
            raise ConfigError(f"no connection named {alias!r}: {self._known()}")
        return self._sessions[alias]

    def use(self, alias: str) -> Any:
        session = self.get(alias)
        self._current = alias
        return session

    def close(self, alias: str) -> None:
        session = self.get(alias)
        session.close()
        del self._sessions[alias]
        if self._current == alias:
            self._current = next(iter(self._sessions), None)

    def detach(self, alias: str) -> None:
        """Stop tracking a session without closing it (one owned elsewhere)."""
        self.get(alias)
        del self._sessions[alias]
        if self._current == alias:
            self._current = next(iter(self._sessions), None)

    def close_all(self) -> None:
        for session in self._sessions.values():
            session.close()
        self._sessions.clear()
        self._current = None

    def table(self) -> pd.DataFrame:
        """alias, server (never a password), current — one row per open connection."""
        rows = [
            {
                "alias": alias,
                "connection": s.display_dsn,
                "server": f"PostgreSQL {s.state.server_version}",
                "current": alias == self._current,
            }
            for alias, s in self._sessions.items()
        ]
        return pd.DataFrame(rows, columns=["alias", "connection", "server", "current"])

    def _known(self) -> str:
        if not self._sessions:
            return "none is open (%pgai connect DSN --alias A)"
        return "open ones are " + ", ".join(repr(a) for a in self._sessions)

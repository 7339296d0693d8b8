"""Every command goes through the same restart path as SQL cells when the embedded postmaster has died."""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
from IPython.core.interactiveshell import InteractiveShell


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


@pytest.fixture()
def private_ip(monkeypatch: pytest.MonkeyPatch) -> Iterator[InteractiveShell]:
    """A shell with pgai_magic on a private embedded server (the tests kill it)."""
    root = Path(tempfile.mkdtemp(prefix="pgai-recover-"))
    os.chmod(root, 0o755)
    monkeypatch.setenv("PGAI_DATA_DIR", str(root / "pg"))
    InteractiveShell.clear_instance()
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "pgai_magic")
    yield shell
    session = shell.user_ns["_pgai_magics"].connections.current()
    shell.run_line_magic("unload_ext", "pgai_magic")
    InteractiveShell.clear_instance()
    try:
        session.db.embedded.handle.cleanup()
    except Exception:  # it may be down after the last kill
        pass
    shutil.rmtree(root, ignore_errors=True)


def _kill_postmaster(shell: InteractiveShell) -> int:
    session = shell.user_ns["_pgai_magics"].connections.current()
    pid = int((session.db.embedded.data_dir / "postmaster.pid").read_text().split()[0])
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and _alive(pid):  # bounded wait until it is really gone
        time.sleep(0.02)
    assert not _alive(pid)
    return pid


COMMANDS = [
    "status",
    "tables",
    "columns items",
    "ask how many items are there",
    "insights items --budget 5",
    "model list",
    "explain SELECT count(*) FROM items",
    "SELECT count(*) FROM items",
]


@pytest.mark.slow
def test_every_command_restarts_a_dead_embedded_server(private_ip: Any, capsys: pytest.CaptureFixture[str]) -> None:
    shell = private_ip
    shell.run_cell_magic("pgai", "", "CREATE TABLE items (id int PRIMARY KEY, kind text, price numeric);\n"
                         "INSERT INTO items SELECT g, 'k' || (g % 4), g FROM generate_series(1, 200) g")  # fmt: skip
    capsys.readouterr()
    for line in COMMANDS:
        old = _kill_postmaster(shell)
        shell.run_line_magic("pgai", line)
        out = capsys.readouterr()
        assert "restarted" in out.out, (line, out)
        assert "internal error" not in out.err and "Error" not in out.err, (line, out.err)
        session = shell.user_ns["_pgai_magics"].connections.current()
        assert session.status()["pgvector"] != "not installed"
        assert int((session.db.embedded.data_dir / "postmaster.pid").read_text().split()[0]) != old

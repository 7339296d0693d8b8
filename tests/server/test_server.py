"""Embedded server lifecycle, DSN resolution, status without passwords, migrations, the Python API."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg
import pytest

import pgai_magic
from pgai_magic.server import redact_dsn, resolve_dsn
from pgai_magic.session import Session
from pgai_magic.setup import apply_migrations
from pgai_magic.setup._migrations import available

ROOT = Path(__file__).resolve().parents[2]

KERNEL = """
import json, os, sys, time
sys.path.insert(0, sys.argv[1])
import pgai_magic
s = pgai_magic.connect(quiet=True)
pid = s.sql("SELECT pg_backend_pid() AS p")["p"][0]
s.sql("BEGIN; SELECT pg_advisory_xact_lock(42); CREATE TABLE IF NOT EXISTS shared_t (who int); "
      "INSERT INTO shared_t VALUES (:me); COMMIT", me=os.getpid())
info = s.sql("SELECT setting AS dir FROM pg_settings WHERE name = 'data_directory'")["dir"][0]
deadline = time.monotonic() + float(sys.argv[2])
while True:  # wait (bounded) until the other kernel's row shows: both write to one server
    n = int(s.sql("SELECT count(*) AS n FROM shared_t")["n"][0])
    if n >= 2 or time.monotonic() > deadline:
        break
    time.sleep(0.1)
print(json.dumps({"dir": info, "rows": n, "ext": s.state.extensions}))
"""


@pytest.mark.slow
def test_two_kernels_share_one_embedded_server() -> None:
    root = Path(tempfile.mkdtemp(prefix="pgai-two-"))
    os.chmod(root, 0o755)
    data = root / "pg"
    env = {k: v for k, v in os.environ.items() if k not in ("PGAI_DSN", "DATABASE_URL")}
    env["PGAI_DATA_DIR"] = str(data)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", KERNEL, str(ROOT), delay],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for delay in ("90", "90")
    ]
    outs = [p.communicate(timeout=120) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, out + err
    results = [json.loads(out.strip().splitlines()[-1]) for out, _ in outs]
    assert results[0]["dir"] == results[1]["dir"] == str(data.resolve())
    assert results[0]["rows"] == results[1]["rows"] == 2  # each saw the other kernel's row: one server
    assert results[0]["ext"]["vector"] and results[0]["ext"]["pg_trgm"]
    # the last kernel to exit stopped the server
    pidfile = data / "postmaster.pid"
    assert not pidfile.exists()


def test_environment_dsn_is_used(pg_dsn: str, session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("PGAI_DSN", "DATABASE_URL"):
        monkeypatch.delenv("PGAI_DSN", raising=False)
        monkeypatch.delenv("DATABASE_URL", raising=False)
        monkeypatch.setenv(var, pg_dsn)
        with Session() as other:
            status = other.status()
            assert status["mode"] == "external" and other.db.embedded is None
            assert other.sql("SELECT 1 AS x")["x"][0] == 1


def test_status_never_shows_a_password(pg_dsn: str, session: Session) -> None:
    dsn = pg_dsn.replace("postgres:@", "postgres:topsecret@", 1)
    with Session(dsn) as other:
        assert other.dsn == dsn  # the API keeps the real DSN ...
        text = json.dumps(other.status(), default=str)
        assert "topsecret" not in text and "***" in text  # ... output never shows it


@pytest.mark.parametrize(
    ("dsn", "shown"),
    [
        ("postgresql://bob:pw@db.example:5432/sales", "postgresql://bob:***@db.example:5432/sales"),
        (
            "postgresql://bob@db/sales?password=pw&sslmode=require",
            "postgresql://bob@db/sales?password=***&sslmode=require",
        ),
        ("host=db user=bob password=pw dbname=sales", "host=db user=bob password=*** dbname=sales"),
        ("postgresql://db/sales", "postgresql://db/sales"),
    ],
)
def test_redact_dsn(dsn: str, shown: str) -> None:
    assert redact_dsn(dsn) == shown


def test_sqlalchemy_urls_are_normalised(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PGAI_DSN", raising=False)
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg2://u:p@h/db")
    assert resolve_dsn() == "postgresql://u:p@h/db"
    assert resolve_dsn("postgres://x@y/z") == "postgresql://x@y/z"


def test_reuses_jupysql_active_connection(pg_dsn: str, session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    from IPython.core.interactiveshell import InteractiveShell

    monkeypatch.delenv("PGAI_DSN", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    shell = InteractiveShell.instance()
    try:
        shell.run_line_magic("load_ext", "sql")
        shell.run_line_magic("sql", pg_dsn.replace("postgresql://", "postgresql+psycopg2://", 1))
        assert resolve_dsn() is not None
        shell.run_line_magic("load_ext", "pgai_magic")
        info = shell.run_line_magic("pgai", "status")
        assert info["mode"] == "external"
        assert shell.run_line_magic("pgai", "SELECT 3 AS three")["three"][0] == 3
    finally:
        shell.run_line_magic("unload_ext", "pgai_magic")
        from sql.connection import ConnectionManager

        ConnectionManager.close_all() if hasattr(ConnectionManager, "close_all") else None
        ConnectionManager.current = None
        InteractiveShell.clear_instance()


def test_migrations_apply_once(pg_dsn: str, session: Session) -> None:
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        assert apply_migrations(conn) == []  # the session already applied them
        rows = conn.execute("SELECT version, name, checksum FROM pgai.migrations ORDER BY version").fetchall()
        assert [r[0] for r in rows] == [m.version for m in available()]
        assert [r[2] for r in rows] == [m.checksum for m in available()]
        assert conn.execute("SELECT to_regclass('pgai.settings') IS NOT NULL").fetchone() == (True,)


def test_new_scripts_apply_once_each(tmp_path: Path, pg_dsn: str, session: Session) -> None:
    folder = tmp_path / "sql"
    folder.mkdir()
    (folder / "901_one.sql").write_text("CREATE TABLE pgai.mig_probe (a int);")
    (folder / "902_two.sql").write_text("INSERT INTO pgai.mig_probe VALUES (1);")
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        try:
            first = apply_migrations(conn, folder)
            second = apply_migrations(conn, folder)
            assert [m.version for m in first] == [901, 902] and second == []
            assert conn.execute("SELECT count(*) FROM pgai.mig_probe").fetchone() == (1,)
        finally:
            conn.execute("DROP TABLE IF EXISTS pgai.mig_probe")
            conn.execute("DELETE FROM pgai.migrations WHERE version >= 900")


def test_python_api_without_ipython(pg_dsn: str, session: Session) -> None:
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import pgai_magic; "
        "s = pgai_magic.connect(sys.argv[2], quiet=True); "
        "df = s.sql('SELECT :a + 1 AS b', a=41); "
        "print(type(df).__name__, int(df['b'][0]), s.dsn == sys.argv[2], 'IPython' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code, str(ROOT), pg_dsn], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["DataFrame", "42", "True", "False"]
    assert pgai_magic.connect is not None

"""Test fixtures: one embedded PostgreSQL 18 + pgvector per test session (or PGAI_TEST_DSN)."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from IPython.core.interactiveshell import InteractiveShell

from tests.pg_helpers import drop_schema

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
for var in ("PGAI_DSN", "DATABASE_URL"):
    os.environ.pop(var, None)


@pytest.fixture(scope="session")
def pg_data_dir() -> Iterator[Path]:
    """A throw-away data directory for the session's embedded server."""
    root = Path(tempfile.mkdtemp(prefix="pgai-test-"))
    os.chmod(root, 0o755)
    yield root / "pg"
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_dsn(pg_data_dir: Path) -> Iterator[str]:
    """The DSN of a real PostgreSQL with pgvector: PGAI_TEST_DSN, else the embedded server."""
    external = os.environ.get("PGAI_TEST_DSN")
    if external:
        yield external
        return
    from pgai_magic.server import ensure_embedded

    server = ensure_embedded(pg_data_dir, cleanup="delete")
    yield server.dsn
    server.handle.cleanup()  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def session(pg_dsn: str, pg_data_dir: Path):  # type: ignore[no-untyped-def]
    """A pgai_magic session on the test server (embedded mode when no external DSN)."""
    from pgai_magic.session import Session

    if os.environ.get("PGAI_TEST_DSN"):
        sess = Session(pg_dsn)
    else:
        sess = Session(data_dir=pg_data_dir)
    yield sess
    sess.close()


@pytest.fixture()
def conn(pg_dsn: str, session) -> Iterator[psycopg.Connection]:  # type: ignore[no-untyped-def]
    """A plain autocommit psycopg connection (pgvector registered) to check what the code wrote."""
    from pgvector.psycopg import register_vector

    with psycopg.connect(pg_dsn, autocommit=True) as c:
        register_vector(c)
        yield c


@pytest.fixture()
def schema(conn: psycopg.Connection) -> Iterator[str]:
    """A fresh schema per test, dropped afterwards, so tests do not see each other's tables."""
    import uuid

    name = f"t_{uuid.uuid4().hex[:10]}"
    conn.execute(f'CREATE SCHEMA "{name}"')
    yield name
    drop_schema(conn, name)  # a session left holding a lock fails the test instead of hanging the suite


@pytest.fixture()
def ip(pg_data_dir: Path, session: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[InteractiveShell]:
    """A shell with pgai_magic loaded on the embedded default (the test's data directory)."""
    monkeypatch.setenv("PGAI_DATA_DIR", str(pg_data_dir))
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "pgai_magic")
    yield shell
    shell.run_line_magic("unload_ext", "pgai_magic")
    InteractiveShell.clear_instance()

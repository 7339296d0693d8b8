"""An external server: Debian's PostgreSQL 15 (no pgvector), started by the test in a temp directory.

SQL, ask, insights and model deploy run against it as a superuser and as a plain role with the read GRANTs of
docs/privileges.md; embedding commands say pgvector is missing and how to install it. The package is installed
when missing (apt-get, as root); the module is skipped, with the reason printed, only where that cannot be done.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from pgai_magic.errors import PrivilegeError
from pgai_magic.session import Session

BIN = Path("/usr/lib/postgresql/15/bin")


def _install() -> str | None:
    """Install postgresql-15 when missing; the reason it cannot be used, or None."""
    if (BIN / "postgres").exists():
        return None
    if shutil.which("apt-get") is None:
        return "no apt-get on this machine (Debian's postgresql-15 cannot be installed)"
    if os.geteuid() != 0:
        return "postgresql-15 is not installed and installing it needs root"
    done = subprocess.run(["apt-get", "install", "-y", "-q", "postgresql-15"], capture_output=True, text=True,
                          env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"}, timeout=600)  # fmt: skip
    if done.returncode != 0 or not (BIN / "postgres").exists():
        return f"apt-get install postgresql-15 failed: {(done.stderr or done.stdout).strip()[-300:]}"
    return None


def _as_postgres(args: list[str]) -> list[str]:
    """Run as the `postgres` system user when we are root (PostgreSQL refuses to run as root)."""
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def pg15() -> Iterator[str]:
    """The superuser DSN of a fresh PostgreSQL 15 cluster (trust auth on a private socket)."""
    reason = _install()
    if reason:
        print(f"skipping the PostgreSQL 15 tests: {reason}")
        pytest.skip(reason)
    root = Path(tempfile.mkdtemp(prefix="pgai-pg15-"))
    os.chmod(root, 0o777)
    data = root / "data"
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
    subprocess.run(_as_postgres([str(BIN / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E",
                                 "UTF8", "--locale=C.UTF-8"]), check=True, capture_output=True)  # fmt: skip
    port = _free_port()
    opts = f"-k {root} -p {port} -c listen_addresses=''"
    subprocess.run(_as_postgres([str(BIN / "pg_ctl"), "-D", str(data), "-o", opts, "-l", str(root / "log"), "-w",
                                 "start"]), check=True, capture_output=True)  # fmt: skip
    try:
        yield f"host={root} port={port} user=postgres dbname=postgres"
    finally:
        subprocess.run(_as_postgres([str(BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]),
                       capture_output=True)  # fmt: skip
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def pg15_shop(pg15: str) -> str:
    with psycopg.connect(pg15, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA shop")
        conn.execute("CREATE TABLE shop.orders (id int PRIMARY KEY, city text, total float8, qty int, placed date)")
        conn.execute(
            "INSERT INTO shop.orders SELECT g, (ARRAY['paris', 'rome', 'oslo'])[1 + g % 3], g * 1.5, g % 7, "
            "date '2024-01-01' + g FROM generate_series(1, 400) g"
        )
    return "shop"


def _check_reads(s: Session) -> None:
    assert s.state.server_version.startswith("15")
    assert s.sql("SELECT count(*) AS n FROM shop.orders")["n"][0] == 400
    result = s.execute("BEGIN; SELECT count(*) FROM shop.orders; ROLLBACK")
    assert result.summary() == "ROLLBACK"
    assert s.ask("how many orders are there", schema="shop").iloc[0, 0] == 400  # type: ignore[union-attr]
    assert len(s.insights("shop.orders", budget=10)) > 0
    assert len(s.insights(query="SELECT city, total, placed FROM shop.orders", budget=10)) > 0
    with pytest.raises(PrivilegeError, match="apt-get install postgresql-15-pgvector"):
        s.embed("shop.orders.city")


def test_superuser_on_postgresql_15_without_pgvector(pg15: str, pg15_shop: str) -> None:
    from sklearn.linear_model import LinearRegression

    with Session(pg15) as s:
        assert s.state.extensions["vector"] is None and s.state.extensions["pg_trgm"]
        assert any("020_question_memory (needs the vector extension)" in w for w in s.status()["warnings"])
        _check_reads(s)
        frame = pd.DataFrame({"qty": [1.0, 2.0, 3.0, 4.0], "total": [2.0, 4.0, 6.0, 8.0]})
        s.deploy(LinearRegression().fit(frame[["qty"]], frame["total"]), "pg15_lin", ["qty"])
        assert s.sql("SELECT pgai.predict_pg15_lin(5.0) AS p")["p"][0] == pytest.approx(10.0)


def test_a_plain_role_on_postgresql_15(pg15: str, pg15_shop: str) -> None:
    with psycopg.connect(pg15, autocommit=True) as conn:
        conn.execute("CREATE ROLE analyst15 LOGIN")
        doc = (Path(__file__).resolve().parents[2] / "docs" / "privileges.md").read_text()
        block = doc.split("<!-- grants: read -->", 1)[1].split("```sql\n", 1)[1].split("```", 1)[0]
        for statement in block.replace("analyst", "analyst15").replace("mydb", "postgres").split(";"):
            if statement.strip():
                conn.execute(statement.strip().encode())
    with Session(make_conninfo(pg15, user="analyst15")) as s:
        assert s.state.state_missing is not None  # the pgai schema exists (the superuser made it) but is not granted
        _check_reads(s)
        with pytest.raises(PrivilegeError, match=r"docs/privileges\.md"):
            s.models()

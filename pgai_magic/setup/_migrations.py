"""Apply the versioned SQL files in `sql/` once each, recorded in `pgai.migrations`."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import psycopg
import psycopg.sql

from pgai_magic.db import scalar, server_message

__all__ = ["Migration", "apply_migrations", "available", "sql_dir"]

_LOCK_KEY = 7_433_861_202  # advisory lock shared by every pgai_magic process


@dataclass(frozen=True)
class Migration:
    """One install script: its version number, name, SQL text and the extensions it needs (`-- requires: a, b`)."""

    version: int
    name: str
    sql: str

    @property
    def requires(self) -> tuple[str, ...]:
        for line in self.sql.splitlines()[:5]:
            if line.lower().startswith("-- requires:"):
                return tuple(e.strip() for e in line.split(":", 1)[1].split(",") if e.strip())
        return ()

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def sql_dir() -> Path:
    """The folder holding the install scripts (inside the package when installed)."""
    package = Path(__file__).resolve().parents[1]  # pgai_magic/
    for candidate in (package / "sql", package.parent / "sql"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("pgai_magic install scripts (sql/) not found")


def available(folder: Path | None = None) -> list[Migration]:
    """Every `NNN_name.sql` script, in version order."""
    found = []
    for path in sorted((folder or sql_dir()).glob("*.sql")):
        number, _, name = path.stem.partition("_")
        if number.isdigit():
            found.append(Migration(int(number), name, path.read_text(encoding="utf-8")))
    return sorted(found, key=lambda m: m.version)


def install_extensions(conn: psycopg.Connection, names: tuple[str, ...]) -> list[str]:
    """CREATE EXTENSION IF NOT EXISTS each name, serialised across processes; returns warnings."""
    warnings = []
    for name in names:
        try:
            with conn.transaction():
                # two kernels starting together would otherwise race on pg_extension's unique index
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
                conn.execute(psycopg.sql.SQL("CREATE EXTENSION IF NOT EXISTS {}").format(psycopg.sql.Identifier(name)))
        except psycopg.Error as exc:
            warnings.append(f"extension {name} is not available: {server_message(exc)}")
    return warnings


def apply_migrations(
    conn: psycopg.Connection, folder: Path | None = None, *, skipped: list[str] | None = None
) -> list[Migration]:
    """Apply the scripts not yet recorded; returns those applied now (empty when up to date).

    A script whose `-- requires:` extensions are missing is neither run nor recorded (it runs when they appear);
    its name and what it needs go to `skipped`. When nothing is left to apply nothing is written, so a role
    without CREATE on the database works on a database an admin has set up. psycopg.Error otherwise
    (InsufficientPrivilege when the role may not create the `pgai` schema).
    """
    scripts = available(folder)
    present = {row[0] for row in conn.execute("SELECT extname FROM pg_extension")}
    runnable = [m for m in scripts if set(m.requires) <= present]
    for m in scripts:
        if m not in runnable and skipped is not None:
            missing = ", ".join(sorted(set(m.requires) - present))
            skipped.append(f"{m.version:03d}_{m.name} (needs the {missing} extension)")
    applied: list[Migration] = []
    with conn.transaction():
        # the lock first: a name looked up before another kernel created it would stay cached as missing
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
        if not _pending(conn, runnable):
            return []
        conn.execute("CREATE SCHEMA IF NOT EXISTS pgai")
        conn.execute(
            """CREATE TABLE IF NOT EXISTS pgai.migrations (
                   version integer PRIMARY KEY,
                   name text NOT NULL,
                   checksum text NOT NULL,
                   applied_at timestamptz NOT NULL DEFAULT now())"""
        )
        done = {row[0] for row in conn.execute("SELECT version FROM pgai.migrations")}
        for migration in runnable:
            if migration.version in done:
                continue
            conn.execute(migration.sql.encode())  # type: ignore[call-overload]
            conn.execute(
                "INSERT INTO pgai.migrations (version, name, checksum) VALUES (%s, %s, %s)",
                (migration.version, migration.name, migration.checksum),
            )
            applied.append(migration)
    return applied


def _pending(conn: psycopg.Connection, scripts: list[Migration]) -> bool:
    """Whether any of `scripts` is not recorded yet (True when the record cannot be read); in a savepoint."""
    try:
        with conn.transaction():
            if scalar(conn, "SELECT to_regclass('pgai.migrations') IS NULL"):
                return True
            done = {row[0] for row in conn.execute("SELECT version FROM pgai.migrations")}
    except psycopg.errors.InsufficientPrivilege:
        return True
    return any(m.version not in done for m in scripts)

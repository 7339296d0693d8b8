"""Apply the versioned SQL files in `sql/` once each, recorded in `pgai.migrations`."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import psycopg
import psycopg.sql

__all__ = ["Migration", "apply_migrations", "available", "sql_dir"]

_LOCK_KEY = 7_433_861_202  # advisory lock shared by every pgai_magic process


@dataclass(frozen=True)
class Migration:
    """One install script: its version number, name and SQL text."""

    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def sql_dir() -> Path:
    """The folder holding the install scripts (inside the package when installed)."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "sql", here.parent / "sql"):
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
            warnings.append(f"extension {name} is not available: {exc.diag.message_primary or exc}")
    return warnings


def apply_migrations(conn: psycopg.Connection, folder: Path | None = None) -> list[Migration]:
    """Apply the scripts not yet recorded; returns those applied now (empty when up to date)."""
    applied: list[Migration] = []
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
        conn.execute("CREATE SCHEMA IF NOT EXISTS pgai")
        conn.execute(
            """CREATE TABLE IF NOT EXISTS pgai.migrations (
                   version integer PRIMARY KEY,
                   name text NOT NULL,
                   checksum text NOT NULL,
                   applied_at timestamptz NOT NULL DEFAULT now())"""
        )
        done = {row[0] for row in conn.execute("SELECT version FROM pgai.migrations")}
        for migration in available(folder):
            if migration.version in done:
                continue
            conn.execute(migration.sql.encode())  # type: ignore[call-overload]
            conn.execute(
                "INSERT INTO pgai.migrations (version, name, checksum) VALUES (%s, %s, %s)",
                (migration.version, migration.name, migration.checksum),
            )
            applied.append(migration)
    return applied

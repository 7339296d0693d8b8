"""The Spider ports in ../shared/benchmarks: questions, schemas, train's held-out split, loading into PostgreSQL."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import psycopg

BENCHMARKS = next(  # ../shared/benchmarks beside the checkout (or further up)
    (
        p / "shared" / "benchmarks"
        for p in Path(__file__).resolve().parents[3:]
        if (p / "shared" / "benchmarks").is_dir()
    ),
    Path(__file__).resolve().parents[3] / "shared" / "benchmarks",
)
DEV = BENCHMARKS / "spider_dev"
TRAIN = BENCHMARKS / "spider_train"
HOLDOUT_SHARE = 0.2  # of the train databases, held out for tuning and calibration (split by database)


def questions(which: str) -> list[dict[str, Any]]:
    """The questions of `which` ('dev' or 'train'), in file order (train: only those whose database is here)."""
    path = (DEV if which == "dev" else TRAIN) / "questions.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [q for q in rows if q.get("database_included", True)]


def train_schemas() -> dict[str, dict[str, Any]]:
    """train's schemas.jsonl, by database id."""
    lines = (TRAIN / "schemas.jsonl").read_text(encoding="utf-8").splitlines()
    return {s["db"]: s for s in map(json.loads, filter(None, lines))}


def is_holdout(db: str) -> bool:
    """Whether train database `db` is in the held-out part (a fixed hash of its name, about 20% of them)."""
    digest = hashlib.sha256(db.encode()).digest()
    return digest[0] < 256 * HOLDOUT_SHARE


def script(which: str, db: str) -> Path:
    return (DEV if which == "dev" else TRAIN) / "databases" / f"{db}.sql"


def load(conn: psycopg.Connection, which: str, dbs: Iterable[str]) -> list[str]:
    """Create each database's schema (its script) unless the schema is already there; the schemas loaded now."""
    present = {r[0] for r in conn.execute("SELECT nspname FROM pg_namespace").fetchall()}
    done = []
    for db in sorted(set(dbs)):
        if db.lower() in present:
            continue
        conn.execute(script(which, db).read_text(encoding="utf-8"))  # type: ignore[arg-type]
        done.append(db)
    return done

"""A/B splits: pgai.variant_NAME(key) picks a version by a hash of the key; predict_NAME_split routes to it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import psycopg
from psycopg import sql

from pgai_magic import catalog
from pgai_magic.errors import ModelError
from pgai_magic.inference import registry
from pgai_magic.inference.compile import function_ddl

__all__ = ["MAX_WEIGHT_TOTAL", "Split", "create_split", "get_split", "split_functions", "variant_sql"]

MAX_WEIGHT_TOTAL = 1_000_000
_HASH_SPACE = 2**32


@dataclass(frozen=True)
class Split:
    """A model's traffic split: versions and their integer weights."""

    name: str
    versions: list[int]
    weights: list[int]

    def shares(self) -> dict[int, float]:
        total = sum(self.weights)
        return {v: w / total for v, w in zip(self.versions, self.weights)}


def split_functions(name: str) -> list[str]:
    """The function names a split of `name` creates in the pgai schema."""
    return [f"variant_{name}", f"predict_{name}_split", f"predict_proba_{name}_split"]


def variant_sql(name: str, key_sql: str, versions: Sequence[int], weights: Sequence[int]) -> str:
    """SQL choosing a version for the text `key_sql`: deterministic, the same on every server and session.

    h = the first 32 bits of md5('NAME:' || key) (md5 is fixed by RFC 1321, unlike hashtext), a
    uniform integer in [0, 2^32); version i is chosen when h * total falls in [cum_(i-1), cum_i) * 2^32,
    with cum_i the running sum of the weights: all integer arithmetic, so the shares are exact.
    A NULL key gets NULL.
    """
    total = sum(weights)
    bounds, running = [], 0
    for w in weights:
        bounds.append(running * _HASH_SPACE)
        running += w
    salt = name.replace("'", "''") + ":"
    h = f"(('x' || substr(md5('{salt}' || {key_sql}), 1, 8))::bit(32)::bigint)"
    edges = ", ".join(str(b) for b in bounds)
    picks = ", ".join(str(int(v)) for v in versions)
    return f"(ARRAY[{picks}]::integer[])[width_bucket({h} * {total}, ARRAY[{edges}]::bigint[])]"


def _check(name: str, versions: Sequence[int], weights: Sequence[int], found: list[registry.ModelVersion]) -> None:
    have = {mv.version: mv for mv in found}
    if len(versions) < 2 or len(set(versions)) != len(versions):
        raise ModelError(f"a split needs at least two different versions, got {list(versions)}")
    if len(weights) != len(versions):
        raise ModelError(f"{len(versions)} versions but {len(weights)} weights: give one weight per version")
    if any(int(w) <= 0 for w in weights) or sum(weights) > MAX_WEIGHT_TOTAL:
        raise ModelError(f"weights must be positive integers summing to at most {MAX_WEIGHT_TOTAL:,}: {list(weights)}")
    missing = [v for v in versions if v not in have]
    if missing:
        raise ModelError(f"model {name!r} has no version(s) {missing}: versions are {sorted(have)}")
    first = have[versions[0]]
    for v in versions[1:]:
        other = have[v]
        if other.features != first.features or other.label_type != first.label_type:
            raise ModelError(
                f"v{v} and v{versions[0]} of {name!r} take different features or return different types "
                f"({other.feature_names} → {other.label_type} vs {first.feature_names} → {first.label_type}): "
                "a split routes the same call to either, so they must match"
            )


def _route(conn: psycopg.Connection, mv: registry.ModelVersion, versions: Sequence[int], which: str) -> str:
    """CASE variant WHEN v THEN pgai.<which>_NAME_vV(features) … END over the split's versions."""
    args = ", ".join(f"${i + 2}" for i in range(len(mv.features)))
    whens = " ".join(
        f"WHEN {int(v)} THEN "
        + sql.SQL("{}.{}")
        .format(sql.Identifier("pgai"), sql.Identifier(f"{which}_{mv.name}_v{int(v)}"))
        .as_string(conn)
        + f"({args})"
        for v in versions
    )
    variant = sql.SQL("{}.{}").format(sql.Identifier("pgai"), sql.Identifier(f"variant_{mv.name}")).as_string(conn)
    return f"CASE {variant}($1) {whens} END"


def create_split(conn: psycopg.Connection, name: str, versions: Sequence[int], weights: Sequence[int]) -> Split:
    """Create (or replace) pgai.variant_NAME(key text) → int and pgai.predict[_proba]_NAME_split(key, features…).

    The versioned functions pgai.predict_NAME_vN stay callable; pgai.predict_NAME keeps calling the
    active version. Raises ModelError for unknown versions, bad weights or versions that differ in signature.
    """
    registry.validate_name(name)
    versions, weights = [int(v) for v in versions], [int(w) for w in weights]
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"pgai.model:{name}",))
        found = registry.versions(conn, name)
        if not found:
            registry.get(conn, name)  # the clear "no model named ..." error
        _check(name, versions, weights, found)
        mv = next(m for m in found if m.version == versions[0])
        _drop_functions(conn, name)
        key = sql.SQL("key text")
        body = "SELECT " + variant_sql(name, "$1", versions, weights)
        conn.execute(function_ddl("pgai", f"variant_{name}", key, "integer", body))
        feats = [sql.SQL("{} {}").format(sql.Identifier(f["name"]), sql.SQL(f["type"])) for f in mv.features]
        args = sql.SQL(", ").join([key, *feats])
        conn.execute(function_ddl("pgai", f"predict_{name}_split", args, mv.label_type,
                                  "SELECT " + _route(conn, mv, versions, "predict")))  # fmt: skip
        if mv.proba_type and all(m.proba_type == mv.proba_type for m in found if m.version in versions):
            conn.execute(function_ddl("pgai", f"predict_proba_{name}_split", args, mv.proba_type,
                                      "SELECT " + _route(conn, mv, versions, "predict_proba")))  # fmt: skip
        conn.execute(
            """INSERT INTO pgai.model_splits (name, versions, weights) VALUES (%s, %s, %s)
               ON CONFLICT (name) DO UPDATE SET versions = EXCLUDED.versions, weights = EXCLUDED.weights,
                                                created_at = now()""",
            (name, versions, weights),
        )
    return Split(name, versions, weights)


def _drop_functions(conn: psycopg.Connection, name: str) -> None:
    procs = [f.regprocedure for f in catalog.read_functions(catalog.reader(conn), "pgai", split_functions(name))]
    for regproc in procs:
        conn.execute(sql.SQL("DROP FUNCTION {}").format(sql.SQL(regproc)))


def get_split(conn: psycopg.Connection, name: str) -> Split:
    """The split of `name`; ModelError when it has none."""
    row = conn.execute("SELECT versions, weights FROM pgai.model_splits WHERE name = %s", (name,)).fetchone()
    if row is None:
        raise ModelError(f"model {name!r} has no split: create one with %pgai model split {name} --versions 1,2")
    return Split(name, list(row[0]), list(row[1]))

"""What the side tables' row-level security costs `similar`: HNSW and exact searches with the policy, against the
same searches with row-level security switched off on the side table (the anchor), run interleaved.

    python bench/bench_source_privileges.py [--rows 50000] [--dim 384] [--rounds 7] [--queries 20] [--dsn DSN]

Without --dsn it starts an embedded server in a temporary directory. The column is embedded by a hashing fake
embedder (the search cost does not depend on the model). Searches run as three roles: the side table's owner,
`reader` (SELECT on the source) and `filtered` (the source's own row-level security, enabled for its runs
only, shows it every other row, so the policy checks each candidate row against the source). Prints, per role
and search, the median and range over rounds of the per-round median query time, the plan node that searched,
and the load average.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
from pgvector.psycopg import register_vector
from psycopg.conninfo import make_conninfo

from pgai_magic.db import read_only
from pgai_magic.embed.base import FakeEmbedder
from pgai_magic.session import Session
from pgai_magic.vectors import search
from pgai_magic.vectors.target import find_target

ROLES = ("owner", "reader", "filtered")


def _setup(dsn: str, rows: int, dim: int) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS bench_rls CASCADE")
        for role in ROLES[1:]:
            conn.execute(f"DROP OWNED BY {role}" if _role_exists(conn, role) else "SELECT 1")
            conn.execute(f"DROP ROLE IF EXISTS {role}")
            conn.execute(f"CREATE ROLE {role} LOGIN")
        conn.execute("CREATE SCHEMA bench_rls")
        conn.execute("CREATE TABLE bench_rls.docs (id int PRIMARY KEY, body text)")
        conn.execute(
            "INSERT INTO bench_rls.docs SELECT g, 'document ' || g || ' about ' || md5(g::text) "
            "FROM generate_series(1, %s) g",
            (rows,),
        )
    with Session(dsn) as s:
        s.set_embedder(FakeEmbedder(dim=dim))
        s.embed("bench_rls.docs.body", progress=False)
        s.vectors.stop_worker()
    with psycopg.connect(dsn, autocommit=True) as conn:
        for role in ROLES[1:]:
            conn.execute(f"GRANT USAGE ON SCHEMA bench_rls, pgai TO {role}")
            conn.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA bench_rls, pgai TO {role}")
        conn.execute("CREATE POLICY even_rows ON bench_rls.docs FOR SELECT TO filtered USING (id % 2 = 0)")
        conn.execute("ANALYZE bench_rls.docs")


def _role_exists(conn: psycopg.Connection, role: str) -> bool:
    return bool(conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone())


def _policy(dsn: str, store: str, on: bool, source_rls: bool) -> None:
    """The side table's row-level security on or off; the source's own (which filters `filtered`) on or off."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        how = "ENABLE ROW LEVEL SECURITY, FORCE" if on else "DISABLE ROW LEVEL SECURITY, NO FORCE"
        conn.execute(f"ALTER TABLE pgai.{store} {how} ROW LEVEL SECURITY")
        conn.execute(f"ALTER TABLE bench_rls.docs {'ENABLE' if source_rls else 'DISABLE'} ROW LEVEL SECURITY")


def _time(conn: psycopg.Connection, query: str, vectors: list[np.ndarray], k: int) -> tuple[float, str]:
    times = []
    with read_only(conn, 120.0):
        conn.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
        plan = conn.execute("EXPLAIN " + query, {"q": vectors[0], "n": k, "k": k}).fetchall()
        node = next(r[0].strip(" ->") for r in plan if "Scan" in r[0] and "pgai." not in r[0] and "CTE" not in r[0])
        for v in vectors:
            start = time.perf_counter()
            conn.execute(query, {"q": v, "n": k, "k": k}).fetchall()
            times.append(time.perf_counter() - start)
    return statistics.median(times), node.split("  (")[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--queries", type=int, default=20)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--dsn")
    args = parser.parse_args()
    dsn, server = args.dsn, None
    if dsn is None:
        from pgai_magic.server import ensure_embedded

        folder = Path(tempfile.mkdtemp(prefix="pgai-bench-rls-"))
        os.chmod(folder, 0o755)
        server = ensure_embedded(folder / "pg", cleanup="delete")
        dsn = server.dsn
    _setup(dsn, args.rows, args.dim)
    with psycopg.connect(dsn) as conn:
        target = find_target(conn, "bench_rls.docs.body")
        queries = {e: search._query(target, None, exact=e).as_string(conn) for e in (False, True)}
    rng = np.random.default_rng(0)
    vectors = [rng.normal(size=args.dim).astype(np.float32) for _ in range(args.queries)]
    conns: dict[str, Any] = {}
    for role in ROLES:
        conns[role] = psycopg.connect(dsn if role == "owner" else make_conninfo(dsn, user=role), autocommit=True)
        register_vector(conns[role])
    print(f"rows {args.rows:,}, dim {args.dim}, k {args.k}; load average before: {os.getloadavg()}")
    results: dict[tuple[str, str, str], list[float]] = {}
    nodes: dict[tuple[str, str, str], str] = {}
    for i in range(args.rounds):
        for on in (True, False) if i % 2 == 0 else (False, True):
            for role in ROLES:
                _policy(dsn, target.store, on, source_rls=role == "filtered")
                for exact, query in queries.items():
                    key = ("policy" if on else "anchor", role, "exact" if exact else "hnsw")
                    median, node = _time(conns[role], query, vectors, args.k)
                    results.setdefault(key, []).append(median)
                    nodes[key] = node
    _policy(dsn, target.store, True, source_rls=True)
    print(f"load average after: {os.getloadavg()}")
    print(f"{'role':9} {'search':6} {'with policy ms (range)':28} {'anchor ms (range)':28} ratio  plans")
    for role in ROLES:
        for how in ("hnsw", "exact"):
            on, off = results[("policy", role, how)], results[("anchor", role, how)]
            cell = [f"{statistics.median(x) * 1e3:7.2f} ({min(x) * 1e3:.2f}–{max(x) * 1e3:.2f})" for x in (on, off)]
            ratio = statistics.median(on) / statistics.median(off)
            plans = f"{nodes[('policy', role, how)]} / {nodes[('anchor', role, how)]}"
            print(f"{role:9} {how:6} {cell[0]:28} {cell[1]:28} {ratio:5.2f}  {plans}")
    for conn in conns.values():
        conn.close()
    if server is not None:
        import shutil

        server.handle.cleanup()  # type: ignore[attr-defined]  # stops the server, deletes its data directory
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()

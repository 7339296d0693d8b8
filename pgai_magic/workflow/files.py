"""Files ↔ tables: CSV and Parquet read on the client in batches (so a remote server works and a file larger than
memory loads), written with the same binary COPY as `persist`; query results written to CSV or Parquet."""

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

__all__ = ["NULL_MARKERS", "load_file", "open_file", "table_name_for", "write_result"]

# cells read as NULL in a CSV (besides an empty unquoted field): what pandas.read_csv treats as missing
NULL_MARKERS = ["", "NULL", "null", "NA", "N/A", "NaN", "nan", "None", "#N/A"]
_BLOCK = 4 << 20  # bytes per CSV block read


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


def open_file(
    path: Path, *, delimiter: str | None = None, header: bool = True, encoding: str = "utf-8"
) -> tuple[pa.Schema, Iterator[pa.RecordBatch]]:
    """The schema and a stream of record batches of a CSV or Parquet file (types inferred by pyarrow).

    Raises ConfigError for a missing or unreadable file, one that is not in `encoding`, or a bad delimiter.
    """
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
    name = path.name.lower()
    try:
        if name.endswith((".parquet", ".pq")):
            parquet = pq.ParquetFile(path)
            return parquet.schema_arrow, parquet.iter_batches(batch_size=65_536)
        if not name.endswith((".csv", ".tsv", ".txt", ".csv.gz", ".tsv.gz", ".txt.gz")):
            raise ConfigError(f"{path.name}: pgai loads CSV (.csv, .tsv, .txt, also gzipped) and Parquet (.parquet)")
        sep = _delimiter(delimiter) or ("\t" if ".tsv" in name else _sniff(path, encoding))
        reader = pacsv.open_csv(
            path,
            read_options=pacsv.ReadOptions(block_size=_BLOCK, autogenerate_column_names=not header, encoding=encoding),
            parse_options=pacsv.ParseOptions(delimiter=sep, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                null_values=NULL_MARKERS, strings_can_be_null=True, quoted_strings_can_be_null=False
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError, OSError, UnicodeError) as exc:
        raise ConfigError(
            f"{path.name} cannot be read: {str(exc).splitlines()[0]} (a different --encoding, --delimiter or "
            "--no-header may fit it)"
        ) from None
    binary = [f.name for f in reader.schema if pa.types.is_binary(f.type)]
    if binary:
        raise ConfigError(
            f"{path.name} is not {encoding} text (column {binary[0]!r} holds other bytes): give the file's encoding, "
            "e.g. --encoding latin-1"
        )
    return reader.schema, iter(reader)


def load_file(conn: Any, request: LoadRequest, *, progress: Callable[[int], None] | None = None) -> PersistResult:
    """Load the request's CSV / Parquet file into a table, named after the file unless given (modes and errors:
    persist).

    CSV types are inferred from the first block (4 MiB); a later value that does not fit that type is a
    ConfigError naming it, and nothing is written (the load is one transaction).
    """
    start = time.perf_counter()
    path = request.path
    target = split_name(request.table or table_name_for(path), request.schema)
    arrow_schema, batches = open_file(
        path, delimiter=request.delimiter, header=request.header, encoding=request.encoding
    )
    try:
        result = persist_batches(conn, arrow_schema, batches, target, mode=request.mode, progress=progress)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as exc:
        first = str(exc).splitlines()[0]
        raise ConfigError(
            f"{path.name}: {first} (CSV types are inferred from the first 4 MiB; nothing was written)"
        ) from None
    result.seconds = time.perf_counter() - start
    return result


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

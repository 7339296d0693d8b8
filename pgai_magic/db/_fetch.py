"""The query fast path: `COPY (query) TO STDOUT (FORMAT binary)` on the session's psycopg connection, drained
into Arrow column buffers by a C reader (`_copyfetch`, pure Python when it is not built), exact per `_pgtypes`;
`rows_to_table` / `result_to_table` give the same map for text-format results."""

from __future__ import annotations

import ctypes
import struct
from collections.abc import Sequence
from functools import cache
from typing import Any

import numpy as np
import psycopg
import pyarrow as pa
from psycopg import pq

from pgai_magic.db._decode import (
    INFINITE_NOTE,
    INTERVAL_NOTE,
    OUT_OF_RANGE_NOTE,
    PG_EPOCH_DAYS,
    PG_EPOCH_US,
    Buffers,
    decode_columns,
    numeric_column,
    reader_kinds,
    table_of,
)
from pgai_magic.db._pgtypes import Column

__all__ = [
    "Buffers",
    "LimitReached",
    "copy_query",
    "decode_columns",
    "numeric_column",
    "reader_kinds",
    "result_to_table",
    "rows_to_table",
    "stream_copy",
]


def copy_query(text: str, columns: Sequence[Column], limit: int | None = None) -> str:
    """The COPY statement that sends `text`'s rows in binary, casting columns that travel as text, at most `limit`.

    The query is closed by a newline so a trailing `--` comment cannot swallow the parenthesis.
    """
    tail = f" LIMIT {int(limit)}" if limit else ""
    if not any(c.cast for c in columns) and not limit:
        return f"COPY ({text}\n) TO STDOUT (FORMAT binary)"
    aliases = [f"c{i}" for i in range(len(columns))]
    select = ", ".join(f"_q.{a}::{c.cast}" if c.cast else f"_q.{a}" for a, c in zip(aliases, columns))
    return f"COPY (SELECT {select} FROM ({text}\n) AS _q({', '.join(aliases)}){tail}) TO STDOUT (FORMAT binary)"


# -- reading the stream ---------------------------------------------------------------------------------------
@cache
def _libpq_candidates() -> tuple[tuple[int, int, int, Any], ...]:
    """(PQgetCopyData, PQfreemem, PQconsumeInput, PQbackendPID) of each libpq this process has loaded, psycopg's
    first."""
    libs: list[Any] = []
    try:
        if pq.__impl__ == "python":
            import importlib

            libs.append(importlib.import_module("psycopg.pq._pq_ctypes").pq)
        else:
            with open("/proc/self/maps") as fh:
                paths = sorted({line.split()[-1] for line in fh if "libpq" in line and "/" in line})
            paths.sort(key=lambda p: "psycopg_binary" not in p)  # psycopg's own copy first
            libs.extend(ctypes.CDLL(p) for p in paths)
    except (OSError, ImportError, AttributeError):
        return ()
    found = []
    for lib in libs:
        get = ctypes.cast(lib.PQgetCopyData, ctypes.c_void_p).value
        free = ctypes.cast(lib.PQfreemem, ctypes.c_void_p).value
        consume = ctypes.cast(lib.PQconsumeInput, ctypes.c_void_p).value
        pid = lib.PQbackendPID
        pid.argtypes, pid.restype = [ctypes.c_void_p], ctypes.c_int
        if get and free and consume:
            found.append((get, free, consume, pid))
    return tuple(found)


def _native(pgconn: Any) -> tuple[Any, int, int, int] | None:
    """The C reader and the functions of the libpq that owns `pgconn` (None: use the pure-Python reader)."""
    try:
        from pgai_magic.db import _copyfetch  # type: ignore[attr-defined]
    except ImportError:
        return None
    for get, free, consume, pid in _libpq_candidates():
        # the libpq that owns this connection answers with its backend pid
        if pid(pgconn.pgconn_ptr) == pgconn.backend_pid:
            return _copyfetch, get, free, consume
    return None


class LimitReached(Exception):
    """The buffers passed the byte limit after `rows` rows; the COPY is still running (cancel, then drain)."""

    def __init__(self, rows: int) -> None:
        super().__init__(rows)
        self.rows = rows


def stream_copy(
    pgconn: Any,
    kinds: str,
    *,
    limit: int | None = None,
    native: bool = True,
    max_rows: int = 0,
    started: bool = False,
) -> tuple[int, list[Buffers], bool]:
    """Drain a started binary COPY OUT into column buffers (`kinds`: `reader_kinds`): (rows, buffers, ended).

    With `max_rows` it stops after that many rows and `ended` is False while the COPY goes on: call again with
    `started` True (the header was read) for the next rows. Raises LimitReached past `limit` bytes,
    psycopg.OperationalError when the stream is not what was described.
    """
    found = _native(pgconn) if native else None
    if found is None:
        return _py_stream(pgconn, kinds, limit, max_rows, started)
    module, get, free, consume = found
    # with PQconsumeInput the reader naps between reads instead of being woken by every send (_copyfetch.c)
    status, rows, cols, why = module.fetch(
        pgconn.pgconn_ptr, get, free, kinds.encode(), limit or 0, max_rows, started, consume
    )
    if status == -4:
        raise LimitReached(rows)
    if status == -3:
        raise psycopg.OperationalError(f"the binary COPY stream could not be read: {why}")
    return rows, [_buffers(c) for c in cols], status != 0


def _buffers(c: tuple[Any, ...]) -> Buffers:
    """The C reader's column tuple as Buffers (its memory handed to pyarrow, freed with the last reference)."""
    values, validity, offsets = (pa.foreign_buffer(b[0], b[1], base=b[2]) if b is not None else None for b in c[:3])
    return Buffers(values, validity, offsets, c[3], c[4], c[5], c[6], bool(c[7]))


_FIXED_FORMAT = {"h": ">h", "i": ">I", "q": ">q", "f": ">f", "d": ">d", "D": ">i", "T": ">q"}
_NATIVE = {"h": "<h", "i": "<I", "q": "<q", "f": "<f", "d": "<d", "D": "<i", "T": "<q"}


def _py_stream(
    pgconn: Any, kinds: str, limit: int | None, max_rows: int, started: bool
) -> tuple[int, list[Buffers], bool]:
    """The pure-Python reader (the C one's buffers and stops; for builds without a C compiler)."""
    values: list[list[Any]] = [[] for _ in kinds]
    first = not started
    rows = 0
    received = 0
    ended = True
    while True:
        if max_rows and rows >= max_rows:
            ended = False
            break
        n, data = pgconn.get_copy_data(0)
        if n < 0:
            break
        received += n
        if limit and received > limit:
            raise LimitReached(rows)
        buf = bytes(data)
        at = 19 + struct.unpack_from(">I", buf, 15)[0] if first else 0
        first = False
        if at >= len(buf):
            continue  # the header came alone
        (count,) = struct.unpack_from(">h", buf, at)
        if count == -1:
            continue
        at += 2
        for i, kind in enumerate(kinds):
            (length,) = struct.unpack_from(">i", buf, at)
            at += 4
            if length < 0:
                values[i].append(None)
                continue
            chunk = buf[at : at + length]
            at += length
            if kind == "v":
                values[i].append(chunk)
            elif kind == "n":
                values[i].append(struct.unpack(">qii", chunk))
            elif kind == "b":
                values[i].append(chunk != b"\x00")
            else:
                values[i].append(struct.unpack(_FIXED_FORMAT[kind], chunk)[0])
        rows += 1
    return rows, [_py_buffers(kind, vals) for kind, vals in zip(kinds, values)], ended


def _bits(flags: Any) -> Any:
    return pa.py_buffer(np.packbits(np.asarray(flags, dtype=bool), bitorder="little").tobytes())


def _py_buffers(kind: str, vals: list[Any]) -> Buffers:
    valid = np.array([v is not None for v in vals], dtype=bool)
    validity = _bits(valid)
    nulls = int((~valid).sum())
    if kind == "v":
        lengths = np.array([len(v) if v is not None else 0 for v in vals], dtype=np.int64)
        offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        data = b"".join(v for v in vals if v is not None)
        return Buffers(pa.py_buffer(data), validity, pa.py_buffer(offsets.tobytes()), nulls)
    if kind == "b":
        return Buffers(_bits([bool(v) for v in vals]), validity, None, nulls)
    if kind == "n":
        arr = np.zeros(len(vals), dtype=[("us", "<i8"), ("d", "<i4"), ("m", "<i4")])
        for i, v in enumerate(vals):
            if v is not None:
                arr[i] = v
        return Buffers(pa.py_buffer(arr.tobytes()), validity, None, nulls)
    filled = [0 if v is None else v for v in vals]
    if kind in "DT":
        return _moved(kind, filled, valid, validity, nulls)
    arr_fixed = np.array(filled, dtype=_NATIVE[kind])
    return Buffers(pa.py_buffer(arr_fixed.tobytes()), validity, None, nulls)


def _moved(kind: str, filled: list[int], valid: Any, validity: Any, nulls: int) -> Buffers:
    """Dates / timestamps moved to 1970 as the C reader moves them (±infinity kept; all kept when one overflows)."""
    width, shift = (np.int32, PG_EPOCH_DAYS) if kind == "D" else (np.int64, PG_EPOCH_US)
    info = np.iinfo(width)
    raw = np.array(filled, dtype=np.int64)
    infinite = (raw == info.max) | (raw == info.min)
    finite = valid & ~infinite
    moved = not bool((finite & (raw >= info.max - shift)).any())
    out = np.where(infinite, raw, raw + shift if moved else raw).astype(_NATIVE[kind])
    seen = out[finite].astype(np.int64)
    low, high = (int(seen.min()), int(seen.max())) if moved and seen.size else (0, 0)
    return Buffers(pa.py_buffer(out.tobytes()), validity, None, nulls, low, high, int(infinite.sum()), moved)


def rows_to_table(
    columns: Sequence[Column], rows: Sequence[Sequence[bytes | None]], encoding: str = "utf-8"
) -> pa.Table:
    """The Arrow table for a text-format result (SHOW, EXPLAIN, FETCH, RETURNING…), same map as the fast path."""
    arrays = []
    for i, col in enumerate(columns):
        raw = [row[i] for row in rows]
        arrays.append(_text_column(col, raw, encoding))
    return table_of(columns, arrays)


def result_to_table(columns: Sequence[Column], res: Any, encoding: str = "utf-8") -> pa.Table:
    """The Arrow table for a text-format libpq result: psycopg's C loaders turn the rows into Python values in one
    call (text for the columns that travel as text); where a value needs care (±infinity, 24:00:00…) it falls back
    to `rows_to_table`, column by column, with the same results."""
    from psycopg.adapt import AdaptersMap, Transformer
    from psycopg.types.string import TextLoader

    if encoding.replace("-", "").lower() != "utf8":  # psycopg's loaders here read UTF-8 only
        raw = [[res.get_value(r, c) for c in range(res.nfields)] for r in range(res.ntuples)]
        return rows_to_table(columns, raw, encoding)

    class _Context:  # what psycopg's Transformer reads: adapters, and no connection
        connection = None

        def __init__(self) -> None:
            self.adapters = AdaptersMap(psycopg.adapters)

    context = _Context()
    for col in columns:
        if (col.kind == "v" and col.arrow != pa.binary()) or col.post == "vector":
            context.adapters.register_loader(col.oid, TextLoader)  # the text itself; decoded below as in the map
    tx = Transformer(context)  # type: ignore[arg-type]
    tx.set_pgresult(res)
    try:
        rows = tx.load_rows(0, res.ntuples, tuple) if res.ntuples else []
        values = list(zip(*rows)) if rows else [() for _ in columns]
        arrays = [_loaded_column(col, list(vals)) for col, vals in zip(columns, values)]
    except (psycopg.DataError, ValueError, OverflowError, TypeError, pa.ArrowInvalid, pa.ArrowTypeError):
        raw = [[res.get_value(r, c) for c in range(res.nfields)] for r in range(res.ntuples)]
        return rows_to_table(columns, raw, encoding)
    return table_of(columns, arrays)


def _loaded_column(col: Column, values: list[Any]) -> pa.Array:
    """A column of psycopg-loaded values (text for the `v` kinds) in the map's Arrow type."""
    if col.post == "vector":
        parsed = [None if v is None else [float(x) for x in v.strip("[]").split(",") if x] for v in values]
        return pa.array(parsed, type=pa.list_(pa.float32()))
    if col.kind == "v" and col.arrow == pa.binary():
        return pa.array([None if v is None else bytes(v) for v in values], type=pa.binary())
    if col.kind == "v":
        strings = pa.array(values, type=pa.string())
        return numeric_column(strings) if col.post == "numeric" else strings
    return pa.array(values, type=col.arrow)


_INFINITY = (b"infinity", b"-infinity")


def _text_column(col: Column, raw: list[bytes | None], encoding: str) -> Any:
    def text(v: bytes | None) -> str | None:
        return None if v is None else bytes(v).decode(encoding)

    if col.post == "vector":
        parsed = [None if v is None else [float(x) for x in bytes(v).decode().strip("[]").split(",") if x] for v in raw]
        return pa.array(parsed, type=pa.list_(pa.float32()))
    if col.kind == "v" and col.arrow == pa.binary():
        from psycopg.types.string import ByteaLoader

        bytea = ByteaLoader(17)
        return pa.array([None if v is None else bytes(bytea.load(v)) for v in raw], type=pa.binary())
    if col.kind == "v":
        strings = pa.array([text(v) for v in raw], type=pa.string())
        return numeric_column(strings) if col.post == "numeric" else strings
    if col.kind == "n" and any(v in _INFINITY for v in raw):
        return pa.array([text(v) for v in raw], type=pa.string()), INTERVAL_NOTE
    cls = psycopg.adapters.get_loader(col.oid, pq.Format.TEXT)
    load = cls(col.oid).load if cls is not None else text
    try:
        if (pa.types.is_date32(col.arrow) or pa.types.is_timestamp(col.arrow)) and any(v in _INFINITY for v in raw):
            return _infinite_text(col, raw, load), INFINITE_NOTE
        return pa.array([None if v is None else load(v) for v in raw], type=col.arrow)
    except (psycopg.DataError, ValueError, OverflowError, pa.ArrowInvalid):
        # a value Python cannot hold (24:00:00, a BC date, year 10000…): PostgreSQL's own text, with a note
        note = INTERVAL_NOTE if col.kind == "n" else OUT_OF_RANGE_NOTE
        return pa.array([text(v) for v in raw], type=pa.string()), note


def _infinite_text(col: Column, raw: list[bytes | None], load: Any) -> pa.Array:
    import datetime as dt

    date = pa.types.is_date32(col.arrow)
    last: Any = dt.date.max if date else dt.datetime.max
    first: Any = dt.date.min if date else dt.datetime.min
    if isinstance(col.arrow, pa.TimestampType) and col.arrow.tz is not None:
        last, first = last.replace(tzinfo=dt.timezone.utc), first.replace(tzinfo=dt.timezone.utc)
    out = [None if v is None else last if v == b"infinity" else first if v == b"-infinity" else load(v) for v in raw]
    return pa.array(out, type=col.arrow)

"""The query fast path: `COPY (query) TO STDOUT (FORMAT binary)` on the session's psycopg connection, drained
into Arrow column buffers by a C reader (`_copyfetch`, pure Python when it is not built), exact per `_pgtypes`."""

from __future__ import annotations

import ctypes
import struct
from collections.abc import Sequence
from decimal import Decimal
from functools import cache
from typing import Any

import numpy as np
import psycopg
import pyarrow as pa
import pyarrow.compute as pc
from psycopg import pq

from pgai_magic.db._pgtext import date_text, interval_text, time_text, timestamp_text
from pgai_magic.db._pgtypes import Column

__all__ = ["LimitReached", "copy_query", "decode_columns", "numeric_column", "rows_to_table", "stream_copy"]

_PG_EPOCH_DAYS = 10957  # 2000-01-01 - 1970-01-01
_PG_EPOCH_US = _PG_EPOCH_DAYS * 86_400_000_000
_DAY_US = 86_400_000_000


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
def _libpq_candidates() -> tuple[tuple[int, int, Any], ...]:
    """(PQgetCopyData, PQfreemem, PQbackendPID) of each libpq this process has loaded, psycopg's first."""
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
        pid = lib.PQbackendPID
        pid.argtypes, pid.restype = [ctypes.c_void_p], ctypes.c_int
        if get and free:
            found.append((get, free, pid))
    return tuple(found)


def _native(pgconn: Any) -> tuple[Any, int, int] | None:
    """The C reader and the functions of the libpq that owns `pgconn` (None: use the pure-Python reader)."""
    try:
        from pgai_magic.db import _copyfetch  # type: ignore[attr-defined]
    except ImportError:
        return None
    for get, free, pid in _libpq_candidates():
        # the libpq that owns this connection answers with its backend pid
        if pid(pgconn.pgconn_ptr) == pgconn.backend_pid:
            return _copyfetch, get, free
    return None


class LimitReached(Exception):
    """The buffers passed the byte limit after `rows` rows; the COPY is still running (cancel, then drain)."""

    def __init__(self, rows: int) -> None:
        super().__init__(rows)
        self.rows = rows


def stream_copy(
    pgconn: Any, kinds: str, *, limit: int | None = None, native: bool = True
) -> tuple[int, list[tuple[Any, ...]]]:
    """Drain a started binary COPY OUT into column buffers: (rows, [(values, validity, offsets, nulls)]).

    Buffers are pyarrow Buffers. Raises LimitReached past `limit` bytes, psycopg.OperationalError when the stream
    is not what was described.
    """
    found = _native(pgconn) if native else None
    if found is not None:
        module, get, free = found
        status, rows, cols, why = module.fetch(pgconn.pgconn_ptr, get, free, kinds.encode(), limit or 0)
        if status == -4:
            raise LimitReached(rows)
        if status == -3:
            raise psycopg.OperationalError(f"the binary COPY stream could not be read: {why}")
        return rows, [
            (*tuple(pa.foreign_buffer(b[0], b[1], base=b[2]) if b is not None else None for b in c[:3]), c[3])
            for c in cols
        ]
    return _py_stream(pgconn, kinds, limit)


_FIXED_FORMAT = {"b": ("?", 1), "h": (">h", 2), "i": (">I", 4), "q": (">q", 8), "f": (">f", 4), "d": (">d", 8)}
_NATIVE = {"b": "<B", "h": "<h", "i": "<I", "q": "<q", "f": "<f", "d": "<d"}


def _py_stream(pgconn: Any, kinds: str, limit: int | None) -> tuple[int, list[tuple[Any, ...]]]:
    """The pure-Python reader (same buffers as the C one; for builds without a C compiler)."""
    values: list[list[Any]] = [[] for _ in kinds]
    first = True
    rows = 0
    received = 0
    while True:
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
            else:
                values[i].append(struct.unpack(_FIXED_FORMAT[kind][0], chunk)[0])
        rows += 1
    return rows, [_py_buffers(kind, vals) for kind, vals in zip(kinds, values)]


def _py_buffers(kind: str, vals: list[Any]) -> tuple[Any, ...]:
    valid = np.array([v is not None for v in vals], dtype=bool)
    validity = pa.py_buffer(np.packbits(valid, bitorder="little").tobytes())
    nulls = int((~valid).sum())
    if kind == "v":
        lengths = np.array([len(v) if v is not None else 0 for v in vals], dtype=np.int64)
        offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        data = b"".join(v for v in vals if v is not None)
        return pa.py_buffer(data), validity, pa.py_buffer(offsets.tobytes()), nulls
    if kind == "n":
        arr = np.zeros(len(vals), dtype=[("us", "<i8"), ("d", "<i4"), ("m", "<i4")])
        for i, v in enumerate(vals):
            if v is not None:
                arr[i] = v
        return pa.py_buffer(arr.tobytes()), validity, None, nulls
    filled = [0 if v is None else v for v in vals]
    arr_fixed = np.array(filled, dtype=_NATIVE[kind])
    return pa.py_buffer(arr_fixed.tobytes()), validity, None, nulls


# -- buffers → Arrow ----------------------------------------------------------------------------------------------
def _fixed(col: Column, rows: int, values: Any, validity: Any, nulls: int) -> pa.Array | tuple[pa.Array, str]:
    mask = validity if nulls else None
    kind, arrow = col.kind, col.arrow
    if kind == "b":
        return pa.Array.from_buffers(pa.uint8(), rows, [mask, values], null_count=nulls).cast(pa.bool_())
    if kind == "n":
        return _interval(rows, values, mask, nulls)
    if pa.types.is_date32(arrow) or pa.types.is_timestamp(arrow):
        return _datetime(arrow, rows, values, mask, nulls)
    if pa.types.is_time64(arrow):
        raw = np.frombuffer(values, dtype=np.int64, count=rows)
        if (raw >= 86_400_000_000).any():  # 24:00:00 is a PostgreSQL time, not a Python one
            return _as_text(rows, mask, raw, time_text), OUT_OF_RANGE_NOTE
    return pa.Array.from_buffers(arrow, rows, [mask, values], null_count=nulls)


def _datetime(arrow: pa.DataType, rows: int, values: Any, mask: Any, nulls: int) -> Any:
    """date / timestamp[tz] from PostgreSQL's 2000-based counts; ±infinity clamped, years outside 1–9999 as text."""
    date = pa.types.is_date32(arrow)
    width, shift = (np.int32, _PG_EPOCH_DAYS) if date else (np.int64, _PG_EPOCH_US)
    raw = np.frombuffer(values, dtype=width, count=rows)
    info = np.iinfo(width)
    high, low = raw == info.max, raw == info.min  # 'infinity', '-infinity'
    wide = raw.astype(np.float64) + shift
    outside = ~(high | low) & ((wide > _LAST[date]) | (wide < _FIRST[date]))
    if mask is not None:
        outside &= np.asarray(pa.Array.from_buffers(pa.bool_(), rows, [None, mask]))
    if outside.any():
        utc = pa.types.is_timestamp(arrow) and arrow.tz is not None
        fmt = date_text if date else (lambda v: timestamp_text(v, utc=utc))
        return _as_text(rows, mask, raw, fmt), OUT_OF_RANGE_NOTE
    moved = (raw.astype(np.int64) + shift).astype(width)
    infinite = bool(high.any() or low.any())
    if infinite:
        moved = np.where(high, _LAST[date], np.where(low, _FIRST[date], moved)).astype(width)
    buffer = pa.py_buffer(moved)  # type: ignore[arg-type]  # numpy arrays export the buffer protocol
    array = pa.Array.from_buffers(arrow, rows, [mask, buffer], null_count=nulls)
    return (array, INFINITE_NOTE) if infinite else array


def _as_text(rows: int, mask: Any, raw: Any, fmt: Any) -> pa.Array:
    valid = (
        np.ones(rows, dtype=bool) if mask is None else np.asarray(pa.Array.from_buffers(pa.bool_(), rows, [None, mask]))
    )
    return pa.array([fmt(int(v)) if ok else None for v, ok in zip(raw, valid)], type=pa.string())


# 'infinity' / '-infinity' have no datetime: they become the last / first instant Python can show
_LAST = {True: 2932896, False: 253402300799999999}  # 9999-12-31 (days), 9999-12-31 23:59:59.999999 (us)
_FIRST = {True: -719162, False: -62135596800000000}  # 0001-01-01
INFINITE_NOTE = (
    "holds ±infinity, which Python's datetime cannot hold: shown as 9999-12-31 (the last instant) and 0001-01-01"
)
INTERVAL_NOTE = "holds intervals a time delta cannot hold (infinite, or past ±292,000 years): kept as PostgreSQL's text"
OUT_OF_RANGE_NOTE = (
    "holds values Python's datetime cannot hold (years outside 1–9999, 24:00:00): kept as PostgreSQL's text"
)


def _interval(rows: int, values: Any, mask: Any, nulls: int) -> Any:
    """interval → duration[us] (a month is 30 days, a year 365, as psycopg); text when it does not fit."""
    raw = np.frombuffer(values, dtype=[("us", "<i8"), ("d", "<i4"), ("m", "<i4")], count=rows)
    months = raw["m"].astype(np.int64)
    sign = np.sign(months)
    days = raw["d"].astype(np.int64) + sign * (365 * (np.abs(months) // 12) + 30 * (np.abs(months) % 12))
    exact = raw["us"].astype(np.float64) + days.astype(np.float64) * _DAY_US
    if np.abs(exact).max(initial=0.0) < 2**63 - 2**11:
        total = raw["us"] + days * _DAY_US
        return pa.Array.from_buffers(pa.duration("us"), rows, [mask, pa.py_buffer(total)], null_count=nulls)
    valid = (
        np.ones(rows, dtype=bool) if mask is None else np.asarray(pa.Array.from_buffers(pa.bool_(), rows, [None, mask]))
    )
    text = [
        interval_text(int(m), int(d), int(u)) if ok else None
        for m, d, u, ok in zip(raw["m"], raw["d"], raw["us"], valid)
    ]
    return pa.array(text, type=pa.string()), INTERVAL_NOTE


def decode_vectors(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    """pgvector's binary form (int16 dim, int16 unused, float32 big-endian × dim) → list<float32>."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks() if column.num_chunks else pa.array([], pa.binary())
    storage = column.storage if isinstance(column, pa.ExtensionArray) else column
    storage = storage.cast(pa.binary()) if storage.type != pa.binary() else storage
    n = len(storage)
    if n == 0:
        return pa.array([], type=pa.list_(pa.float32()))
    buffers: list[Any] = storage.buffers()  # [validity, offsets, data]; a buffer is None when absent
    offsets = np.frombuffer(buffers[1], dtype=np.int32, count=n + 1, offset=storage.offset * 4)
    data = np.frombuffer(buffers[2], dtype=np.uint8) if buffers[2] else np.zeros(0, np.uint8)
    lengths = np.diff(offsets)
    valid = np.asarray(storage.is_valid())
    payload = lengths[valid]
    if payload.size and (payload == payload[0]).all():
        # one dimension for all rows: decode in one vectorised step
        dim = (int(payload[0]) - 4) // 4
        starts = offsets[:-1][valid]
        idx = (starts[:, None] + 4 + np.arange(dim * 4)[None, :]).ravel()
        values = data[idx].view(">f4").astype(np.float32)
        value_offsets = np.zeros(n + 1, dtype=np.int32)
        value_offsets[1:] = np.cumsum(np.where(valid, dim, 0))
        mask = pa.array(~valid) if not valid.all() else None
        return pa.ListArray.from_arrays(pa.array(value_offsets), pa.array(values), mask=mask)  # type: ignore[call-overload]  # pyarrow-stubs lack the mask overload of a typed values array
    items: list[Any] = []
    for i in range(n):
        if not valid[i]:
            items.append(None)
            continue
        chunk = data[offsets[i] + 4 : offsets[i + 1]]
        items.append(chunk.view(">f4").astype(np.float32))
    return pa.array(items, type=pa.list_(pa.float32()))


def decode_columns(
    columns: Sequence[Column], rows: int, buffers: Sequence[tuple[Any, ...]], encoding: str = "utf-8"
) -> pa.Table:
    """The Arrow table for the reader's buffers (numerics resolved, vectors decoded; text in `encoding`)."""
    arrays = []
    for col, (values, validity, offsets, nulls) in zip(columns, buffers):
        if col.kind == "v":
            storage = pa.large_binary() if col.arrow == pa.binary() else pa.large_string()
            array: Any = pa.Array.from_buffers(
                storage, rows, [validity if nulls else None, offsets, values], null_count=nulls
            )
            if col.post == "vector":
                arrays.append(decode_vectors(array.cast(pa.binary())))
                continue
            if storage == pa.large_string() and encoding.replace("-", "").lower() not in ("utf8", "ascii"):
                raw = array.view(pa.large_binary()).to_pylist()
                array = pa.array([None if b is None else b.decode(encoding) for b in raw], type=pa.large_string())
            array = _small_offsets(array)
            if col.post == "numeric":
                array = numeric_column(array)
        else:
            array = _fixed(col, rows, values, validity, nulls)
        arrays.append(array)
    return _table(columns, arrays)


def _table(columns: Sequence[Column], arrays: list[Any]) -> pa.Table:
    """The table; an (array, note) pair puts the note in that column's metadata (pgai:note)."""
    fields = []
    plain = []
    for col, item in zip(columns, arrays):
        array, note = item if isinstance(item, tuple) else (item, None)
        field = _field(col, array)
        if note:
            metadata: dict[bytes | str, bytes | str] = {k: v for k, v in (field.metadata or {}).items()}
            metadata[b"pgai:note"] = note.encode()
            field = field.with_metadata(metadata)
        fields.append(field)
        plain.append(array)
    return pa.Table.from_arrays(plain, schema=pa.schema(fields))


def _small_offsets(array: pa.Array) -> pa.Array:
    """string/binary (32-bit offsets) when the data fits, as pandas and polars expect."""
    if array.nbytes < 2**31 - 1:
        return array.cast(pa.string() if pa.types.is_large_string(array.type) else pa.binary())
    return array


def _field(col: Column, array: pa.Array) -> pa.Field:
    field = col.field()
    return field.with_type(array.type)


def numeric_column(text: pa.Array) -> pa.Array:
    """numeric text → int64 / float64 when exact for every value, else decimal (no digit is ever lost)."""
    valid = pc.drop_null(text)
    if len(valid) == 0:
        return pa.nulls(len(text), pa.float64())
    specials = pc.is_in(valid, pa.array(["NaN", "Infinity", "-Infinity"]))
    has_special = pc.any(specials).as_py()
    if not has_special and not pc.any(pc.match_substring(valid, ".")).as_py():
        try:
            return pc.cast(text, pa.int64())
        except pa.ArrowInvalid:
            pass  # past int64
    as_float = pc.cast(text, pa.float64())
    finite = pc.filter(valid, pc.invert(specials)) if has_special else valid
    if _float_exact(finite):
        return as_float
    if has_special:
        return text  # NaN/Infinity have no decimal form: PostgreSQL's text, exact
    return _decimal(text)


def _float_exact(finite: pa.Array) -> bool:
    """True when float64 prints every value back as the same decimal number."""
    if len(finite) == 0:
        return True
    floats = pc.cast(finite, pa.float64()).to_numpy(zero_copy_only=False)
    texts = [str(t) for t in finite.to_pylist()]  # no nulls: the caller passes the finite values only
    return all(Decimal(repr(float(f))) == Decimal(t) for f, t in zip(floats, texts))


def _decimal(text: pa.Array) -> pa.Array:
    values = [None if v is None else Decimal(v) for v in text.to_pylist()]
    digits = [(len(d.as_tuple().digits), -int(d.as_tuple().exponent)) for d in values if d is not None]
    scale = max(0, max(s for _, s in digits))
    whole = max(max(n - s for n, s in digits), 0)  # digits before the point (none for |v| < 1)
    precision = max(1, whole + scale)
    if precision <= 38:
        return pa.array(values, type=pa.decimal128(precision, scale))
    if precision <= 76:
        return pa.array(values, type=pa.decimal256(precision, scale))
    return text  # past 76 digits: PostgreSQL's text, exact


def rows_to_table(
    columns: Sequence[Column], rows: Sequence[Sequence[bytes | None]], encoding: str = "utf-8"
) -> pa.Table:
    """The Arrow table for a text-format result (SHOW, EXPLAIN, FETCH, RETURNING…), same map as the fast path."""
    arrays = []
    for i, col in enumerate(columns):
        raw = [row[i] for row in rows]
        arrays.append(_text_column(col, raw, encoding))
    return _table(columns, arrays)


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
    return _table(columns, arrays)


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

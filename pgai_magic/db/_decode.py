"""The binary reader's column buffers → an Arrow table, exact per `_pgtypes` (numerics resolved, vectors decoded,
dates and times Python cannot hold kept as PostgreSQL's text with a note); zero-copy where the layout allows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pgai_magic.db._pgtext import date_text, interval_text, time_text, timestamp_text
from pgai_magic.db._pgtypes import Column

__all__ = [
    "INFINITE_NOTE",
    "INTERVAL_NOTE",
    "OUT_OF_RANGE_NOTE",
    "Buffers",
    "decode_columns",
    "decode_vectors",
    "numeric_column",
    "reader_kinds",
    "table_of",
]

PG_EPOCH_DAYS = 10957  # 2000-01-01 - 1970-01-01
PG_EPOCH_US = PG_EPOCH_DAYS * 86_400_000_000
_DAY_US = 86_400_000_000

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


@dataclass(frozen=True)
class Buffers:
    """One column as the reader left it: Arrow buffers and what it saw (`_copyfetch.c` documents each field).

    `offsets` are 64-bit (large_string / large_binary); `low`/`high`: the smallest/largest finite date or timestamp
    (1970-based, when `moved`); `infinite`: how many ±infinity values."""

    values: Any
    validity: Any
    offsets: Any
    nulls: int
    low: int = 0
    high: int = 0
    infinite: int = 0
    moved: bool = True


def reader_kinds(columns: Sequence[Column]) -> str:
    """The reader's code per column: the map's kind, with dates 'D' and timestamps 'T' (moved to 1970)."""
    out = []
    for col in columns:
        if pa.types.is_date32(col.arrow):
            out.append("D")
        elif pa.types.is_timestamp(col.arrow):
            out.append("T")
        else:
            out.append(col.kind)
    return "".join(out)


def _mask_bool(rows: int, mask: Any) -> np.ndarray:
    if mask is None:
        return np.ones(rows, dtype=bool)
    return np.asarray(pa.Array.from_buffers(pa.bool_(), rows, [None, mask]))


def _fixed(col: Column, rows: int, buf: Buffers) -> pa.Array | tuple[pa.Array, str]:
    mask = buf.validity if buf.nulls else None
    arrow = col.arrow
    if col.kind == "b":
        return pa.Array.from_buffers(pa.bool_(), rows, [mask, buf.values], null_count=buf.nulls)
    if col.kind == "n":
        return _interval(rows, buf.values, mask, buf.nulls)
    if pa.types.is_date32(arrow) or pa.types.is_timestamp(arrow):
        return _datetime(arrow, rows, buf, mask)
    if pa.types.is_time64(arrow):
        raw = np.frombuffer(buf.values, dtype=np.int64, count=rows)
        if (raw >= 86_400_000_000).any():  # 24:00:00 is a PostgreSQL time, not a Python one
            return _as_text(rows, mask, raw, time_text), OUT_OF_RANGE_NOTE
    return pa.Array.from_buffers(arrow, rows, [mask, buf.values], null_count=buf.nulls)


def _datetime(arrow: pa.DataType, rows: int, buf: Buffers, mask: Any) -> Any:
    """date / timestamp[tz] (the reader moved them to 1970); ±infinity clamped, years outside 1–9999 as text."""
    date = pa.types.is_date32(arrow)
    in_range = buf.low >= _FIRST[date] and buf.high <= _LAST[date]
    if buf.moved and not buf.infinite and in_range:  # the common case: the reader's buffer as it is
        return pa.Array.from_buffers(arrow, rows, [mask, buf.values], null_count=buf.nulls)
    width, shift = (np.int32, PG_EPOCH_DAYS) if date else (np.int64, PG_EPOCH_US)
    stored = np.frombuffer(buf.values, dtype=width, count=rows)
    info = np.iinfo(width)
    high, low = stored == info.max, stored == info.min  # 'infinity', '-infinity' (never moved)
    raw = stored if not buf.moved else np.where(high | low, stored, stored.astype(np.int64) - shift)
    wide = raw.astype(np.float64) + shift
    outside = ~(high | low) & ((wide > _LAST[date]) | (wide < _FIRST[date])) & _mask_bool(rows, mask)
    if outside.any():
        utc = pa.types.is_timestamp(arrow) and arrow.tz is not None
        fmt = date_text if date else (lambda v: timestamp_text(v, utc=utc))
        return _as_text(rows, mask, raw, fmt), OUT_OF_RANGE_NOTE
    moved = (raw.astype(np.int64) + shift).astype(width)
    moved = np.where(high, _LAST[date], np.where(low, _FIRST[date], moved)).astype(width)
    array = pa.Array.from_buffers(arrow, rows, [mask, pa.py_buffer(moved)], null_count=buf.nulls)  # type: ignore[arg-type]  # numpy arrays export the buffer protocol
    return (array, INFINITE_NOTE) if bool(high.any() or low.any()) else array


def _as_text(rows: int, mask: Any, raw: Any, fmt: Any) -> pa.Array:
    valid = _mask_bool(rows, mask)
    return pa.array([fmt(int(v)) if ok else None for v, ok in zip(raw, valid)], type=pa.string())


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
    valid = _mask_bool(rows, mask)
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


def _variable(col: Column, rows: int, buf: Buffers, encoding: str) -> Any:
    """text / bytea / numeric / vector columns: large_string / large_binary over the reader's 64-bit offsets (the
    Arrow output takes the map's string / binary: cell.convert)."""
    binary = col.arrow == pa.binary()
    storage = pa.large_binary() if binary else pa.large_string()
    array: Any = pa.Array.from_buffers(
        storage, rows, [buf.validity if buf.nulls else None, buf.offsets, buf.values], null_count=buf.nulls
    )
    if col.post == "vector":
        return decode_vectors(array.cast(pa.binary()))
    if not binary and encoding.replace("-", "").lower() not in ("utf8", "ascii"):
        raw = array.view(pa.large_binary()).to_pylist()
        array = pa.array([None if b is None else b.decode(encoding) for b in raw], type=storage)
    return numeric_column(array) if col.post == "numeric" else array


def decode_columns(
    columns: Sequence[Column], rows: int, buffers: Sequence[Buffers], encoding: str = "utf-8"
) -> pa.Table:
    """The Arrow table for the reader's buffers (numerics resolved, vectors decoded; text in `encoding`)."""
    arrays = [
        _variable(col, rows, buf, encoding) if col.kind == "v" else _fixed(col, rows, buf)
        for col, buf in zip(columns, buffers)
    ]
    return table_of(columns, arrays)


def table_of(columns: Sequence[Column], arrays: list[Any]) -> pa.Table:
    """The table; an (array, note) pair puts the note in that column's metadata (pgai:note)."""
    fields = []
    plain = []
    for col, item in zip(columns, arrays):
        array, note = item if isinstance(item, tuple) else (item, None)
        field = col.field().with_type(array.type)
        if note:
            metadata: dict[bytes | str, bytes | str] = {k: v for k, v in (field.metadata or {}).items()}
            metadata[b"pgai:note"] = note.encode()
            field = field.with_metadata(metadata)
        fields.append(field)
        plain.append(array)
    return pa.Table.from_arrays(plain, schema=pa.schema(fields))


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

"""The runner's Arrow results → pandas or polars (json parsed, vectors as arrays, psycopg values for text types)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pandas as pd
import pyarrow as pa

__all__ = ["as_format", "for_polars", "to_arrow", "to_pandas", "to_polars"]


def _post(field: pa.Field) -> str:
    return ((field.metadata or {}).get(b"pgai:post") or b"none").decode()


def _pandas_type(arrow_type: pa.DataType, has_nulls: bool) -> Any:
    if not has_nulls:
        return None
    if pa.types.is_integer(arrow_type):
        signed = {8: pd.Int8Dtype(), 16: pd.Int16Dtype(), 32: pd.Int32Dtype(), 64: pd.Int64Dtype()}
        unsigned = {8: pd.UInt8Dtype(), 16: pd.UInt16Dtype(), 32: pd.UInt32Dtype(), 64: pd.UInt64Dtype()}
        return (signed if pa.types.is_signed_integer(arrow_type) else unsigned)[arrow_type.bit_width]
    if pa.types.is_boolean(arrow_type):
        return pd.BooleanDtype()
    return None


def _arrow_backed(arrow_type: pa.DataType) -> Any:
    """pandas' Arrow-backed dtype for the types numpy has no dtype for: time of day and bytea; None for the others
    (numpy dtypes, pandas' own string dtype, and decimals, kept as Python Decimals: Arrow's decimal arithmetic
    refuses results past 38 digits where Decimal's follows its context)."""
    if pa.types.is_time(arrow_type):
        return pd.ArrowDtype(arrow_type)
    if pa.types.is_binary(arrow_type) or pa.types.is_large_binary(arrow_type):
        return pd.ArrowDtype(pa.binary())
    return None


def _loader(oid: int) -> Any:
    """psycopg's text loader for `oid` (its Python value for uuid, inet, ranges, arrays…), None if it has none."""
    import psycopg
    from psycopg import pq

    cls = psycopg.adapters.get_loader(oid, pq.Format.TEXT)
    return cls(oid) if cls is not None else None


def to_pandas(table: pa.Table) -> pd.DataFrame:
    """A DataFrame: numpy dtypes (nullable Int/boolean where NULLs occur), pandas' Arrow-backed string dtype for
    text (no Python object per value), Arrow-backed times and bytea, Decimals, parsed json, vectors as arrays,
    and psycopg's Python values for the types that travel as text (pgtypes' map, docs/types.md)."""
    mapped = {f.type: _arrow_backed(f.type) for f in table.schema if _arrow_backed(f.type) is not None}
    if any(pa.types.is_large_binary(t) for t in mapped):
        table = to_arrow(table, text=False)  # bytea as binary, the Arrow-backed dtype's storage
        mapped = {f.type: _arrow_backed(f.type) for f in table.schema if _arrow_backed(f.type) is not None}
    df = table.to_pandas(date_as_object=False, split_blocks=True, types_mapper=mapped.get)
    for i, f in enumerate(table.schema):
        column = table.column(i)
        dtype = _pandas_type(f.type, column.null_count > 0)
        if dtype is not None:
            df.isetitem(i, column.to_pandas(types_mapper={f.type: dtype}.get))  # type: ignore[arg-type]  # pandas-stubs: isetitem takes a Series
        post = _post(f)
        parse: Callable[[str], Any] | None = None
        if post == "json":
            parse = json.loads
        elif post == "load" and (pa.types.is_string(f.type) or pa.types.is_large_string(f.type)):
            loader = _loader(int((f.metadata or {}).get(b"pgai:oid", b"0")))
            parse = (lambda text, ld=loader: ld.load(text.encode())) if loader is not None else None
        if parse is not None:
            values = [None if v is None else parse(v) for v in column.to_pylist()]
            df.isetitem(i, pd.Series(values, index=df.index, dtype=object))  # type: ignore[arg-type]  # as above
        elif post == "vector":
            df.isetitem(i, df.iloc[:, i].astype(object))  # type: ignore[arg-type]  # as above
    return df


def for_polars(table: pa.Table) -> tuple[pa.Table, list[str]]:
    """The table polars can take, and a note for each change: duplicate column names get a suffix, numerics past
    38 digits (polars' widest decimal) become their exact text, fixed-offset time zones (polars takes IANA names
    only) become UTC. The instants and digits stay the same."""
    notes: list[str] = []
    names: list[str] = []
    seen: dict[str, int] = {}
    fields = []
    columns = []
    for field, column in zip(table.schema, table.columns):
        name = field.name
        if name in seen:
            seen[name] += 1
            new = f"{name}_{seen[name]}"
            notes.append(f"duplicate column name {name!r} renamed {new!r} (polars needs unique names)")
            name = new
        seen.setdefault(name, 1)
        names.append(name)
        kind = field.type
        if pa.types.is_decimal(kind) and kind.precision > 38:
            column, kind = column.cast(pa.string()), pa.string()
            notes.append(f"column {name}: as exact text in polars (polars' decimals stop at 38 digits)")
        elif pa.types.is_timestamp(kind) and kind.tz and kind.tz[:1] in "+-":
            hours, _, minutes = kind.tz[1:].partition(":")
            if minutes in ("", "00"):  # a whole-hour offset has an IANA name: Etc/GMT, its sign inverted (POSIX)
                zone = "UTC" if int(hours) == 0 else f"Etc/GMT{'-' if kind.tz[0] == '+' else '+'}{int(hours)}"
            else:
                zone = "UTC"
                notes.append(f"column {name}: shown in UTC (polars takes IANA time zone names, not {field.type.tz})")
            kind = pa.timestamp(kind.unit, tz=zone)
            column = column.cast(kind)
        fields.append(pa.field(name, kind, metadata=field.metadata))
        columns.append(column)
    if not notes:
        return table, []
    return pa.Table.from_arrays(columns, schema=pa.schema(fields)), notes


def to_arrow(table: pa.Table, *, text: bool = True) -> pa.Table:
    """The table in the map's Arrow types: text and bytea as string / binary (32-bit offsets) when they fit, as
    most Arrow readers expect (the fast path reads them with 64-bit offsets, the layout pandas keeps); with
    `text` False only bytea."""
    small: dict[pa.DataType, pa.DataType] = {pa.large_binary(): pa.binary()}
    if text:
        small[pa.large_string()] = pa.string()
    if not any(f.type in small for f in table.schema):
        return table
    fields, columns = [], []
    for field, column in zip(table.schema, table.columns):
        target = small.get(field.type)
        if target is not None and column.nbytes < 2**31 - 1:
            field, column = field.with_type(target), column.cast(target)
        fields.append(field)
        columns.append(column)
    return pa.Table.from_arrays(columns, schema=pa.schema(fields))


def to_polars(table: pa.Table) -> Any:
    """A polars DataFrame (vectors as List(Float32), the other types per pgtypes' map; see `for_polars`)."""
    import polars as pl

    return pl.from_arrow(for_polars(table)[0])


def as_format(table: pa.Table, fmt: str) -> Any:
    """The result in the format asked for: "pandas", "arrow" or "polars" (ConfigError for another)."""
    if fmt == "arrow":
        return to_arrow(table)
    if fmt == "polars":
        return to_polars(table)
    if fmt == "pandas":
        return to_pandas(table)
    from pgai_magic.errors import ConfigError

    raise ConfigError(f"unknown result format {fmt!r}: use pandas, arrow or polars")

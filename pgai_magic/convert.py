"""Arrow results from the ADBC driver → clean Arrow, pandas or polars with analyst-friendly types."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["decode_vectors", "normalize_arrow", "to_pandas", "to_polars"]


def _pg_type(field: pa.Field) -> str:
    meta = field.metadata or {}
    return (meta.get(b"POSTGRESQL:type") or meta.get(b"ADBC:postgresql:typname") or b"").decode()


def decode_vectors(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    """pgvector's binary form (int16 dim, int16 unused, float32 big-endian × dim) → list<float32>."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks() if column.num_chunks else pa.array([], pa.binary())
    storage = column.storage if isinstance(column, pa.ExtensionArray) else column
    storage = storage.cast(pa.binary()) if storage.type != pa.binary() else storage
    n = len(storage)
    if n == 0:
        return pa.array([], type=pa.list_(pa.float32()))
    offsets = np.frombuffer(storage.buffers()[1], dtype=np.int32, count=n + 1, offset=storage.offset * 4)
    data = np.frombuffer(storage.buffers()[2], dtype=np.uint8) if storage.buffers()[2] else np.zeros(0, np.uint8)
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
        return pa.ListArray.from_arrays(pa.array(value_offsets), pa.array(values), mask=mask)
    items: list[Any] = []
    for i in range(n):
        if not valid[i]:
            items.append(None)
            continue
        chunk = data[offsets[i] + 4 : offsets[i + 1]]
        items.append(chunk.view(">f4").astype(np.float32))
    return pa.array(items, type=pa.list_(pa.float32()))


def _normalize_column(field: pa.Field, column: pa.ChunkedArray) -> tuple[pa.Field, pa.ChunkedArray | pa.Array]:
    pg_type = _pg_type(field)
    col_type = column.type
    if pg_type in ("vector", "halfvec") and isinstance(col_type, pa.BaseExtensionType):
        return pa.field(field.name, pa.list_(pa.float32())), decode_vectors(column)
    if pg_type == "numeric":
        storage = (
            pa.chunked_array(
                [c.storage if isinstance(c, pa.ExtensionArray) else c for c in column.chunks], type=pa.string()
            )
            if isinstance(col_type, pa.BaseExtensionType)
            else column
        )
        # 'NaN', 'Infinity' are valid numerics and parse as floats too
        return pa.field(field.name, pa.float64()), pc.cast(storage, pa.float64())
    if isinstance(col_type, pa.BaseExtensionType):
        storage_type = col_type.storage_type
        chunks = [c.storage for c in column.chunks]
        return pa.field(field.name, storage_type, metadata=field.metadata), pa.chunked_array(chunks, type=storage_type)
    return field, column


def normalize_arrow(table: pa.Table) -> pa.Table:
    """Replace driver extension types: vector → list<float32>, numeric → float64, json → string."""
    fields = []
    columns = []
    changed = False
    for field, column in zip(table.schema, table.columns, strict=True):
        new_field, new_column = _normalize_column(field, column)
        changed = changed or new_field is not field
        fields.append(new_field)
        columns.append(new_column)
    if not changed:
        return table
    return pa.Table.from_arrays(columns, schema=pa.schema(fields))


def _pandas_type(arrow_type: pa.DataType, has_nulls: bool) -> Any:
    if not has_nulls:
        return None
    if pa.types.is_integer(arrow_type):
        return {8: pd.Int8Dtype(), 16: pd.Int16Dtype(), 32: pd.Int32Dtype(), 64: pd.Int64Dtype()}[arrow_type.bit_width]
    if pa.types.is_boolean(arrow_type):
        return pd.BooleanDtype()
    return None


def to_pandas(raw: pa.Table) -> pd.DataFrame:
    """A DataFrame with numpy dtypes (nullable Int/boolean where NULLs occur), parsed json, vectors as arrays."""
    table = normalize_arrow(raw)
    json_cols = [f.name for f in raw.schema if _pg_type(f) in ("json", "jsonb")]
    vector_cols = [f.name for f in raw.schema if _pg_type(f) in ("vector", "halfvec")]
    df = table.to_pandas(date_as_object=False, split_blocks=True)
    for i, f in enumerate(table.schema):
        # integers and booleans with NULLs become nullable dtypes instead of float/object
        dtype = _pandas_type(f.type, table.column(i).null_count > 0)
        if dtype is not None:
            df.isetitem(i, table.column(i).to_pandas(types_mapper={f.type: dtype}.get))
    for name in json_cols:
        df[name] = df[name].map(lambda v: json.loads(v) if isinstance(v, str) else v).astype(object)
    for name in vector_cols:
        df[name] = df[name].astype(object)
    return df


def to_polars(raw: pa.Table) -> Any:
    """A polars DataFrame (vectors as List(Float32), numerics as Float64)."""
    import polars as pl

    return pl.from_arrow(normalize_arrow(raw))

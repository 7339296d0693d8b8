"""DataFrame → table: pandas, polars or Arrow data written with one `COPY … FROM STDIN (FORMAT binary)` stream.

Types: Arrow's, mapped as `column_ddl` says (pandas nullable types and categoricals included, float vectors →
pgvector `vector(n)`); the binary COPY rows are encoded by pgpq (Arrow → PostgreSQL binary, in Rust), batch by batch,
on the session's own connection, in one transaction (a failure leaves no half-written table).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import psycopg
import pyarrow as pa
import pyarrow.compute as pc
from psycopg import sql

from pgai_magic import catalog
from pgai_magic.errors import ConfigError, ParameterError
from pgai_magic.workflow.request import Mode, PersistRequest

__all__ = [
    "PersistResult",
    "as_arrow",
    "check_names",
    "column_ddl",
    "persist_batches",
    "persist_frame",
    "prepare_table",
    "split_name",
]

_BATCH_ROWS = 65_536


@dataclass
class PersistResult:
    """What was written: the table, rows, the column types used, and notes on conversions."""

    table: str
    rows: int
    columns: dict[str, str]
    created: bool
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        verb = "created" if self.created else "appended to"
        return f"{verb} {self.table}: {self.rows:,} row{'s' if self.rows != 1 else ''} in {self.seconds:.2f} s"

    def __repr__(self) -> str:
        return self.summary()


def as_arrow(data: Any, *, index: bool = False) -> tuple[pa.Table, list[str]]:
    """An Arrow table for pandas / polars / Arrow data; vectors (numpy float arrays) marked for `vector`.

    Raises ParameterError for anything else.
    """
    notes: list[str] = []
    if isinstance(data, pa.RecordBatch):
        data = pa.Table.from_batches([data])
    if isinstance(data, pa.Table):
        return data, notes
    module = type(data).__module__
    if module.startswith("polars"):
        if type(data).__name__ == "LazyFrame":
            raise ParameterError("cannot persist a polars LazyFrame: call .collect() on it first")
        return _checked(data.to_arrow()), notes
    import pandas as pd

    if isinstance(data, pd.Series):
        data = data.to_frame()
    if not isinstance(data, pd.DataFrame):
        raise ParameterError(
            f"cannot persist a {type(data).__name__}: give a pandas or polars DataFrame or a pyarrow Table"
        )
    frame = data
    sparse = {c: t.subtype for c, t in frame.dtypes.items() if isinstance(t, pd.SparseDtype)}
    if sparse:  # sparse columns: their dense values
        frame = frame.astype(sparse)
    dupes = frame.columns[frame.columns.duplicated()].tolist()
    if dupes:
        raise ConfigError(f"column name {str(dupes[0])!r} appears twice: give the columns unique names first")
    vectors = [c for c in frame.columns if frame[c].dtype == object and _is_vector_column(frame[c])]
    if vectors:
        frame = frame.copy()
        for c in vectors:  # numpy float vectors → fixed-size float32 lists (pgvector)
            dim = len(next(v for v in frame[c] if v is not None))
            frame[c] = pd.Series(
                [None if v is None else np.asarray(v, dtype=np.float32) for v in frame[c]],
                index=frame.index,
                dtype=object,
            )
            notes.append(f"column {c}: numpy float vectors stored as pgvector vector({dim})")
    huge = [c for c in frame.columns if frame[c].dtype == object and _is_huge_int_column(frame[c])]
    if huge:  # integers past int64: exact as numeric
        from decimal import Decimal

        frame = frame.copy()
        for c in huge:
            frame[c] = pd.Series([None if v is None else Decimal(v) for v in frame[c]], index=frame.index, dtype=object)
    documents = [c for c in frame.columns if frame[c].dtype == object and _is_json_column(frame[c])]
    if documents:  # dicts and nested lists: stored as jsonb, each value exactly as given
        import json

        frame = frame.copy()
        for c in documents:
            frame[c] = pd.Series(
                [None if v is None else json.dumps(v, default=str) for v in frame[c]], index=frame.index, dtype=object
            )
    try:
        table = pa.Table.from_pandas(frame, preserve_index=index)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OverflowError) as exc:
        column = _failing_column(frame)
        raise ConfigError(
            f"column {column!r} holds values of mixed or unsupported types ({str(exc).splitlines()[0]}): convert it "
            f"first, e.g. df[{column!r}].astype(str)"
        ) from None
    for c in vectors:
        i = table.schema.get_field_index(str(c))
        dim = len(next(v for v in frame[c] if v is not None))
        table = table.set_column(i, table.schema.field(i).name, table.column(i).cast(pa.list_(pa.float32(), dim)))
    for c in documents:
        i = table.schema.get_field_index(str(c))
        table = table.set_column(i, table.schema.field(i).with_metadata({b"pgai:jsonb": b"1"}), table.column(i))
    if "__index_level_0__" in table.column_names:  # an unnamed index, written as to_sql names it
        table = table.rename_columns(["index" if n == "__index_level_0__" else n for n in table.column_names])
    return _checked(table.replace_schema_metadata(None)), notes


def _failing_column(frame: Any) -> str:
    for c in frame.columns:
        try:
            pa.array(frame[c], from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OverflowError):
            return str(c)
    return "?"


def _checked(table: pa.Table) -> pa.Table:
    check_names(table.column_names)
    return table


def check_names(names: list[str], *, where: str = "") -> None:
    """Column names PostgreSQL keeps as given: not empty, unique, at most 63 bytes (it would cut longer ones).
    `where` names a file's header line in the error (a CSV's columns are renamed there, not in a DataFrame)."""
    if not names:
        raise ConfigError("the data has no columns: nothing to persist")
    if any(not n for n in names):
        empty = [i + 1 for i, n in enumerate(names) if not n]
        fix = f"name it in {where}" if where else "rename it first (df.columns = [...])"
        raise ConfigError(f"column {empty[0]} has an empty name: {fix}")
    long = [n for n in names if len(n.encode()) > 63]
    if long:
        raise ConfigError(
            f"column name {long[0][:40]!r}… is longer than PostgreSQL's 63 bytes (it would be cut): rename it first"
        )
    seen = [n for i, n in enumerate(names) if n in names[:i]]
    if seen:
        raise ConfigError(f"column name {seen[0]!r} appears twice: give the columns unique names first")


def _is_huge_int_column(series: Any) -> bool:
    values = [v for v in series if v is not None]
    ints = all(isinstance(v, int) and not isinstance(v, bool) for v in values)
    return bool(values) and ints and any(not -(2**63) <= v < 2**63 for v in values)


def _is_json_column(series: Any) -> bool:
    """Dicts, or lists holding dicts or lists: JSON documents (plain lists of scalars are arrays)."""
    values = [v for v in series.head(200) if v is not None]

    def document(v: Any) -> bool:
        return isinstance(v, dict) or (isinstance(v, list) and any(isinstance(x, dict | list) for x in v))

    return bool(values) and all(isinstance(v, dict | list) for v in values) and any(document(v) for v in values)


def _is_vector_column(series: Any) -> bool:
    values = [v for v in series.head(100) if v is not None]
    if not values or not all(isinstance(v, np.ndarray) and v.ndim == 1 and v.dtype.kind == "f" for v in values):
        return False
    return len({len(v) for v in series if v is not None}) == 1


def column_ddl(field: pa.Field) -> str:
    """The PostgreSQL type for an Arrow field (raises ConfigError for one with no PostgreSQL form)."""
    t = field.type
    if (field.metadata or {}).get(b"pgai:jsonb") or _nested(t):
        return "jsonb"
    if pa.types.is_dictionary(t):
        return column_ddl(pa.field(field.name, t.value_type))
    if pa.types.is_fixed_size_list(t) and pa.types.is_floating(t.value_type):
        return f"vector({t.list_size})"
    simple: list[tuple[Callable[[Any], bool], str]] = [
        (pa.types.is_boolean, "boolean"),
        (lambda x: pa.types.is_int8(x) or pa.types.is_int16(x) or pa.types.is_uint8(x), "smallint"),
        (lambda x: pa.types.is_int32(x) or pa.types.is_uint16(x), "integer"),
        (lambda x: pa.types.is_int64(x) or pa.types.is_uint32(x), "bigint"),
        (pa.types.is_uint64, "numeric(20,0)"),
        (lambda x: pa.types.is_float16(x) or pa.types.is_float32(x), "real"),
        (pa.types.is_float64, "double precision"),
        (lambda x: pa.types.is_string(x) or pa.types.is_large_string(x), "text"),
        (lambda x: pa.types.is_binary(x) or pa.types.is_large_binary(x), "bytea"),
        (pa.types.is_date, "date"),
        (pa.types.is_time, "time without time zone"),
        (pa.types.is_duration, "interval"),
    ]
    for test, name in simple:
        if test(t):
            return name
    if pa.types.is_timestamp(t):
        return "timestamp with time zone" if t.tz else "timestamp without time zone"
    if pa.types.is_decimal(t):
        return "numeric"  # exact, and as wide as later rows need (a typmod from the first values would be too tight)
    if pa.types.is_null(t):
        return "text"  # no value to type it by
    if pa.types.is_struct(t) or pa.types.is_map(t):
        return "jsonb"
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
        return column_ddl(pa.field(field.name, t.value_type)) + "[]"
    raise ConfigError(f"column {field.name!r} has type {t}, which has no PostgreSQL form: convert it first")


def _nested(t: pa.DataType) -> bool:
    """A list of lists / structs / maps: PostgreSQL arrays cannot hold it as such, jsonb can."""
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
        v = t.value_type
        return pa.types.is_struct(v) or pa.types.is_map(v) or pa.types.is_list(v) or pa.types.is_large_list(v)
    return False


def _for_copy(table: pa.Table) -> tuple[pa.Table, list[str]]:
    """The table as pgpq encodes it: categoricals as values, ns → us, unsigned widened, vectors as binary."""
    notes = []
    columns, fields = [], []
    for f, column in zip(table.schema, table.columns):
        t: Any = f.type  # re-typed below with the column
        col: Any = column
        if pa.types.is_dictionary(t):
            col, t = col.cast(t.value_type), t.value_type
        if pa.types.is_timestamp(t) and t.unit == "ns":
            nanos = np.asarray(pc.fill_null(col.cast(pa.int64()), 0))
            if np.any(nanos % 1000):
                notes.append(f"column {f.name}: nanoseconds truncated to microseconds (PostgreSQL's precision)")
            col, t = col.cast(pa.timestamp("us", tz=t.tz), safe=False), pa.timestamp("us", tz=t.tz)
        elif pa.types.is_time64(t) and t.unit == "ns":
            col, t = col.cast(pa.time64("us"), safe=False), pa.time64("us")
        elif pa.types.is_duration(t) and t.unit != "us":
            col, t = col.cast(pa.duration("us"), safe=False), pa.duration("us")
        elif pa.types.is_timestamp(t) and t.unit in ("s", "ms"):
            col, t = col.cast(pa.timestamp("us", tz=t.tz)), pa.timestamp("us", tz=t.tz)
        elif pa.types.is_uint8(t) or pa.types.is_uint16(t) or pa.types.is_uint32(t):
            t = {8: pa.int16(), 16: pa.int32(), 32: pa.int64()}[t.bit_width]
            col = col.cast(t)
        elif pa.types.is_uint64(t):
            t = pa.decimal128(20, 0)
            col = col.cast(t)
        elif pa.types.is_float16(t):
            col, t = col.cast(pa.float32()), pa.float32()
        elif pa.types.is_fixed_size_list(t) and pa.types.is_floating(t.value_type):
            col, t = _vector_binary(col, t.list_size), pa.binary()
        elif (f.metadata or {}).get(b"pgai:jsonb"):  # JSON text already: version byte in front
            col = pa.chunked_array(
                [pa.array([None if v is None else b"\x01" + v.encode() for v in col.to_pylist()], pa.binary())]
            )
            t = pa.binary()
        elif pa.types.is_struct(t) or pa.types.is_map(t) or _nested(t):
            col, t = _jsonb_binary(col), pa.binary()
        elif pa.types.is_null(t):
            col, t = col.cast(pa.string()), pa.string()
        columns.append(col)
        fields.append(pa.field(f.name, t))
    return pa.Table.from_arrays(columns, schema=pa.schema(fields)), notes


def _jsonb_binary(col: pa.ChunkedArray) -> pa.ChunkedArray:
    """jsonb's binary form per row: version 1, then the JSON text."""
    import json

    values = col.to_pylist()
    if pa.types.is_map(col.type):
        values = [None if v is None else dict(v) for v in values]
    elif pa.types.is_struct(col.type):  # Arrow gives every struct the union of the keys: keep the ones that have values
        values = [None if v is None else {k: x for k, x in v.items() if x is not None} for v in values]
    return pa.chunked_array(
        [pa.array([None if v is None else b"\x01" + json.dumps(v, default=str).encode() for v in values], pa.binary())]
    )


def _vector_binary(col: pa.ChunkedArray, dim: int) -> pa.ChunkedArray:
    """pgvector's binary form per row: int16 dim, int16 0, float32 big-endian × dim."""
    chunks = []
    for chunk in col.chunks:
        flat = pc.list_flatten(chunk).to_numpy(zero_copy_only=False)
        values = np.asarray(flat, dtype=">f4").reshape(-1, dim)
        head = np.array([dim, 0], dtype=">i2").tobytes()
        valid = np.asarray(chunk.is_valid())
        rows, j = [], 0
        for ok in valid:
            if ok:
                rows.append(head + values[j].tobytes())
                j += 1
            else:
                rows.append(None)
        chunks.append(pa.array(rows, type=pa.binary()))
    return pa.chunked_array(chunks, type=pa.binary())


def persist_batches(
    conn: psycopg.Connection,
    schema: pa.Schema,
    batches: Iterable[pa.RecordBatch],
    target: tuple[str | None, str],
    *,
    mode: Mode = "create",
    progress: Callable[[int], None] | None = None,
) -> PersistResult:
    """Write Arrow batches into `target` (schema, table) on `conn` in one transaction; COPY BINARY via pgpq.

    mode: create (error if the table exists), append (create if missing) or replace (drop, then create).
    Raises ConfigError for a bad mode/type, SQLError for what the server refuses (nothing is left half-written).
    """
    from pgai_magic.db import sql_error

    refuse_in_aborted_transaction(conn)
    ident = sql.Identifier(*[p for p in target if p])
    shown = ident.as_string(conn)
    check_names(schema.names)
    ddl = {f.name: column_ddl(f) for f in schema}
    notes: list[str] = []
    try:
        with conn.transaction():
            created, have = prepare_table(conn, ident, shown, ddl, mode)
            staged = have is not None and any(have[c] != t for c, t in ddl.items())
            into = sql.Identifier("_pgai_staging") if staged else ident
            if staged:  # existing columns of other types: stage ours, then let the server cast on INSERT
                body = sql.SQL(", ").join(
                    sql.SQL("{} {}").format(sql.Identifier(n), sql.SQL(t)) for n, t in ddl.items()
                )
                conn.execute(sql.SQL("CREATE TEMP TABLE {} ({}) ON COMMIT DROP").format(into, body))
            columns = sql.SQL(", ").join(sql.Identifier(name) for name in ddl)
            copy_sql = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT binary)").format(into, columns)
            with conn.cursor().copy(copy_sql) as copy:
                try:
                    rows = _copy_batches(copy, schema, batches, notes, progress)
                except (ValueError, TypeError, OverflowError, pa.ArrowNotImplementedError) as exc:
                    raise ConfigError(
                        f"the data cannot be written as these column types ({str(exc).splitlines()[0][:200]}): "
                        "convert the column first (lists of lists and huge integers have no direct PostgreSQL form)"
                    ) from None
            if staged:  # each column cast to the table's type (text → jsonb, bigint → int, …)
                assert have is not None
                casts = sql.SQL(", ").join(sql.SQL("{}::{}").format(sql.Identifier(n), sql.SQL(have[n])) for n in ddl)
                conn.execute(sql.SQL("INSERT INTO {} ({}) SELECT {} FROM {}").format(ident, columns, casts, into))
            if created:  # planner statistics (and %pgai tables' row estimate) from the start
                conn.execute(sql.SQL("ANALYZE {}").format(ident))
    except psycopg.Error as exc:
        err = sql_error(exc)
        if exc.sqlstate == "42804":  # datatype mismatch on the staged INSERT
            err.hint = "the data's column types differ from the table's: convert the columns first, or use --replace"
        elif exc.sqlstate == "2BP01":  # DROP TABLE with dependent views
            err.hint = "other objects (views…) depend on the table: drop them first, or --append instead of --replace"
        raise err from None
    return PersistResult(shown, rows, ddl, created, notes=notes)


def _copy_batches(
    copy: Any,
    schema: pa.Schema,
    batches: Iterable[pa.RecordBatch],
    notes: list[str],
    progress: Callable[[int], None] | None,
) -> int:
    """Encode the batches with pgpq and write them to a started binary COPY; returns the rows written."""
    from pgpq import ArrowToPostgresBinaryEncoder

    encoder = None
    rows = 0
    for batch in batches:
        table, batch_notes = _for_copy(pa.Table.from_batches([batch]))
        if encoder is None:
            notes.extend(batch_notes)
            encoder = ArrowToPostgresBinaryEncoder(table.schema)
            copy.write(encoder.write_header())
        for b in table.to_batches(max_chunksize=_BATCH_ROWS):
            copy.write(encoder.write_batch(b))
        rows += batch.num_rows
        if progress is not None:
            progress(batch.num_rows)
    if encoder is None:  # no rows: an empty, valid stream
        encoder = ArrowToPostgresBinaryEncoder(_for_copy(schema.empty_table())[0].schema)
        copy.write(encoder.write_header())
    copy.write(encoder.finish())
    return rows


def prepare_table(
    conn: psycopg.Connection, ident: sql.Identifier, shown: str, ddl: dict[str, str], mode: Mode
) -> tuple[bool, dict[str, str] | None]:
    """Create / drop as the mode says; (created, the existing table's column types when appending)."""
    existing = catalog.find_relation(catalog.reader(conn), shown, shown)
    if existing is not None:
        if mode == "create":
            raise ConfigError(
                f"table {shown} already exists: add --append to add the rows, or --replace to drop and recreate it"
            )
        if mode == "replace":
            conn.execute(sql.SQL("DROP TABLE {}").format(ident))
        else:
            have = _existing_types(conn, existing, ddl)
            _check_lossless(shown, ddl, have)
            return False, have
    body = sql.SQL(", ").join(sql.SQL("{} {}").format(sql.Identifier(n), sql.SQL(t)) for n, t in ddl.items())
    conn.execute(sql.SQL("CREATE TABLE {} ({})").format(ident, body))
    return True, None


_INTEGERS = {"smallint", "integer", "bigint"}
_FLOATS = {"real", "double precision", "numeric"}


def _check_lossless(shown: str, ddl: dict[str, str], have: dict[str, str]) -> None:
    """Appending fractions into integer columns would round them: refuse, naming the column."""
    for name, ours in ddl.items():
        if ours in _FLOATS and have[name] in _INTEGERS:
            raise ConfigError(
                f"column {name!r} of {shown} is {have[name]} but the data's is {ours}: appending would round the "
                f"values; convert them first (e.g. df[{name!r}].round().astype('Int64')) or use --replace"
            )


def _existing_types(conn: psycopg.Connection, existing: catalog.Relation, ddl: dict[str, str]) -> dict[str, str]:
    """The existing table's column types (catalog.read_attributes); ConfigError naming the data's columns it lacks."""
    shown = existing.label
    have = {a.name: a.type for a in catalog.read_attributes(catalog.reader(conn), existing)}
    missing = [c for c in ddl if c not in have]
    if missing:
        raise ConfigError(
            f"table {shown} has no column {', '.join(repr(m) for m in missing)}: append data with the table's "
            f"columns ({', '.join(sorted(have))}), or use --replace"
        )
    return have


def batches_of(table: pa.Table, rows: int = _BATCH_ROWS) -> Iterator[pa.RecordBatch]:
    """The table in batches of about `rows` rows (for progress reporting)."""
    yield from table.to_batches(max_chunksize=rows)


def split_name(table: str, schema: str | None) -> tuple[str | None, str]:
    """(schema, table) from `schema.table` or the separate schema option."""
    if schema is None and "." in table:
        first, _, second = table.partition(".")
        return first, second
    return schema, table


def persist_frame(
    conn: psycopg.Connection,
    data: Any,
    request: PersistRequest,
    *,
    progress: Callable[[int], None] | None = None,
) -> PersistResult:
    """Write a pandas / polars DataFrame or Arrow table to the request's table with binary COPY.

    Its mode: "create" (error if it exists), "append" or "replace". Raises ConfigError, ParameterError, SQLError.
    """
    import time

    start = time.perf_counter()
    arrow, notes = as_arrow(data, index=request.index)
    batches = arrow.to_batches(max_chunksize=_BATCH_ROWS)
    target = split_name(request.table, request.schema)
    result = persist_batches(conn, arrow.schema, batches, target, mode=request.mode, progress=progress)
    result.notes = notes + result.notes
    result.seconds = time.perf_counter() - start
    return result


def refuse_in_aborted_transaction(conn: psycopg.Connection) -> None:
    """Raise SQLError before anything is sent when the user's open transaction is aborted (the server would refuse
    every statement; a savepoint of psycopg's cannot even be released)."""
    from pgai_magic.errors import SQLError

    if conn.info.transaction_status == psycopg.pq.TransactionStatus.INERROR:
        raise SQLError("the open transaction is aborted on the server: run ROLLBACK to continue; nothing was loaded")

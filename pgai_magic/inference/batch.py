"""The python scoring engine's plumbing: rows read ahead in a thread, Arrow batches → the estimator's input, and
(key, prediction) rows streamed into a new table by one COPY, so reading, predicting and writing overlap."""

from __future__ import annotations

import io
import queue
import threading
from collections.abc import Callable, Generator, Iterator
from types import TracebackType
from typing import Any

import numpy as np
import pandas as pd
import psycopg
import pyarrow as pa
import pyarrow.compute as pc
from psycopg import sql

from pgai_magic.inference.train import prepare_frame

__all__ = ["PredictionWriter", "feature_input", "prediction_array", "read_ahead"]

_DONE = object()
# the key types written in PostgreSQL's binary COPY format (pgpq) from the Arrow types the fast path reads them
# as; any other key type goes as CSV, which the server parses (uuid, numeric, …)
_BINARY_KEYS = ("smallint", "integer", "bigint", "text", "character varying", "character", "date", "timestamp")
_LABELS: dict[str, pa.DataType] = {
    "bigint": pa.int64(), "float8": pa.float64(), "boolean": pa.bool_(), "text": pa.string(),
}  # fmt: skip


def read_ahead(batches: Callable[[], Iterator[Any]], depth: int = 2) -> Generator[Any, None, None]:
    """The items of `batches()`, produced by a thread up to `depth` ahead of the consumer (so the next batch is
    read while this one is used); closing this iterator early stops the thread and closes the source."""
    items: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        source = batches()
        try:
            for item in source:
                while not stop.is_set():
                    try:
                        items.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    break
        except BaseException as exc:  # noqa: BLE001 - re-raised in the consumer's thread
            items.put(exc)
            return
        finally:
            if hasattr(source, "close"):
                source.close()  # an early stop cancels the query here, in the thread that ran it
        items.put(_DONE)

    thread = threading.Thread(target=produce, name="pgai-score-read", daemon=True)
    thread.start()
    try:
        while True:
            item = items.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while thread.is_alive():  # let the producer finish its current put, then it sees `stop`
            try:
                items.get(timeout=0.1)
            except queue.Empty:
                pass
        thread.join()


def _float_column(column: pa.ChunkedArray | pa.Array) -> np.ndarray | None:
    """float64 values (NULL → NaN) for integer, float and boolean columns; None for the others."""
    t = column.type
    if not (pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_boolean(t)):
        return None
    as_float = pc.cast(column, pa.float64())
    return np.asarray(as_float.to_numpy(zero_copy_only=False), dtype=np.float64)


def feature_input(batch: pa.Table, types: list[tuple[str, str]], named: bool) -> Any:
    """The estimator's input for a batch, as `train.prepare_frame` makes it from a DataFrame (numbers as float64
    with NULL → NaN, booleans as 0/1, text as pandas' strings with NULL → NaN), built from the Arrow columns: a
    float64 matrix, or a DataFrame with the feature names when the estimator was fitted on one (or has text)."""
    names = [n for n, _ in types]
    floats = [_float_column(batch.column(n)) if kind != "text" else None for n, kind in types]
    if all(f is not None for f in floats):
        matrix = np.empty((batch.num_rows, len(types)), dtype=np.float64)
        for j, values in enumerate(floats):
            matrix[:, j] = values
        return pd.DataFrame(matrix, columns=names, copy=False) if named else matrix
    data: dict[str, Any] = {}
    for (name, kind), values in zip(types, floats):
        column = batch.column(name)
        if values is not None:
            data[name] = values
        elif kind == "text" and (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
            data[name] = column.to_pandas()  # pandas' string dtype, NaN for NULL: what prepare_frame gives text
        else:
            one = pa.Table.from_arrays([column], names=[name])
            data[name] = prepare_frame(one.to_pandas(), [(name, kind)])[name].to_numpy()
    frame = pd.DataFrame(data)
    return frame if named else frame.to_numpy()


def prediction_array(values: Any, label_type: str) -> pa.Array:
    """Predictions (a numpy array, or a list with None for refused rows) as Arrow, in the model's label type."""
    target = _LABELS.get(label_type)
    array: Any
    if isinstance(values, np.ndarray) and values.dtype.kind in "iufb":
        array = pa.array(values)
    else:
        array = pa.array([None if v is None else v for v in values], from_pandas=True)
    if target is not None and pa.types.is_null(array.type):  # every row refused
        array = pa.array([None] * len(array), type=target)
    elif target is not None and array.type != target:
        array = pc.cast(array, target)
    return array  # type: ignore[no-any-return]


class PredictionWriter:
    """(key, prediction) rows into `target` by one COPY FROM STDIN on `conn`: PostgreSQL's binary format encoded by
    pgpq when the key's type allows, CSV otherwise (floats written with their shortest exact text); psycopg's
    queued writer sends while the caller predicts the next batch."""

    def __init__(self, conn: psycopg.Connection, target: sql.Composed, key: str, key_type: str) -> None:
        self.binary = key_type.split("(")[0].strip().startswith(_BINARY_KEYS)
        fmt = sql.SQL("binary" if self.binary else "csv")
        stmt = sql.SQL("COPY {} ({}, prediction) FROM STDIN (FORMAT {})").format(target, sql.Identifier(key), fmt)
        self._cursor = conn.cursor()
        self._copy_cm = self._cursor.copy(stmt, writer=psycopg.copy.QueuedLibpqWriter(self._cursor))
        self._copy = self._copy_cm.__enter__()
        self._encoder: Any = None

    def write(self, keys: pa.Array | pa.ChunkedArray, predictions: pa.Array) -> None:
        """Queue one batch of rows (same length)."""
        table = pa.Table.from_arrays([keys, predictions], names=["k", "p"])
        if not self.binary:
            import pyarrow.csv as pcsv

            out = io.BytesIO()
            pcsv.write_csv(table, out, pcsv.WriteOptions(include_header=False, quoting_style="needed"))
            self._copy.write(out.getvalue())
            return
        if self._encoder is None:
            from pgpq import ArrowToPostgresBinaryEncoder

            self._encoder = ArrowToPostgresBinaryEncoder(table.schema)
            self._copy.write(self._encoder.write_header())
        for chunk in table.to_batches():
            self._copy.write(self._encoder.write_batch(chunk))

    def __enter__(self) -> PredictionWriter:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if kind is None and self.binary:
            if self._encoder is None:  # no rows: a valid empty binary stream still needs its header
                from pgpq import ArrowToPostgresBinaryEncoder

                empty = pa.schema({"k": _LABELS["bigint"], "p": _LABELS["float8"]})
                self._encoder = ArrowToPostgresBinaryEncoder(empty)
                self._copy.write(self._encoder.write_header())
            self._copy.write(self._encoder.finish())
        self._copy_cm.__exit__(kind, exc, tb)
        self._cursor.close()

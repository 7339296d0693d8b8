"""CSV into a table as PostgreSQL reads it: the file is streamed through `COPY … FROM STDIN (FORMAT csv)`, so
quoting, NULLs and every value are read by the server's own CSV parser and input functions, in one transaction.

COPY's semantics (PostgreSQL docs, "COPY", CSV format): an unquoted empty field is NULL and a quoted empty one is an
empty string; no other word is NULL unless given as the NULL string (`--null NA`), so `NA`, `N/A`, `nan`, `NULL` stay
text; an unterminated quote, a missing or extra field or a value its column type does not accept is an error naming
the line (and the column), and nothing is loaded. Column types are inferred from the first 1 MiB by pyarrow's CSV
reader with the same NULL rule, year-first dates written with slashes (2012/01/31) are read as dates, and the notes
say what was inferred.
"""

from __future__ import annotations

import codecs
import gzip
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from psycopg import sql

from pgai_magic.errors import ConfigError, PgaiError, SQLError
from pgai_magic.workflow.persist import PersistResult, check_names, column_ddl, prepare_table

__all__ = ["BLOCK", "CsvFormat", "copy_csv", "infer_columns", "unclosed_quote"]

BLOCK = 1 << 20  # bytes of the file the column types are inferred from (about 15,000 rows of 6 columns)
_CHUNK = 1 << 20  # bytes per COPY write
# values of a text column that look like dates / timestamps written year first with slashes: 2012/01/31 [10:30[:00]]
_SLASH_DATE = r"^\d{4}/\d{1,2}/\d{1,2}$"
_SLASH_TIMESTAMP = r"^\d{4}/\d{1,2}/\d{1,2}[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$"
_DAY_FIRST = r"^\d{1,2}/\d{1,2}/\d{4}$"  # 01/02/2012: day or month first, which the file alone does not settle
_INTEGER = r"^[+-]?\d+$"
_NULL_WORDS = ["NA", "N/A", "n/a", "NaN", "nan", "NULL", "null", "None", "#N/A"]  # NULL to pandas, text to COPY
_CONTEXT = re.compile(r"line (?P<line>\d+)(?:, column (?P<column>[^:]+))?")


@dataclass(frozen=True)
class CsvFormat:
    """How the file is written: delimiter, header row, text encoding, and COPY's NULL string ('' by default: only an
    unquoted empty field is NULL)."""

    delimiter: str = ","
    header: bool = True
    encoding: str = "utf-8"
    null: str = ""


def _open(path: Path) -> Any:
    return gzip.open(path, "rb") if path.suffix.lower() == ".gz" else open(path, "rb")


def _head(path: Path) -> bytes:
    """The file's first two blocks: what the first block's rows are read from (the second completes its last row)."""
    with _open(path) as raw:
        return bytes(raw.read(2 * BLOCK))


def _read_block(path: Path, fmt: CsvFormat, names: list[str] | None, head: bytes | None = None) -> pa.Table:
    """The first block of the file, typed by pyarrow's inference (names given: only those columns, as text).

    Read from `head` (the file's first bytes, `_head`) when given: pyarrow's streaming reader over the file reads
    ahead several blocks, several times the work of the one block used. When `head` cannot be read that way (a
    record longer than it, a character cut at its end) the file itself is read, which says what is wrong if anything
    is."""
    read = pacsv.ReadOptions(block_size=BLOCK, autogenerate_column_names=not fmt.header, encoding=fmt.encoding)
    parse = pacsv.ParseOptions(delimiter=fmt.delimiter, newlines_in_values=True)
    convert = pacsv.ConvertOptions(
        null_values=[fmt.null],
        strings_can_be_null=True,
        quoted_strings_can_be_null=False,  # "" is an empty string, as COPY reads it
        column_types={n: pa.string() for n in names} if names is not None else None,
        include_columns=names,
    )
    if head is not None:
        try:
            return _first_batch(pa.BufferReader(head), read, parse, convert)
        except (pa.ArrowInvalid, UnicodeError):
            pass  # read from the file below: the same rows, or the file's own error
    return _first_batch(_open(path), read, parse, convert)


def _first_batch(source: Any, read: Any, parse: Any, convert: Any) -> pa.Table:
    with pacsv.open_csv(source, read_options=read, parse_options=parse, convert_options=convert) as reader:
        try:
            batch = reader.read_next_batch()
        except StopIteration:  # a header and no rows
            return reader.schema.empty_table()
        return pa.Table.from_batches([batch], schema=reader.schema)


def _header(path: Path, fmt: CsvFormat) -> list[str]:
    """The column names when pyarrow cannot read the first block (COPY then says what is wrong with it)."""
    import csv

    with _open(path) as raw:
        first = raw.readline(1 << 20).decode(fmt.encoding, errors="replace").lstrip("\ufeff")
    fields = next(csv.reader([first], delimiter=fmt.delimiter), [])
    return fields if fmt.header else [f"f{i}" for i in range(len(fields))]


def infer_columns(path: Path, fmt: CsvFormat) -> tuple[dict[str, str], list[str]]:
    """The table's columns (name → PostgreSQL type) inferred from the first 1 MiB, and notes saying what was inferred.

    Types are pyarrow's inference with COPY's NULL rule; then a text column of whole numbers too large for bigint is
    numeric (exact), one of year-first slash dates is date (or timestamp), and text that looks like day- or
    month-first dates, or holds words pandas reads as NULL, is named in a note. A first block pyarrow cannot read
    leaves every column text: the COPY that follows names what is wrong in the file.
    """
    head = _head(path)
    try:
        typed = _read_block(path, fmt, None, head)
        if any(pa.types.is_binary(f.type) or pa.types.is_large_binary(f.type) for f in typed.schema):
            raise UnicodeError(f"bytes that are not {fmt.encoding} text")
        floats = [f.name for f in typed.schema if pa.types.is_floating(f.type)]
        text = _read_block(path, fmt, floats, head) if floats else typed  # whole numbers past bigint read as floats
    except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeError) as exc:
        names = _header(path, fmt)
        check_names(names, where=f"the header line of {path.name}")
        reason = str(exc).splitlines()[0][:160]
        return {n: "text" for n in names}, [f"column types not inferred ({reason}): every column is text"]
    check_names(typed.column_names, where=f"the header line of {path.name}")
    columns: dict[str, str] = {}
    notes: list[str] = []
    null_like: dict[tuple[str, ...], list[str]] = {}  # words pandas reads as NULL → the text columns holding them
    for field in typed.schema:
        values = (text if field.name in text.column_names else typed).column(field.name)
        columns[field.name], note = _refine(field, values)
        if note:
            notes.append(f"column {field.name} {note}")
        elif columns[field.name] == "text":
            seen = {str(v) for v in pc.unique(pc.drop_null(values)).to_pylist()}
            words = tuple(sorted(seen & set(_NULL_WORDS) - {fmt.null}))
            if words:
                null_like.setdefault(words, []).append(field.name)
    for words, names in null_like.items():
        listed = ", ".join(repr(w) for w in words)
        notes.append(
            f"{'columns' if len(names) > 1 else 'column'} {', '.join(names)} hold{'s' if len(names) == 1 else ''} "
            f"{listed}, kept as text as COPY keeps it (--null {words[0]} reads {words[0]!r} as NULL)"
        )
    shown = ", ".join(f"{n} {t}" for n, t in columns.items())
    return columns, [f"column types inferred from the first {BLOCK / 2**20:g} MiB: {shown}", *notes]


def _all_match(values: pa.ChunkedArray, pattern: str) -> bool:
    present = pc.drop_null(values)
    return len(present) > 0 and bool(pc.all(pc.match_substring_regex(present, pattern)).as_py())


def _refine(field: pa.Field, values: pa.ChunkedArray) -> tuple[str, str | None]:
    """The column's PostgreSQL type from pyarrow's inference and its text; a note when something is worth saying."""
    if pa.types.is_floating(field.type) and _all_match(values, _INTEGER):
        return "numeric", "holds whole numbers beyond bigint: read as numeric, so every digit is kept"
    if not (pa.types.is_string(field.type) or pa.types.is_large_string(field.type)):
        return column_ddl(field), None
    if _all_match(values, _SLASH_DATE):
        return "date", "holds dates written year/month/day (2012/01/31): read as date"
    if _all_match(values, _SLASH_TIMESTAMP):
        return "timestamp without time zone", "holds timestamps written year/month/day: read as timestamp"
    if _all_match(values, _DAY_FIRST):
        return "text", (
            "looks like dates written 01/02/2012, but whether the day or the month comes first is not settled: kept "
            f"as text (to_date({field.name}, 'DD/MM/YYYY') or 'MM/DD/YYYY' converts it)"
        )
    return "text", None


def _utf8_chunks(path: Path, fmt: CsvFormat, progress: Callable[[int], None] | None) -> Iterator[bytes]:
    """The file as UTF-8 (a byte-order mark dropped), in chunks; ConfigError naming the line of bytes that are not
    in the file's encoding."""
    if codecs.lookup(fmt.encoding).name == "utf-8":  # the server checks UTF-8 itself (_refused names the line)
        yield from _raw_chunks(path, progress)
        return
    decoder = codecs.getincrementaldecoder(fmt.encoding)(errors="strict")
    line = 1
    with _open(path) as raw:
        while True:
            chunk = raw.read(_CHUNK)
            try:
                text = decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                at = line + chunk[: exc.start].count(b"\n")
                raise ConfigError(
                    f"{path.name} line {at} is not {fmt.encoding} text (byte 0x{chunk[exc.start]:02x}): give the "
                    "file's encoding, e.g. --encoding latin-1 (nothing was loaded)"
                ) from None
            if text:
                line += text.count("\n")
                yield text.encode("utf-8")
            if progress is not None and chunk:
                progress(len(chunk))
            if not chunk:
                return


def _raw_chunks(path: Path, progress: Callable[[int], None] | None) -> Iterator[bytes]:
    """A UTF-8 file's bytes as they are (a byte-order mark dropped), in chunks."""
    with _open(path) as raw:
        chunk = raw.read(_CHUNK)
        start = 3 if chunk.startswith(codecs.BOM_UTF8) else 0
        while chunk:
            yield chunk[start:] if start else chunk
            if progress is not None:
                progress(len(chunk))
            chunk, start = raw.read(_CHUNK), 0


def copy_csv(
    conn: psycopg.Connection,
    path: Path,
    fmt: CsvFormat,
    target: tuple[str | None, str],
    *,
    mode: str = "create",
    progress: Callable[[int], None] | None = None,
    analyze_later: Callable[[int, str], None] | None = None,
) -> PersistResult:
    """Load the CSV file into `target` (schema, table) with one `COPY … FROM STDIN (FORMAT csv)` in one transaction;
    modes as persist's. `progress` gets the bytes read. Raises ConfigError naming the line (and column) of what
    the server refused in the file, SQLError for anything else; either way nothing is loaded.

    A created table's statistics are gathered by ANALYZE: inside the transaction, or — with `analyze_later` (called
    with the table's oid and name once the load is committed) and no transaction of the user's open — after it, so
    the load returns as soon as its rows are committed (the caller waits for it before its next statement)."""
    from pgai_magic.db import sql_error
    from pgai_magic.workflow.persist import refuse_in_aborted_transaction

    start = time.perf_counter()
    refuse_in_aborted_transaction(conn)
    in_users = conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE
    if in_users:
        analyze_later = None  # the table is committed with the user's transaction: no other connection sees it yet
    later: int | None = None
    columns, notes = infer_columns(path, fmt)
    if in_users:
        notes.append("inside the open transaction: the rows are committed with it (COMMIT), or undone by ROLLBACK")
    ident = sql.Identifier(*[p for p in target if p])
    shown = ident.as_string(conn)
    options = sql.SQL("FORMAT csv, HEADER {}, DELIMITER {}, NULL {}, ENCODING 'UTF8'").format(
        sql.SQL("true" if fmt.header else "false"), sql.Literal(fmt.delimiter), sql.Literal(fmt.null)
    )
    names = sql.SQL(", ").join(sql.Identifier(n) for n in columns)
    try:
        with conn.transaction():
            created, _ = prepare_table(conn, ident, shown, columns, mode)  # type: ignore[arg-type]
            with conn.cursor() as cur:
                with cur.copy(sql.SQL("COPY {} ({}) FROM STDIN ({})").format(ident, names, options)) as copy:
                    for data in _utf8_chunks(path, fmt, progress):
                        copy.write(data)
                rows = cur.rowcount
            if created and analyze_later is not None:
                later = int((conn.execute("SELECT to_regclass(%s)::oid", (shown,)).fetchone() or [0])[0])
            elif created:
                conn.execute(sql.SQL("ANALYZE {}").format(ident))
    except psycopg.Error as exc:
        raise _refused(path, fmt, sql_error(exc)) from None
    if later is not None and analyze_later is not None:
        analyze_later(later, shown)
        notes.append(f"planner statistics of {shown} (ANALYZE) are being gathered; the next statement waits for them")
    return PersistResult(shown, rows, columns, created, time.perf_counter() - start, notes)


def _refused(path: Path, fmt: CsvFormat, err: SQLError) -> PgaiError:
    """What the server refused in the file, as a ConfigError naming the file's line and column (COPY's CONTEXT);
    an error that is not about the file's contents stays the server's SQLError."""
    where = _CONTEXT.search(err.context or "") if "COPY" in (err.context or "") else None
    if where is None:
        return err
    line, column = int(where["line"]), where["column"]
    if "invalid byte sequence" in err.message:  # the file is not the UTF-8 it was read as
        bytes_seen = err.message.split(":", 1)[-1].strip()
        return ConfigError(
            f"{path.name} line {line} is not {fmt.encoding} text (bytes {bytes_seen}): give the file's encoding, "
            "e.g. --encoding latin-1 (nothing was loaded)"
        )
    if "unterminated CSV quoted field" in err.message:
        found = unclosed_quote(path, fmt)
        if found is not None:
            line, index = found
            names = _header(path, fmt)
            column = names[index] if index < len(names) else f"field {index + 1}"
    place = f"line {line}" + (f", column {column}" if column else "")
    hint = " (a different --delimiter, --encoding, --null or --no-header may fit the file)"
    return ConfigError(f"{path.name} {place}: {err.message}; nothing was loaded{hint}")


def unclosed_quote(path: Path, fmt: CsvFormat) -> tuple[int, int] | None:
    """(line, field index) where a quote opens that the file never closes, or None: CSV's quoting rule (a doubled
    quote inside quotes is a quote; a record goes on past a line end inside quotes) applied to find the field that
    COPY's "unterminated CSV quoted field" means."""
    quoted, opened, field = False, None, 0
    with _open(path) as raw:
        for number, data in enumerate(raw, start=1):
            for ch in data.decode(fmt.encoding, errors="replace"):
                if ch == '"':
                    quoted = not quoted
                    if quoted and (opened is None or opened[1] != field):
                        opened = (number, field)
                elif ch == fmt.delimiter and not quoted:
                    field += 1
            if not quoted:  # the record ended with the line
                opened, field = None, 0
    return opened if quoted else None

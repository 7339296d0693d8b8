"""%pgai persist / load / unload: data in and out of PostgreSQL from the notebook."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pgai_magic.commands import ArgParser, Context, command, given, request_fields, split_args
from pgai_magic.errors import ConfigError, SQLError
from pgai_magic.sqltext import PLANNABLE

__all__ = ["persist_args"]


@contextmanager
def _progress(total: int | None, unit: str = "rows") -> Iterator[Callable[[int], None]]:
    """A progress bar that appears only past two seconds (short loads stay quiet)."""
    from pgai_magic.display import progress

    bar = progress(total=total, unit=unit if unit == "B" else f" {unit}", unit_scale=True, delay=2.0)

    def advance(n: int) -> None:
        bar.update(n)

    try:
        yield advance
    finally:
        bar.close()


def _target_options(parser: ArgParser, default_name: str) -> None:
    """--table, --schema and the --append / --replace modes, shared by persist and load."""
    parser.add_argument("--table", "-t", metavar="NAME", help=f"table name (default: {default_name})")
    parser.add_argument("--schema", "-s", metavar="S", help="schema (default: the first on the search_path)")
    modes = parser.add_mutually_exclusive_group()
    modes.add_argument("--append", action="store_true", help="add the rows to an existing table")
    modes.add_argument("--replace", action="store_true", help="drop the table first and create it anew")


def _mode(args: Any) -> str | None:
    """The mode the flags ask for (None: the request's default, create)."""
    return "append" if args.append else "replace" if args.replace else None


def persist_args(rest: str) -> Any:
    parser = ArgParser("%pgai persist")
    parser.add_argument("var", metavar="VAR", help="a pandas or polars DataFrame, or a pyarrow Table, in the notebook")
    _target_options(parser, "the variable's name")
    parser.add_argument("--index", action="store_true", help="also write the pandas index as columns")
    return parser.parse(split_args(rest))


@command(
    "persist",
    "write a DataFrame (pandas, polars, Arrow) to a table with binary COPY",
    "%pgai persist VAR [--table NAME] [--schema S] [--append | --replace] [--index]",
)
def _persist(ctx: Context, rest: str, cell: str | None) -> Any:
    args = persist_args(rest)
    if args.var not in ctx.namespace:
        raise ConfigError(f"no variable {args.var!r} in the notebook: persist names a DataFrame you have defined")
    from pgai_magic.workflow.request import PersistRequest

    options = given(schema=args.schema, mode=_mode(args))
    request = PersistRequest(args.table or args.var, index=args.index, **options)  # the table: the variable's name
    data = ctx.namespace[args.var]
    with _progress(_rows(data)) as update:
        result = ctx.session.persist(data, progress=update, **request_fields(request))
    for note in result.notes:
        ctx.say(note)
    ctx.say(result.summary())
    return None


def _size(path: Path) -> int | None:
    """The file's size in bytes (a CSV's progress), None when it cannot be read (load_file then says why)."""
    try:
        return path.stat().st_size
    except OSError:
        return None


def _rows(data: Any) -> int | None:
    try:
        return len(data)
    except TypeError:
        return None


@command(
    "load",
    "load a CSV or Parquet file into a table (read on the client, streamed)",
    "%pgai load PATH [--table NAME] [--schema S] [--append | --replace] [--delimiter C] [--no-header] [--encoding E] "
    "[--null TEXT]",
)
def _load(ctx: Context, rest: str, cell: str | None) -> Any:
    from pgai_magic.workflow.request import LoadRequest

    parser = ArgParser("%pgai load")
    parser.add_argument("path", metavar="PATH", help="a .csv/.tsv/.txt (also .gz) or .parquet file")
    _target_options(parser, "from the file name")
    parser.add_argument("--delimiter", metavar="C", help="CSV delimiter (default: sniffed from the file)")
    parser.add_argument("--no-header", action="store_true", help="the CSV has no header row (default: it has one)")
    parser.add_argument("--encoding", metavar="E", help=f"the CSV's text encoding (default {LoadRequest.encoding})")
    parser.add_argument(
        "--null", metavar="TEXT", help="the CSV text read as NULL (default: only an unquoted empty field, as COPY)"
    )
    args = parser.parse(split_args(rest))
    options = given(table=args.table, schema=args.schema, mode=_mode(args), delimiter=args.delimiter,
                    encoding=args.encoding, null=args.null)  # fmt: skip
    request = LoadRequest(Path(args.path), header=not args.no_header, **options)
    parquet = request.path.name.lower().endswith((".parquet", ".pq"))
    with _progress(None if parquet else _size(request.path), unit="rows" if parquet else "B") as update:
        result = ctx.session.load(progress=update, **request_fields(request))
    for note in result.notes:
        ctx.say(note)
    ctx.say(result.summary())
    return None


@command(
    "unload",
    "write a query's result to a CSV or Parquet file",
    '%pgai unload "SELECT ..." PATH [--replace]',
)
def _unload(ctx: Context, rest: str, cell: str | None) -> Any:
    parser = ArgParser("%pgai unload")
    parser.add_argument("query", metavar='"SELECT ..."', nargs="?", help="the query (or the cell body)")
    parser.add_argument("path", metavar="PATH", help="a .csv, .tsv or .parquet file to write")
    parser.add_argument("--replace", action="store_true", help="overwrite PATH when it exists (else an error)")
    args = parser.parse(split_args(rest))
    query = cell if cell and cell.strip() else args.query
    if not query:
        raise ConfigError('give the query: %pgai unload "SELECT ..." PATH, or the query in the cell body')
    session = ctx.session
    rows = session.unload(query, Path(args.path).expanduser(), namespace=ctx.namespace, replace=args.replace)
    for note in session.last_notices:
        ctx.say(note)
    ctx.say(f"wrote {rows:,} row{'s' if rows != 1 else ''} to {args.path}")
    return None


@command("tables", "tables and views: rows estimate, size, comment", "%pgai tables [--schema S]")
def _tables(ctx: Context, rest: str, cell: str | None) -> Any:
    from pgai_magic.display import ResultFrame
    from pgai_magic.workflow.explore import tables_of

    parser = ArgParser("%pgai tables")
    parser.add_argument("--schema", "-s", metavar="S", help="only this schema (default: all but the system ones)")
    args = parser.parse(split_args(rest))
    frame = tables_of(ctx.session.sql, args.schema)
    return ResultFrame.wrap(frame, display_limit=max(ctx.settings.display_limit, 50))


@command("columns", "a table's columns: type, nullable, default, key, comment", "%pgai columns TABLE")
def _columns(ctx: Context, rest: str, cell: str | None) -> Any:
    from pgai_magic.display import ResultFrame
    from pgai_magic.workflow.explore import columns_of

    parser = ArgParser("%pgai columns")
    parser.add_argument("table", metavar="TABLE", help="a table or view (schema-qualified if needed)")
    args = parser.parse(split_args(rest))
    return ResultFrame.wrap(columns_of(ctx.session.sql, args.table), display_limit=max(ctx.settings.display_limit, 100))


@command(
    "profile",
    "one row per column: count, nulls, distinct, min/max, mean, std, quartiles, top values (in-database)",
    "%pgai profile TABLE [--sample-rows N]",
)
def _profile(ctx: Context, rest: str, cell: str | None) -> Any:
    from pgai_magic.display import ResultFrame
    from pgai_magic.workflow.explore import PROFILE_SAMPLE_ROWS, profile_table

    parser = ArgParser("%pgai profile")
    parser.add_argument("table", metavar="TABLE", help="a table or view (schema-qualified if needed)")
    parser.add_argument(
        "--sample-rows", type=int, default=PROFILE_SAMPLE_ROWS, metavar="N", help="read a sample past this many rows"
    )
    args = parser.parse(split_args(rest))
    if args.sample_rows < 1:
        raise ConfigError(f"--sample-rows must be 1 or more, not {args.sample_rows}")
    frame, note = profile_table(ctx.session.sql, args.table, sample_rows=args.sample_rows)
    if note:
        ctx.say(note)
    return ResultFrame.wrap(frame, display_limit=max(ctx.settings.display_limit, 100))


@command(
    "explain",
    "the plan as a tree, the costly nodes and bad row estimates marked",
    "%pgai explain [--analyze] SQL   (or the SQL in the cell body)",
)
def _explain(ctx: Context, rest: str, cell: str | None) -> Any:
    from pgai_magic.commands.base import split_line
    from pgai_magic.sqltext import split_statements
    from pgai_magic.workflow.explain import plan_tree

    options, sql = split_line(rest)
    parser = ArgParser("%pgai explain")
    parser.add_argument("--analyze", "-a", action="store_true", help="run the statement and show actual figures")
    args = parser.parse(split_args(options))
    query = cell if cell and cell.strip() else sql
    statements = split_statements(query)
    if len(statements) != 1:
        raise ConfigError(f"explain takes one statement, not {len(statements)}: explain them one at a time")
    text = query.strip().rstrip(";").strip()
    from pgai_magic.sqltext import route

    head = route(text).command
    if head not in _EXPLAINABLE:
        raise ConfigError(
            f"EXPLAIN explains SELECT, INSERT, UPDATE, DELETE, MERGE, VALUES, TABLE, EXECUTE, DECLARE and CREATE TABLE "
            f"AS, not {head or 'this statement'}"
        )
    if not args.analyze:
        return plan_tree(ctx.session.execute(f"EXPLAIN (FORMAT JSON) {text}", ctx.namespace).value["QUERY PLAN"][0])
    return plan_tree(_analyze_rolled_back(ctx, text))


_EXPLAINABLE = PLANNABLE | {"EXECUTE", "DECLARE", "CREATE"}


def _analyze_rolled_back(ctx: Context, text: str) -> Any:
    """EXPLAIN ANALYZE runs the statement: inside a transaction (or a savepoint in yours) that is rolled back, so
    explaining an INSERT / UPDATE / DELETE changes nothing."""
    session = ctx.session
    inside = session.db.in_transaction
    session.execute("SAVEPOINT pgai_explain" if inside else "BEGIN")
    try:
        result = session.execute(f"EXPLAIN (FORMAT JSON, ANALYZE, BUFFERS) {text}", ctx.namespace)
    except SQLError as err:  # rolled back below: the "transaction is aborted" advice does not apply
        err.hint = "\n".join(h for h in (err.hint or "").split("\n") if "ROLLBACK" not in h) or None
        raise
    finally:
        session.execute("ROLLBACK TO SAVEPOINT pgai_explain; RELEASE SAVEPOINT pgai_explain" if inside else "ROLLBACK")
    ctx.say("the statement ran inside a transaction that was rolled back: nothing it did was kept")
    return result.value["QUERY PLAN"][0]


@command(
    "plot",
    "histogram, box, bar, pie, line or scatter of a column, aggregated in PostgreSQL",
    "%pgai plot histogram|box|bar|pie|line|scatter TABLE.COLUMN [--by COL] [--where SQL] [--bins N] [--interactive]",
)
def _plot(ctx: Context, rest: str, cell: str | None) -> Any:
    import pandas as pd

    from pgai_magic.cell import convert
    from pgai_magic.sqltext import Statement
    from pgai_magic.workflow.plot import KINDS, plot_column

    parser = ArgParser("%pgai plot")
    parser.add_argument("kind", choices=KINDS, help="the chart")
    parser.add_argument("column", metavar="TABLE.COLUMN", help="the column to plot (schema.table.column too)")
    parser.add_argument("--by", metavar="COL", help="group (histogram, box) or x axis (line, scatter)")
    parser.add_argument("--where", metavar="SQL", help="a condition on the rows")
    parser.add_argument("--bins", type=int, default=30, metavar="N", help="histogram bins (default 30)")
    parser.add_argument(
        "--interactive",
        action="store_true",
        help="return the altair chart itself (drawn by altair's renderer; its default loads Vega from the web)",
    )
    args = parser.parse(split_args(rest))
    table, _, column = args.column.rpartition(".")
    if not table:
        raise ConfigError(f"give the column as TABLE.COLUMN, not {args.column!r}")
    session = ctx.session

    def fetch(query: str) -> Any:  # read-only, with the statement timeout: a plot never writes
        result = session.db.run_readonly(Statement(query), timeout_s=ctx.settings.statement_timeout_s)
        return convert.to_pandas(result.table) if result.table is not None else pd.DataFrame()

    chart = plot_column(fetch, args.kind, table, column, by=args.by, where=args.where, bins=args.bins)
    return chart.chart if args.interactive else chart  # static images unless asked for

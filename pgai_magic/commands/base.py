"""Sub-commands of the foundation: connect, status, help, and the SQL cell options."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from pgai_magic.commands import COMMANDS, ArgParser, Context, command, split_args
from pgai_magic.display import ResultFrame

if TYPE_CHECKING:
    from pgai_magic.cell import Format
    from pgai_magic.setup import Status

__all__ = ["run_sql", "split_line", "sql_parser"]

_VALUE_OPTIONS = (
    "--out",
    "-o",
    "--limit",
    "--conn",
    "-c",
    "--file",
    "-f",
    "--save",
    "--with",
    "--plot",
    "--x",
    "--y",
    "--save-as",
)
_SQL_HEADS = {"SELECT", "WITH", "VALUES", "TABLE", "INSERT", "UPDATE", "DELETE", "MERGE", "SHOW", "EXPLAIN", "CREATE"}
_OPTION = re.compile(r"\s*(--?[A-Za-z][\w-]*)(=\S*)?(?=\s|$)")


def split_line(line: str) -> tuple[str, str]:
    """A line magic's leading options and its SQL: `--out x --limit 5 SELECT …` → ("--out x --limit 5", "SELECT …").

    Options are read as in cell mode (an option the magic does not know is an error there); `-- comment` (a dash
    pair and a space) is SQL.
    """
    at = 0
    while True:
        match = _OPTION.match(line, at)
        if match is None:
            break
        at = match.end()
        if match.group(1) in _VALUE_OPTIONS and not match.group(2):
            value = re.match(r"\s*\S+", line[at:])
            if value is None:
                break
            at += value.end()
    return line[:at].strip(), line[at:].strip()


def sql_parser() -> ArgParser:
    parser = ArgParser("%%pgai")
    parser.add_argument("--out", "-o", metavar="VAR", help="also store the result in this variable")
    parser.add_argument("--limit", type=int, metavar="N", help="rows to display (the result stays complete)")
    fmt = parser.add_mutually_exclusive_group()
    fmt.add_argument("--arrow", action="store_true", help="return a pyarrow.Table")
    fmt.add_argument("--polars", action="store_true", help="return a polars.DataFrame")
    parser.add_argument("--conn", "-c", metavar="ALIAS", help="run this cell on another open connection")
    parser.add_argument("--file", "-f", metavar="PATH", help="run the SQL in this file")
    parser.add_argument("--save", metavar="NAME", help="save the cell's query as a snippet (for --with)")
    parser.add_argument("--no-execute", action="store_true", help="with --save: save without running")
    parser.add_argument("--with", dest="with_", metavar="NAME[,NAME]", help="prefix saved snippets as CTEs")
    parser.add_argument("--save-as", metavar="PATH", help="also write the result to a .csv, .tsv or .parquet file")
    parser.add_argument("--plot", metavar="KIND", help="chart the result: histogram, box, bar, pie, line, scatter")
    parser.add_argument("--x", metavar="COL", help="with --plot: the x column")
    parser.add_argument("--y", metavar="COL", help="with --plot: the y column")
    return parser


def _cell_sql(ctx: Context, args: Any, sql: str) -> str:
    """The SQL to run: the cell or --file, saved with --save, prefixed by --with snippets."""
    from pathlib import Path

    from pgai_magic.commands import Snippet
    from pgai_magic.errors import ConfigError
    from pgai_magic.workflow.snippets import check_snippet, order_snippets, referenced, with_snippets

    if args.file:
        if sql.strip():
            raise ConfigError("give the SQL in the cell or with --file, not both")
        path = Path(args.file).expanduser()
        if not path.is_file():
            raise ConfigError(f"no file {args.file!r}: --file runs the SQL in an existing .sql file")
        try:
            sql = path.read_text(encoding="utf-8-sig")  # a byte-order mark is not SQL
        except UnicodeDecodeError:
            raise ConfigError(f"{args.file} is not UTF-8 text: --file runs a .sql file saved as UTF-8") from None
    explicit = tuple(n.strip() for n in (args.with_ or "").split(",") if n.strip())
    order_snippets(explicit, ctx.snippets)  # unknown names are an error before anything is saved or run
    others = {k: v for k, v in ctx.snippets.items() if k != args.save}
    uses = tuple(dict.fromkeys(explicit + referenced(sql, others)))
    if not args.save:
        if args.no_execute:
            raise ConfigError("--no-execute goes with --save NAME (it saves the query without running it)")
        return with_snippets(sql, uses, ctx.snippets)
    # checked in full before the snippet is kept: a refused --save (a cycle, several statements) changes nothing
    proposed = {**ctx.snippets, args.save: Snippet(args.save, check_snippet(args.save, sql), uses)}
    try:
        order_snippets([args.save], proposed)
    except ConfigError as err:
        kept = "the saved one is unchanged" if args.save in ctx.snippets else "nothing was saved"
        raise ConfigError(f"--save {args.save}: {err} ({kept})") from None
    text = with_snippets(sql, uses, proposed)
    ctx.snippets[args.save] = proposed[args.save]
    return text


def run_sql(ctx: Context, options: str, sql: str) -> Any:
    """Run a SQL cell with its options; returns the value for the notebook (or None)."""
    args = sql_parser().parse(split_args(options))
    if args.out and args.out.upper() in _SQL_HEADS:
        from pgai_magic.errors import ConfigError

        raise ConfigError(f"--out needs a variable name before the SQL (--out VAR {args.out} …), not {args.out!r}")
    if args.limit is not None and args.limit < 0:
        from pgai_magic.errors import ConfigError

        raise ConfigError(f"--limit must be zero or more, not {args.limit}")
    fmt: Format = "arrow" if args.arrow else "polars" if args.polars else "pandas"
    sql = _cell_sql(ctx, args, sql)
    if args.save and args.no_execute:
        ctx.say(f"saved snippet {args.save!r} (not run): use it with --with {args.save}")
        return None
    session = ctx.get_session(args.conn) if args.conn else ctx.session
    # Pgai.autolimit applies to SQL cells only (never to pgai's own queries), and never below --limit
    limit = ctx.settings.autolimit
    result = session.execute(sql, ctx.namespace, fmt=fmt, autolimit=max(limit, args.limit or 0) if limit > 0 else None)
    for line in result.lines():  # as psql: each statement's notices and command tag, then the result
        ctx.say(line)
    value = result.value
    if value is None:
        if not result.results:
            ctx.say("nothing to run: the cell has no SQL statement")
        if args.out and result.results:
            ctx.say(f"--out {args.out}: no statement of the cell returned rows, so {args.out} was not set")
        return None
    if args.save_as and result.last_rows is not None and result.last_rows.table is not None:
        from pathlib import Path

        from pgai_magic.workflow.files import write_result

        rows = write_result(result.last_rows.table, Path(args.save_as).expanduser())
        ctx.say(f"wrote {rows:,} row{'s' if rows != 1 else ''} to {args.save_as}")
    if args.plot:
        from pgai_magic.errors import ConfigError
        from pgai_magic.workflow.plot import result_chart

        if fmt != "pandas" or not args.x:
            raise ConfigError("--plot charts a pandas result and needs --x COLUMN (and --y COLUMN for most kinds)")
        ctx.store(args.out, value)
        return result_chart(value, args.plot, args.x, args.y)
    if fmt == "pandas":
        last = result.last_rows
        value = ResultFrame.wrap(
            value,
            display_limit=args.limit if args.limit is not None else ctx.settings.display_limit,
            elapsed=last.elapsed if last else None,
        )
    return ctx.store(args.out, value)


@command("snippets", "saved queries (%%pgai --save NAME), usable with --with NAME", "%pgai snippets [--delete NAME]")
def _snippets(ctx: Context, rest: str, cell: str | None) -> Any:
    import pandas as pd

    parser = ArgParser("%pgai snippets")
    parser.add_argument("--delete", metavar="NAME", help="forget a saved snippet (refused while others use it)")
    args = parser.parse(split_args(rest))
    if args.delete is not None:
        from pgai_magic.workflow.snippets import delete_snippet

        delete_snippet(args.delete, ctx.snippets)
        ctx.say(f"deleted snippet {args.delete!r}")
        return None
    rows = [{"name": s.name, "uses": ", ".join(s.uses), "sql": s.sql} for s in ctx.snippets.values()]
    return pd.DataFrame(rows, columns=["name", "uses", "sql"])


@command("status", "server, versions, pgvector, embedder and LLM backend", "%pgai status")
def _status(ctx: Context, rest: str, cell: str | None) -> Status:
    return ctx.session.status()


def help_text() -> str:
    lines = [
        "pgai_magic — SQL, embeddings, questions, models and insights on PostgreSQL",
        "",
        "%%pgai [--out VAR] [--limit N] [--arrow | --polars] [--conn A] [--file F] [--save NAME [--no-execute]] "
        "[--with NAME,...]",
        "    SQL cell: any statement psql runs, several per cell; the last result is returned as a DataFrame;",
        "    the server's command tag, NOTICEs and WARNINGs are shown as psql shows them (docs/types.md).",
        "    :name binds a notebook variable server-side; pgai.embed('text') embeds at query time.",
        "%pgai [--out VAR] [--limit N] [--arrow | --polars] SELECT ...     one-line SQL, same options",
        "",
    ]
    for cmd in COMMANDS.values():
        lines.append(cmd.usage)
        lines.append(f"    {cmd.summary}")
    lines += [
        "",
        "settings: %config Pgai.display_limit = 20   (also autolimit, max_result_mb, statement_timeout_s;"
        " %config Pgai lists them)",
    ]
    return "\n".join(lines)


@command("help", "this help", "%pgai help")
def _help(ctx: Context, rest: str, cell: str | None) -> None:
    ctx.say(help_text())

"""Sub-commands of the foundation: connect, status, help, and the SQL cell options."""

from __future__ import annotations

import re
from typing import Any

from pgai_magic.commands import COMMANDS, ArgParser, Context, command, split_args
from pgai_magic.display import ResultFrame, StatusInfo

__all__ = ["run_sql", "split_line", "sql_parser"]

_VALUE_OPTIONS = ("--out", "-o", "--limit")
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
    return parser


def run_sql(ctx: Context, options: str, sql: str) -> Any:
    """Run a SQL cell with its options; returns the value for the notebook (or None)."""
    args = sql_parser().parse(split_args(options))
    if args.limit is not None and args.limit < 0:
        from pgai_magic.errors import ConfigError

        raise ConfigError(f"--limit must be zero or more, not {args.limit}")
    fmt = "arrow" if args.arrow else "polars" if args.polars else "pandas"
    session = ctx.session
    result = session.execute(sql, ctx.namespace, fmt=fmt)
    for notice in result.notices:
        ctx.say(notice)
    value = result.value
    if value is None:
        ctx.say(result.summary() if result.results else "nothing to run: the cell has no SQL statement")
        return None
    if fmt == "pandas":
        last = result.last_rows
        value = ResultFrame.wrap(
            value,
            display_limit=args.limit if args.limit is not None else ctx.settings.display_limit,
            elapsed=last.elapsed if last else None,
        )
    if args.out:
        if not args.out.isidentifier():
            from pgai_magic.errors import ConfigError

            raise ConfigError(f"--out needs a python variable name, not {args.out!r}")
        ctx.namespace[args.out] = value
    return value


@command("connect", "connect to another PostgreSQL server", "%pgai connect DSN   (or: %pgai connect --embedded)")
def _connect(ctx: Context, rest: str, cell: str | None) -> None:
    from pgai_magic.session import Session

    parser = ArgParser("%pgai connect")
    parser.add_argument("dsn", nargs="?", help="postgresql://user@host:5432/db, or key=value form")
    parser.add_argument("--embedded", action="store_true", help="use the embedded server")
    args = parser.parse(split_args(rest))
    if not args.dsn and not args.embedded:
        parser.error("give a DSN, or --embedded for the embedded server")
    ctx.set_session(Session(args.dsn, embedded=args.embedded, announce=ctx.say))


@command("status", "server, versions, pgvector, embedder and LLM backend", "%pgai status")
def _status(ctx: Context, rest: str, cell: str | None) -> dict[str, Any]:
    return StatusInfo(ctx.session.status())


def help_text() -> str:
    lines = [
        "pgai_magic — SQL, embeddings, questions, models and insights on PostgreSQL",
        "",
        "%%pgai [--out VAR] [--limit N] [--arrow | --polars]",
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
        "settings: %config Pgai.display_limit = 20   (also max_result_mb, statement_timeout_s)",
    ]
    return "\n".join(lines)


@command("help", "this help", "%pgai help")
def _help(ctx: Context, rest: str, cell: str | None) -> None:
    ctx.say(help_text())

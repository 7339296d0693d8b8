"""%pgai ask: a question in English or Chinese -> SQL (shown with its source) -> a read-only run -> DataFrame."""

from __future__ import annotations

from typing import Any

from pgai_magic.commands import Context, check_out, command
from pgai_magic.display import ResultFrame, SqlText
from pgai_magic.errors import ConfigError

__all__ = ["USAGE", "split_flags"]

USAGE = """
%pgai ask [--dry-run] [--accept] [--no-memory] [--no-chart] [--schema S] [--generator auto|translator|llm]
          [--out VAR] [--limit N] QUESTION
%%pgai ask [options]            (the question in the cell body)
%pgai ask --accept              (mark the last answer verified)
%%pgai ask --teach "QUESTION"   (the verified SQL in the cell body)
%pgai ask --history [--limit N]  /  %pgai ask --forget ID
An answer shaped as a time series (a date + numbers) or a measure by category (a label + a number, up to 50 rows)
is shown with a chart under its table (the altair chart is the result's `.chart`); --no-chart skips it.
"""

# option -> takes a value
_FLAGS = {
    "--dry-run": False,
    "--accept": False,
    "--history": False,
    "--no-memory": False,
    "--no-chart": False,
    "--teach": True,
    "--schema": True,
    "--generator": True,
    "--out": True,
    "--limit": True,
    "--forget": True,
}


def _read_value(line: str, pos: int) -> tuple[str, int]:
    """One value at `pos`: a quoted string (backslash escapes its quote) or a bare word; returns (value, end)."""
    if pos >= len(line):
        raise ConfigError("an option of %pgai ask is missing its value")
    quote = line[pos]
    if quote not in "\"'":
        end = pos
        while end < len(line) and not line[end].isspace():
            end += 1
        return line[pos:end], end
    out, k = [], pos + 1
    while k < len(line):
        ch = line[k]
        if ch == "\\" and k + 1 < len(line) and line[k + 1] in (quote, "\\"):
            out.append(line[k + 1])
            k += 2
            continue
        if ch == quote:
            return "".join(out), k + 1
        out.append(ch)
        k += 1
    raise ConfigError(f"the quoted value starting at {line[pos : pos + 30]!r} has no closing {quote}")


def split_flags(line: str) -> tuple[dict[str, Any], str]:
    """Leading `--options` of the line, and the rest exactly as typed (the question: quotes and all)."""
    opts: dict[str, Any] = {}
    pos = 0
    while True:
        while pos < len(line) and line[pos].isspace():
            pos += 1
        if not line.startswith("--", pos):
            break
        end = pos
        while end < len(line) and not line[end].isspace():
            end += 1
        word = line[pos:end]
        if word == "--":
            pos = end
            break
        name, eq, value = word.partition("=")
        if name not in _FLAGS:
            raise ConfigError(f"unknown option {name} for %pgai ask\nusage: {USAGE.strip()}")
        if _FLAGS[name]:
            if not eq:
                start = end
                while start < len(line) and line[start].isspace():
                    start += 1
                value, end = _read_value(line, start)
            opts[name] = value
        else:
            if eq:
                raise ConfigError(f"the option {name} takes no value")
            opts[name] = True
        pos = end
    return opts, line[pos:].strip()


def _int_option(opts: dict[str, Any], name: str) -> int | None:
    if name not in opts:
        return None
    try:
        value = int(opts[name])
    except ValueError:
        raise ConfigError(f"{name} needs a whole number, not {opts[name]!r}") from None
    if value < 0:
        raise ConfigError(f"{name} must be zero or more, not {value}")
    return value


@command("ask", "answer a question (English or Chinese) with SQL: shown, run read-only, remembered", USAGE)
def _ask(ctx: Context, rest: str, cell: str | None) -> Any:
    opts, text = split_flags(rest)
    check_out(opts.get("--out"))
    session = ctx.session
    limit = _int_option(opts, "--limit")
    display_limit = limit if limit is not None else ctx.settings.display_limit
    if opts.get("--history"):
        frame = session.questions.history(limit=limit or 50)
        return ResultFrame.wrap(frame, display_limit=display_limit)
    if "--forget" in opts:
        qid = _int_option(opts, "--forget")
        assert qid is not None  # the option is given
        session.questions.memory.forget(qid)
        ctx.say(f"pgai: forgot question #{qid}")
        return None
    if "--teach" in opts:
        sql = cell if cell is not None and cell.strip() else text
        if not sql.strip():
            raise ConfigError('--teach needs the SQL in the cell body: %%pgai ask --teach "question"')
        qid = session.questions.teach(opts["--teach"], sql, schema=opts.get("--schema"))
        ctx.say(f"pgai: remembered question #{qid} with its SQL as verified")
        return None
    if cell is not None and cell.strip():
        if text:
            raise ConfigError("%%pgai ask takes the question from the cell body: leave only --options on its line")
        question = cell.strip()
    else:
        question = text
    if not question:
        if opts.get("--accept"):
            qid = session.questions.accept()
            ctx.say(f"pgai: question #{qid} is verified; similar questions will reuse its SQL")
            return None
        raise ConfigError(f"ask needs a question\nusage: {USAGE.strip()}")

    def show(answer: Any) -> None:
        ctx.show(SqlText(answer.sql, answer.caption()))  # highlighted, and readable as plain text

    result = session.ask(
        question,
        dry_run=bool(opts.get("--dry-run")),
        accept=bool(opts.get("--accept")),
        schema=opts.get("--schema"),
        generator=opts.get("--generator", "auto"),
        timeout_s=ctx.settings.statement_timeout_s,
        remember=not opts.get("--no-memory"),
        use_memory=not opts.get("--no-memory"),
        on_answer=show,
    )
    if isinstance(result, str):
        return result
    from pgai_magic.workflow.autochart import answer_chart

    chart = None if opts.get("--no-chart") else answer_chart(result)  # a time series or a measure by category
    frame = ResultFrame.wrap(result, display_limit=display_limit, elapsed=result.attrs.get("elapsed"), chart=chart)
    return ctx.store(opts.get("--out"), frame)

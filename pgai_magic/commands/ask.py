"""%pgai ask: a question in English or Chinese -> SQL (shown with its source) -> a read-only run -> DataFrame."""

from __future__ import annotations

import atexit
import contextlib
import threading
from typing import Any

from pgai_magic.commands import Context, check_out, command
from pgai_magic.display import ResultFrame, SqlText
from pgai_magic.errors import ConfigError

__all__ = ["USAGE", "split_flags", "warm_up"]

USAGE = """
%pgai ask [-h] [--dry-run] [--accept] [--no-memory] [--no-chart] [--schema S] [--generator auto|translator|llm]
          [--out VAR] [--limit N] QUESTION
%%pgai ask [options]            (the question in the cell body)
%pgai ask --accept              (mark the last answer verified)
%%pgai ask --teach "QUESTION"   (the verified SQL in the cell body)
%pgai ask --history [--limit N]  /  %pgai ask --forget ID
Options may also follow the question (%pgai ask how many orders --dry-run); -h / --help prints this.
A question may read every table and view the role may SELECT (USAGE on its schema, SELECT on it), the search
path's schemas first; one outside the search path is named with its schema. --schema S[,T] restricts it to those.
An answer shaped as a time series (a date + numbers) or a measure by category (a label + a number, up to 50 rows)
is shown with a chart under its table (the altair chart is the result's `.chart`); --no-chart skips it.
"""

_EXIT_WAIT_S = 120.0  # at most this long an exiting process waits for the warm-up to finish

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
    """The `--options` of the line (before the question, or after it: `%pgai ask how many orders --dry-run`) and
    the question exactly as typed (quotes and all). `-h` / `--help` anywhere sets '--help'. After the question
    starts, only whole words that are ask's options count (a quoted word or an unknown `--word` stays in the
    question); a leading `--` ends the options."""
    opts: dict[str, Any] = {}
    kept: list[tuple[int, int]] = []  # the question's words
    options_inside = pending = False  # an option between two words of the question / after one of them
    pos, question_started = 0, False
    while True:
        while pos < len(line) and line[pos].isspace():
            pos += 1
        if pos >= len(line):
            break
        word, end = _word_at(line, pos)
        if not question_started and word == "--":
            kept.append((end, len(line)))
            break
        name, eq, value = word.partition("=")
        if name in ("-h", "--help") and not eq:
            opts["--help"] = True
        elif name in _FLAGS:
            end = _take_option(line, end, name, eq, value, opts)
            pending = pending or question_started
        elif not question_started and word.startswith("--"):
            raise ConfigError(f"unknown option {name} for %pgai ask\nusage: {USAGE.strip()}")
        else:
            question_started = True
            kept.append((pos, end))
            options_inside = options_inside or pending
        pos = end
    if not kept:
        return opts, ""
    if options_inside:  # options between words of the question: its words, one space apart
        return opts, " ".join(line[a:b].strip() for a, b in kept if line[a:b].strip())
    return opts, line[kept[0][0] : kept[-1][1]].strip()


def _word_at(line: str, pos: int) -> tuple[str, int]:
    """The word at `pos` (up to the next space; a quoted run is part of it) and where it ends."""
    end = pos
    while end < len(line) and not line[end].isspace():
        if line[end] in "\"'" and end == pos:
            try:
                return line[pos : _read_value(line, pos)[1]], _read_value(line, pos)[1]
            except ConfigError:
                pass  # an unclosed quote inside a question is text
        end += 1
    return line[pos:end], end


def _take_option(line: str, end: int, name: str, eq: str, value: str, opts: dict[str, Any]) -> int:
    """Record option `name` (its value after `=` or as the next word) in `opts`; returns where it ends."""
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
    return end


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
    if opts.get("--help"):
        ctx.say(f"usage: {USAGE.strip()}")
        return None
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


def warm_up(session: Any) -> threading.Thread:
    """In a background thread: import what a first question needs (the translator and its learned model, the chart
    and SQL renderers; the chart renderer draws one tiny chart, which starts its JavaScript engine), then let the
    embedding model's background load (`vectors.preload`, started at once so it counts as loading) go on. A
    question asked meanwhile waits only for the modules still being imported, never for the embedding model nor
    the learned translator's data (until it is read, the rule translator answers alone: nl2sql.loading). Nothing
    runs on the database."""
    from pgai_magic.nl2sql import loading

    imported = threading.Event()
    session.vectors.preload(after=imported)
    loading.begin()

    def run() -> None:
        try:
            _warm()
        finally:
            imported.set()

    def _warm() -> None:
        # a warm-up only: what fails here fails again, with its message, where it is used
        with contextlib.suppress(Exception):
            from pgai_magic.nl2sql import embedding, service  # noqa: F401 - imported for the first question
            from pgai_magic.workflow import autochart  # noqa: F401 - likewise

            SqlText("SELECT 1")._repr_html_()  # the SQL renderer (pygments) imported and used once
        try:  # the built-in translator's learned model, neighbour index and judge, read once per process
            with contextlib.suppress(Exception):
                from pgai_magic.nl2sql.route import models

                models()
        finally:
            loading.finish()  # questions asked until now were answered by the rule translator alone
        with contextlib.suppress(Exception):
            import altair as alt
            import pandas as pd

            from pgai_magic.display import altair_svg

            altair_svg(alt.Chart(pd.DataFrame({"x": [1.0]})).mark_point().encode(x="x:Q"))

    thread = threading.Thread(target=run, name="pgai-warm-up", daemon=True)
    thread.start()
    # a process that exits mid warm-up waits for it: the chart renderer's JavaScript engine and torch abort the
    # process ("terminate called without an active exception") when their threads are torn down half-started
    atexit.register(thread.join, _EXIT_WAIT_S)
    return thread

"""The %pgai sub-commands: a registry of small handlers over the session (no IPython here).

Each handler parses its options once into a frozen request and calls the session. May import the session, the
capabilities and the layers below them; never the magic or IPython (the named connections are a Protocol here).
"""

from __future__ import annotations

import argparse
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, NoReturn, Protocol

from pgai_magic.errors import ConfigError

if TYPE_CHECKING:
    import pandas as pd

    from pgai_magic.session import Session

__all__ = [
    "COMMANDS",
    "ArgParser",
    "Command",
    "Context",
    "HelpRequested",
    "NamedConnections",
    "Settings",
    "Snippet",
    "check_out",
    "command",
    "command_help",
    "given",
    "request_fields",
    "split_args",
    "unknown_command",
]


@dataclass
class Settings:
    """What the magic's traitlets configure (mirrors `%config Pgai.*`)."""

    display_limit: int = 10
    max_result_mb: float = 2048.0
    statement_timeout_s: float = 30.0
    autolimit: int = 0  # SQL cells fetch at most this many rows of a query (0: all)
    dsn_filename: str = "~/.jupysql/connections.ini"  # the INI file of `%pgai connect --section NAME`


@dataclass
class Snippet:
    """A saved query (`%%pgai --save NAME`) and the snippets it builds on (`--with`)."""

    name: str
    sql: str
    uses: tuple[str, ...] = ()


class NamedConnections(Protocol):
    """The magic's named connections (JupySQL's aliases), as the commands use them (`pgai_magic.connections`)."""

    @property
    def current_alias(self) -> str | None: ...

    def add(self, alias: str | None, session: Session) -> str: ...

    def get(self, alias: str | None) -> Session: ...

    def use(self, alias: str) -> Session: ...

    def close(self, alias: str) -> None: ...

    def table(self) -> pd.DataFrame: ...


@dataclass
class Context:
    """What a handler may use: the session, the notebook namespace, settings and output."""

    get_session: Callable[..., Session]  # (alias: str | None = None) -> the session of that connection
    set_session: Callable[[Session], None]
    namespace: dict[str, Any]
    settings: Settings
    show_html: Callable[[str], None] = print
    show: Callable[[Any], None] = print
    say: Callable[[str], None] = print
    extras: dict[str, Any] = field(default_factory=dict)
    connections: NamedConnections | None = None  # the magic's named connections; None outside IPython
    snippets: dict[str, Snippet] = field(default_factory=dict)

    @property
    def session(self) -> Session:
        """The current session (the magic restarts a dead embedded server first)."""
        return self.get_session()

    def store(self, name: str | None, value: Any) -> Any:
        """`--out NAME`: keep `value` in the notebook variable `name` (nothing when None or ""); returns `value`.

        ConfigError when `name` is not a python variable name (check_out checks it before the work)."""
        if check_out(name):
            self.namespace[str(name)] = value
        return value


def check_out(name: str | None) -> str | None:
    """The `--out NAME` of a command, checked before it runs: ConfigError when not a python variable name."""
    if name and not str(name).isidentifier():
        raise ConfigError(f"--out needs a python variable name, not {name!r}")
    return name


def given(**options: Any) -> dict[str, Any]:
    """The options the user gave (argparse leaves the others None): a request's own defaults fill the rest."""
    return {name: value for name, value in options.items() if value is not None}


def request_fields(request: Any) -> dict[str, Any]:
    """A request's fields by name (not copied), to pass to the session verb that takes them."""
    return {f.name: getattr(request, f.name) for f in fields(request)}


Handler = Callable[[Context, str, "str | None"], Any]


@dataclass
class Command:
    """One `%pgai NAME …` sub-command: usage text and its handler (ctx, rest of line, cell body)."""

    name: str
    summary: str
    usage: str
    run: Handler


COMMANDS: dict[str, Command] = {}


def command(name: str, summary: str, usage: str) -> Callable[[Handler], Handler]:
    """Register a handler as `%pgai NAME`."""

    def decorate(fn: Handler) -> Handler:
        COMMANDS[name] = Command(name, summary, usage.strip(), fn)
        return fn

    return decorate


class HelpRequested(Exception):  # not an error: the magic prints the text and the cell succeeds
    """`-h` / `--help` given to a sub-command's parser: `text` is its help."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


class ArgParser(argparse.ArgumentParser):
    """argparse that raises ConfigError (with the usage) instead of exiting the kernel."""

    def __init__(self, prog: str, **kwargs: Any) -> None:
        # argparse %-formats its usage text: a literal % in the name (`%pgai similar`) must be doubled
        super().__init__(prog=prog.replace("%", "%%"), add_help=False, exit_on_error=False, **kwargs)

    def error(self, message: str) -> NoReturn:
        usage = self.format_usage().removeprefix("usage: ").strip().replace("%%", "%")
        raise ConfigError(f"{message}\nusage: {usage}")

    def parse(self, args: list[str]) -> argparse.Namespace:
        if "-h" in args or "--help" in args:  # `%pgai model monitor -h`: the usage, before any check of the rest
            raise HelpRequested(self.format_help().replace("%%", "%"))
        try:
            ns, extra = self.parse_known_args(args)
        except argparse.ArgumentError as exc:
            self.error(str(exc))
        if extra:
            self.error(f"unrecognized arguments: {' '.join(extra)}")
        return ns


def split_args(text: str) -> list[str]:
    """Shell-like split of a magic line; an unbalanced quote is a clear error."""
    try:
        return shlex.split(text, posix=True)
    except ValueError as exc:
        raise ConfigError(f"cannot parse the arguments {text!r}: {exc}") from None


def unknown_command(word: str, *, sql_possible: bool) -> ConfigError:
    """The error for a first word that is no sub-command (`%pgai tabels`): "did you mean tables?" when one is close.

    `sql_possible`: the line could have been SQL (line mode), so the message says what a statement starts with."""
    from pgai_magic.catalog import did_you_mean

    advice = did_you_mean(word, COMMANDS, kind="the sub-command", show=str)
    if advice:
        return ConfigError(f"unknown sub-command {word!r}: {advice} (`%pgai help` lists them)")
    sql = " nor the start of a SQL statement (SELECT, WITH, CREATE, …)" if sql_possible else ""
    return ConfigError(f"{word!r} is neither a sub-command{sql}: `%pgai help` lists the sub-commands")


def command_help(name: str) -> str:
    """`%pgai NAME -h`: the command's usage and summary."""
    cmd = COMMANDS[name]
    return f"usage: {cmd.usage}\n    {cmd.summary}"


# built-in commands register themselves on import; capabilities add theirs below
from pgai_magic.commands import connect  # noqa: E402,F401,I001
from pgai_magic.commands import base  # noqa: E402,F401
from pgai_magic.commands import model  # noqa: E402, F401
from pgai_magic.commands import monitoring  # noqa: E402, F401
from pgai_magic.commands import features  # noqa: E402, F401
from pgai_magic.commands import insights  # noqa: E402, F401
from pgai_magic.commands import ask  # noqa: E402, F401
from pgai_magic.commands import embed  # noqa: E402, F401
from pgai_magic.commands import workflow  # noqa: E402, F401

"""Connections as notebook users make them: connect (a DSN as typed, a variable, a connections.ini section),
connections, use, close."""

from __future__ import annotations

import re
import shlex
from typing import Any

from pgai_magic.commands import Context, command
from pgai_magic.errors import ConfigError, PgaiError

__all__ = ["split_connect"]

USAGE = (
    "%pgai connect DSN [--alias A]   DSN: postgresql://… or key=value … (libpq), or {var} / $var / :var naming a\n"
    "                                notebook variable that holds one\n"
    "%pgai connect --section NAME    a section of %config Pgai.dsn_filename (JupySQL's connections.ini)\n"
    "%pgai connect --embedded        the embedded server"
)
_OPTIONS = {"--alias": "alias", "-a": "alias", "--section": "section", "--embedded": None}
_VARIABLE = re.compile(r"^(?:\{\{\s*(?P<a>\w+)\s*\}\}|\{(?P<b>\w+)\}|\$(?P<c>\w+)|:(?P<d>\w+))$")


def _words(line: str) -> list[tuple[int, int]]:
    """(start, end) of each word: runs of text between spaces, a quoted part (libpq's `password='a b'`, a shell-quoted
    URL) belonging to its word. ConfigError, showing none of the text, for a quote left open."""
    spans: list[tuple[int, int]] = []
    pos = 0
    while pos < len(line):
        if line[pos].isspace():
            pos += 1
            continue
        start, quote = pos, None
        while pos < len(line) and (quote is not None or not line[pos].isspace()):
            ch = line[pos]
            if ch == "\\":
                pos += 1  # an escaped character (libpq escapes a quote, a backslash or a space this way)
            elif quote is None and ch in "'\"":
                quote = ch
            elif ch == quote:
                quote = None
            pos += 1
        if quote is not None:
            raise ConfigError("the connection string has a quote that is never closed: close it (nothing is shown)")
        spans.append((start, pos))
    return spans


def _tokens(line: str) -> list[str]:
    """The words of a connect line. A DSN given as one shell-quoted word (`'postgresql://…'`, shlex.quote's output)
    is unquoted as a shell would; otherwise each word is kept as typed, libpq's own quoting (`password='a b'`)
    included."""
    plain = line.split()
    i = 0
    while i < len(plain) and plain[i].partition("=")[0] in _OPTIONS:  # the options before the DSN
        i += 1 if "=" in plain[i] or _OPTIONS[plain[i]] is None else 2
    if i < len(plain) and plain[i][:1] in "'\"":
        try:
            return shlex.split(line)
        except ValueError:
            pass  # not shell quoting after all: libpq's rules below say what is wrong
    return [line[a:b] for a, b in _words(line)]


def split_connect(line: str) -> tuple[str, dict[str, Any]]:
    """The DSN of a `%pgai connect` line as typed (libpq's quoting kept; a shell-quoted DSN unquoted) and its options
    (alias, section, embedded). Errors name an option, never a part of the DSN."""
    words = _tokens(line)
    options: dict[str, Any] = {"alias": None, "section": None, "embedded": False}
    dsn: list[str] = []
    i = 0
    while i < len(words):
        name, eq, value = words[i].partition("=")
        if name in _OPTIONS and (eq or _OPTIONS[name] is None or i + 1 < len(words)):
            key = _OPTIONS[name]
            if key is None:
                if eq:
                    raise ConfigError(f"{name} takes no value")
                options["embedded"] = True
            else:
                if not eq:
                    i += 1
                    value = words[i]
                options[key] = _unquoted(value)
        elif words[i].startswith("--") or words[i] in _OPTIONS:
            raise ConfigError(f"unknown option {name} for %pgai connect (or a missing value)\nusage: {USAGE}")
        else:
            dsn.append(words[i])
        i += 1
    return " ".join(dsn), options


def _unquoted(word: str) -> str:
    if word[:1] in "'\"":
        try:
            parts = shlex.split(word)
        except ValueError:
            parts = []
        if len(parts) == 1:
            return parts[0]
    return word


def _from_variable(ctx: Context, dsn: str) -> str:
    """`{dsn}`, `{{dsn}}`, `$dsn` or `:dsn`: the notebook variable's value (a string or a SQLAlchemy URL)."""
    match = _VARIABLE.match(dsn)
    if match is None:
        return dsn
    name = next(v for v in match.groups() if v)
    if name not in ctx.namespace:
        raise ConfigError(f"no variable {name!r} in the notebook: define it (dsn = 'postgresql://…') first")
    value = ctx.namespace[name]
    if hasattr(value, "render_as_string"):  # a SQLAlchemy URL
        return str(value.render_as_string(hide_password=False))
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"variable {name!r} holds a {type(value).__name__}, not a connection string")
    return value


@command("connect", "connect to another PostgreSQL server (with --alias, keep the others open)", USAGE)
def _connect(ctx: Context, rest: str, cell: str | None) -> None:
    from pgai_magic.session import Session

    dsn, options = split_connect(rest)
    alias = options["alias"]
    if options["section"]:
        from pgai_magic.server import dsn_from_section

        if dsn or options["embedded"]:
            raise ConfigError("--section names the connection: give no DSN or --embedded with it")
        if alias:  # JupySQL's rule: the section's name is the connection's alias
            raise ConfigError("--section names the connection's alias too: leave out --alias")
        dsn, alias = dsn_from_section(ctx.settings.dsn_filename, options["section"]), options["section"]
    elif not dsn and not options["embedded"]:
        raise ConfigError(f"give a DSN, --section NAME, or --embedded for the embedded server\nusage: {USAGE}")
    elif dsn and options["embedded"]:
        raise ConfigError("give a DSN or --embedded, not both")
    try:
        session = Session(_from_variable(ctx, dsn) or None, embedded=options["embedded"], announce=ctx.say)
    except PgaiError as err:  # say which server the next cell runs on, so no write goes to the wrong one
        err.notices = [*err.notices, _still_on(ctx)]
        raise
    if alias and ctx.connections is not None:
        ctx.connections.add(alias, session)
    else:
        ctx.set_session(session)


def _still_on(ctx: Context) -> str:
    """Where the next cell runs after a failed connect: the current connection, unchanged, or none."""
    current = ctx.connections.current_alias if ctx.connections is not None else None
    if ctx.connections is None or current is None:
        return "the connect failed: no connection is open (the next cell opens the default one)"
    session = ctx.connections.get(current)
    return f"the connect failed: the current connection is still {current!r} ({session.display_dsn})"


def _connections(ctx: Context) -> Any:
    if ctx.connections is None:
        raise ConfigError("named connections live in the IPython magic (%pgai connect DSN --alias A)")
    return ctx.connections


@command("connections", "open connections: alias, server, current (never a password)", "%pgai connections")
def _list_connections(ctx: Context, rest: str, cell: str | None) -> Any:
    return _connections(ctx).table()


@command("use", "make another open connection the current one", "%pgai use ALIAS")
def _use(ctx: Context, rest: str, cell: str | None) -> None:
    session = _connections(ctx).use(rest.strip())
    ctx.say(f"using {rest.strip()!r}: {session.display_dsn}")


@command("close", "close an open connection (the current one when no ALIAS is given)", "%pgai close [ALIAS]")
def _close(ctx: Context, rest: str, cell: str | None) -> None:
    alias = rest.strip() or (_connections(ctx).current_alias or "")
    _connections(ctx).close(alias)
    current = _connections(ctx).current_alias
    ctx.say(
        f"closed {alias!r}"
        + (f"; current: {current!r}" if current else "; none open (the next cell opens the default)")
    )

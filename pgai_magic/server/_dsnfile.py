"""Connections named in an INI file, as JupySQL's `%sql --section NAME` reads `~/.jupysql/connections.ini`.

A section holds SQLAlchemy URL parts (`drivername`, `username`, `password`, `host`, `port`, `database`, and `query`
as a dict literal), as JupySQL's documentation describes the file, or libpq keywords (`user`, `dbname`, `sslmode`,
…). It becomes a libpq connection string; no connection is opened here.
"""

from __future__ import annotations

import ast
import configparser
from pathlib import Path

from pgai_magic.errors import ConfigError

__all__ = ["DEFAULT_DSN_FILE", "dsn_from_section"]

DEFAULT_DSN_FILE = "~/.jupysql/connections.ini"  # JupySQL's SqlMagic.dsn_filename default
_URL_KEYS = {"username": "user", "database": "dbname"}  # SQLAlchemy URL part → libpq keyword
_POSTGRES_DRIVERS = ("postgresql", "postgres")


def dsn_from_section(path: str | Path, section: str) -> str:
    """The libpq connection string of `section` in the INI file at `path`.

    Raises ConfigError (never showing a password) for a missing or unreadable file, an unknown section (naming the
    ones there are), a driver other than PostgreSQL, or a `query` that is not a dict literal.
    """
    from psycopg.conninfo import make_conninfo

    file = Path(path).expanduser()
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            f"no connections file {str(file)!r}: create it, or point %config Pgai.dsn_filename at yours"
        ) from None
    except (OSError, UnicodeError, configparser.Error) as exc:
        raise ConfigError(f"cannot read the connections file {str(file)!r}: {type(exc).__name__}") from None
    if not parser.has_section(section):
        known = ", ".join(repr(s) for s in parser.sections()) or "none"
        raise ConfigError(f"no section [{section}] in {str(file)!r}: its sections are {known}")
    parts = dict(parser.items(section))
    driver = parts.pop("drivername", "postgresql").split("+", 1)[0]
    if driver not in _POSTGRES_DRIVERS:
        raise ConfigError(f"section [{section}] connects with {driver!r}: pgai connects to PostgreSQL only")
    query = parts.pop("query", None)
    if query:
        try:
            extra = ast.literal_eval(query)
        except (ValueError, SyntaxError):
            extra = None
        if not isinstance(extra, dict):
            raise ConfigError(f"section [{section}]: query must be a dict, e.g. query = {{'sslmode': 'require'}}")
        parts.update({str(k): str(v) for k, v in extra.items()})
    keywords = {_URL_KEYS.get(k, k): v for k, v in parts.items() if v != ""}  # an empty part: libpq's default
    try:
        return make_conninfo("", **keywords)
    except Exception as exc:  # noqa: BLE001 - psycopg names the bad keyword, never a value
        raise ConfigError(f"section [{section}] of {str(file)!r}: {str(exc).splitlines()[0]}") from None

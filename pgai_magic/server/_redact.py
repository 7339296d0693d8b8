"""The one secret redaction: connection strings for display, and passwords scrubbed from any text shown or logged.

`redact_dsn` keeps a DSN's spelling (URL or libpq key=value, any quoting and spacing) with every password value
replaced by `***`; `redact_text` scrubs free text (errors, tracebacks, log lines): URL credentials,
`password = …` pairs in any quoting, dict reprs, and the literal passwords of every DSN this process used
(`remember`), also where libpq quotes them alone ('invalid percent-encoded token: "…"').
"""

from __future__ import annotations

import logging
import re
from urllib.parse import unquote

__all__ = ["MASK", "RedactingFilter", "redact_dsn", "redact_text", "remember"]

MASK = "***"
_SECRET_KEYS = ("password", "sslpassword")
# libpq key=value: key, optional spaces around '=', a single-quoted value (backslash escapes) or a bare one
_KV = re.compile(r"(?P<key>[A-Za-z_]+)(?P<eq>\s*=\s*)(?P<value>'(?:[^'\\]|\\.)*'?|(?:[^\s'\\]|\\.)*)", re.S)
_TEXT_URL = re.compile(r"(?P<head>\b[A-Za-z][\w+.-]*://[^\s/@:'\"?#]*:)(?P<secret>[^\s'\"]*)@")
_TEXT_KV = re.compile(r"(?P<head>\b(?:ssl)?password\s*=\s*)(?P<secret>'(?:[^'\\]|\\.)*'?|(?:[^\s'\\&]|\\.)+)", re.I)
_TEXT_REPR = re.compile(r"(?P<head>['\"](?:ssl)?password['\"]\s*:\s*)(?P<q>['\"])(?P<secret>.*?)(?P=q)", re.I)
_MIN_LITERAL = 4  # shorter passwords are only caught in their key=value / URL context (never every "x" in text)
_SECRETS: set[str] = set()


def _is_secret_key(key: str) -> bool:
    return key.lower() in _SECRET_KEYS


def _redact_url(dsn: str) -> str:
    scheme, rest = dsn.split("://", 1)
    cut = min((i for i in (rest.find("?"), rest.find("#")) if i >= 0), default=len(rest))
    authority, tail = rest[:cut], rest[cut:]
    at = authority.rfind("@")
    if at >= 0:
        userinfo, hosts = authority[:at], authority[at:]
        if ":" in userinfo:
            userinfo = userinfo.split(":", 1)[0] + ":" + MASK
        authority = userinfo + hosts
    if tail.startswith("?"):
        query, hash_, fragment = tail[1:].partition("#")
        pairs = [
            f"{kv.split('=', 1)[0]}={MASK}" if _is_secret_key(unquote(kv.split("=", 1)[0])) else kv
            for kv in query.split("&")
        ]
        tail = "?" + "&".join(pairs) + hash_ + fragment
    return f"{scheme}://{authority}{tail}"


def _redact_kv(dsn: str) -> str:
    def mask(match: re.Match[str]) -> str:
        if not _is_secret_key(match["key"]):
            return match[0]
        return f"{match['key']}{match['eq']}{MASK}"

    return _KV.sub(mask, dsn)


def redact_dsn(dsn: str) -> str:
    """The DSN with every password (and sslpassword) value replaced by `***`, its spelling otherwise kept.

    URLs (any scheme, several hosts, `?password=`, undecodable %-escapes) and libpq key=value strings
    (quoted or not, spaces around `=`, backslash escapes) alike; whatever this misses, `redact_text`'s
    patterns and literal scrub catch next.
    """
    words = dsn.split(None, 1)
    out = _redact_url(dsn.strip()) if words and "://" in words[0] else _redact_kv(dsn)
    return redact_text(out)


def _literals(password: str) -> set[str]:
    from urllib.parse import quote

    found = {password, unquote(password), quote(password, safe=""), password.replace("'", "\\'")}
    return {s for s in found if len(s) >= _MIN_LITERAL}


def remember(dsn: str | None) -> None:
    """Note the passwords of `dsn`, so `redact_text` scrubs them wherever they appear alone."""
    if not dsn:
        return
    candidates: list[str] = []
    from psycopg import ProgrammingError
    from psycopg.conninfo import conninfo_to_dict

    try:
        params = conninfo_to_dict(dsn)
    except ProgrammingError:  # a malformed DSN: what the patterns below see
        params = {}
    candidates += [str(params[k]) for k in _SECRET_KEYS if params.get(k)]
    if "://" in dsn:
        authority = dsn.split("://", 1)[1].split("?", 1)[0]
        if "@" in authority and ":" in authority.rsplit("@", 1)[0]:
            candidates.append(authority.rsplit("@", 1)[0].split(":", 1)[1])
    for match in _TEXT_KV.finditer(dsn):
        candidates.append(match["secret"].strip("'"))
    for secret in candidates:
        _SECRETS.update(_literals(secret))


def redact_text(text: str) -> str:
    """`text` with passwords scrubbed: URL credentials, `password = …` pairs, reprs, remembered literals."""
    if not text:
        return text
    for secret in sorted(_SECRETS, key=len, reverse=True):
        text = text.replace(secret, MASK)
    text = _TEXT_URL.sub(lambda m: f"{m['head']}{MASK}@", text)
    text = _TEXT_KV.sub(lambda m: f"{m['head']}{MASK}", text)
    return _TEXT_REPR.sub(lambda m: f"{m['head']}{m['q']}{MASK}{m['q']}", text)


class RedactingFilter(logging.Filter):
    """A logging filter that scrubs passwords from every record's message (installed on the pgai_magic logger)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact_text(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True


_LOGGER = logging.getLogger("pgai_magic")
if not any(isinstance(f, RedactingFilter) for f in _LOGGER.filters):
    _LOGGER.addFilter(RedactingFilter())

"""No password in any output: 20+ DSN spellings through redact_dsn, status, connections, connect errors,
argument errors, internal errors and `%pgai debug`, the worker (messages, warnings, traceback) and log lines."""

from __future__ import annotations

import logging
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell
from psycopg.conninfo import conninfo_to_dict

from pgai_magic import __main__ as cli
from pgai_magic.commands import COMMANDS, Command
from pgai_magic.server import redact_dsn, redact_text
from pgai_magic.server._embedded import normalize_dsn
from pgai_magic.session import Session
from tests.pg_helpers import magic_error

KV = "host={sock} port={port} user={user} dbname={db}"
# (template, libpq accepts it); {pw} is the secret, unique per spelling
SPELLINGS: list[tuple[str, bool]] = [
    ("postgresql://{user}:{pw}@/{db}?host={sock}&port={port}", True),
    ("postgres://{user}:{pw}@/{db}?host={sock}&port={port}", True),
    ("postgresql+psycopg://{user}:{pw}@/{db}?host={sock}&port={port}", True),
    ("postgresql://{user}:{pw}%40x%3Ay@/{db}?host={sock}&port={port}", True),
    ("postgresql://{user}@/{db}?host={sock}&port={port}&password={pw}", True),
    ("postgresql:///{db}?user={user}&password={pw}&host={sock}&port={port}", True),
    ("postgresql://{user}:{pw}@/{db}?host={sock}&port={port}&application_name=x#frag", True),
    (KV + " password={pw}", True),
    (KV + " password = {pw}", True),
    (KV + " password='{pw} with spaces'", True),
    (KV + " password = '{pw} it\\'s \\\\ here'", True),
    ("password={pw} " + KV, True),
    (KV.replace(" ", "\t") + "\tpassword={pw}", True),
    (KV + " password={pw}\\ tail", True),
    (KV + " passfile=/nonexistent/pgpass password={pw}", True),
    (KV + " sslpassword={pw}", True),
    ("  " + KV + "   password =  {pw}  ", True),
    (KV + ' password="{pw}"', True),
    ("service=pgai18 password={pw}", True),
    ("postgresql://{user}:{pw}%zz@/{db}?host={sock}", False),  # an invalid %-escape
    ("host={sock} PASSWORD={pw}", False),  # libpq keys are lowercase
    (KV + " password='{pw} never closed", False),
    ("postgresql://{user}:{pw}@@/{db}?host={sock}&port={port}", True),  # libpq splits at the first @
]


@dataclass
class Spelling:
    dsn: str
    failing: str  # the same spelling on a port nothing listens on
    secret: str
    valid: bool


def _secret(i: int) -> str:
    return f"Zq{i:02d}s3cr3tPw"


@pytest.fixture(scope="module")
def service_file(tmp_path_factory: pytest.TempPathFactory, pg_dsn: str) -> Iterator[dict[str, str]]:
    params = conninfo_to_dict(pg_dsn)
    sock, port = str(params.get("host") or "localhost"), str(params.get("port") or 5432)
    folder = tmp_path_factory.mktemp("svc")
    conf = folder / "pg_service.conf"
    conf.write_text(f"[pgai18]\nhost={sock}\nport={port}\nuser={params.get('user')}\ndbname={params.get('dbname')}\n")
    yield {"sock": sock, "port": port, "user": str(params.get("user")), "db": str(params.get("dbname")),
           "file": str(conf)}  # fmt: skip


@pytest.fixture()
def spellings(service_file: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> list[Spelling]:
    monkeypatch.setenv("PGSERVICEFILE", service_file["file"])
    out = []
    for i, (template, valid) in enumerate(SPELLINGS):
        values = {k: v for k, v in service_file.items() if k != "file"}
        dsn = template.format(pw=_secret(i), **values)
        failing = template.format(pw=_secret(i), **{**values, "port": "1"})
        if template.startswith("service="):
            failing = dsn + " port=1"
        out.append(Spelling(dsn, failing, _secret(i), valid))
    return out


def _clean(text: str, spelling: Spelling) -> None:
    assert spelling.secret not in text, f"{spelling.secret} shown for {spelling.dsn!r}:\n{text}"


def test_there_are_at_least_20_spellings() -> None:
    assert len(SPELLINGS) >= 20


def test_redact_dsn_keeps_the_spelling_and_masks_the_password(spellings: list[Spelling]) -> None:
    for s in spellings:
        shown = redact_dsn(s.dsn)
        _clean(shown, s)
        assert "***" in shown
        _clean(redact_text(f"error near {s.dsn} in a traceback"), s)
        _clean(redact_text(repr(conninfo_to_dict(normalize_dsn(s.dsn))) if s.valid else s.dsn), s)
    assert redact_dsn("host=h dbname=d") == "host=h dbname=d"
    assert redact_dsn("postgresql://u@h:5/db?sslmode=require") == "postgresql://u@h:5/db?sslmode=require"


@pytest.mark.slow
def test_a_session_shows_no_password_in_status_connections_or_announce(
    spellings: list[Spelling], ip: InteractiveShell, capsys: pytest.CaptureFixture[str]
) -> None:
    for i, s in enumerate(s for s in spellings if s.valid):
        ip.run_line_magic("pgai", f"connect {shlex.quote(s.dsn)} --alias sec{i}")
        status = ip.run_line_magic("pgai", "status")
        table = ip.run_line_magic("pgai", "connections")
        out = capsys.readouterr()
        assert "connected to" in out.out, out.err
        for text in (out.out, out.err, repr(status), str(getattr(status, "__dict__", "")), table.to_string()):
            _clean(text, s)
        session: Session = ip.user_ns["_pgai_magics"].connections.get(f"sec{i}")
        _clean(session.display_dsn + repr(session.status()), s)
        ip.run_line_magic("pgai", f"close sec{i}")


def test_failed_connects_and_argument_errors_show_no_password(
    spellings: list[Spelling], ip: InteractiveShell, capsys: pytest.CaptureFixture[str]
) -> None:
    for s in spellings:
        for line in (
            f"connect {shlex.quote(s.failing)}",
            f"connect {s.failing} --bogus",
            f"connect {shlex.quote(s.failing)} -a x",
        ):
            err = magic_error(ip, line)
            out = capsys.readouterr()
            assert "Error" in err.headline(), (line, out)
            _clean(out.out + out.err + err.headline() + str(err) + "".join(err._render_traceback_()), s)


def test_internal_errors_and_debug_traceback_show_no_password(
    spellings: list[Spelling], ip: InteractiveShell, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for s in spellings:

        def broken(ctx: Any, rest: str, cell: str | None, dsn: str = s.dsn) -> None:
            raise RuntimeError(f"a bug while using {dsn}")

        monkeypatch.setitem(COMMANDS, "boom", Command("boom", "", "", broken))
        err = magic_error(ip, "boom")
        ip.run_line_magic("pgai", "debug")
        out = capsys.readouterr()
        assert "internal error" in err.headline() and "Traceback" in out.out
        _clean(out.out + out.err + str(err) + "".join(err._render_traceback_()), s)


def test_the_worker_refuses_a_password_on_the_command_line_and_shows_no_password(
    spellings: list[Spelling], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    for s in spellings:
        code = cli.main(["worker", "--dsn", s.failing, "--once"])
        out = capsys.readouterr()
        assert code == 2 and "pgai worker: --dsn holds a password" in out.err, (s.dsn, out.err)
        assert "nothing was run" in out.err and "PGAI_DSN" in out.err and "--dsn-file" in out.err
        _clean(out.out + out.err, s)
        dsn_file = tmp_path / "dsn"
        dsn_file.write_text(s.failing + "\n")
        code = cli.main(["worker", "--dsn-file", str(dsn_file), "--once"])
        out = capsys.readouterr()
        assert code != 0 and "process list" not in out.err
        _clean(out.out + out.err, s)


def test_the_worker_reads_its_dsn_from_the_environment(
    pg_dsn: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PGAI_DSN", pg_dsn)
    assert cli.main(["worker", "--once", "--quiet"]) == 0
    assert "process list" not in capsys.readouterr().err
    monkeypatch.delenv("PGAI_DSN")
    assert cli.main(["worker", "--once"]) == 2
    assert "--dsn-file" in capsys.readouterr().err


def test_log_lines_show_no_password(spellings: list[Spelling], caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("pgai_magic")
    with caplog.at_level(logging.INFO, logger="pgai_magic"):
        for s in spellings:
            logger.warning("could not reach %s", s.dsn)
    assert len(caplog.records) == len(spellings)
    for s, record in zip(spellings, caplog.records):
        _clean(record.getMessage(), s)


@pytest.mark.parametrize(
    "dsn",
    [
        "host=/nonexistent user=u passwd='my secret pw' dbname=postgres",  # a misspelt password keyword
        "host=/nonexistent pw=s3cr3t-w0rd dbname=postgres",
        "host=/nonexistent s3cr3t-w0rd dbname=postgres",  # a stray word: libpq quotes it in its error
    ],
)
def test_a_malformed_connection_string_is_never_echoed(dsn: str) -> None:
    from pgai_magic.db import connect
    from pgai_magic.errors import ConnectionError as PgaiConnectionError

    with pytest.raises(PgaiConnectionError) as raised:
        connect(dsn)
    message = str(raised.value)
    assert "not valid" in message and "my secret pw" not in message and "s3cr3t-w0rd" not in message

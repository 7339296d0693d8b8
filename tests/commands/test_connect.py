"""Connecting as notebook users do: a libpq key=value string typed as is (a quoted password with spaces), a DSN
from a notebook variable ({dsn}, {{dsn}}, $dsn, :dsn), a section of JupySQL's connections.ini; never a password."""

from __future__ import annotations

from pathlib import Path

import pytest
from IPython.core.interactiveshell import InteractiveShell
from psycopg.conninfo import conninfo_to_dict

from pgai_magic.commands.connect import split_connect
from pgai_magic.errors import ConfigError
from tests.pg_helpers import failed

SECRET = "my s3cret pass"


def _kv(pg_dsn: str) -> str:
    """The test server's DSN as libpq key=value, with a quoted password holding spaces (trust auth ignores it)."""
    parts = conninfo_to_dict(pg_dsn)
    keys = " ".join(f"{k}={v}" for k, v in parts.items() if k in ("host", "port", "user", "dbname") and v)
    return f"{keys} password='{SECRET}'"


def test_the_line_keeps_the_dsn_as_typed() -> None:
    dsn, opts = split_connect("host=h port=5 password='a b \\' c' dbname=d --alias x")
    assert dsn == "host=h port=5 password='a b \\' c' dbname=d" and opts["alias"] == "x"
    assert split_connect("'postgresql://u:p w@h/db' -a y") == ("postgresql://u:p w@h/db", {**opts, "alias": "y"})
    assert split_connect("--section prod")[1]["section"] == "prod"
    with pytest.raises(ConfigError, match="never closed") as err:
        split_connect("host=h password='open secret")
    assert "open secret" not in str(err.value)
    with pytest.raises(ConfigError, match="unknown option --aliass") as err:
        split_connect("host=h password=hidden --aliass x")
    assert "hidden" not in str(err.value)


def test_a_key_value_dsn_with_a_quoted_password(
    ip: InteractiveShell, pg_dsn: str, capsys: pytest.CaptureFixture[str]
) -> None:
    ip.run_cell(f"%pgai connect {_kv(pg_dsn)} --alias kv")
    status = ip.run_line_magic("pgai", "status")
    assert status["mode"] == "external" and ip.run_line_magic("pgai", "SELECT 1 AS ok")["ok"][0] == 1
    shown = capsys.readouterr()
    for text in (shown.out, shown.err, repr(status), ip.run_line_magic("pgai", "connections").to_string()):
        assert "s3cret" not in text
    broken = _kv(pg_dsn).replace("dbname=", "dbname=no_such_db_")  # connecting fails: the message shows no password
    err = failed(ip, f"%pgai connect {broken} --alias broken")
    assert "no_such_db_" in err
    assert "s3cret" not in err + capsys.readouterr().out


@pytest.mark.parametrize("spelling", ["{dsn}", "{{dsn}}", "$dsn", ":dsn"])
def test_a_dsn_from_a_variable(ip: InteractiveShell, pg_dsn: str, spelling: str) -> None:
    ip.user_ns["dsn"] = _kv(pg_dsn)
    ip.run_cell(f"%pgai connect {spelling} --alias from_var")
    assert ip.run_line_magic("pgai", "connections")["alias"].tolist()[-1] == "from_var"
    assert ip.run_line_magic("pgai", "SELECT 2 AS two")["two"][0] == 2
    assert "no variable 'nothing_here'" in failed(ip, "%pgai connect {nothing_here}")


def test_a_section_of_connections_ini(ip: InteractiveShell, pg_dsn: str, tmp_path: Path) -> None:
    parts = conninfo_to_dict(pg_dsn)
    ini = tmp_path / "connections.ini"
    ini.write_text(
        "[warehouse]\ndrivername = postgresql+psycopg2\n"
        f"username = {parts['user']}\npassword = {SECRET}\nhost = {parts.get('host', '')}\n"
        f"port = {parts.get('port', '')}\ndatabase = {parts['dbname']}\nquery = {{'options': '-c work_mem=7MB'}}\n"
        "\n[ducks]\ndrivername = duckdb\ndatabase = :memory:\n"
    )
    ip.run_line_magic("config", f"Pgai.dsn_filename = {str(ini)!r}")
    try:
        ip.run_cell("%pgai connect --section warehouse")
        assert ip.run_line_magic("pgai", "connections")["alias"].tolist()[-1] == "warehouse"
        assert ip.run_line_magic("pgai", "SHOW work_mem").iloc[0, 0] == "7MB"
        assert "its sections are 'warehouse', 'ducks'" in failed(ip, "%pgai connect --section nope")
        assert "PostgreSQL only" in failed(ip, "%pgai connect --section ducks")
        assert "leave out --alias" in failed(ip, "%pgai connect --section warehouse --alias w")
    finally:
        ip.run_line_magic("config", "Pgai.dsn_filename = '~/.jupysql/connections.ini'")

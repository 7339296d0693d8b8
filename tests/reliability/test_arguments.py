"""Every command's arguments, fuzzed deterministically (types, ranges, inf/NaN, empty, huge, quoting): one clear
PgaiError line each, never an internal error, and the session still runs the next cell."""

from __future__ import annotations

import pytest
from IPython.core.interactiveshell import InteractiveShell

from pgai_magic.commands import COMMANDS
from pgai_magic.errors import InternalError, PgaiError
from tests.pg_helpers import magic_error

HOSTILE = [
    "",
    "''",
    '""',
    "inf",
    "-inf",
    "nan",
    "NaN",
    "1e309",
    "-1",
    "0",
    "9" * 40,
    "'a; b'",
    "'t; DROP TABLE x; --'",
    '"unterminated',
    "é😀\u202e",
    "x" * 5000,
    "a.b.c.d",
    '\'"weird"."name"\'',
]
OPTIONS = {
    "similar": ["--k inf", "--k 0", "--k -3", "--k 1e9", "--where ''", "--where 'a; b'", "--where 'id = 1 FOR UPDATE'"],
    "insights": ["--budget inf", "--budget nan", "--budget 0", "--budget -1", "--top 0", "--top nan", "--query ''"],
    "embed": ["--batch-size 0", "--batch-size -1", "--batch-size inf", "--batch-size 1e12", "--model ''"],
    "model": [
        "deploy x --name m --data 'a string'",
        "deploy nope --name m",
        "train m --target y --from ''",
        "train m --target y --from 'SELECT 1; SELECT 2'",
        "monitor nope --actual ''",
        "rollback nope inf",
        "show ''",
        "drop ''",
    ],
    "ask": ["--timeout inf", "--timeout nan", "--dry-run ''"],
    "plot": ["histogram ''", "nope t.c", "bar t.c --by ''"],
    "profile": ["''", "'a; b'"],
    "explain": ["''", "--analyze ''", "'SELECT 1; DELETE FROM x'"],
}
# commands that act on the kernel's connections: fuzzed with aliases that do not exist
SKIP_VALUES = {"connect": ["", "''", '""']}


def _lines() -> list[str]:
    lines = []
    for name in sorted(COMMANDS):
        if name in ("help", "connections", "snippets", "status", "tables"):
            lines += [f"{name} {v}" for v in ("inf", "'a; b'", "--bogus")]
            continue
        lines += [f"{name} {v}" for v in HOSTILE if v not in SKIP_VALUES.get(name, [])]
        lines += [f"{name} {o}" for o in OPTIONS.get(name, [])]
        lines += [f"{name} {o} {v}" for o in OPTIONS.get(name, [])[:2] for v in ("inf", "''")]
    return lines


def test_there_is_a_case_for_every_command() -> None:
    covered = {line.split(" ", 1)[0] for line in _lines()}
    assert covered == set(COMMANDS)


@pytest.mark.slow
def test_no_argument_gives_an_internal_error(ip: InteractiveShell, capsys: pytest.CaptureFixture[str]) -> None:
    ip.run_cell_magic("pgai", "", "CREATE TABLE IF NOT EXISTS fuzz_t (id int PRIMARY KEY, c text, y float8)")
    capsys.readouterr()
    failures = []
    for line in _lines():
        try:
            ip.run_line_magic("pgai", line)
            shown = ""
        except InternalError as err:
            shown = err.headline()
        except PgaiError:
            shown = ""
        out = capsys.readouterr()
        if shown or "Traceback" in out.err + out.out:
            failures.append(f"%pgai {line[:80]}\n    {(shown or out.err).strip()[:300]}")
    ip.run_cell_magic("pgai", "--out fuzz_ok", "SELECT count(*) AS n FROM fuzz_t")
    assert ip.user_ns["fuzz_ok"]["n"][0] == 0
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("embed fuzz_t.c --batch-size 0", "--batch-size must be from 1"),
        ("embed fuzz_t.c --batch-size 1000000000", "--batch-size must be from 1"),
        ("insights fuzz_t --budget inf", "--budget must be a number of seconds"),
        ("insights fuzz_t --budget nan", "--budget must be a number of seconds"),
        ("insights 'a; b'", "is not a table name"),
        ("similar fuzz_t.c " + "x" * 30_000, "at most 20,000 characters"),
        ("load " + "x" * 5000, "cannot use"),
    ],
)
def test_out_of_range_values_are_one_clear_error(
    ip: InteractiveShell, capsys: pytest.CaptureFixture[str], line: str, message: str
) -> None:
    ip.run_cell_magic("pgai", "", "CREATE TABLE IF NOT EXISTS fuzz_t (id int PRIMARY KEY, c text, y float8)")
    capsys.readouterr()
    err = magic_error(ip, line).headline()
    assert message in err and "internal error" not in err, err[:500]

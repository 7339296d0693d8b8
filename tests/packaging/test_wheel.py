"""The built wheel carries every module, the SQL install scripts and the package data."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_wheel_contains_every_module_and_sql_script(tmp_path: Path) -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    wheel = next(tmp_path.glob("pgai_magic-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    modules = {p.relative_to(ROOT).as_posix() for p in (ROOT / "pgai_magic").rglob("*.py")}
    assert modules - names == set()
    # the compiled binary COPY reader of the SQL fast path
    assert any(n.startswith("pgai_magic/db/_copyfetch") and n.endswith((".so", ".pyd")) for n in names)
    scripts = {f"pgai_magic/sql/{p.name}" for p in (ROOT / "sql").glob("*.sql")}
    assert scripts and scripts - names == set()
    data = {
        p.relative_to(ROOT).as_posix()
        for p in (ROOT / "pgai_magic").rglob("*")
        if p.is_file() and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts
    }
    assert data - names == set()


def test_environment_yml_matches_extras() -> None:
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    env = (ROOT / "environment.yml").read_text()
    for extra in ("dev", "notebooks"):
        assert extra in project["optional-dependencies"]
    assert "torch==2.13.0" in env and '-e ".[' in env

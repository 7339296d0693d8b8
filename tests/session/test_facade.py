"""The session as a facade: capabilities built on narrow dependencies, an instance-level preprocessor pipeline,
typed `status` / `model show` results, and the layering rule (no lower module imports session.py)."""

from __future__ import annotations

import ast
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import pgai_magic
from pgai_magic.cell import SqlRunner
from pgai_magic.commands import COMMANDS, Context, Settings
from pgai_magic.display import Lines
from pgai_magic.errors import ConfigError
from pgai_magic.inference.registry import ModelVersion
from pgai_magic.session import Session
from pgai_magic.setup import Status
from pgai_magic.sqltext import Statement

PACKAGE = Path(pgai_magic.__file__).parent
ABOVE_THE_SESSION = {"pgai_magic", "pgai_magic.magic", "pgai_magic.commands", "pgai_magic.session"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_no_module_below_the_session_imports_it_even_for_types() -> None:
    importers = sorted(
        _module_name(path)
        for path in PACKAGE.rglob("*.py")
        if "pgai_magic.session" in _imports(path) and _module_name(path) not in ABOVE_THE_SESSION
    )
    # the command handlers sit above the session too (they may import it); nothing else does
    assert [m for m in importers if not m.startswith("pgai_magic.commands.")] == []


def test_capabilities_share_the_sessions_database(session: Session) -> None:
    assert session.vectors.db is session.db and session.models.db is session.db
    assert session.questions.db is session.db
    assert session.vectors.state is session.state and session.state.db is session.db
    assert isinstance(session.models(), pd.DataFrame)  # `models()` still lists the deployed models


def test_preprocessors_belong_to_one_runner(session: Session) -> None:
    seen: list[str] = []

    def shout(stmt: Statement, namespace: Mapping[str, Any]) -> Statement:
        seen.append(stmt.text)
        return Statement(stmt.text.replace("'quiet'", "'LOUD'"))

    runner = SqlRunner(session.db, [shout])
    assert runner.sql("SELECT 'quiet' AS word")["word"][0] == "LOUD"
    assert seen == ["SELECT 'quiet' AS word"]
    assert session.sql("SELECT 'quiet' AS word")["word"][0] == "quiet"  # the session's own runner is untouched
    assert seen == ["SELECT 'quiet' AS word"]
    assert not hasattr(Session, "preprocessors")


def test_status_is_a_typed_record_that_renders_as_before(session: Session) -> None:
    status = session.status()
    assert isinstance(status, Status)
    assert status.server == status["server"] and status["server"].startswith("PostgreSQL ")
    assert status.mode == status["mode"] and status["in transaction"] is False
    lines = status.lines()
    assert list(status) == list(lines) and len(status) == len(lines)
    assert list(lines)[:4] == ["server", "pgvector", "pg_trgm", "mode"]
    assert "embedder" in lines and "LLM backend" in lines and "question memory" in lines  # capability lines
    html = status._repr_html_()
    assert html.startswith("<table class='pgai-status'>") and html.count("<tr>") == len(lines)
    text = repr(status).splitlines()
    assert len(text) == len(lines) and text[0].startswith("server") and "PostgreSQL" in text[0]


def test_status_merges_the_warnings_of_set_up_and_capabilities(session: Session) -> None:
    from dataclasses import replace

    from pgai_magic.setup import server_status

    state = replace(session.state, warnings=["from set-up"])
    status = server_status(state, [{"a line": 1, "warnings": ["from a capability"]}, {"another": 2}])
    assert status["warnings"] == ["from set-up", "from a capability"]
    assert status["a line"] == 1 and status["another"] == 2
    assert status.capabilities == {"a line": 1, "another": 2}


def test_model_show_returns_a_typed_record_and_shows_it(session: Session, schema: str) -> None:
    from sklearn.linear_model import LinearRegression

    name = f"facade_{schema}"
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "y": [2.0, 4.0, 6.0, 8.0]})
    session.deploy(LinearRegression().fit(frame[["x"]], frame["y"]), name)
    try:
        info = session.models.info(name)
        assert isinstance(info, ModelVersion) and info.name == name and info.version == 1 and info.active
        details = info.details()
        assert details["name"] == name and details["active"] is True and "history" not in list(details)
        assert info.history is not None and list(info.history.index) == [1]
        shown: list[Any] = []
        ctx = Context(get_session=lambda *a: session, set_session=lambda s: None, namespace={}, settings=Settings(),
                      show=shown.append, say=lambda m: None)  # fmt: skip
        table = COMMANDS["model"].run(ctx, f"show {name}", None)
        assert shown == [details] and isinstance(shown[0], Lines)
        assert list(details) == [
            "name", "version", "active", "algorithm", "pipeline", "task", "features", "target", "classes", "metrics",
            "sql", "functions", "sklearn_version", "created_at", "drift_snapshot",
        ]  # fmt: skip
        assert shown[0]._repr_html_().count("<tr>") == len(details) == 15
        assert repr(shown[0]).splitlines()[0] == f"name             {name}"
        assert list(table.index) == [1]
    finally:
        session.models.drop(name)


def test_one_out_helper_checks_the_name_before_storing() -> None:
    ctx = Context(get_session=lambda *a: None, set_session=lambda s: None, namespace={}, settings=Settings())  # type: ignore[arg-type,return-value]
    assert ctx.store("df", 42) == 42 and ctx.namespace == {"df": 42}
    assert ctx.store(None, 7) == 7 and ctx.namespace == {"df": 42}
    with pytest.raises(ConfigError, match="--out needs a python variable name, not 'no good'"):
        ctx.store("no good", 1)

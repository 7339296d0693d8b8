"""The folder tree is the architecture: few modules at the package root, and imports that go down the layers only.

Every import counts, read with `ast`: at module level, inside functions, under `if TYPE_CHECKING:` (a lower layer
does not even name a higher one's types). A package may import itself and the layers below it; packages that share
a layer do not import each other (they are independent). The layers, top to bottom, are drawn in
docs/architecture.md.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "pgai_magic"

# the modules that may sit flat at the package root (at most 8); everything else lives in a layer's folder
ROOT_MODULES = frozenset({"__init__", "__main__", "magic", "connections", "session", "errors", "display"})
MAX_ROOT_MODULES = 8

# top to bottom; each entry one layer: the units in it (a unit is a root module or a package folder)
EDGE = frozenset({"__init__", "__main__", "magic", "connections"})  # the IPython edge and the command line
LAYERS: tuple[tuple[str, frozenset[str]], ...] = (
    ("edge", frozenset({"edge"})),
    ("commands", frozenset({"commands"})),
    ("session", frozenset({"session"})),
    ("capabilities", frozenset({"vectors", "nl2sql", "inference", "insights", "workflow", "datasets", "features"})),
    ("capability seams", frozenset({"cell", "embed"})),
    ("setup", frozenset({"setup"})),
    ("catalog", frozenset({"catalog"})),
    ("database", frozenset({"db"})),
    ("sql text and server", frozenset({"sqltext", "server"})),
    ("leaves", frozenset({"errors", "display"})),
)


def _modules(package: Path) -> dict[str, Path]:
    """Dotted module name (`pgai_magic.db._fetch`, `pgai_magic.db` for its __init__) → file."""
    found = {}
    for path in package.rglob("*.py"):
        parts = path.relative_to(package.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _unit(module: str) -> str:
    """The layer unit of a module: its top folder, or the root module itself ("edge" for the edge's modules)."""
    parts = module.split(".")
    if len(parts) == 1:
        return "edge"  # the package's own __init__
    head = parts[1]
    return "edge" if head in EDGE else head


def _imports(name: str, path: Path, known: set[str]) -> list[tuple[int, str]]:
    """(line, imported module) for every import of the package in one file, wherever it stands."""
    top = name.split(".")[0]
    is_package = path.name == "__init__.py"
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.split(".")[0] == top]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            if module.split(".")[0] != top:
                continue
            for alias in node.names:  # `from pgai_magic import catalog` imports the submodule, not the root
                sub = f"{module}.{alias.name}"
                found.append((node.lineno, sub if sub in known else module))
    return found


def layer_violations(package: Path) -> list[str]:
    """Every import that goes up a layer or sideways to another package of the same layer, as readable lines."""
    modules = _modules(package)
    known = set(modules)
    rank = {unit: i for i, (_, units) in enumerate(LAYERS) for unit in units}
    layer_name = {unit: label for label, units in LAYERS for unit in units}
    problems = []
    for name, path in sorted(modules.items()):
        unit = _unit(name)
        if unit not in rank:
            problems.append(f"{name}: {unit!r} is in no layer (add it to LAYERS and docs/architecture.md)")
            continue
        for line, target in _imports(name, path, known):
            other = _unit(target)
            if other == unit or other not in rank:
                continue
            where = f"{path.relative_to(package.parent)}:{line}"
            if rank[other] < rank[unit]:
                higher = f"{target} ({layer_name[other]}), a higher layer"
                problems.append(f"{where}: {unit} ({layer_name[unit]}) imports {higher}")
            elif rank[other] == rank[unit]:
                problems.append(f"{where}: {unit} imports {target}: both in {layer_name[unit]}, which are independent")
    return problems


def root_violations(package: Path, allowed: frozenset[str] = ROOT_MODULES) -> list[str]:
    """Modules at the package root beyond the allowed list (or more of them than MAX_ROOT_MODULES)."""
    flat = sorted(p.stem for p in package.glob("*.py"))
    problems = [f"{name}.py sits at the package root: put it in the folder of its layer" for name in flat]
    problems = [p for p, name in zip(problems, flat) if name not in allowed]
    if len(flat) > MAX_ROOT_MODULES:
        problems.append(f"{len(flat)} modules at the package root, at most {MAX_ROOT_MODULES}")
    return problems


def test_the_root_holds_only_the_edge_the_session_and_the_leaves() -> None:
    assert root_violations(PACKAGE) == []
    assert len(ROOT_MODULES) <= MAX_ROOT_MODULES


def test_imports_go_down_the_layers_only() -> None:
    assert layer_violations(PACKAGE) == []


def test_every_package_folder_has_a_layer() -> None:
    units = {unit for _, layer in LAYERS for unit in layer}
    folders = {p.parent.name for p in PACKAGE.glob("*/__init__.py")}
    assert folders - units == set()


def _write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / "pgai_magic" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root / "pgai_magic"


def test_an_upward_import_is_caught_wherever_it_stands(tmp_path: Path) -> None:
    package = _write(
        tmp_path,
        {
            "__init__.py": "",
            "session.py": "from pgai_magic.db import Database\n",
            "magic.py": "from pgai_magic.session import Session\n",
            "db/__init__.py": "",
            "db/_database.py": "def f():\n    from pgai_magic.session import Session\n",
            "db/_types.py": (
                "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pgai_magic import magic\n"
                "from .. import session\n"
            ),
            "sqltext/__init__.py": "from pgai_magic.server import redact_dsn\n",
            "server/__init__.py": "",
        },
    )
    found = layer_violations(package)
    assert any("db/_database.py:2" in p and "pgai_magic.session" in p for p in found)  # inside a function
    assert any("db/_types.py:3" in p and "pgai_magic.magic" in p for p in found)  # under TYPE_CHECKING
    assert any("db/_types.py:4" in p and "pgai_magic.session" in p for p in found)  # relative
    assert any("sqltext/__init__.py:1" in p and "independent" in p for p in found)  # sideways
    assert not any("session.py" in p.split(":")[0] or "magic.py" in p.split(":")[0] for p in found)  # downward


def test_a_module_added_at_the_root_or_a_folder_without_a_layer_is_caught(tmp_path: Path) -> None:
    package = _write(tmp_path, {"__init__.py": "", "helpers.py": "", "misc/__init__.py": ""})
    assert root_violations(package) == ["helpers.py sits at the package root: put it in the folder of its layer"]
    assert any("'misc' is in no layer" in p for p in layer_violations(package))
    crowded = _write(tmp_path / "crowded", {f"m{i}.py": "" for i in range(9)})
    assert any("at most 8" in p for p in root_violations(crowded, frozenset(f"m{i}" for i in range(9))))

"""Public text for the retrieval benchmark, read from the Python installation itself (nothing is downloaded).

Two corpora, both from CPython (PSF licence), so they install offline with any Python:
- `reference`: the sections of the Python Language Reference that `help()` shows (`pydoc_data.topics`):
  79 long texts (median ~1,700 characters, the longest ~60,000), keyed by topic name;
- `docstrings`: the first paragraph of the docstring of each public function, class and method of a fixed list
  of standard-library modules and builtin types, keyed by qualified name (short texts, a few thousand rows).
The texts depend on the Python version; bench_retrieval.py records it.
"""

from __future__ import annotations

import importlib
import inspect
import re

__all__ = ["MODULES", "docstrings", "reference"]

MODULES = (
    "builtins", "os", "os.path", "shutil", "json", "re", "math", "random", "itertools", "functools",
    "collections", "datetime", "time", "subprocess", "pathlib", "statistics", "glob", "csv", "zipfile",
    "tarfile", "gzip", "hashlib", "base64", "urllib.parse", "textwrap", "difflib", "heapq", "bisect", "copy",
    "pickle", "tempfile", "uuid", "secrets", "fnmatch", "sys", "string", "operator", "threading", "socket",
    "sqlite3", "logging", "argparse", "calendar", "decimal", "fractions", "unicodedata", "shlex", "html",
    "urllib.request", "email.utils", "platform", "getpass", "locale", "struct", "zlib", "io", "signal",
)  # fmt: skip


_SIGNATURE = re.compile(r"^[\w.]+\(.*\)\s*(-+>.*)?$")


def reference() -> dict[str, str]:
    """{topic: text} of the Python Language Reference sections in pydoc_data."""
    from pydoc_data.topics import topics

    return {name: text.strip() for name, text in sorted(topics.items())}


def _first_paragraph(doc: str) -> str:
    lines = inspect.cleandoc(doc).splitlines()
    while lines and _SIGNATURE.match(lines[0].strip()):
        lines.pop(0)  # a signature line such as "copy(src, dst)" or "chain(*iterables) --> chain object"
    while lines and not lines[0].strip():
        lines.pop(0)
    paragraph: list[str] = []
    for line in lines:
        if not line.strip():
            break
        paragraph.append(line.strip())
    return " ".join(paragraph)


def docstrings() -> dict[str, str]:
    """{qualified name: first paragraph of its docstring} for the public callables of MODULES (>= 12 chars)."""
    out: dict[str, str] = {}
    for module_name in MODULES:
        module = importlib.import_module(module_name)
        for name, obj in sorted(vars(module).items()):
            if name.startswith("_") or not callable(obj):
                continue
            owner = getattr(obj, "__module__", None)
            if owner != module_name and owner in MODULES:
                continue  # re-exported from another listed module: keyed there
            qual = f"{module_name}.{name}" if module_name != "builtins" else name
            _add(out, qual, obj)
            if inspect.isclass(obj):
                for attr, member in sorted(vars(obj).items()):
                    if not attr.startswith("_") and callable(member):
                        _add(out, f"{qual}.{attr}", member)
    return out


def _add(out: dict[str, str], qual: str, obj: object) -> None:
    doc = inspect.getdoc(obj) if not isinstance(obj, (staticmethod, classmethod)) else inspect.getdoc(obj.__func__)
    if not doc:
        return
    text = _first_paragraph(doc)
    if len(text) >= 12 and qual not in out:
        out[qual] = text

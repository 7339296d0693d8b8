"""pgai_magic: a Jupyter-first analytics and natural-language query kernel for PostgreSQL."""

from __future__ import annotations

from typing import Any

from pgai_magic.errors import PgaiError
from pgai_magic.session import CellResult, Session, connect

__all__ = ["CellResult", "PgaiError", "Session", "__version__", "connect", "load_ipython_extension"]
__version__ = "0.1.0"


def load_ipython_extension(ipython: Any) -> None:
    """`%load_ext pgai_magic`: register the %pgai / %%pgai magics and open the session."""
    from pgai_magic.magic import load

    load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    from pgai_magic.magic import unload

    unload(ipython)

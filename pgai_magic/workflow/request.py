"""Where `persist` and `load` write: the one definition of their options."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

from pgai_magic.errors import ConfigError

__all__ = ["MODES", "LoadRequest", "Mode", "PersistRequest"]

Mode = Literal["create", "append", "replace"]
MODES: tuple[str, ...] = get_args(Mode)


def _check_mode(mode: str) -> None:
    if mode not in MODES:
        raise ConfigError(f"unknown mode {mode!r}: use create, append or replace")


@dataclass(frozen=True)
class PersistRequest:
    """Rows written to a table with binary COPY, as `%pgai persist`, `Session.persist` and `persist_frame` take it.

    - `table`: the table (`schema.table` too); `schema`: its schema (None: the first on the search_path);
    - `mode`: create (an error if it exists), append or replace (drop it first and create it anew);
    - `index`: also write the pandas index as columns.

    Raises ConfigError for an unknown mode.
    """

    table: str
    schema: str | None = None
    mode: Mode = "create"
    index: bool = False

    def __post_init__(self) -> None:
        _check_mode(self.mode)


@dataclass(frozen=True)
class LoadRequest:
    """A CSV / Parquet file loaded into a table, as `%pgai load`, `Session.load` and `load_file` take it.

    - `path`: a .csv/.tsv/.txt (also .gz) or .parquet file (`~` expanded);
    - `table`, `schema`, `mode`: as PersistRequest's (None table: named after the file);
    - `delimiter`: the CSV delimiter (None: sniffed from the file); `header`: the CSV has a header row;
      `encoding`: the CSV's text encoding; `null`: the text read as NULL (COPY's NULL option; by default only an
      unquoted empty field is NULL, and words such as NA or NULL are text).

    Raises ConfigError for an unknown mode.
    """

    path: Path
    table: str | None = None
    schema: str | None = None
    mode: Mode = "create"
    delimiter: str | None = None
    header: bool = True
    encoding: str = "utf-8"
    null: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", Path(self.path).expanduser())
        if "\n" in self.null or "\r" in self.null or "\\" in self.null:
            raise ConfigError(f"--null cannot hold a line break or a backslash (COPY's rule), not {self.null!r}")
        _check_mode(self.mode)

"""The catalog's parts: a table's columns (kind, comment, key role, sample and distinct values) and foreign keys."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = ["Column", "ForeignKey", "Table", "words"]

_WORD = re.compile(r"[a-z]+|[0-9]+")


def words(name: str) -> list[str]:
    """The lowercase words of an identifier or a comment: `signupDate_2` -> ['signup', 'date', '2']."""
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", name)
    return _WORD.findall(spaced.lower())


@dataclass(frozen=True)
class ForeignKey:
    """`table(columns)` references `ref_table(ref_columns)`; tables as 'schema.name' keys."""

    table: str
    columns: tuple[str, ...]
    ref_table: str
    ref_columns: tuple[str, ...]
    inferred: bool = False  # not declared: inferred from names and checked against the data (infer_foreign_keys)


@dataclass(eq=False)
class Column:
    """One column with what linking and prompts need: kind, comment, key role, distinct values."""

    table: str
    name: str
    type: str
    kind: str
    nullable: bool = True
    comment: str | None = None
    position: int = 0
    n_distinct: float | None = None
    values: list[str] | None = None
    categorical: bool = False
    samples: list[str] = field(default_factory=list)
    primary_key: bool = False
    foreign_key: ForeignKey | None = None

    @property
    def is_key(self) -> bool:
        return self.primary_key or (self.foreign_key is not None and not self.foreign_key.inferred)

    @property
    def is_temporal(self) -> bool:
        return self.kind in ("date", "timestamp")

    @property
    def is_numeric(self) -> bool:
        return self.kind == "number"


@dataclass
class Table:
    """A table or view of the catalog, with its columns and keys."""

    schema: str
    name: str
    kind: str
    comment: str | None
    columns: list[Column]
    primary_key: tuple[str, ...] = ()
    foreign_keys: list[ForeignKey] = field(default_factory=list)
    rows: int = -1
    # what the table's sampled values and inferred keys depend on (oid, storage, rows written, row estimate):
    # an unchanged state lets a reload reuse them
    state: tuple[int, ...] = ()
    visible: bool = True  # a bare name finds this table (its schema is on the search path, none earlier shadows it)

    @property
    def key(self) -> str:
        return f"{self.schema}.{self.name}"

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)

    @property
    def label(self) -> Column | None:
        """The column that names a row: 'name', '*_name', 'title', 'label' (None when there is none)."""
        texts = [c for c in self.columns if c.kind == "text" and not c.is_key]
        for pick in (
            lambda c: c.name.lower() == "name",
            lambda c: c.name.lower().endswith("_name") or c.name.lower() in ("fullname", "full name"),
            lambda c: c.name.lower() in ("title", "label") or c.name.lower().endswith("_title"),
        ):
            found = next((c for c in texts if pick(c)), None)
            if found is not None:
                return found
        return None

"""A relation's indexes as column lists: what the point-in-time join checks before it advises an index."""

from __future__ import annotations

from dataclasses import dataclass

from pgai_magic.catalog._relation import Read

__all__ = ["IndexColumns", "index_columns"]


@dataclass(frozen=True)
class IndexColumns:
    """One valid, non-partial index: its name, key columns in order and INCLUDE columns (an expression key is None)."""

    name: str
    keys: tuple[str | None, ...]
    include: tuple[str, ...]

    def leads_with(self, *columns: str) -> bool:
        """Whether the index's first key columns are `columns`, in that order."""
        return self.keys[: len(columns)] == columns

    def covers(self, columns: set[str]) -> bool:
        """Whether every column of `columns` is a key or INCLUDE column (an index-only scan can read them)."""
        return columns <= {c for c in self.keys if c is not None} | set(self.include)


_INDEXES = """
SELECT i.indexrelid::regclass::text,
       ARRAY(SELECT a.attname FROM unnest(i.indkey[0:i.indnkeyatts - 1]) WITH ORDINALITY AS k(attnum, n)
             LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum ORDER BY k.n),
       ARRAY(SELECT a.attname FROM unnest(i.indkey[i.indnkeyatts:]) WITH ORDINALITY AS k(attnum, n)
             JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum ORDER BY k.n)
FROM pg_index i
WHERE i.indrelid = %s AND i.indisvalid AND i.indpred IS NULL
ORDER BY 1
"""


def index_columns(read: Read, oid: int) -> list[IndexColumns]:
    """The valid, non-partial indexes of the relation with pg_class oid `oid` (pg_index, pg_attribute)."""
    return [IndexColumns(str(name), tuple(keys), tuple(include)) for name, keys, include in read(_INDEXES, (oid,))]

"""What an embed run embeds and how: the one definition of `embed`'s options."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pgai_magic.errors import ConfigError

if TYPE_CHECKING:
    from pgai_magic.embed.base import Embedder

__all__ = ["MAX_BATCH_SIZE", "EmbedRequest"]

MAX_BATCH_SIZE = 100_000  # rows claimed and written per transaction; more is a typo


@dataclass(frozen=True)
class EmbedRequest:
    """One embed run, as `%pgai embed`, `Session.embed` and `Embeddings.embed` take it.

    - `table_column`: TABLE.COLUMN, or TABLE with a `template` ("{title}: {description}") or `columns` (several
      columns, one per line: comma-separated text or a sequence, stored as a tuple) embedded under `name`;
    - `model`: an `Embedder`, a local model folder or a model in the Hugging Face cache (None: the session's);
    - `batch_size`: rows claimed and written per transaction, 1 to 100000 (None: the session's, 256 at first);
    - `chunk_tokens`, `chunk_overlap`: tokens per chunk (whole sentences) and shared by neighbouring chunks
      (None: as embedded before, else chunking.DEFAULT_CHUNK_TOKENS, at most the model's window, and
      min(32, a quarter)); `language`: the full-text configuration of hybrid search
      (None: as before, else english);
    - `progress`: show a progress bar.

    Raises ConfigError naming the bad option (the rest are checked against the table and the model when it runs).
    """

    table_column: str
    model: Embedder | str | None = None
    batch_size: int | None = None
    template: str | None = None
    columns: str | Sequence[str] | None = None
    name: str | None = None
    chunk_tokens: int | None = None
    chunk_overlap: int | None = None
    language: str | None = None
    progress: bool = True

    def __post_init__(self) -> None:
        if isinstance(self.columns, str):
            object.__setattr__(self, "columns", tuple(self.columns.split(",")))
        elif self.columns is not None:
            object.__setattr__(self, "columns", tuple(self.columns))
        if self.batch_size is not None and not 1 <= self.batch_size <= MAX_BATCH_SIZE:
            raise ConfigError(f"--batch-size must be from 1 to {MAX_BATCH_SIZE} rows, not {self.batch_size}")

    @property
    def column_names(self) -> tuple[str, ...] | None:
        """The `columns` as a tuple of names (None when not given)."""
        return None if self.columns is None else tuple(self.columns)

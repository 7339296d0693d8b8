"""Chunking: texts longer than the model's window split, with the model's own tokenizer, into overlapping windows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pgai_magic.embed.base import Embedder
from pgai_magic.errors import ConfigError

__all__ = ["Chunk", "ChunkSizes", "chunk_sizes", "chunk_texts", "split"]

DEFAULT_OVERLAP = 32  # tokens shared by consecutive chunks (at most a quarter of the chunk)


@dataclass(frozen=True)
class Chunk:
    """One window of a text: its ordinal, its character range, and its text (`whole`: the text was not split)."""

    number: int
    start: int
    end: int
    text: str
    whole: bool


@dataclass(frozen=True)
class ChunkSizes:
    """Tokens per chunk and tokens shared by neighbours; `size` None: the embedder cannot count tokens."""

    size: int | None
    overlap: int


def chunk_sizes(embedder: Embedder, size: int | None = None, overlap: int | None = None) -> ChunkSizes:
    """The chunk sizes for `embedder`: `size` defaults to its window, `overlap` to min(32, size // 4).

    Raises ConfigError for a size over the window (the model would cut the chunk: silent truncation),
    below 8 tokens, or an overlap not smaller than half the size.
    """
    window = getattr(embedder, "max_tokens", None)
    if window is None or not hasattr(embedder, "token_spans"):
        if size is not None or overlap is not None:
            raise ConfigError(f"embedder {embedder.name!r} cannot count tokens, so it cannot split long texts")
        return ChunkSizes(None, 0)
    chosen = window if size is None else size
    if not 8 <= chosen <= window:
        raise ConfigError(
            f"--chunk-tokens {chosen} must be between 8 and {window}, the window of {embedder.name!r} "
            "(a longer chunk would be cut by the model)"
        )
    shared = min(DEFAULT_OVERLAP, chosen // 4) if overlap is None else overlap
    if not 0 <= shared < chosen / 2:
        raise ConfigError(f"--chunk-overlap {shared} must be at least 0 and less than half of {chosen} tokens")
    return ChunkSizes(chosen, shared)


def split(text: str, spans: Sequence[tuple[int, int]], size: int, overlap: int) -> list[Chunk]:
    """Windows of `size` tokens (character spans `spans` of `text`), `overlap` tokens shared by neighbours."""
    if len(spans) <= size:
        return [Chunk(0, 0, len(text), text, True)]
    step = size - overlap
    chunks: list[Chunk] = []
    for first in range(0, len(spans), step):
        last = min(first + size, len(spans)) - 1
        start, end = spans[first][0], spans[last][1]
        chunks.append(Chunk(len(chunks), start, end, text[start:end], False))
        if last == len(spans) - 1:
            break
    return chunks


def _surely_short(text: str, size: int) -> bool:
    """True when `text` cannot exceed `size` tokens: a token covers at least one byte, plus a word marker."""
    return len(text.encode("utf-8")) + len(text.split()) <= size


def chunk_texts(embedder: Embedder, texts: Sequence[str], sizes: ChunkSizes) -> list[list[Chunk]]:
    """The chunks of each text (one whole chunk for texts within `sizes.size` tokens)."""
    out = [[Chunk(0, 0, len(t), t, True)] for t in texts]
    if sizes.size is None:
        return out
    size = sizes.size
    longer = [i for i, t in enumerate(texts) if not _surely_short(t, size)]
    if longer:
        spans = embedder.token_spans([texts[i] for i in longer])  # type: ignore[attr-defined]
        for i, text_spans in zip(longer, spans):
            out[i] = split(texts[i], text_spans, size, sizes.overlap)
    return out

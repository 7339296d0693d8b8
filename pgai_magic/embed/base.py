"""The embedder seam: an embedding model is one `embed_batch` method, plus its name, dimension and device."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np

__all__ = ["Embedder", "FakeEmbedder"]


@runtime_checkable
class Embedder(Protocol):
    """Anything that turns texts into L2-normalised float32 vectors of a fixed dimension.

    An embedder that can count tokens also has `max_tokens` (the tokens of text it reads; more are cut)
    and `token_spans(texts)` (each token's character span); long texts are then split into chunks. One that
    knows its training languages has `languages` (ISO 639-1 codes, or "multilingual"); `embed` then warns
    when most texts of a column are in other languages.
    """

    name: str
    dim: int
    device: str

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        """Embeddings of `texts` as a (len(texts), dim) float32 array, rows L2-normalised."""
        ...


class FakeEmbedder:
    """A deterministic bag-of-words hashing embedder for pure-logic unit tests (no model, no torch)."""

    def __init__(self, dim: int = 64, name: str = "fake-hash", max_tokens: int | None = None) -> None:
        self.dim = dim
        self.name = name
        self.device = "cpu"
        self.max_tokens = max_tokens  # set: words are its tokens, and longer texts are chunked

    def token_spans(self, texts: Sequence[str]) -> list[list[tuple[int, int]]]:
        """Each whitespace-separated word's character span."""
        return [[m.span() for m in re.finditer(r"\S+", str(text))] for text in texts]

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in str(text).lower().split():
                h = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "little")
                out[i, h % self.dim] += 1.0 if (h >> 32) & 1 else -1.0
            norm = float(np.linalg.norm(out[i]))
            if norm > 0:
                out[i] /= norm
        return out

"""The embedder questions use: the embedding capability's (`session.vectors.embedder`), else the default MiniLM on
the CPU from the one model loader (`embed.sentence.load_embedder`). The capability is passed in (anything with
`embedder` and `loading`), never the session."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

from pgai_magic.embed.base import Embedder

__all__ = ["EmbedderSource", "LazyEmbedder", "embedder_for"]


class EmbedderSource(Protocol):
    """Where the embedder comes from (vectors.service.Embeddings): the model, loaded on first use, and whether
    it is still loading in the background."""

    @property
    def embedder(self) -> Embedder: ...

    @property
    def loading(self) -> bool: ...


def embedder_for(source: EmbedderSource | None) -> Any:
    """`source.embedder` when a source is given, else the default MiniLM on the CPU (loaded once per process)."""
    if source is not None:
        return source.embedder
    from pgai_magic.embed.sentence import load_embedder

    return load_embedder(None, "cpu")


class LazyEmbedder:
    """Resolves `source`'s embedder (None: the MiniLM fallback) on first use, so questions that need none load
    no model."""

    def __init__(self, source: EmbedderSource | None = None) -> None:
        self._source = source
        self._embedder: Any = None

    @property
    def ready(self) -> bool:
        """False while the session's model still loads in the background: asking then does not wait for it
        (question memory and embedding links are skipped for that question, and the answer says so)."""
        if self._embedder is not None:
            return True
        return self._source is None or not self._source.loading

    @property
    def resolved(self) -> Any:
        if self._embedder is None:
            self._embedder = embedder_for(self._source)
        return self._embedder

    @property
    def name(self) -> str:
        return str(self.resolved.name)

    @property
    def dim(self) -> int:
        return int(self.resolved.dim)

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        """Question-sized batches run on one CPU thread: a few short texts gain nothing from more, and
        on a busy machine torch's thread pool makes a 10 ms encode take hundreds of milliseconds."""
        torch = sys.modules.get("torch")
        if torch is None or len(texts) > 16:
            return np.asarray(self.resolved.embed_batch(texts), dtype=np.float32)
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            return np.asarray(self.resolved.embed_batch(texts), dtype=np.float32)
        finally:
            torch.set_num_threads(threads)

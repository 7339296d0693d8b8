"""Embedding models: the `Embedder` seam, a fake for tests and the sentence-transformers backend."""

from __future__ import annotations

from pgai_magic.embed.base import Embedder, FakeEmbedder

__all__ = ["DEFAULT_MODEL", "Embedder", "FakeEmbedder", "load_embedder", "pick_device"]

from pgai_magic.embed.sentence import DEFAULT_MODEL, load_embedder, pick_device

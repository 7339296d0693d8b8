"""Embedding models: the `Embedder` seam, a fake for tests and the sentence-transformers backend.

The one loader of a sentence-transformers model (the MiniLM default ships as a package). A capability seam the
others build on: may import only the leaves; never a database, the session or another capability.
"""

from __future__ import annotations

from pgai_magic.embed.base import Embedder, FakeEmbedder

__all__ = ["DEFAULT_MODEL", "Embedder", "FakeEmbedder", "load_embedder", "pick_device"]

from pgai_magic.embed.sentence import DEFAULT_MODEL, load_embedder, pick_device

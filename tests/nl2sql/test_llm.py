"""LLM generation: a tiny causal LM the test builds itself, and a local chat-completions server; repairs bounded."""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import psycopg
import pytest

from pgai_magic.errors import ConfigError, TranslationError
from pgai_magic.nl2sql.generator import extract_sql
from pgai_magic.nl2sql.llm import Message, OpenAIChatBackend, TransformersBackend, backend_from_env
from pgai_magic.session import Session

SHOP_SEED = 5  # the sales data of the `shop` fixture (tests/conftest.py)
SHOP_SCALE = 0.2


def build_tiny_gpt2(folder: Path, words: list[str]) -> Path:
    """A 1-layer GPT-2 whose weights make greedy decoding say `words` after any prompt (a bigram chain).

    Token embeddings are one-hot, attention and MLP outputs are zero, and the LM head maps each word of the
    chain to the next one: the plumbing (tokenizer, generate, decode) is the real transformers code.
    """
    import torch
    from tokenizers import Tokenizer
    from tokenizers.models import WordLevel
    from tokenizers.pre_tokenizers import WhitespaceSplit
    from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

    vocab = {"<eos>": 0, "<unk>": 1}
    for w in words:
        vocab.setdefault(w, len(vocab))
    size = len(vocab)
    tok = Tokenizer(WordLevel(vocab, unk_token="<unk>"))
    tok.pre_tokenizer = WhitespaceSplit()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<eos>", unk_token="<unk>", pad_token="<eos>")
    config = GPT2Config(
        vocab_size=size,
        n_positions=4096,
        n_embd=size,
        n_layer=1,
        n_head=1,
        tie_word_embeddings=False,
        bos_token_id=0,
        eos_token_id=0,
    )
    model = GPT2LMHeadModel(config)
    with torch.no_grad():
        for p in model.parameters():
            p.zero_()
        model.transformer.wte.weight.copy_(torch.eye(size))
        for norm in [model.transformer.ln_f] + [m for b in model.transformer.h for m in (b.ln_1, b.ln_2)]:
            norm.weight.fill_(1.0)
        head = torch.zeros(size, size)
        ids = [vocab[w] for w in words]
        head[ids[0], vocab["<unk>"]] = 10.0  # any prompt ends in a word it does not know
        for a, b in itertools.pairwise(ids):
            head[b, a] = 10.0
        head[0, ids[-1]] = 10.0
        model.lm_head.weight.copy_(head)
    model.generation_config.eos_token_id = 0
    model.generation_config.pad_token_id = 0
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


class SpyBackend(TransformersBackend):
    def __init__(self, path: str) -> None:
        super().__init__(path, max_new_tokens=16, device="cpu")
        self.seen: list[list[Message]] = []

    def complete(self, messages: Sequence[Message]) -> str:
        self.seen.append([dict(m) for m in messages])
        return super().complete(messages)


def test_local_transformers_model_end_to_end(session: Session, shop: str, tmp_path: Path) -> None:
    path = build_tiny_gpt2(tmp_path / "good", ["SELECT", "count(*)", "FROM", f"{shop}.orders"])
    backend = SpyBackend(str(path))
    session.questions.use_llm(backend)
    try:
        shown: list[Any] = []
        frame = session.ask("how many purchases happened?", schema=shop, generator="llm", on_answer=shown.append)
    finally:
        session.questions.use_llm("env")
    expected = session.sql(f"SELECT count(*) AS n FROM {shop}.orders")["n"][0]
    assert int(frame.iloc[0, 0]) == int(expected)
    assert frame.attrs["sql"] == f"SELECT count(*) FROM {shop}.orders" and frame.attrs["source"] == "LLM"
    assert shown[0].source == "llm" and shown[0].attempts == 1 and "transformers" in shown[0].caption()
    assert backend.calls == 1 and len(backend.seen) == 1
    system, user = backend.seen[0]
    assert f"CREATE TABLE {shop}.orders" in system["content"] and "'cancelled'" in system["content"]
    assert "REFERENCES" in system["content"] and "how many purchases happened?" in user["content"]


def test_repairs_are_bounded_when_the_model_keeps_writing(
    session: Session, conn: psycopg.Connection, shop: str, tmp_path: Path
) -> None:
    path = build_tiny_gpt2(tmp_path / "bad", ["DELETE", "FROM", f"{shop}.order_items"])
    backend = TransformersBackend(str(path), max_new_tokens=8, device="cpu")
    before = conn.execute(f"SELECT count(*) FROM {shop}.order_items").fetchone()
    session.questions.use_llm(backend)
    try:
        with pytest.raises(TranslationError, match=r"after 2 attempts.*DELETE"):
            session.ask("show the odd order lines", schema=shop, generator="llm")
    finally:
        session.questions.use_llm("env")
    assert backend.calls == 2  # the first try and one repair
    assert conn.execute(f"SELECT count(*) FROM {shop}.order_items").fetchone() == before


class ChatServer:
    """A chat-completions endpoint on 127.0.0.1: answers from a list, records requests and headers."""

    def __init__(self, replies: list[str]) -> None:
        self.replies = replies
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.requests.append({"path": self.path, **body})
                outer.headers.append(dict(self.headers))
                reply = outer.replies[min(len(outer.requests), len(outer.replies)) - 1]
                payload = json.dumps({"choices": [{"message": {"role": "assistant", "content": reply}}]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def __enter__(self) -> ChatServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_chat_endpoint_gets_errors_back_and_repairs(session: Session, shop: str) -> None:
    session.questions.teach("how many customers do we have", f"SELECT count(*) FROM {shop}.customers", schema=shop)
    bad = f"Here you go:\n```sql\nSELECT sum(total_price) FROM {shop}.orders;\n```"
    good = f"```sql\nSELECT sum(amount) AS revenue FROM {shop}.order_items\n```"
    with ChatServer([bad, good]) as server:
        env = {"PGAI_LLM_BASE_URL": server.url, "PGAI_LLM_MODEL": "tiny-chat", "OPENAI_API_KEY": "sk-test"}
        backend = backend_from_env(env)
        assert isinstance(backend, OpenAIChatBackend)
        session.questions.use_llm(backend)
        try:
            assert "tiny-chat" in session.status()["LLM backend"]
            answer = session.questions.translate(
                "what do we earn from sales in total, roughly?", schema=shop, generator="llm"
            )
        finally:
            session.questions.use_llm("env")
    assert answer.source == "llm" and answer.attempts == 2
    assert answer.sql == f"SELECT sum(amount) AS revenue FROM {shop}.order_items"
    first, second = server.requests
    assert first["path"] == "/v1/chat/completions" and first["model"] == "tiny-chat" and first["temperature"] == 0
    assert server.headers[0]["Authorization"] == "Bearer sk-test"
    assert "Verified examples" in first["messages"][0]["content"]
    assert "how many customers do we have" in first["messages"][0]["content"]
    assert "total_price" in second["messages"][-2]["content"]  # the bad answer goes back...
    assert "does not exist" in second["messages"][-1]["content"]  # ...with the server's error


def test_unreachable_endpoint_is_a_clear_error(session: Session, shop: str) -> None:
    session.questions.use_llm(OpenAIChatBackend("http://127.0.0.1:9/v1", "nothing", timeout_s=2))
    try:
        with pytest.raises(TranslationError, match="cannot reach the LLM endpoint"):
            session.questions.translate("anything at all about orders", schema=shop, generator="llm")
    finally:
        session.questions.use_llm("env")


def test_backend_from_env(tmp_path: Path) -> None:
    assert backend_from_env({}) is None
    with pytest.raises(ConfigError, match="PGAI_LLM_MODEL"):
        backend_from_env({"PGAI_LLM_BASE_URL": "http://localhost:11434/v1"})
    local = backend_from_env({"PGAI_LLM_PATH": str(tmp_path)})
    assert isinstance(local, TransformersBackend)
    with pytest.raises(ConfigError, match="not a folder"):
        backend_from_env({"PGAI_LLM_PATH": str(tmp_path / "missing")})
    remote = backend_from_env(
        {"PGAI_LLM_BASE_URL": "http://user:secret@host:8000/v1", "PGAI_LLM_MODEL": "m", "PGAI_LLM_API_KEY": "k"}
    )
    assert remote is not None and "secret" not in remote.name and "host:8000" in remote.name


def test_no_llm_configured(session: Session, shop: str) -> None:
    assert session.questions.llm is None
    assert session.status()["LLM backend"].startswith("none")
    with pytest.raises(ConfigError, match="no LLM is configured"):
        session.questions.translate("how many orders", schema=shop, generator="llm")


@pytest.mark.parametrize(
    ("reply", "sql"),
    [
        ("```sql\nSELECT 1;\n```", "SELECT 1"),
        ("Sure!\n```\nSELECT 2\n```\nThis counts.", "SELECT 2"),
        ("The answer:\nSELECT a\nFROM t;", "SELECT a\nFROM t"),
        ("WITH x AS (SELECT 1) SELECT * FROM x", "WITH x AS (SELECT 1) SELECT * FROM x"),
    ],
)
def test_extract_sql(reply: str, sql: str) -> None:
    assert extract_sql(reply) == sql

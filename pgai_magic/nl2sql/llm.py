"""LLM backends: an OpenAI-compatible chat endpoint, a local transformers causal LM, and a fake for tests."""

from __future__ import annotations

import json
import os
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from pgai_magic.errors import ConfigError, TranslationError

__all__ = ["FakeBackend", "LLMBackend", "Message", "OpenAIChatBackend", "TransformersBackend", "backend_from_env"]

Message = dict[str, str]


@runtime_checkable
class LLMBackend(Protocol):
    """Anything that answers a chat: a list of {'role', 'content'} messages in, the reply text out."""

    name: str

    def complete(self, messages: Sequence[Message]) -> str: ...


class OpenAIChatBackend:
    """`POST {base_url}/chat/completions` (OpenAI, Ollama, vLLM, llama.cpp server, ...), temperature 0."""

    def __init__(
        self, base_url: str, model: str, *, api_key: str | None = None, timeout_s: float = 120.0, max_tokens: int = 512
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ConfigError(f"the LLM base URL must start with http:// or https://, not {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self.model = model
        self._api_key = api_key
        self.timeout_s = timeout_s
        self.max_tokens = max_tokens
        shown = urllib.parse.urlsplit(self.base_url)
        host = shown.hostname or ""
        self.name = f"{model} at {shown.scheme}://{host}{f':{shown.port}' if shown.port else ''}{shown.path}"

    def complete(self, messages: Sequence[Message]) -> str:
        body = json.dumps(
            {
                "model": self.model,
                "messages": list(messages),
                "temperature": 0,
                "max_tokens": self.max_tokens,
                "stream": False,
            }
        ).encode()
        headers = {"Content-Type": "application/json"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        url = f"{self.base_url}/chat/completions"  # the scheme is http(s): checked in __init__
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:  # noqa: S310 - http(s) checked
                payload = json.loads(response.read().decode())
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode(errors="replace")[:300]
            raise TranslationError(f"the LLM endpoint {self.name} answered HTTP {exc.code}: {detail}") from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise TranslationError(f"cannot reach the LLM endpoint {self.name}: {reason}") from None
        except json.JSONDecodeError:
            raise TranslationError(f"the LLM endpoint {self.name} did not answer JSON") from None
        try:
            return str(payload["choices"][0]["message"]["content"] or "")
        except (KeyError, IndexError, TypeError):
            raise TranslationError(f"the LLM endpoint {self.name} answered without choices[0].message") from None


class TransformersBackend:
    """A causal LM loaded from a local folder with transformers (never downloaded); greedy decoding."""

    def __init__(self, path: str, *, max_new_tokens: int = 256, device: str | None = None) -> None:
        if not os.path.isdir(path):
            raise ConfigError(f"PGAI_LLM_PATH {path!r} is not a folder holding a transformers model")
        self.path = path
        self.max_new_tokens = max_new_tokens
        self._device = device
        self._model: Any = None
        self._tokenizer: Any = None
        self._lock = threading.Lock()
        self.name = f"transformers model at {path}"
        self.calls = 0

    def _load(self) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        device = self._device or ("cuda" if torch.cuda.is_available() else "cpu")
        self._tokenizer = AutoTokenizer.from_pretrained(self.path, local_files_only=True)
        dtype = torch.float16 if device == "cuda" else torch.float32
        model: Any = AutoModelForCausalLM.from_pretrained(self.path, local_files_only=True, dtype=dtype)
        self._model = model.to(device)
        self._model.eval()
        self._device = device

    def prompt_text(self, messages: Sequence[Message]) -> str:
        """The chat as one prompt: the tokenizer's chat template when it has one, else plain role lines."""
        tok = self._tokenizer
        if getattr(tok, "chat_template", None):
            return str(tok.apply_chat_template(list(messages), tokenize=False, add_generation_prompt=True))
        lines = [f"{m['role'].capitalize()}: {m['content']}" for m in messages]
        return "\n\n".join(lines) + "\n\nAssistant:"

    def complete(self, messages: Sequence[Message]) -> str:
        import torch

        with self._lock:
            if self._model is None:
                self._load()
            self.calls += 1
            text = self.prompt_text(messages)
            inputs = self._tokenizer(text, return_tensors="pt")
            ids = inputs["input_ids"]
            limit = int(
                getattr(self._model.config, "max_position_embeddings", 0)
                or getattr(self._model.config, "n_positions", 0)
                or 0
            )
            if limit and ids.shape[1] + self.max_new_tokens > limit:
                keep = max(limit - self.max_new_tokens, 1)
                ids = ids[:, -keep:]
            ids = ids.to(self._device)
            pad = (
                self._tokenizer.pad_token_id
                if self._tokenizer.pad_token_id is not None
                else self._tokenizer.eos_token_id
            )
            with torch.no_grad():
                out = self._model.generate(
                    ids,
                    attention_mask=torch.ones_like(ids),
                    max_new_tokens=self.max_new_tokens,
                    do_sample=False,
                    pad_token_id=pad,
                )
            return str(self._tokenizer.decode(out[0, ids.shape[1] :], skip_special_tokens=True))


class FakeBackend:
    """Replies from a list (or a function of the messages), recording every chat it was given."""

    def __init__(self, replies: Sequence[str] | Callable[[Sequence[Message]], str], name: str = "fake") -> None:
        self.replies = replies
        self.name = name
        self.calls: list[list[Message]] = []

    def complete(self, messages: Sequence[Message]) -> str:
        self.calls.append([dict(m) for m in messages])
        if callable(self.replies):
            return self.replies(messages)
        return self.replies[min(len(self.calls), len(self.replies)) - 1]


def backend_from_env(env: Mapping[str, str] | None = None) -> LLMBackend | None:
    """The backend the environment configures: PGAI_LLM_BASE_URL (+ PGAI_LLM_MODEL, PGAI_LLM_API_KEY or
    OPENAI_API_KEY), else PGAI_LLM_PATH (a local transformers model); None when neither is set."""
    env = os.environ if env is None else env
    base = env.get("PGAI_LLM_BASE_URL")
    if base:
        model = env.get("PGAI_LLM_MODEL")
        if not model:
            raise ConfigError("PGAI_LLM_BASE_URL is set but PGAI_LLM_MODEL is not: name the model to use")
        key = env.get("PGAI_LLM_API_KEY") or env.get("OPENAI_API_KEY")
        return OpenAIChatBackend(base, model, api_key=key)
    path = env.get("PGAI_LLM_PATH")
    if path:
        return TransformersBackend(path)
    return None

"""Natural-language questions to SQL: catalog linking, an offline translator, LLM backends, a guard and a memory."""

from __future__ import annotations

from pgai_magic.nl2sql.generator import Generated, Generator, LLMGenerator, Request, TranslatorGenerator
from pgai_magic.nl2sql.guard import check
from pgai_magic.nl2sql.llm import FakeBackend, LLMBackend, OpenAIChatBackend, TransformersBackend, backend_from_env
from pgai_magic.nl2sql.service import Answer, Asker
from pgai_magic.nl2sql.translator import Translation, Translator

__all__ = [
    "Answer",
    "Asker",
    "FakeBackend",
    "Generated",
    "Generator",
    "LLMBackend",
    "LLMGenerator",
    "OpenAIChatBackend",
    "Request",
    "TransformersBackend",
    "Translation",
    "Translator",
    "TranslatorGenerator",
    "backend_from_env",
    "check",
]

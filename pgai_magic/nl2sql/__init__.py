"""Natural-language questions to SQL: catalog linking, an offline translator, LLM backends, a guard and a memory.

The offline translator (translator.Translator) is a pipeline of pure passes over an immutable `State`
(pipeline.py; sqlglot's optimizer is the model): `read` (length and intent checks, Chinese to English,
tokens) -> `link` (time phrases relative to the `today` argument, cue words, schema names, stored values,
embeddings: an Analysis, per table group when the catalog has unrelated groups) -> `check` (refusals before
planning) -> `assemble` (roles: a Plan of measures, groups, filters, ranking, time) -> `score` (confidence
again) -> `build_sql` (one sqlglot builder per clause). Each pass returns a new state, so any prefix can be run
and inspected (pipeline.trace, snapshot.py; tests/nl2sql/golden holds every pass's state for a few questions).
The question is read once: the Asker reads it (`Translator.read`), uses the analysis for the question memory,
and hands the reading to the TranslatorGenerator, which finishes it.
The learned translator (learned/: Spider-train models in data/spider_learned.json.gz) fills SQL sketches voted by
neighbouring train questions with linked columns, checks candidates by a read-only run and gives a confidence
calibrated on held-out train databases; learned/generator.BuiltinGenerator chooses between its answer and the
rule translator's by that confidence (one threshold).
A new question pattern: its cue phrase in
lexicon.CUES, its role in an Assembler pass (plan.py, derived.py; resolve.py for what is settled last), its SQL
in the clause builder of build.py, and a golden question in tests/nl2sql/test_pipeline_golden.py.
"""

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

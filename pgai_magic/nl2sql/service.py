"""Asking questions: question memory first, then the built-in translator, then the LLM; guarded, read-only runs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import psycopg

from pgai_magic.catalog import Catalog, CatalogCache, ForeignKey
from pgai_magic.db import Database
from pgai_magic.errors import ConfigError, GuardError, PgaiError, SQLError, TranslationError
from pgai_magic.nl2sql import loading as learned_data
from pgai_magic.nl2sql.embedding import LazyEmbedder
from pgai_magic.nl2sql.generator import Generated, Generator, LLMGenerator, Request, TranslatorGenerator
from pgai_magic.nl2sql.guard import explain, key_holds, run_read_only
from pgai_magic.nl2sql.llm import LLMBackend, backend_from_env
from pgai_magic.nl2sql.memory import SOURCES, Memo, QuestionMemory, cue_signature, template_of
from pgai_magic.nl2sql.reuse import Candidate, Reading, ReusePolicy
from pgai_magic.nl2sql.route import Judgement, Router, RulesWhileLoading, models
from pgai_magic.nl2sql.text import MAX_QUESTION_CHARS, clean_question
from pgai_magic.nl2sql.translator import State, Translator

__all__ = ["GENERATORS", "LLM_THRESHOLD", "MAX_EXAMPLES", "Answer", "Asker"]

GENERATORS = ("auto", "translator", "llm")
LLM_THRESHOLD = 0.9  # `auto`: a translator answer less sure than this goes to the LLM (when one is configured)
MAX_EXAMPLES = 5  # few-shot examples in an LLM prompt
_READINGS_KEPT = 512  # translator readings of questions kept for the memory's reuse checks


@dataclass
class Answer:
    """The SQL for a question, where it came from, and its id in the question memory."""

    question: str
    sql: str
    source: str
    confidence: float | None = None
    notes: list[str] = field(default_factory=list)
    question_id: int | None = None
    reused: Memo | None = None
    attempts: int = 1
    generator: str = ""

    def caption(self) -> str:
        """'from question memory (like "top 5 products in 2023", similarity 0.97)' and the like, with the notes."""
        text = f"from {SOURCES.get(self.source, self.source)}"
        if self.source == "llm" and self.generator:
            text = f"from {self.generator}"
        bits = []
        if self.reused is not None:
            why = f"{self.reused.extra['why']}, " if "why" in self.reused.extra else ""
            bits.append(f"like {self.reused.question!r}, {why}similarity {self.reused.similarity:.2f}")
        if self.confidence is not None and self.source == "translator":
            bits.append(f"confidence {self.confidence:.2f}")
        if self.source == "llm":
            bits.append(f"{self.attempts} attempt{'s' if self.attempts != 1 else ''}")
        if self.question_id is not None:
            bits.append(f"question #{self.question_id}")
        text += f" ({'; '.join(bits)})" if bits else ""
        return text + "".join(f"; note: {note}" for note in self.notes if self.source == "translator")


def _checked(question: str) -> str:
    """The question without invisible characters and surrounding space; ConfigError when empty or too long."""
    if len(question) > MAX_QUESTION_CHARS:
        raise ConfigError(
            f"the question is {len(question):,} characters long; questions are limited to "
            f"{MAX_QUESTION_CHARS:,} characters (write long SQL in a %%pgai cell instead)"
        )
    question = clean_question(question).strip()
    if not question:
        raise ConfigError("ask needs a question, e.g. %pgai ask how many orders were placed in 2024?")
    return question


class Asker:
    """The question pipeline of one session: catalogs, translator, LLM backend and question memory.

    `llm_threshold`: with `auto`, a translator answer whose confidence is below it goes to the LLM too (0:
    only refusals do); `llm_max_repairs`: rounds of repair after a rejected LLM query; `example_sources`:
    callables (question, catalog) -> [(question, SQL)] whose pairs join the memory's as few-shot examples.
    """

    def __init__(
        self,
        db: Database,
        embedder: LazyEmbedder | None = None,
        *,
        llm: LLMBackend | str | None = "env",
        reuse: ReusePolicy | None = None,
    ) -> None:
        self.db = db
        self.catalogs = CatalogCache()
        self.memory = QuestionMemory(self.db)
        self.embedder = embedder or LazyEmbedder()
        self._unsaved: list[dict[str, Any]] = []  # asked while the model loaded: remembered on the next question
        self.reuse = reuse or ReusePolicy()
        self.trust_rules = True  # the rule translator's answer below the calibrated threshold (False: refuse)
        self.route_log: list[Judgement] | None = None  # a list: every routing decision is appended (benchmarks)
        self.last_id: int | None = None
        self.llm_error: str | None = None
        self._translators: dict[str, Translator] = {}
        self._readings: dict[tuple[str, str, dt.date | None, str], Reading] = {}
        self.llm: LLMBackend | None = None
        self.llm_threshold = LLM_THRESHOLD
        self.llm_max_repairs = 1
        self.example_sources: list[Callable[[str, Catalog], Sequence[tuple[str, str]]]] = []
        self.use_llm(llm)

    # -- configuration ----------------------------------------------------------------
    def use_llm(self, backend: LLMBackend | str | None) -> None:
        """Set the LLM backend: an LLMBackend, None for none, or 'env' for what the environment configures."""
        self.llm_error = None
        if backend == "env":
            try:
                self.llm = backend_from_env()
            except ConfigError as exc:
                self.llm, self.llm_error = None, str(exc)
        elif backend is None or isinstance(backend, str):
            if isinstance(backend, str):
                raise ConfigError(f"use_llm takes an LLM backend, None or 'env', not {backend!r}")
            self.llm = None
        else:
            self.llm = backend

    def catalog(self, schema: str | Sequence[str] | None = None, *, refresh: bool = False) -> Catalog:
        schemas = [schema] if isinstance(schema, str) else list(schema) if schema else None
        return self.catalogs.get(self.db.control, schemas, refresh=refresh)

    def translator(self, catalog: Catalog) -> Translator:
        key = ",".join(catalog.schemas) + ":" + catalog.fingerprint
        found = self._translators.get(key)
        if found is None or found.catalog is not catalog:
            found = Translator(catalog, conn=self.db.control, embedder=self.embedder)
            self._translators[key] = found
        return found

    def _builtin(self, translator: Translator) -> Generator:
        """The learned and rule translators routed by the calibrated judge (route.py); the rule translator alone when
        the learned model's or the judge's data file is missing, or while a warm-up still reads them
        (nl2sql.loading)."""
        if learned_data.pending():  # a kernel's warm-up still reads it: do not wait
            return RulesWhileLoading(translator)
        try:
            learned, judge = models()
        except FileNotFoundError:
            return TranslatorGenerator(translator)
        return Router(translator, self.db.control, learned, judge, trust_rules=self.trust_rules, record=self.route_log)

    def memory_ready(self) -> bool:
        try:
            return self.memory.available()
        except PgaiError:
            return False

    # -- asking -------------------------------------------------------------------------
    def translate(
        self,
        question: str,
        *,
        schema: str | Sequence[str] | None = None,
        generator: str = "auto",
        remember: bool = True,
        use_memory: bool = True,
        timeout_s: float = 30.0,
    ) -> Answer:
        """SQL for `question`: reused from memory, else from the translator, else from the LLM."""
        question = _checked(question)
        if generator not in GENERATORS:
            raise ConfigError(f"unknown generator {generator!r}: use one of {', '.join(GENERATORS)}")
        catalog = self.catalog(schema)
        if not catalog.tables:
            where = ", ".join(catalog.schemas) or "the search path"
            raise TranslationError(
                f"there are no tables in {where} to ask about: load some data first "
                "(e.g. pgai_magic.datasets.sales.load(session))"
            )
        translator = self.translator(catalog)
        today = self._today()
        reading = translator.read(question, today=today)  # read once; a request to change data is refused here
        analysis = reading.read_analysis()
        template, lits = template_of(analysis)
        cues = cue_signature(analysis)
        scope = ",".join(catalog.scope or catalog.schemas)
        memory_on = remember or use_memory
        loading = memory_on and not self.embedder.ready  # the model still loads: do not wait for it
        vector = self.embedder.embed_batch([template])[0] if memory_on and not loading and self.memory_ready() else None
        if self._unsaved and not loading:
            self._save_unsaved()

        def validate(sql: str) -> None:
            explain(self.db, sql, timeout_s=timeout_s)

        answer = None
        if vector is not None and use_memory:
            answer = self._from_memory(question, vector, scope, (translator, today), (lits, cues), validate)
        if answer is None:
            answer = self._generate(reading, catalog, translator, generator, validate, vector, scope)
        if loading:
            answer.notes.append("question memory not consulted: the embedding model is still loading")
            if remember and self.memory_ready():  # remembered once the model is there (next question)
                self._unsaved.append(
                    dict(question=question, template=template, literals=lits, cues=cues, sql_text=answer.sql,
                         source=answer.source, scope=scope)
                )  # fmt: skip
        if vector is not None and remember:
            answer.question_id = self.memory.add(
                question=question,
                template=template,
                literals=lits,
                cues=cues,
                sql_text=answer.sql,
                source=answer.source,
                scope=scope,
                embedder=self.embedder.name,
                vector=vector,
            )
            self.last_id = answer.question_id
        return answer

    def _save_unsaved(self) -> None:
        """Remember the questions asked while the model was loading (their answers were already shown)."""
        pending, self._unsaved = self._unsaved, []
        vectors = self.embedder.embed_batch([p["template"] for p in pending])
        for item, vector in zip(pending, vectors):
            self.memory.add(**item, embedder=self.embedder.name, vector=vector)

    def _today(self) -> dt.date:
        row = self.db.control.execute("SELECT current_date").fetchone()
        return row[0] if row else dt.date.today()  # type: ignore[no-any-return]

    def _from_memory(
        self,
        question: str,
        vector: Any,
        scope: str,
        reading_at: tuple[Translator, dt.date],
        signature: tuple[list[tuple[str, Any]], list[str]],
        validate: Callable[[str], None],
    ) -> Answer | None:
        """A remembered verified answer that may answer `question` (see pgai_magic.nl2sql.reuse), adapted to its
        literals and checked by the server; None when no remembered answer is safe to reuse. Remembered
        questions are read by the translator of `reading_at` with its date."""
        lits, cues = signature
        translator, today = reading_at

        def reader(text: str) -> Reading:
            return self._reading(translator, text, today)

        for memo in self.memory.nearest(vector, scope=scope, embedder=self.embedder.name, k=3):
            candidate = Candidate(memo.question, memo.literals, memo.cues, memo.sql, memo.similarity)
            decided = self.reuse.decide(candidate, question, lits, cues, reader)
            if decided is None:
                continue
            sql, why = decided
            try:
                validate(sql)
            except (GuardError, SQLError):
                continue
            memo.extra["why"] = why
            return Answer(question, sql, "memory", memo.similarity, reused=memo)
        return None

    def _reading(self, translator: Translator, question: str, today: dt.date) -> Reading:
        """How the translator reads `question` on `today` (its SQL, None when it refuses, and the words it
        ignored); kept per catalog and day, so a remembered question is read once, not at every lookup."""
        key = (",".join(translator.catalog.schemas), translator.catalog.fingerprint, today, question)
        found = self._readings.get(key)
        if found is None:
            state = translator.read(question, today=today)
            analysis = state.read_analysis()
            try:
                sql: str | None = translator.finish(state).sql
            except PgaiError:  # refused (or not a read): no reading to compare, only the signature rule applies
                sql = None
            found = Reading(sql, frozenset(w.lower() for w in analysis.unexplained()))
            if len(self._readings) >= _READINGS_KEPT:
                self._readings.clear()
            self._readings[key] = found
        return found

    def _generate(
        self,
        reading: State,
        catalog: Catalog,
        translator: Translator,
        generator: str,
        validate: Callable[[str], None],
        vector: Any,
        scope: str,
    ) -> Answer:
        """The translator's answer; with `auto`, the LLM's instead when the translator refuses or is less sure
        than `llm_threshold` (its answer stays when the LLM gives nothing acceptable)."""
        question = reading.question
        if generator == "llm" and self.llm is None:
            raise ConfigError(
                self.llm_error
                or "no LLM is configured: set PGAI_LLM_BASE_URL and PGAI_LLM_MODEL, "
                "or PGAI_LLM_PATH, or call session.questions.use_llm(backend)"
            )
        request = Request(question, catalog, validate, reading.read_analysis(), [], reading.today, reading)
        problems: list[str] = []
        found: Answer | None = None
        if generator in ("auto", "translator"):
            found = self._attempt(self._builtin(translator), request, problems)
            if found is not None and (self.llm is None or generator == "translator"):
                return found
            if found is not None and (found.confidence or 0.0) >= self.llm_threshold:
                return found
        if self.llm is not None and generator in ("auto", "llm"):
            request.examples = self._examples(question, catalog, vector, scope)
            request.holds = self._holds(catalog)
            llm_answer = self._attempt(LLMGenerator(self.llm, max_repairs=self.llm_max_repairs), request, problems)
            if llm_answer is not None:
                if found is not None:
                    llm_answer.notes.append(
                        f"the built-in translator was {found.confidence:.2f} sure, below the LLM threshold "
                        f"{self.llm_threshold:.2f}"
                    )
                return llm_answer
            if found is not None:
                found.notes.append(f"the LLM gave no acceptable SQL ({problems[-1]}); this is the translator's")
                return found
        raise TranslationError(" — and ".join(problems) if problems else f"cannot translate {question!r}")

    @staticmethod
    def _attempt(gen: Generator, request: Request, problems: list[str]) -> Answer | None:
        """`gen`'s answer to `request`, or None with the reason added to `problems`."""
        try:
            got: Generated = gen.generate(request)
        except TranslationError as exc:
            problems.append(str(exc))
            return None
        except SQLError as exc:
            problems.append(f"the {gen.name} wrote SQL the server rejected: {exc.message}")
            return None
        return Answer(
            request.question, got.sql, got.source, got.confidence, got.notes, attempts=got.attempts, generator=gen.name
        )

    def _examples(self, question: str, catalog: Catalog, vector: Any, scope: str) -> list[tuple[str, str]]:
        """Few-shot examples for the LLM: the most similar verified memory questions, then those of each of
        `example_sources` (callables (question, catalog) -> [(question, SQL)]), at most `MAX_EXAMPLES`."""
        found: list[tuple[str, str]] = []
        if vector is not None:
            found += [
                (m.question, m.sql) for m in self.memory.nearest(vector, scope=scope, embedder=self.embedder.name, k=3)
            ]
        for source in self.example_sources:
            found += list(source(question, catalog))
        return list(dict.fromkeys(found))[:MAX_EXAMPLES]

    def _holds(self, catalog: Catalog) -> Callable[[ForeignKey], bool]:
        """Whether an inferred foreign key holds in the data now: every non-NULL child value is a parent value
        (checked once per question, read-only with a statement timeout; False when the check fails)."""
        held: dict[ForeignKey, bool] = {}

        def holds(fk: ForeignKey) -> bool:
            if fk not in held:
                held[fk] = key_holds(self.db, catalog, fk)
            return held[fk]

        return holds

    def run(self, answer: Answer, *, timeout_s: float = 30.0) -> pd.DataFrame:
        """Run the answer's SQL read-only; the DataFrame carries the SQL and its source in `attrs`."""
        frame, elapsed = run_read_only(self.db, answer.sql, timeout_s=timeout_s)
        frame.attrs.update(
            sql=answer.sql,
            source=SOURCES.get(answer.source, answer.source),
            question=answer.question,
            question_id=answer.question_id,
            elapsed=elapsed,
        )
        return frame

    # -- memory ---------------------------------------------------------------------------
    def _require_memory(self) -> None:
        if not self.memory_ready():
            raise ConfigError(f"the question memory is unavailable: {self._memory_missing()}")

    def _memory_missing(self) -> str:
        try:
            return self.memory.unavailable() or "it could not be read"
        except (PgaiError, psycopg.Error) as exc:
            return f"its state could not be checked ({exc})"

    def accept(self, question_id: int | None = None) -> int:
        """Mark an answer (the last one by default) as verified, so similar questions reuse it."""
        self._require_memory()
        target = question_id if question_id is not None else self.last_id
        if target is None:
            raise ConfigError("there is no answer to accept yet: ask a question first")
        self.memory.verify(target)
        return target

    def teach(
        self, question: str, sql: str, *, schema: str | Sequence[str] | None = None, timeout_s: float = 30.0
    ) -> int:
        """Remember `sql` as the verified answer to `question` (checked by the guard and the server first)."""
        self._require_memory()
        if not question.strip() or not sql.strip():
            raise ConfigError("teach needs a question and its SQL")
        question = _checked(question)
        catalog = self.catalog(schema)
        analysis = self.translator(catalog).analyze(question, today=self._today())
        explain(self.db, sql, timeout_s=timeout_s)
        template, lits = template_of(analysis)
        vector = self.embedder.embed_batch([template])[0]
        qid = self.memory.add(
            question=question,
            template=template,
            literals=lits,
            cues=cue_signature(analysis),
            sql_text=sql.strip().rstrip(";").strip(),
            source="teach",
            scope=",".join(catalog.scope or catalog.schemas),
            embedder=self.embedder.name,
            vector=vector,
            verified=True,
        )
        self.last_id = qid
        return qid

    def history(self, *, limit: int = 50, verified: bool | None = None) -> pd.DataFrame:
        """Remembered questions of every schema, newest first."""
        self._require_memory()
        return self.memory.history(limit=limit, verified=verified)

    def status(self) -> dict[str, Any]:
        if self.llm is not None:
            llm = self.llm.name
        else:
            llm = f"none ({self.llm_error})" if self.llm_error else "none (built-in translator only)"
        info: dict[str, Any] = {"LLM backend": llm}
        if self.memory_ready():
            total, verified = self.memory.counts()
            info["question memory"] = f"{total} question{'s' if total != 1 else ''}, {verified} verified"
        else:
            info["question memory"] = f"unavailable ({self._memory_missing()})"
        return info

"""The SQL generator seam: the offline translator and the LLM generator (prompt, extraction, bounded repair)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from pgai_magic.catalog import Catalog, ForeignKey
from pgai_magic.errors import GuardError, PgaiError, SQLError, TranslationError
from pgai_magic.nl2sql.guard import check_scope
from pgai_magic.nl2sql.llm import LLMBackend, Message
from pgai_magic.nl2sql.schema_link import holding, join_lines, join_paths, lexical_tables
from pgai_magic.nl2sql.translator import Analysis, State, Translator

__all__ = ["Generated", "Generator", "LLMGenerator", "Request", "TranslatorGenerator", "extract_sql", "linked_tables"]


@dataclass
class Request:
    """What a generator gets: the question, the schema, what linking found, verified examples, a validator.

    `reading`: the translator's reading of the question (Translator.read: read and linked once, by the
    caller); `analysis` is its best analysis; `today` the date relative dates mean (None: the machine's).
    `examples`: (question, SQL) pairs shown to an LLM as few-shot examples, most similar first (verified
    memory questions; a learned translator may add its training questions). `holds(fk)`: whether an inferred
    foreign key holds in the data (every child value is in the parent); None: every inferred key is shown.
    """

    question: str
    catalog: Catalog
    validate: Callable[[str], None]
    analysis: Analysis | None = None
    examples: list[tuple[str, str]] = field(default_factory=list)
    today: dt.date | None = None
    reading: State | None = None
    holds: Callable[[ForeignKey], bool] | None = None


@dataclass
class Generated:
    """SQL from a generator, with where it came from and how it got there."""

    sql: str
    source: str
    confidence: float | None = None
    notes: list[str] = field(default_factory=list)
    attempts: int = 1
    messages: list[Message] = field(default_factory=list)


@runtime_checkable
class Generator(Protocol):
    """Turns a question into SQL, or raises TranslationError."""

    name: str

    def generate(self, request: Request) -> Generated: ...


class TranslatorGenerator:
    """The built-in, rule-based translator behind the generator seam: finishes the request's `reading` (the
    question is not read again); a request without one is read here."""

    name = "built-in translator"

    def __init__(self, translator: Translator) -> None:
        self.translator = translator

    def generate(self, request: Request) -> Generated:
        if request.reading is not None:
            t = self.translator.finish(request.reading)
        else:
            t = self.translator.translate(request.question, today=request.today)
        request.validate(t.sql)
        return Generated(t.sql, "translator", t.confidence, t.notes)


def linked_tables(
    catalog: Catalog, analysis: Analysis | None, *, question: str | None = None, most: int = 25
) -> list[str]:
    """The linked part of the schema, as table keys: the tables the question links to (the translator's links,
    then a lexical match of its words against names, columns, comments and values), the tables on the join paths
    between them (declared and inferred foreign keys), and the tables those reference (for their labels); at most
    `most`. Every table (up to `most`) when the question links to none."""
    named = analysis.tables() if analysis is not None else []
    text = question if question is not None else analysis.question if analysis is not None else ""
    seeds = list(dict.fromkeys(named + lexical_tables(catalog, text, near=named)))
    if not seeds:
        return list(catalog.tables)[:most]
    tables = join_paths(catalog, seeds)
    for key in list(tables):  # the tables they reference, for names and labels
        for fk in catalog.tables[key].foreign_keys:
            if fk.ref_table in catalog.tables and fk.ref_table not in tables:
                tables.append(fk.ref_table)
    return tables[:most]


_SYSTEM = """You translate questions about a PostgreSQL database into one SQL query.
Rules: answer with a single read-only PostgreSQL SELECT (WITH ... SELECT allowed) in a ```sql code block and
nothing else; use only the tables and columns below; never modify data; compare text values exactly as
listed; use current_date for relative dates."""


def extract_sql(reply: str) -> str:
    """The SQL in a model's reply: a ```sql block, else any ``` block, else from the first SELECT/WITH line."""
    for fence in ("```sql", "```SQL", "```postgresql", "```"):
        start = reply.find(fence)
        if start >= 0:
            body = reply[start + len(fence) :]
            end = body.find("```")
            return (body if end < 0 else body[:end]).strip().rstrip(";").strip()
    lines = reply.strip().splitlines()
    for k, line in enumerate(lines):
        if line.strip().upper().startswith(("SELECT", "WITH")):
            return "\n".join(lines[k:]).strip().rstrip(";").strip()
    return reply.strip().rstrip(";").strip()


class LLMGenerator:
    """Asks an LLM for SQL with the linked schema (joins only where they hold in the data), sample values and
    similar verified examples; the SQL may read only the question's tables (guard.check_scope); a rejected
    query (guard or server error) goes back once for repair (`max_repairs`)."""

    def __init__(self, backend: LLMBackend, *, max_repairs: int = 1) -> None:
        if max_repairs < 0:
            raise ValueError("max_repairs must be zero or more")
        self.backend = backend
        self.max_repairs = max_repairs
        self.name = f"LLM ({backend.name})"

    def messages(self, request: Request) -> list[Message]:
        """The chat: the rules, the linked schema and its joins, the examples (system); today and the question."""
        catalog = request.catalog if request.holds is None else holding(request.catalog, request.holds)
        tables = linked_tables(catalog, request.analysis, question=request.question)
        parts = ["Schema:\n" + catalog.describe(tables)]
        joins = join_lines(catalog, tables)
        if joins:
            parts.append("Joins (inferred: not declared, found from names and values):\n" + "\n".join(joins))
        if request.examples:
            shots = "\n\n".join(f"Question: {q}\nSQL:\n```sql\n{s}\n```" for q, s in request.examples)
            parts.append("Verified examples:\n" + shots)
        today = request.today or dt.date.today()
        user = f"Today is {today.isoformat()}.\nQuestion: {request.question}\nSQL:"
        return [{"role": "system", "content": _SYSTEM + "\n\n" + "\n\n".join(parts)}, {"role": "user", "content": user}]

    def generate(self, request: Request) -> Generated:
        messages = self.messages(request)
        errors: list[str] = []
        for attempt in range(1, self.max_repairs + 2):
            reply = self.backend.complete(messages)
            sql = extract_sql(reply)
            try:
                check_scope(sql, request.catalog)
                request.validate(sql)
            except (GuardError, SQLError) as exc:
                message = exc.message if isinstance(exc, SQLError) else str(exc)
                errors.append(message)
                messages = [
                    *messages,
                    {"role": "assistant", "content": reply},
                    {
                        "role": "user",
                        "content": f"That query was rejected: {message}\n"
                        "Reply with a corrected single SELECT query in a ```sql block.",
                    },
                ]
                continue
            except PgaiError as exc:
                errors.append(str(exc))
                break
            return Generated(sql, "llm", None, [f"{attempt} attempt{'s' if attempt > 1 else ''}"], attempt, messages)
        raise TranslationError(
            f"the LLM ({self.backend.name}) gave no acceptable SQL for {request.question!r} after "
            f"{len(errors)} attempt{'s' if len(errors) != 1 else ''}; last problem: {errors[-1] if errors else 'none'}"
        )

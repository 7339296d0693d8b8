"""The offline translator as a pipeline of pure passes over one immutable `State` (sqlglot's optimizer is the model).

    RULES = (read, link, check, assemble, score, build_sql)

Each pass takes a `State` and returns a new one (`dataclasses.replace`); none edits the state it is given or
keeps anything between questions, so `run(State(...), RULES[:k])` stops after any pass and the state can be
inspected (`trace` returns the state after every pass; tests/nl2sql/golden holds them for a few questions).

- `read`: the question's length and intent checked (a request to change data is refused), Chinese read as
  English (pgai_magic.nl2sql.zh), tokens (text.tokenize).
- `link`: each span linked to time phrases (relative to `state.today`), quoted values, units, schema names,
  cue words (lexicon.CUES), stored values (pg_trgm), fuzzy names and embeddings: an `Analysis`. A catalog of
  several table groups (no foreign key between them) is read once per likely group, best reading first
  (`readings`); `reader` and `analysis` are then the best group's.
- `check`: refusals before planning: unsupported phrases, capitalised names nothing explains, confidence below
  `min_confidence`, quoted text that is no stored value.
- `assemble`: roles of the linked items (plan.Assembler, resolve, derived): a `Plan` of measures, groups,
  filters, ranking and time range, with the items it used.
- `score`: numbers the plan gave no role count as not understood; the confidence checked again.
- `build_sql`: the plan built into a sqlglot SELECT (build.build: one builder per clause) and PostgreSQL text.

A new question pattern: a cue phrase goes in lexicon.CUES (found by `link`), its role in an Assembler pass
(plan.py for measures/filters/ranking/groups, derived.py for derived measures such as shares and durations,
resolve.py for what is settled once every role is known), and its SQL in the clause builder of build.py that
writes it; add the question to tests/nl2sql/test_pipeline_golden.py to see every pass's state.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TypeVar

from sqlglot import exp

from pgai_magic.errors import TranslationError
from pgai_magic.nl2sql import resolve
from pgai_magic.nl2sql.analysis import Analysis, content
from pgai_magic.nl2sql.build import Plan, build
from pgai_magic.nl2sql.reading import Reader, read_text
from pgai_magic.nl2sql.text import Tok

__all__ = ["ADVICE", "RULES", "TRANSLATE_RULES", "Pass", "State", "refusal", "run", "trace"]

ADVICE = (
    "rephrase it, configure an LLM (PGAI_LLM_BASE_URL or PGAI_LLM_PATH), "
    'or teach the SQL with %%pgai ask --teach "question"'
)


def refusal(message: str) -> str:
    """`message` ending with ADVICE once: a message that already gives it (a translator's own refusal) is kept."""
    return message if message.endswith(ADVICE) else f"{message}; {ADVICE}"


@dataclass(frozen=True)
class State:
    """One question on its way through the passes; each pass fills the next fields.

    Given: `question`, `reader` (the catalog's linking resources), `today` (time phrases are relative to it;
    None: the machine's date), `min_confidence` (0..1). `read`: `english`, `toks`. `link`: `readings` (table
    group, analysis; best first), `reader`/`analysis` (the best). `check`/`score`: `confidence`. `assemble`:
    `plan`, `notes`, `used` (per item of `analysis.items`). `build_sql`: `expression`, `sql`.
    """

    question: str
    reader: Reader
    today: dt.date | None = None
    min_confidence: float = 0.75
    english: str = ""
    toks: tuple[Tok, ...] = ()
    readings: tuple[tuple[Reader, Analysis], ...] = ()
    analysis: Analysis | None = None
    confidence: float | None = None
    plan: Plan | None = None
    notes: tuple[str, ...] = ()
    used: tuple[bool, ...] = ()
    expression: exp.Select | None = None
    sql: str = ""

    def read_analysis(self) -> Analysis:
        """The analysis (after `link`); RuntimeError when the state has not been linked yet."""
        if self.analysis is None:
            raise RuntimeError("the state has no analysis yet: run the read and link passes first")
        return self.analysis


Pass = Callable[[State], State]
_T = TypeVar("_T")


def read(state: State) -> State:
    """English text and tokens of the question (TranslationError when too long, GuardError for writes)."""
    english, toks = read_text(state.question, state.reader.zh)
    return replace(state, english=english, toks=tuple(toks))


def link(state: State) -> State:
    """The question's analysis in each likely table group, best first (confidence, then more tables)."""
    root, toks = state.reader, list(state.toks)
    if not root.parts:
        analysis = root.link(state.question, state.english, toks, state.today)
        return replace(state, readings=((root, analysis),), analysis=analysis)
    found = [
        (part, part.link(state.question, state.english, toks, state.today))
        for part in root.likely_parts(state.question, state.english, toks, state.today)
    ]
    order = {id(part): k for k, part in enumerate(root.parts)}
    found.sort(key=lambda pa: (-round(pa[1].confidence(), 6), -len(pa[0].catalog.tables), order[id(pa[0])]))
    return replace(state, readings=tuple(found), reader=found[0][0], analysis=found[0][1])


def check(state: State) -> State:
    """Refuse what cannot be planned: unsupported phrases, unexplained names, low confidence, unknown quotes."""
    analysis, question = state.read_analysis(), state.question
    unsupported = [it for it in analysis.items if it.kind == "unsupported"]
    if unsupported:
        phrase = " ".join(t.text for t in analysis.toks[unsupported[0].start : unsupported[0].end])
        raise TranslationError(f"the built-in translator cannot express {phrase!r} in {question!r}; " + ADVICE)
    confidence = _confident(question, analysis, state.min_confidence)
    for tok, w in zip(analysis.toks, analysis.weight):
        if tok.kind == "quoted" and w <= 0:
            raise TranslationError(
                f"the built-in translator cannot answer {question!r}: {tok.value!r} is not a value stored in "
                "any column of these tables (quoted text must match a stored value; check spelling and case)"
            )
    return replace(state, confidence=confidence)


def assemble(state: State) -> State:
    """The plan: roles of the linked items (measures, groups, filters, ranking, time), with the items used."""
    analysis, reader = state.read_analysis(), state.reader
    plan, notes, used = _explained(state.question, lambda: resolve.assemble(analysis, reader.catalog, reader.index))
    return replace(state, plan=plan, notes=tuple(notes), used=tuple(used))


def score(state: State) -> State:
    """A number the plan found no role for was not understood: its weight drops to 0; confidence checked again."""
    analysis = state.read_analysis()
    weight = list(analysis.weight)
    for it, used in zip(analysis.items, state.used):
        if it.kind == "num":
            weight[it.start] = 1.0 if used else 0.0
    scored = replace(analysis, weight=tuple(weight))
    confidence = _explained(state.question, lambda: _confident(state.question, scored, state.min_confidence))
    return replace(state, analysis=scored, confidence=confidence)


def build_sql(state: State) -> State:
    """The plan as a sqlglot SELECT and as pretty PostgreSQL text."""
    plan, catalog = state.plan, state.reader.catalog
    if plan is None:
        raise RuntimeError("the state has no plan yet: run the assemble pass first")
    expression = _explained(state.question, lambda: build(plan, catalog))
    return replace(state, expression=expression, sql=expression.sql(dialect="postgres", pretty=True))


READ_RULES: tuple[Pass, ...] = (read, link)
TRANSLATE_RULES: tuple[Pass, ...] = (check, assemble, score, build_sql)
RULES: tuple[Pass, ...] = READ_RULES + TRANSLATE_RULES


def run(state: State, rules: Sequence[Pass] = RULES) -> State:
    """The state after applying `rules` in order (a prefix of RULES stops the pipeline early)."""
    for rule in rules:
        state = rule(state)
    return state


def trace(state: State, rules: Sequence[Pass] = RULES) -> list[tuple[str, State]]:
    """(pass name, state after it) for each of `rules`; stops at the pass that raises (the error propagates)."""
    states = []
    for rule in rules:
        state = rule(state)
        states.append((rule.__name__, state))
    return states


def _confident(question: str, analysis: Analysis, min_confidence: float) -> float:
    """The analysis's confidence; TranslationError for unexplained names or below `min_confidence`."""
    names = _unexplained_names(analysis)
    if names:
        raise TranslationError(
            f"the built-in translator cannot answer {question!r}: {', '.join(repr(n) for n in names)} looks like "
            "a name or value, but no table, column or stored value matches it (a filter would be lost); " + ADVICE
        )
    confidence = analysis.confidence()
    if confidence < min_confidence:
        missing = ", ".join(repr(w) for w in analysis.unexplained()) or "the question"
        raise TranslationError(
            f"the built-in translator is not confident enough ({confidence:.2f}) about {question!r}: "
            f"it did not understand {missing}; " + ADVICE
        )
    return confidence


def _unexplained_names(analysis: Analysis) -> list[str]:
    """Capitalised words inside an English question ('to Denver', 'American Airlines') that nothing explains."""
    if analysis.english is not analysis.question:
        return []
    found = []
    spans = re.finditer(r"(?<=[a-z0-9,;:] )([A-Z][A-Za-z]+)", analysis.question)
    capital = {m.group(1).lower() for m in spans}
    for tok, w in zip(analysis.toks, analysis.weight):
        if w <= 0 and tok.kind == "word" and tok.text in capital and content(tok) and tok.lemma != "id":
            found.append(tok.text)
    return found


def _explained(question: str, step: Callable[[], _T]) -> _T:
    """`step()`, its TranslationError said about `question` with advice (unless it already names the translator)."""
    try:
        return step()
    except TranslationError as exc:
        if "built-in translator" in str(exc):
            raise
        raise TranslationError(f"the built-in translator cannot answer {question!r}: {exc}; {ADVICE}") from None

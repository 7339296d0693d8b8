"""The offline translator: a question read once, then the passes of pgai_magic.nl2sql.pipeline, per table group."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import psycopg
from sqlglot import exp

from pgai_magic.catalog import Catalog
from pgai_magic.errors import TranslationError
from pgai_magic.nl2sql.analysis import Analysis, Item, content, literals
from pgai_magic.nl2sql.build import Plan
from pgai_magic.nl2sql.pipeline import READ_RULES, TRANSLATE_RULES, State, run
from pgai_magic.nl2sql.reading import Reader

__all__ = ["Analysis", "Item", "State", "Translation", "Translator", "literals"]  # Analysis, Item, literals: analysis

_STRONG = 0.85  # a column, measure or value link this sure in another table group means the question spans groups


@dataclass
class Translation:
    """SQL for a question, with the plan behind it and how sure the translator is (0..1)."""

    sql: str
    expression: exp.Expr
    confidence: float
    plan: Plan
    analysis: Analysis
    notes: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, state: State) -> Translation:
        """The translation a state holds after the last pass (build_sql)."""
        assert state.expression is not None and state.plan is not None and state.confidence is not None
        return cls(state.sql, state.expression, state.confidence, state.plan, state.read_analysis(), list(state.notes))


class Translator(Reader):
    """Question -> SQL without a language model, for the schemas of one catalog.

    The catalog's tables are split into groups joined by foreign keys; each group is read as if it were
    the whole database, and the question goes to the group that understands most of its words (ties: the
    group with more tables). So words that also name an unrelated table elsewhere do not pull it in.
    `split=False` reads the whole catalog as one group; `trgm` is pg_trgm's schema when known (False: look it up).
    `today` is the default date time phrases are relative to (None: the machine's date); `read`, `analyze`
    and `translate` take a `today` of their own. The translator keeps nothing about the questions it reads.
    """

    def __init__(
        self,
        catalog: Catalog,
        *,
        conn: psycopg.Connection | None = None,
        embedder: Any = None,
        today: dt.date | None = None,
        min_confidence: float = 0.75,
        split: bool = True,
        trgm: str | Literal[False] | None = False,
    ) -> None:
        super().__init__(catalog, conn=conn, embedder=embedder, split=split, trgm=trgm)
        self.min_confidence = min_confidence
        self.today = today

    def read(self, question: str, *, today: dt.date | None = None) -> State:
        """`question` read and linked (the `read` and `link` passes): the state `finish` translates.

        Raises TranslationError for a question over the length limit, GuardError for a request to change data.
        """
        start = State(question, self, today if today is not None else self.today, self.min_confidence)
        return run(start, READ_RULES)

    def analyze(self, question: str, *, today: dt.date | None = None) -> Analysis:
        """Tokens, cues and links of `question` (no SQL yet), in the table group that understands it best."""
        return self.read(question, today=today).read_analysis()

    def translate(self, question: str, *, today: dt.date | None = None) -> Translation:
        """SQL for `question`, or TranslationError when the translator is not confident enough."""
        return self.finish(self.read(question, today=today))

    def finish(self, state: State) -> Translation:
        """The translation of a question already read (`read`): the remaining passes, in the best table group
        that can answer it; TranslationError when none can. Groups as sure as the chosen one are named in a note."""
        errors: list[TranslationError] = []
        chosen: Translation | None = None
        others: list[str] = []
        for part, analysis in state.readings:
            attempt = replace(state, reader=part, analysis=analysis)
            if chosen is not None:
                if round(analysis.confidence(), 6) < round(chosen.analysis.confidence(), 6):
                    break
                try:  # as good a reading elsewhere: said, not used
                    run(attempt, TRANSLATE_RULES)
                except TranslationError:
                    continue
                others.append(", ".join(sorted(t.name for t in part.catalog.tables.values())[:4]))
                continue
            _refuse_mixed(state.question, part, analysis, state.readings)
            try:
                chosen = Translation.of(run(attempt, TRANSLATE_RULES))
            except TranslationError as exc:
                errors.append(exc)
        if chosen is None:
            raise errors[0]
        if others:
            tables = ", ".join(sorted(self.catalog.tables[k].name for k in chosen.plan.tables()))
            chosen.notes.append(
                f"answered from {tables}; the question could also be about {'; '.join(others)} "
                "(name one of those tables to ask about it)"
            )
        return chosen


def _refuse_mixed(question: str, part: Reader, analysis: Analysis, ranked: tuple[tuple[Reader, Analysis], ...]) -> None:
    """A word this group of tables does not know but another group names as a column or value: the question
    spans tables no foreign key joins, and is refused rather than answered without that word."""
    for i, (tok, w) in enumerate(zip(analysis.toks, analysis.weight)):
        if w > 0 or not content(tok) or tok.kind not in ("word", "quoted"):
            continue
        for other, read in ranked:
            hit = next(
                (
                    it.mention
                    for it in read.items
                    if it.mention is not None
                    and it.start <= i < it.end
                    and it.mention.kind in ("column", "concept", "value")
                    and it.mention.score >= _STRONG
                ),
                None,
            )
            if other is part or hit is None:
                continue
            where = hit.columns[0].table if hit.columns else str(hit.table)
            here = ", ".join(sorted(t.name for t in part.catalog.tables.values())[:4])
            raise TranslationError(
                f"the built-in translator cannot answer {question!r}: {tok.text!r} names "
                f"{other.catalog.tables[where].name if where in other.catalog.tables else where}, "
                f"which no foreign key joins to the tables the rest of the question is about ({here}); "
                "ask about one of them at a time, or configure an LLM"
            )

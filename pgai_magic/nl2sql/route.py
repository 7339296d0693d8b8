"""Routing between the rule translator and the learned translator: both answer, a calibrated judge decides.

    Router(rules, conn, learned, judge).generate(request) -> Generated       (TranslationError: refused)

Both translators read the question. Each answer gets features that compare it with the other (`compare`): its own
translator's confidence, whether the two results agree, which linked columns one answer uses and the other drops,
whether a grouping the other found is missing, whether it aggregates a key column, whether it uses what only the
rules write (date ranges, time buckets, shares, CASE, arithmetic: `outside_sketches`). A logistic regression per
translator (`RouteModel`, fitted on held-out Spider train databases by bench/bench_route.py, Platt 1999) turns
them into the probability that the answer is right; the more probable answer is given when it reaches the
threshold (chosen on the same databases so that at most 1 in 5 of the answers given are wrong). Below it, with
`trust_rules` (the default) the rule translator's answer is given with its probability and a note saying it is
below the threshold; without, the question is refused (TranslationError) and the LLM, when one is configured,
gets it. A rule answer that uses what the learned translator cannot write (`outside_sketches`) and explains every
word of the question is given either way, with the rule translator's own confidence (held-out Spider train has
almost no such questions to calibrate it on); so is one for a question that gives a quantity in a unit, which only
the rule translator converts (the learned translator is not asked then).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import psycopg
import sqlglot
from sqlglot import exp

from pgai_magic.catalog import Catalog
from pgai_magic.errors import PgaiError, TranslationError
from pgai_magic.nl2sql.generator import Generated, Request, TranslatorGenerator
from pgai_magic.nl2sql.learned.generator import agreement, outside_sketches
from pgai_magic.nl2sql.learned.model import LearnedModel, LinearModel, model
from pgai_magic.nl2sql.learned.translate import LearnedAnswer, LearnedTranslator
from pgai_magic.nl2sql.pipeline import refusal
from pgai_magic.nl2sql.translator import Translator
from pgai_magic.nl2sql.zh import has_cjk, to_english

__all__ = [
    "ROUTE_FILE",
    "Judgement",
    "Option",
    "RouteModel",
    "Router",
    "RulesWhileLoading",
    "compare",
    "models",
    "route_model",
    "shape",
]

ROUTE_FILE = Path(__file__).resolve().parent / "data" / "route.json"
_AGGS = (exp.Sum, exp.Avg, exp.Min, exp.Max)
_FULL = 0.999  # the rule translator's confidence when it explained every word of the question


@dataclass
class Option:
    """One translator's answer: `source` ('rules' or 'learned'), its SQL, P(right) (calibrated), and why."""

    source: str
    sql: str
    confidence: float
    features: dict[str, float]
    notes: list[str] = field(default_factory=list)


@dataclass
class Judgement:
    """Both answers to one question (best first) and the rule translator's reason when it refused."""

    question: str
    options: list[Option]
    problem: str = ""


@dataclass
class Shape:
    """What a query uses, by name: columns, columns grouped by, columns aggregated, whether it parsed."""

    columns: frozenset[str]
    grouped: frozenset[str]
    aggregated: frozenset[str]
    parsed: bool = True
    group_unselected: bool = False  # grouped by a column it does not select


def shape(sql: str) -> Shape:
    """The columns `sql` names (lower case, without table), those it groups by, those under SUM/AVG/MIN/MAX, and
    whether its outer query groups by a column it does not select."""
    try:
        tree = sqlglot.parse_one(sql, dialect="postgres")
    except sqlglot.errors.ParseError:
        return Shape(frozenset(), frozenset(), frozenset(), parsed=False)
    cols = frozenset(c.name.lower() for c in tree.find_all(exp.Column) if c.name)
    grouped: set[str] = set()
    for g in tree.find_all(exp.Group):
        grouped |= {c.name.lower() for c in g.find_all(exp.Column) if c.name}
    aggregated: set[str] = set()
    for kind in _AGGS:
        for a in tree.find_all(kind):
            aggregated |= {c.name.lower() for c in a.find_all(exp.Column) if c.name}
    select = tree.find(exp.Select)
    unselected = False
    if select is not None and select.args.get("group"):
        shown = {c.name.lower() for e in select.expressions for c in e.find_all(exp.Column)}
        unselected = any(c.name.lower() not in shown for c in select.args["group"].find_all(exp.Column))
    return Shape(cols, frozenset(grouped), frozenset(aggregated), group_unselected=unselected)


def _keys(catalog: Catalog) -> frozenset[str]:
    """Column names that are keys in `catalog`: primary keys, foreign keys, and `id` / `*_id` names."""
    found: set[str] = set()
    for t in catalog.tables.values():
        for c in t.columns:
            name = c.name.lower()
            if name == "id" or name.endswith("_id") or getattr(c, "primary_key", False):
                found.add(name)
    return frozenset(found)


def compare(mine: Shape, other: Shape | None, keys: frozenset[str]) -> dict[str, float]:
    """Features of an answer of shape `mine` against the other translator's (None: the other has no answer)."""
    feats = {
        "key_agg": float(bool(mine.aggregated & keys)),
        "grouped": float(bool(mine.grouped)),
        "n_columns": float(min(len(mine.columns), 6)),
        "group_unselected": float(mine.group_unselected),
    }
    if other is None or not other.parsed:
        feats["other_none"] = 1.0
        return feats
    union = mine.columns | other.columns
    feats["drops"] = len(other.columns - mine.columns) / max(len(union), 1)
    feats["adds"] = len(mine.columns - other.columns) / max(len(union), 1)
    feats["drops_group"] = float(bool(other.grouped) and not mine.grouped)
    feats["adds_group"] = float(bool(mine.grouped) and not other.grouped)
    feats["other_key_agg"] = float(bool(other.aggregated & keys))
    feats["other_group_unselected"] = float(other.group_unselected)
    return feats


@dataclass
class RouteModel:
    """The judge: P(right) of a rule answer and of a learned answer from their features, and the threshold."""

    rules: LinearModel
    learned: LinearModel
    threshold: float
    version: str = ""

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RouteModel:
        lin = {k: LinearModel(data[k]["weights"], data[k]["bias"]) for k in ("rules", "learned")}
        return cls(lin["rules"], lin["learned"], float(data["threshold"]), str(data.get("version", "")))

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "threshold": self.threshold,
            "rules": {"weights": self.rules.weights, "bias": self.rules.bias},
            "learned": {"weights": self.learned.weights, "bias": self.learned.bias},
        }


@cache
def route_model(path: Path = ROUTE_FILE) -> RouteModel:
    """The shipped judge (nl2sql/data/route.json), read once; FileNotFoundError when it is missing."""
    return RouteModel.from_dict(json.loads(path.read_text(encoding="utf-8")))


def models() -> tuple[LearnedModel, RouteModel]:
    """The shipped learned model and judge, read once per process; FileNotFoundError when a data file is missing."""
    return model(), route_model()


class RulesWhileLoading(TranslatorGenerator):
    """The rule translator alone, while the learned translator's data is still read in the background."""

    def generate(self, request: Request) -> Generated:
        got = super().generate(request)
        got.notes.append("the learned translator's model is still loading: the rule translator answered alone")
        return got


def rule_features(rule_conf: float, rank: int, outside: bool, learned: LearnedAnswer | None) -> dict[str, float]:
    """A rule answer's own features: its translator's confidence, agreement with the learned candidates (`rank`:
    `agreement`'s), whether it is outside the learned translator's query class, the learned confidence."""
    return {
        "rule_conf": rule_conf,
        "rule_full": float(rule_conf >= _FULL),
        "outside": float(outside),
        "agree": float(rank == 0),
        "agree_top": float(rank < 5),
        "learned_conf": learned.confidence if learned else 0.0,
    }


def _units(request: Request) -> bool:
    """Whether the question gives a quantity in a unit ('over 5 kg', 'more than 2 hours'): the rule translator converts
    it to the unit the column stores (nl2sql/units.py); the learned translator would compare the bare number."""
    items = request.analysis.items if request.analysis is not None else ()
    return any(it.kind == "unit" and it.arg != "percent" for it in items)


def _english(request: Request) -> str:
    """The question as the learned translator reads it: a Chinese question in English words and English word order
    (pgai_magic.nl2sql.zh.to_english: the order of the train questions it learned from), others as asked."""
    if not has_cjk(request.question):
        return request.question
    vocab = request.reading.reader.zh if request.reading is not None else None
    return to_english(request.question, vocab)


def _parts(word: str) -> str:
    """A word as `mentions` compares it: lower case, a plural's s dropped."""
    word = word.lower()
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def mentions(question: str, sql: str) -> bool:
    """Whether some content word of `question` names something `sql` uses: a table or column (its name or a part of
    it split at '_'), or a literal; a plural's s and case ignored, a shared first four letters enough ('author' /
    'authorship'). An answer sharing no word with its question ('how many widgets are there?' answered from `cars`,
    the only table) is a guess about a table the question never named. Stop words: scikit-learn's English list."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    words = {_parts(w) for w in re.findall(r"\w+", question) if w.lower() not in ENGLISH_STOP_WORDS}
    try:
        tree = sqlglot.parse_one(sql, read="postgres")
    except sqlglot.errors.ParseError:
        return True  # not ours to judge: the server's check reports it
    names: set[str] = set()
    for node in tree.find_all(exp.Table, exp.Column, exp.Literal):
        text = node.name if not isinstance(node, exp.Literal) else str(node.this)
        names |= {_parts(t) for t in re.findall(r"[^\W_]+", text)} | {_parts(text)}
    return any(w == n or (len(w) >= 4 and len(n) >= 4 and w[:4] == n[:4]) for w in words for n in names)


class Router:
    """The rule and learned translators as one generator, decided by `judge` (see the module docstring).

    `record`: a list that gets every Judgement (for benchmarks). `trust_rules`: below the threshold, give the
    rule answer (with its probability and a note) instead of refusing (the default of `Asker`).
    """

    name = "built-in translator"

    def __init__(
        self,
        rules: Translator,
        conn: psycopg.Connection,
        learned: LearnedModel,
        judge: RouteModel,
        *,
        trust_rules: bool = True,
        record: list[Judgement] | None = None,
    ) -> None:
        self.rules = rules
        self.conn = conn
        self.learned = learned
        self.judge = judge
        self.trust_rules = trust_rules
        self.record = record

    def judgement(self, request: Request, english: str | None = None) -> Judgement:
        """Both translators' answers to `request`, each with its features and calibrated P(right), best first. A rule
        answer outside the learned translator's class that explains every word is given whatever the learned
        translator says (`generate`), so the learned translator is not asked then; nor when the question gives a
        quantity in a unit (`_units`). `english`: the question as the learned translator reads it (`_english`),
        when the caller has it already."""
        rule_sql, rule_conf, notes, problem = None, 0.0, [], ""
        try:
            t = self.rules.finish(request.reading) if request.reading else self.rules.translate(request.question)
            rule_sql, rule_conf, notes = t.sql, t.confidence, t.notes
        except TranslationError as exc:
            problem = str(exc)
        units = _units(request)
        outside = units or (rule_sql is not None and outside_sketches(rule_sql, request.catalog))
        answer = None
        if not units and not (outside and rule_conf >= _FULL):
            try:
                answer = LearnedTranslator(request.catalog, self.conn, self.learned).best(english or _english(request))
            except PgaiError:
                answer = None
        keys = _keys(request.catalog)
        rs = shape(rule_sql) if rule_sql is not None else None
        ls = shape(answer.sql) if answer is not None else None
        rank = agreement(self.conn, rule_sql, answer) if rule_sql is not None and not outside else 5
        options: list[Option] = []
        if answer is not None and ls is not None:
            feats = {"learned_conf": answer.confidence, "rule_none": float(rule_sql is None)}
            feats |= {f"c_{k}": v for k, v in compare(ls, rs, keys).items()}
            if rule_sql is not None:
                feats |= {"rule_conf": rule_conf, "agree": float(rank == 0), "rule_outside": float(outside)}
            options.append(Option("learned", answer.sql, self.judge.learned.prob(feats), feats,
                                   [f"learned: {answer.skeleton}"]))  # fmt: skip
        if rule_sql is not None and rs is not None:
            feats = rule_features(rule_conf, rank, outside, answer) | {"units": float(units)}
            feats |= {f"c_{k}": v for k, v in compare(rs, ls, keys).items()}
            options.append(Option("rules", rule_sql, self.judge.rules.prob(feats), feats, list(notes)))
        options.sort(key=lambda o: -o.confidence)
        found = Judgement(request.question, options, problem)
        if self.record is not None:
            self.record.append(found)
        return found

    def generate(self, request: Request) -> Generated:
        english = _english(request)  # a Chinese question is glossed once (about 20 ms)
        found = self.judgement(request, english)
        options = [o for o in found.options if o.source != "learned" or mentions(english, o.sql)]
        threshold = self.judge.threshold
        rule = next((o for o in options if o.source == "rules"), None)
        if rule is not None and rule.features["outside"] and rule.features["rule_full"]:
            request.validate(rule.sql)  # what the learned translator cannot write: the rule translator's confidence
            # a confident rule answer needs no note on why the learned translator did not write it; a converted
            # unit is said (the number in the SQL is not the one the question gave)
            units = ["a quantity in a unit, converted to the column's unit by the rule translator"]
            why = units if rule.features.get("units") else []
            return Generated(rule.sql, "translator", round(rule.features["rule_conf"], 3), [*rule.notes, *why])
        best = options[0] if options else None
        if best is not None and best.confidence >= threshold:
            request.validate(best.sql)
            return Generated(best.sql, "translator", round(best.confidence, 3), best.notes)
        if self.trust_rules and rule is not None:
            request.validate(rule.sql)
            conf = round(rule.confidence, 3)  # one figure in the header and the note
            below = (f"confidence {conf:.2f} is below the calibrated threshold {threshold:.2f}: a rule answer is still"
                     " given (a learned one this unsure is refused): check the SQL")  # fmt: skip
            return Generated(rule.sql, "translator", conf, [*rule.notes, below])
        said = f" (best confidence {best.confidence:.2f}, threshold {threshold:.2f})" if best else ""
        if found.problem and not options:  # the rules' own refusal says why, and what to do
            raise TranslationError(refusal(found.problem))
        raise TranslationError(
            refusal(f"the built-in translator is not sure enough of an answer to {request.question!r}{said}")
        )

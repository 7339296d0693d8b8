"""Alert rules: a tiny grammar of comparisons of a monitoring run's metrics, parsed and evaluated here (never eval,
never SQL), e.g. `psi > 0.25 or auc < 0.75`, `p_value(contract) < 0.001 and not n < 100`.

    rule       := or
    or         := and ("or" and)*
    and        := not ("and" not)*
    not        := "not" not | "(" rule ")" | comparison
    comparison := metric ("<" | "<=" | ">" | ">=" | "=" | "==" | "!=" | "<>") number
    metric     := name | name "(" feature ")"

Metrics of a run: the model's (accuracy, auc, mae, rmse, r2, n: rows scored), and drift over the features (psi:
the largest PSI, ks: the largest KS statistic, chi2: the largest chi-square statistic, p_value: the smallest
p-value of the KS / chi-square tests, drifted: how many features have PSI ≥ 0.25) or of one feature (psi(age),
ks(age), chi2(plan), p_value(plan), null_fraction(age)). A comparison whose metric the run did not measure is
false and says so.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pgai_magic.errors import ModelError

__all__ = ["FEATURE_METRICS", "MODEL_METRICS", "Comparison", "Rule", "observed", "parse_rule"]

MODEL_METRICS = ("accuracy", "auc", "mae", "rmse", "r2", "n")
DRIFT_METRICS = ("psi", "ks", "chi2", "p_value", "drifted")
FEATURE_METRICS = ("psi", "ks", "chi2", "p_value", "null_fraction")
_OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "=": operator.eq, "==": operator.eq,
    "!=": operator.ne, "<>": operator.ne,
}  # fmt: skip
EXAMPLE = 'e.g. --alert "psi > 0.25 or auc < 0.75"'


@dataclass(frozen=True)
class Comparison:
    """`metric[(feature)] op value`."""

    metric: str
    feature: str | None
    op: str
    value: float

    @property
    def key(self) -> str:
        return f"{self.metric}({self.feature})" if self.feature else self.metric

    def holds(self, values: Mapping[str, float], notes: list[str], why: list[str]) -> bool:
        seen = values.get(self.key)
        if seen is None or (isinstance(seen, float) and math.isnan(seen)):
            notes.append(f"{self.key} was not measured, so `{self}` is false")
            return False
        result = _OPERATORS[self.op](float(seen), self.value)
        if result:
            why.append(f"{self.key} {seen:.4g} {self.op} {self.value:g}")
        return result

    def __str__(self) -> str:
        return f"{self.key} {self.op} {self.value:g}"


@dataclass(frozen=True)
class Rule:
    """A parsed rule: `kind` and, or, not (over `parts`) or cmp (one `comparison`)."""

    kind: str
    parts: tuple[Rule, ...] = ()
    comparison: Comparison | None = None

    def comparisons(self) -> list[Comparison]:
        return [self.comparison] if self.comparison else [c for p in self.parts for c in p.comparisons()]

    def evaluate(self, values: Mapping[str, float]) -> tuple[bool, list[str], list[str]]:
        """(breached, the comparisons that held as `metric value op threshold`, notes on unmeasured metrics)."""
        why: list[str] = []
        notes: list[str] = []
        return self._eval(values, notes, why), why, notes

    def _eval(self, values: Mapping[str, float], notes: list[str], why: list[str]) -> bool:
        if self.comparison is not None:
            return self.comparison.holds(values, notes, why)
        results = [p._eval(values, notes, why) for p in self.parts]  # every part: all reasons are reported
        if self.kind == "not":
            return not results[0]
        return all(results) if self.kind == "and" else any(results)


def _tokens(text: str) -> list[tuple[str, str, int]]:
    """(kind, text, position) of each token: name, number, op, ( and )."""
    out, i = [], 0
    while i < len(text):
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch in "()":
            out.append((ch, ch, i))
            i += 1
        elif ch in "<>=!":
            two = text[i : i + 2]
            op = two if two in _OPERATORS else ch
            if op not in _OPERATORS:
                raise _error(text, i, f"unknown operator {op!r}")
            out.append(("op", op, i))
            i += len(op)
        elif ch.isdigit() or (ch in ".-+" and i + 1 < len(text) and (text[i + 1].isdigit() or text[i + 1] == ".")):
            j = i + 1
            while j < len(text) and (text[j].isalnum() or text[j] == "." or (text[j] in "+-" and text[j - 1] in "eE")):
                j += 1
            out.append(("number", text[i:j], i))
            i = j
        elif ch.isalpha() or ch == "_":
            j = i
            while j < len(text) and (text[j].isalnum() or text[j] == "_"):
                j += 1
            out.append(("name", text[i:j].lower(), i))
            i = j
        else:
            raise _error(text, i, f"unexpected {ch!r}")
    return out


def _error(text: str, at: int, what: str) -> ModelError:
    return ModelError(f"alert rule {text!r}: {what} at character {at + 1}; {EXAMPLE}")


class _Parser:
    def __init__(self, text: str, features: Sequence[str] | None) -> None:
        self.text, self.features = text, features
        self.tokens, self.i = _tokens(text), 0

    def peek(self) -> tuple[str, str, int] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self, kind: str, word: str | None = None) -> tuple[str, str, int]:
        token = self.peek()
        if token is None or token[0] != kind or (word is not None and token[1] != word):
            at = token[2] if token else len(self.text)
            found = repr(token[1]) if token else "the end"
            raise _error(self.text, at, f"expected {word or kind}, found {found}")
        self.i += 1
        return token

    def binary(self, word: str, inner: Callable[[], Rule]) -> Rule:
        parts = [inner()]
        while (token := self.peek()) is not None and token[:2] == ("name", word):
            self.i += 1
            parts.append(inner())
        return parts[0] if len(parts) == 1 else Rule(word, tuple(parts))

    def rule(self) -> Rule:
        return self.binary("or", lambda: self.binary("and", self.negation))

    def negation(self) -> Rule:
        token = self.peek()
        if token is not None and token[:2] == ("name", "not"):
            self.i += 1
            return Rule("not", (self.negation(),))
        if token is not None and token[0] == "(":
            self.i += 1
            inside = self.rule()
            self.take(")")
            return inside
        return Rule("cmp", comparison=self.comparison())

    def comparison(self) -> Comparison:
        _, name, at = self.take("name")
        feature = None
        if (token := self.peek()) is not None and token[0] == "(":
            self.i += 1
            feature = self.take("name")[1]
            self.take(")")
        self._check_metric(name, feature, at)
        op = self.take("op")[1]
        _, number, where = self.take("number")
        try:
            value = float(number)
        except ValueError:
            raise _error(self.text, where, f"{number!r} is not a number") from None
        return Comparison(name, feature, op, value)

    def _check_metric(self, name: str, feature: str | None, at: int) -> None:
        if feature is None and name not in (*MODEL_METRICS, *DRIFT_METRICS):
            known = ", ".join((*MODEL_METRICS, *DRIFT_METRICS))
            raise _error(self.text, at, f"unknown metric {name!r} (known: {known}; per feature: "
                                        f"{', '.join(FEATURE_METRICS)}(FEATURE))")  # fmt: skip
        if feature is not None and name not in FEATURE_METRICS:
            raise _error(self.text, at, f"{name}(…) is not a per-feature metric: use {', '.join(FEATURE_METRICS)}")
        if feature is not None and self.features is not None and feature not in self.features:
            raise _error(self.text, at, f"the model has no feature {feature!r} (features: {list(self.features)})")


def parse_rule(text: str, features: Sequence[str] | None = None) -> Rule:
    """The Rule `text` spells; ModelError naming the position of what is wrong. `features` (the model's) checks
    the features named in per-feature metrics."""
    if not text or not text.strip():
        raise ModelError(f"the alert rule is empty: {EXAMPLE}")
    parser = _Parser(text, features)
    rule = parser.rule()
    if (token := parser.peek()) is not None:
        raise _error(text, token[2], f"unexpected {token[1]!r} (join comparisons with and / or)")
    return rule


def _worst(records: Sequence[Mapping[str, Any]], column: str, pick: Callable[..., float]) -> float | None:
    values = [float(r[column]) for r in records if r.get(column) is not None and not _nan(r[column])]
    return pick(values) if values else None


def _nan(value: Any) -> bool:
    return isinstance(value, float) and math.isnan(value)


def observed(metrics: Mapping[str, Any], drift: Sequence[Mapping[str, Any]]) -> dict[str, float]:
    """The values a rule reads from one run: its metrics and its per-feature drift records (as kept in
    pgai.model_monitoring)."""
    values: dict[str, float] = {k: float(v) for k, v in metrics.items() if k in MODEL_METRICS and v is not None}
    ks = [r for r in drift if r.get("test") == "KS"]
    chi = [r for r in drift if r.get("test") == "chi2"]
    found = {
        "psi": _worst(drift, "psi", max), "ks": _worst(ks, "statistic", max), "chi2": _worst(chi, "statistic", max),
        "p_value": _worst(drift, "p_value", min),
        "drifted": float(sum(1 for r in drift if r.get("status") == "drift")) if drift else None,
    }  # fmt: skip
    values.update({k: v for k, v in found.items() if v is not None})
    for r in drift:
        feature = r.get("feature")
        for name, column in (("psi", "psi"), ("p_value", "p_value"), ("null_fraction", "null_fraction_now")):
            if r.get(column) is not None and not _nan(r[column]):
                values[f"{name}({feature})"] = float(r[column])
        if r.get("statistic") is not None and not _nan(r["statistic"]):
            values[f"{'ks' if r.get('test') == 'KS' else 'chi2'}({feature})"] = float(r["statistic"])
    return values

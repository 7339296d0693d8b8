"""Insight rules: one small pure function per kind, from aggregated frames to candidate insights."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pgai_magic.insights.model import Frames, Insight

__all__ = ["RULES", "Rule", "finding", "rule", "run_rules"]

# a rule returns its candidates (each with a p-value, or None for an observed fact) and how many
# hypotheses it tested, so that the ranking can correct for all of them, reported or not
Rule = Callable[[Frames], tuple[list[Insight], int]]
RULES: dict[str, Rule] = {}


def rule(kind: str) -> Callable[[Rule], Rule]:
    """Register a rule for one insight kind."""

    def register(fn: Rule) -> Rule:
        RULES[kind] = fn
        return fn

    return register


def finding(
    kind: str,
    subject: str,
    summary: str,
    *,
    effect: float,
    impact: float | None = None,
    evidence: Mapping[str, Any] | None = None,
    **fields: Any,
) -> Insight:
    """One candidate insight of a rule: `effect` is its effect size (kept as evidence["effect"], which
    the ranking compares within a group), `impact` the effect weighted by how much of the data it covers (the
    effect itself when not given), `evidence` what the chart draws, `fields` Insight's other fields (p_value,
    columns, measure, filters, focus, when, direction)."""
    shown = {**(evidence or {}), "effect": effect}
    return Insight(kind, subject, summary, impact=effect if impact is None else impact, evidence=shown, **fields)


def run_rules(frames: Frames, kinds: list[str] | None = None) -> tuple[list[Insight], int]:
    """Every registered rule (or those in `kinds`) over the frames: all candidates and the number of tests."""
    candidates: list[Insight] = []
    tests = 0
    for kind, fn in RULES.items():
        if kinds is not None and kind not in kinds:
            continue
        found, tested = fn(frames)
        candidates += found
        tests += tested
    return candidates, tests


from pgai_magic.insights.rules import (  # noqa: E402,F401  (rules register themselves)
    calendar,
    categories,
    contributors,
    correlation,
    distribution,
    drivers,
    quality,
    timeseries,
)

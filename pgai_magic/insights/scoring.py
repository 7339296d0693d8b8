"""Ranking: impact × significance after Benjamini-Hochberg over every test, events merged, diverse top K."""

from __future__ import annotations

from collections import defaultdict

import pandas as pd

from pgai_magic.insights.model import ROWS, Insight
from pgai_magic.insights.stats import bh_qvalues
from pgai_magic.insights.words import pct

__all__ = ["ALPHA", "fold_calendar_into_spikes", "fold_nested_contributors", "merge_events", "rank", "score", "select"]

ALPHA = 0.05  # false discovery rate over all the tests of one run
MIN_SCORE = 0.02
SAME_KIND_DECAY = 0.85  # each further insight of a kind already shown counts a little less
SAME_COLUMNS_DECAY = 0.7  # and so does a further insight about exactly the same columns
# shape facts (a skewed column, its outliers, a group's mean) matter less than events and structure
KIND_WEIGHT = {"skew": 0.3, "outliers": 0.3, "category_outlier": 0.8, "segment_deviation": 0.8}
FAMILY = {
    "skew": "distribution",
    "outliers": "distribution",
    "trend": "time",
    "change_point": "time",
    "spike": "time",
    "seasonality": "time",
    "top_contributor": "contribution",
    "concentration": "contribution",
}


def score(candidates: list[Insight], tests: int, alpha: float = ALPHA) -> list[Insight]:
    """q-values (BH over `tests` hypotheses, unreported ones counted as p = 1) and
    score = impact × surprise × (1 − q) × kind weight; surprise (evidence "surprise", default 1) is below 1 for
    what follows from the data's own definitions (a measure and a factor it is computed from)."""
    tested = [c for c in candidates if c.p_value is not None]
    qs = bh_qvalues([float(c.p_value) for c in tested], extra_tests=tests - len(tested))  # type: ignore[arg-type]
    for c, q in zip(tested, qs):
        c.q_value = float(q)
    kept = []
    for c in candidates:
        significance = 1.0 if c.q_value is None else 1.0 - c.q_value
        surprise = float(c.evidence.get("surprise", 1.0))
        c.score = max(c.impact, 0.0) * surprise * significance * KIND_WEIGHT.get(c.kind, 1.0)
        if (c.q_value is None or c.q_value <= alpha) and c.score >= MIN_SCORE:
            kept.append(c)
    return kept


def _effect(c: Insight) -> float:
    return float(c.evidence.get("effect", c.impact))


def _explain(child: Insight, parent: Insight) -> None:
    """Fold an overall finding into the subspace that explains it: the child keeps the higher score."""
    share = None
    if child.measure == parent.measure and parent.evidence.get("delta"):
        share = float(child.evidence.get("delta", 0.0)) / float(parent.evidence["delta"])
    if share is not None and share > 0:
        child.summary = child.summary.rstrip(".") + f", accounting for {pct(min(share, 1.0))} of the overall change."
    child.explains.append(parent.summary)
    child.score = max(child.score, parent.score)


def merge_events(kept: list[Insight]) -> list[Insight]:
    """One insight per event: the same spike or change seen overall, in several measures or subspaces.

    Spikes and change points at the same bucket and direction are one event, reported once by the most
    specific series (the largest relative effect, usually the subspace that caused it) with the group's
    best score. An overall trend is folded into a subspace trend that accounts for at least half of it.
    A subspace cycle peaking within one period of the overall cycle's peak is dropped: no news there.
    Segment deviations over the same pair of columns are one finding.
    """
    groups: dict[tuple[object, ...], list[Insight]] = defaultdict(list)
    others: list[Insight] = []
    for c in kept:
        if c.kind in ("spike", "change_point"):
            groups[(c.kind, c.when, c.direction)].append(c)
        elif c.kind in ("trend", "seasonality"):
            groups[(c.kind, tuple(sorted(c.filters.items())), c.direction)].append(c)
        elif c.kind == "segment_deviation":  # A's mix over B and B's mix over A tell one story
            groups[(c.kind, frozenset(c.columns))].append(c)
        elif c.kind == "calendar":  # rows and a total with the same rhythm: one pattern (an average is its own)
            groups[(c.kind, c.evidence.get("grain"), c.summary.startswith("Average"))].append(c)
        elif c.kind == "category_outlier":  # one group standing out in several measures: one fact
            groups[(c.kind, c.columns[:1], c.focus, c.direction)].append(c)
        elif c.kind in ("top_contributor", "concentration"):  # a value's share of rows and of a measure: one fact
            groups[("contribution", c.columns[:1], c.focus[:1])].append(c)
        else:
            others.append(c)
    merged: list[Insight] = []
    for members in groups.values():
        best = max(members, key=lambda c: (_effect(c), c.score))
        for other in members:
            if other is best:
                continue
            if other.kind == "top_contributor" and other.evidence.get("share") is not None:
                best.summary = best.summary.rstrip(".") + (
                    f"; it also holds {pct(float(other.evidence['share']))} of {other.evidence.get('of')}."
                )
            if other.kind in ("calendar", "category_outlier", "trend") and other.measure != best.measure:
                verb = "follow" if other.measure == "rows" else "follows"
                best.summary = best.summary.rstrip(".") + f"; {other.measure} {verb} a similar pattern."
            if not other.filters and best.filters:
                _explain(best, other)
            best.score = max(best.score, other.score)
        merged.append(best)
    merged = fold_nested_contributors(merged)
    merged = fold_calendar_into_spikes(merged)
    overall_trends = [c for c in merged if c.kind == "trend" and not c.filters]
    for parent in overall_trends:
        children = [
            c
            for c in merged
            if c.kind == "trend" and c.filters and c.measure == parent.measure and c.direction == parent.direction
        ]
        pd_ = float(parent.evidence.get("delta") or 0.0)
        explaining = [c for c in children if pd_ and float(c.evidence.get("delta", 0.0)) / pd_ >= 0.5]
        if explaining:
            _explain(max(explaining, key=_effect), parent)
            merged.remove(parent)
    # a cycle the whole series has is no news in each subspace: keep those that peak elsewhere
    peaks = {c.measure: int(c.evidence.get("peak", -99)) for c in merged if c.kind == "seasonality" and not c.filters}

    def echoes(c: Insight) -> bool:
        period = int(c.evidence.get("period", 0)) or 1
        gap = abs(int(c.evidence.get("peak", 99)) - peaks.get(c.measure, -99)) % period
        return c.kind == "seasonality" and bool(c.filters) and c.measure in peaks and min(gap, period - gap) <= 1

    merged = [c for c in merged if not echoes(c)]
    return others + merged


NESTED_SHARE = 0.5  # an item making up at least this part of its group's share explains the group's share


def fold_nested_contributors(found: list[Insight]) -> list[Insight]:
    """A group's share that one item inside it explains is the item's finding, reported once.

    'category = electronics holds 71% of revenue' and 'product = P-0007 holds 68%', with P-0007 lying only in
    electronics (the top-group scan's "within"), are one fact: the category finding is folded into the
    product's, which keeps the higher score and names the category.
    """
    items = [c for c in found if c.kind == "top_contributor" and c.evidence.get("within")]
    dropped: set[int] = set()
    for item in items:
        for group in found:
            if group is item or id(group) in dropped or group.kind != "top_contributor":
                continue
            if group.measure != item.measure or len(group.columns) != 1 or not group.focus:
                continue
            if item.evidence["within"].get(group.columns[0]) != group.focus[0]:
                continue
            share, group_share = float(item.evidence.get("share", 0.0)), float(group.evidence.get("share", 0.0))
            if group_share <= 0 or share / group_share < NESTED_SHARE:
                continue
            item.summary = item.summary.rstrip(".") + (
                f"; it lies in {group.columns[0]} = '{group.focus[0]}', whose {pct(group_share)} of "
                f"{group.evidence.get('of')} it makes up {pct(min(share / group_share, 1.0))} of."
            )
            item.explains.append(group.summary)
            item.score = max(item.score, group.score)
            dropped.add(id(group))
    return [c for c in found if id(c) not in dropped]


def _spike_explains(spike: Insight, cal: Insight) -> bool:
    """Whether a spike's excess alone makes a month-of-year peak (or a dip its trough): without the excess,
    spread over the days of that month in the scanned years, the month would not be the extreme."""
    ev = cal.evidence
    phases, ys, occ = ev.get("phases"), ev.get("y"), ev.get("occurrences")
    if not (spike.when and phases and ys and occ) or len(ys) < 3:
        return False
    month = pd.Timestamp(spike.when).month
    if month not in phases:
        return False
    i = phases.index(month)
    up = spike.direction == "up"
    if ys[i] != (max(ys) if up else min(ys)) or not occ[i]:
        return False
    without = ys[i] - float(spike.evidence.get("delta") or 0.0) / occ[i]
    rest = [y for j, y in enumerate(ys) if j != i]
    return without <= max(rest) if up else without >= min(rest)


def fold_calendar_into_spikes(found: list[Insight]) -> list[Insight]:
    """A month-of-year pattern whose extreme month is one spike (March highest only because March 2025 spiked)
    is that spike's finding, not a seasonal pattern: it is folded into the spike, which names it."""
    spikes = [c for c in found if c.kind == "spike" and c.measure != ROWS]
    dropped: set[int] = set()
    for cal in found:
        if cal.kind != "calendar" or cal.evidence.get("grain") != "month":
            continue
        for spike in spikes:
            if spike.measure == cal.measure and _spike_explains(spike, cal):
                extreme = "highest" if spike.direction == "up" else "lowest"
                spike.summary = spike.summary.rstrip(".") + (
                    f"; it alone makes {cal.focus[0] if spike.direction == 'up' else cal.focus[1]} the {extreme} "
                    f"month of the year for {cal.measure}."
                )
                spike.explains.append(cal.summary)
                dropped.add(id(cal))
                break
    return [c for c in found if id(c) not in dropped]


def select(candidates: list[Insight], top: int) -> list[Insight]:
    """Greedy top K by score, discounting kinds and column sets already chosen; the score becomes the discounted one."""
    pool = sorted(candidates, key=lambda c: -c.score)
    chosen: list[Insight] = []
    per_kind: dict[str, int] = defaultdict(int)
    per_topic: dict[tuple[object, ...], int] = defaultdict(int)

    def topic(c: Insight) -> tuple[object, ...]:
        """What an insight is about: its family of kinds, its columns and its subspace."""
        return FAMILY.get(c.kind, c.kind), frozenset(c.columns), tuple(sorted(c.filters.items()))

    def adjusted(c: Insight) -> float:
        return c.score * SAME_KIND_DECAY ** per_kind[c.kind] * SAME_COLUMNS_DECAY ** per_topic[topic(c)]

    while pool and len(chosen) < top:
        best = max(pool, key=adjusted)
        pool.remove(best)
        best.score = adjusted(best)
        chosen.append(best)
        per_kind[best.kind] += 1
        per_topic[topic(best)] += 1
    return chosen


def rank(candidates: list[Insight], tests: int, top: int, alpha: float = ALPHA) -> list[Insight]:
    """Score, merge duplicate events, and choose the top K."""
    return select(merge_events(score(candidates, tests, alpha)), top)

"""Deploy strategies (PostgresML's words): activate the best, the newest, or never; and the reason said to the user."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pgai_magic.errors import ModelError

__all__ = ["STRATEGIES", "Decision", "decide", "headline_metric"]

STRATEGIES = ("best", "newest", "never")
# the metric compared, in order of preference, and whether higher is better
_HEADLINES = {"classification": (("auc", True), ("accuracy", True)), "regression": (("rmse", False), ("mae", False))}


@dataclass(frozen=True)
class Decision:
    """Whether the new version becomes active, and why (one sentence for the notebook)."""

    activate: bool
    reason: str


def _number(metrics: Mapping[str, Any], key: str) -> float | None:
    value = metrics.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(float(value)):
        return None
    return float(value)


def headline_metric(task: str, new: Mapping[str, Any], old: Mapping[str, Any]) -> tuple[str, bool] | None:
    """The first headline metric of `task` both metric sets have: (name, higher is better), or None."""
    for key, higher in _HEADLINES.get(task, ()):
        if _number(new, key) is not None and _number(old, key) is not None:
            return key, higher
    return None


def decide(strategy: str, version: int, metrics: Mapping[str, Any], task: str, active: Any | None) -> Decision:
    """Whether version `version` (with `metrics`) replaces `active` (a ModelVersion or None) under `strategy`.

    best: only when its metric (AUC, else accuracy; RMSE, else MAE for regression) is strictly better
    than the active version's, or when there is no active version; newest: always; never: not at all.
    Raises ModelError for an unknown strategy.
    """
    if strategy not in STRATEGIES:
        raise ModelError(f"unknown deploy strategy {strategy!r}: use one of {', '.join(STRATEGIES)}")
    if strategy == "never":
        return Decision(False, f"--deploy never: v{version} is stored but not active")
    if active is None:
        return Decision(True, f"v{version} is the first active version")
    if strategy == "newest":
        return Decision(True, f"--deploy newest: v{version} replaces v{active.version}")
    if active.task != task:
        return Decision(True, f"v{version} is a {task} model, v{active.version} a {active.task} one: the newest wins")
    found = headline_metric(task, metrics, active.metrics)
    if found is None:
        return Decision(
            False,
            f"v{version} and the active v{active.version} have no metric in common to compare "
            f"(deploy with --data/--target, or use --deploy newest): v{active.version} stays active",
        )
    key, higher = found
    new, old = _number(metrics, key), _number(active.metrics, key)
    assert new is not None and old is not None
    better = new > old if higher else new < old
    where = str(metrics.get("split", "")) or "its data"
    there = str(active.metrics.get("split", "")) or "its data"
    verdict = "better than" if better else "not better than"
    winner = version if better else active.version
    theirs = f"{old:.4g}" if there == where else f"{old:.4g} ({there})"  # measured on other data: say so
    return Decision(better, f"{key} {new:.4g} ({where}) is {verdict} v{active.version}'s {theirs}: v{winner} is active")

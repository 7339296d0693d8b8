"""Time rules over every series (overall and per subspace): trend, change point, seasonality, spike."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from pgai_magic.insights.model import ROWS, Frames, Insight
from pgai_magic.insights.rules import finding, rule
from pgai_magic.insights.series import PERIODS, Series, all_series, models
from pgai_magic.insights.stats import anova_pvalue, norm_sf2, robust_scale
from pgai_magic.insights.words import MONTHS, WEEKDAYS, num, pct, period, pval, where

MIN_EFFECT = 0.1
_PHASE_NAMES = {"month": list(MONTHS), "day": list(WEEKDAYS)}


def _what(s: Series) -> str:
    """'rows', 'revenue', 'average unit_price', with the subspace: "revenue for region = 'west'"."""
    name = "rows" if s.measure == ROWS else (f"average {s.measure}" if s.agg == "avg" else s.measure)
    return f"{name} for {where(s.filters)}" if s.filters else name


def _start(s: Series) -> str:
    """The sentence's opening words; column names keep their case."""
    what = _what(s)
    return what[0].upper() + what[1:] if s.measure == ROWS or s.agg == "avg" else what


def _subject(s: Series) -> str:
    name = "rows" if s.measure == ROWS else s.measure
    return f"{name} where {where(s.filters)}" if s.filters else f"{name} over time"


def _verb(s: Series, singular: str) -> str:
    """'grows' for a measure, 'grow' for rows."""
    if s.measure != ROWS:
        return singular
    return {"does": "do"}.get(singular, singular[:-2] if singular.endswith(("hes", "ses")) else singular[:-1])


def _per(s: Series) -> str:
    return f" per {s.unit}" if s.agg != "avg" else ""


def _columns(s: Series) -> tuple[str, ...]:
    return tuple(s.filters) + (() if s.measure == ROWS else (s.measure,))


def _evidence(s: Series, **extra: object) -> dict[str, object]:
    return {"chart": "series", "x": [t.isoformat() for t in s.index], "y": s.y.tolist(), "ylabel": _what(s), **extra}


def _found(kind: str, s: Series, summary: str, *, effect: float, **fields: Any) -> Insight:
    """A finding on one series: its columns, measure and subspace, the impact weighted by the data it covers."""
    impact = effect * math.sqrt(s.coverage)
    extra = {"columns": _columns(s), "measure": s.measure, "filters": dict(s.filters), **fields}
    return finding(kind, _subject(s), summary, effect=effect, impact=impact, **extra)


def _relative(a: float, b: float) -> float:
    scale = max(abs(a), abs(b))
    return abs(b - a) / scale if scale > 0 else 0.0


@rule("trend")
def trend(frames: Frames) -> tuple[list[Insight], int]:
    found, tests = [], 0
    for s in all_series(frames):
        if len(s.y) < 6:
            continue
        tests += 1
        fit = models(s)
        if fit.step_wins:
            continue  # a level shift explains the series better: the change-point rule reports it
        n = len(s.y)
        start, end = float(fit.line.at(0)), float(fit.line.at(n - 1))
        low, high = float(np.min(s.y)), float(np.max(s.y))
        if not (low <= start <= high and low <= end <= high):
            # a line through a curved series can end where the data never were (consumption from -557):
            # the first and last buckets' own values
            start, end = float(s.y[0]), float(s.y[-1])
        effect = _relative(start, end)
        if effect < MIN_EFFECT or fit.line.r2 < 0.3:
            continue
        up = end > start
        change = f"{'+' if up else '-'}{pct(abs(end - start) / abs(start))}" if start else ""
        found.append(
            _found(
                "trend",
                s,
                f"{_start(s)} {_verb(s, 'grows' if up else 'declines')} steadily from about {num(start)} to "
                f"{num(end)}{_per(s)} between {period(s.index[0], s.unit)} and {period(s.index[-1], s.unit)} "
                f"({change}, R² = {fit.line.r2:.2f}, {pval(fit.line.pvalue)}).",
                effect=effect,
                p_value=fit.line.pvalue,
                direction="up" if up else "down",
                evidence=_evidence(
                    s, fit=(fit.line.intercept + fit.line.slope * np.arange(n)).tolist(), delta=end - start
                ),
            )
        )
    return found, tests


@rule("change_point")
def change_point(frames: Frames) -> tuple[list[Insight], int]:
    found, tests = [], 0
    for s in all_series(frames):
        fit = models(s)
        if fit.step is None:
            continue
        tests += 1
        step = fit.step
        effect = _relative(step.before, step.after)
        if not fit.step_wins or effect < MIN_EFFECT:
            continue
        up = step.after > step.before
        at = s.index[step.index]
        found.append(
            _found(
                "change_point",
                s,
                f"{_start(s)} {_verb(s, 'jumps' if up else 'drops')} by {pct(effect)} from "
                f"{period(at, s.unit)}: about {num(step.before)}{_per(s)} before, {num(step.after)} after "
                f"({pval(step.pvalue)}).",
                effect=effect,
                p_value=step.pvalue,
                when=at.date().isoformat(),
                direction="up" if up else "down",
                evidence=_evidence(
                    s,
                    fit=[step.before] * step.index + [step.after] * (len(s.y) - step.index),
                    mark=at.isoformat(),
                    delta=step.after - step.before,
                ),
            )
        )
    return found, tests


def _phases(s: Series) -> np.ndarray | None:
    if s.unit == "month":
        return np.asarray(s.index.month - 1)
    if s.unit == "quarter":
        return np.asarray(s.index.quarter - 1)
    if s.unit == "day":
        return np.asarray(s.index.dayofweek)
    if s.unit == "hour":
        return np.asarray(s.index.hour)
    return None


def seasonality(frames: Frames) -> tuple[list[Insight], int]:
    """A cycle in the bucketed series (not registered: the calendar rule covers cycles on complete periods)."""
    found, tests = [], 0
    for s in all_series(frames):
        period_len = PERIODS.get(s.unit)
        phases = _phases(s)
        if period_len is None or phases is None or len(s.y) < 2 * period_len:
            continue
        tests += 1
        resid = s.y - models(s).robust
        groups = [resid[phases == k] for k in range(period_len)]
        p, eta2 = anova_pvalue(groups)
        means = np.array([g.mean() if len(g) else 0.0 for g in groups])
        level = float(np.mean(np.abs(s.y))) or 1.0
        amplitude = float(means.max() - means.min()) / level
        effect = min(1.0, amplitude) * math.sqrt(eta2)
        if eta2 < 0.3 or amplitude < MIN_EFFECT:
            continue
        names = _PHASE_NAMES.get(s.unit) or [f"{s.unit} {k + 1}" for k in range(period_len)]
        hi, lo = int(means.argmax()), int(means.argmin())
        found.append(
            _found(
                "seasonality",
                s,
                f"{_start(s)} {_verb(s, 'follows')} a {len(groups)}-{s.unit} cycle: highest in {names[hi]} "
                f"({pct(means[hi] / level)} above the level), lowest in {names[lo]} ({pct(-means[lo] / level)} below); "
                f"the cycle explains {pct(eta2)} of the variation ({pval(p)}).",
                effect=effect,
                p_value=p,
                focus=(names[hi],),
                evidence=_evidence(s, peak=hi, period=period_len),
            )
        )
    return found, tests


def neighbours_median(x: np.ndarray, half: int = 3) -> np.ndarray:
    """For each bucket, the median of x over up to `half` buckets on each side, the bucket itself left out."""
    out = np.empty_like(x, dtype=float)
    for i in range(len(x)):
        near = np.concatenate([x[max(0, i - half) : i], x[i + 1 : i + 1 + half]])
        out[i] = np.median(near) if len(near) else 0.0
    return out


def local_baseline(y: np.ndarray, model: np.ndarray, half: int = 3) -> np.ndarray:
    """The model plus the median of its residuals on the nearer side (before or after) of each bucket.

    The model (a robust line or level) carries the long-run shape; the neighbours absorb slow local
    bends it misses. Taking the side the bucket agrees with more keeps the first bucket after a level
    shift from looking like a spike: a true spike departs from both sides.
    """
    resid = y - model
    local = np.zeros_like(resid, dtype=float)
    for i in range(len(y)):
        sides = [np.median(part) for part in (resid[max(0, i - half) : i], resid[i + 1 : i + 1 + half]) if len(part)]
        if sides:
            local[i] = min(sides, key=lambda m: abs(resid[i] - m))
    return model + local


@rule("spike")
def spike(frames: Frames) -> tuple[list[Insight], int]:
    found, tests = [], 0
    for s in all_series(frames):
        n = len(s.y)
        if n < 8:
            continue
        tests += 1
        model = models(s).robust
        base = local_baseline(s.y, model)
        resid = s.y - base
        # noise: the spread around the long-run shape, and never less than the bucket's own sampling noise
        # (the neighbours' variance: a spike inflates its own bucket's variance)
        scale = np.maximum(robust_scale(s.y - model), np.sqrt(neighbours_median(s.var)))
        if not (scale > 0).all():
            continue
        z = resid / scale
        i = int(np.argmax(np.abs(z)))
        p = min(1.0, norm_sf2(float(z[i])) * n)
        effect = _relative(float(base[i]), float(s.y[i]))
        if effect < MIN_EFFECT:
            continue
        up = resid[i] > 0
        ratio = f"{s.y[i] / base[i]:.1f}×, " if base[i] > 0 and s.y[i] > 0 else ""
        at = s.index[i]
        found.append(
            _found(
                "spike",
                s,
                f"{_start(s)} {_verb(s, 'spikes' if up else 'dips')} in {period(at, s.unit)}: {num(s.y[i])} "
                f"against about {num(base[i])} expected ({ratio}robust z = {z[i]:.1f}, {pval(p)}).",
                effect=effect,
                p_value=p,
                when=at.date().isoformat(),
                direction="up" if up else "down",
                evidence=_evidence(s, fit=base.tolist(), mark=at.isoformat(), delta=float(resid[i])),
            )
        )
    return found, tests

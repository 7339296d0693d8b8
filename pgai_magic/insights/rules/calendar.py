"""Calendar rule: a measure by month of year, weekday and hour of day, over complete periods only.

Averages are compared with a one-way ANOVA (effect: the correlation ratio η); totals and row counts are
put per occurrence of the calendar part (per day of that weekday, per day of that month) and compared with
the occurrences' share by a chi-square on the compound-Poisson variance.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats as sst

from pgai_magic.insights.clock import zone_note
from pgai_magic.insights.model import COUNT, ROWS, Frames, Insight
from pgai_magic.insights.rules import finding, rule
from pgai_magic.insights.stats import anova_from_sums
from pgai_magic.insights.words import MONTHS, WEEKDAYS, num, pct, pval

MIN_EFFECT = 0.2  # highest vs lowest, relative to the larger
MIN_ETA2 = 0.005
MIN_ETA2_ALONE = 0.02  # an average whose calendar part explains this share of its variance is a pattern
MIN_GROUP = 30  # rows a calendar part needs for its mean to be compared
LABELS = {"month": "month of year", "dow": "weekday", "hour": "hour of day"}
AT = {"month": "in", "dow": "on", "hour": "at"}


def phase_name(grain: str, phase: int) -> str:
    """'July', 'Saturday', '20h'."""
    if grain == "month":
        return MONTHS[phase - 1]
    if grain == "dow":
        return WEEKDAYS[phase - 1]
    return f"{phase}h"


def occurrences(grain: str, lo: pd.Timestamp, hi: pd.Timestamp) -> dict[int, float]:
    """How many days of each month / weekday lie in [lo, hi) (hours: days, each hour once a day)."""
    days = pd.date_range(lo, hi - pd.Timedelta(days=1), freq="D")
    if grain == "month":
        return {int(k): float(v) for k, v in zip(*np.unique(np.asarray(days.month), return_counts=True), strict=True)}
    if grain == "dow":
        dow = np.asarray(days.dayofweek) + 1
        return {int(k): float(v) for k, v in zip(*np.unique(dow, return_counts=True), strict=True)}
    return {h: float(len(days)) for h in range(24)}


def _direction(values: np.ndarray, phases: np.ndarray) -> str:
    r = np.corrcoef(phases, values)[0, 1] if len(values) > 2 and np.std(values) > 0 else 0.0
    return "up" if r >= 0 else "down"


def _totals(part: pd.DataFrame, m: str, center: float, occ: np.ndarray) -> tuple[np.ndarray, float, float] | None:
    """Per-occurrence totals, the chi-square p-value against the occurrences' share, and the mean rate."""
    if m == ROWS:
        total, var = part[COUNT].to_numpy(float), part[COUNT].to_numpy(float)
    else:
        s1, nn, q = (part[f"{k}:{m}"].to_numpy(float) for k in ("s1", "nn", "q"))
        total = s1 + nn * center
        var = q + 2.0 * center * s1 + nn * center * center  # Σx² from the centred sums
    if (total < 0).any() or total.sum() <= 0 or (var <= 0).any():
        return None
    expected = total.sum() * occ / occ.sum()
    chi = float(((total - expected) ** 2 / var).sum())
    return total / occ, float(sst.chi2.sf(chi, len(total) - 1)), float(total.sum() / occ.sum())


def _finding(frames: Frames, grain: str, part: pd.DataFrame, m: str) -> Insight | None:
    prof, bd = frames.profile, frames.breakdowns
    assert bd is not None and bd.lo is not None and bd.hi is not None and prof.time is not None
    avg = m != ROWS and prof.measure(m).agg == "avg"
    if avg:
        part = part[part[f"nn:{m}"] >= MIN_GROUP]  # too few rows for a mean (flights at 2 a.m.)
        if len(part) < 2:
            return None
    phases = part["phase"].to_numpy(int)
    eta2 = 0.0
    extra: dict[str, object] = {"phases": phases.tolist()}
    if avg:
        nn, s1, q = (part[f"{k}:{m}"].to_numpy(float) for k in ("nn", "s1", "q"))
        values = s1 / nn + prof.measure(m).center
        p, eta2 = anova_from_sums(nn, s1, q)
        if eta2 < MIN_ETA2:
            return None
        level, unit = float(np.average(values, weights=nn)), ""
        # how much of the variation the part explains, or how far apart its extremes are (delays: 0.7 min at 5h
        # and 24.8 at 19h explain only 4% of a heavy-tailed variance, yet they are the story)
        spread = float(values.max() - values.min()) / abs(level) if level else 0.0
        effect = max(math.sqrt(eta2), spread / (1.0 + spread))
        share = f"; {LABELS[grain]} explains {pct(eta2, 1)} of its variation"
    else:
        occ_map = occurrences(grain, bd.lo, bd.hi)
        occ = np.array([occ_map.get(int(k), 0.0) for k in phases])
        center = 0.0 if m == ROWS else prof.measure(m).center
        got = _totals(part, m, center, occ) if (occ > 0).all() else None
        if got is None:
            return None
        values, p, level = got
        extra["occurrences"] = occ.tolist()  # days of each phase: a spike's excess per day of its phase
        up = 1.0 / frames.sampled.get("breakdowns", 1.0)  # a sample's totals scaled to the whole table
        values, level = values * up, level * up
        amplitude = float(values.max() - values.min()) / level if level > 0 else 0.0
        effect, unit, share = amplitude / (1.0 + amplitude), " a day", ""
    hi, lo = int(values.argmax()), int(values.argmin())
    relative = abs(values[hi] - values[lo]) / max(abs(values[hi]), abs(values[lo]), 1e-300)
    # a temperature in °F has no meaningful ratio: an average also counts when the part explains enough of it
    if relative < MIN_EFFECT and not (avg and eta2 >= MIN_ETA2_ALONE):
        return None
    what = "rows" if m == ROWS else f"average {m}" if avg else m
    note = zone_note(prof, grain)
    span = f"{prof.time} {bd.lo:%Y-%m-%d} to {bd.hi - pd.Timedelta(days=1):%Y-%m-%d}, complete {bd.unit}s"
    span += f", {note}" if note else ""
    about = "about " if frames.sampled.get("breakdowns") else ""
    names = [phase_name(grain, int(k)) for k in phases]
    return finding(
        "calendar",
        f"{what} by {LABELS[grain]}",
        f"{what[0].upper()}{what[1:]} by {LABELS[grain]}: "
        f"highest {AT[grain]} {names[hi]} ({about}{num(values[hi])}{unit}), "
        f"lowest {AT[grain]} {names[lo]} ({about}{num(values[lo])}{unit}) against {num(level)}{unit} on average "
        f"({span}{share}, {pval(p)}).",
        effect=effect,
        p_value=p,
        columns=(prof.time,) if m == ROWS else (prof.time, m),
        measure=m,
        focus=(names[hi], names[lo]),
        direction=_direction(values, phases),
        evidence={
            "chart": "bars",
            "x": names,
            "y": values.tolist(),
            "ylabel": what + unit.replace(" a ", " per "),
            "highlight": names[hi],
            "grain": grain,
            "zone": note,
            "share": None,
            **extra,
        },
    )


@rule("calendar")
def calendar(frames: Frames) -> tuple[list[Insight], int]:
    bd = frames.breakdowns
    if bd is None or bd.lo is None:
        return [], 0
    prof = frames.profile
    measures = prof.counted() + [m for m in prof.primary if prof.measure(m).agg == "avg"]
    found, tests = [], 0
    for grain in bd.grains:
        part = bd.groups.get(f"cal:{grain}")
        if part is None or len(part) < 2:
            continue
        for m in measures:
            tests += 1
            got = _finding(frames, grain, part, m)
            if got is not None:
                found.append(got)
    return found, tests

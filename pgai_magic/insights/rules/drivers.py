"""Driver rule: a measure's mean across bins of another numeric column (rain, visibility, hour, a small integer),
with a one-way ANOVA over the bins; the effect is the correlation ratio η."""

from __future__ import annotations

import math

import pandas as pd

from pgai_magic.insights.identities import near
from pgai_magic.insights.model import Frames, Insight
from pgai_magic.insights.rules import finding, rule
from pgai_magic.insights.stats import anova_from_sums
from pgai_magic.insights.words import num, pct, pval

__all__ = ["bin_label", "driver"]

MIN_ETA2 = 0.005
MIN_EFFECT = 0.2  # the extreme bins' means differ by at least this share of the larger
MIN_BIN = 30


def bin_label(name: str, lo: float, hi: float, *, calendar: bool = False) -> str:
    """'precip = 0', 'hour 5–8'; a calendar part as written ('year 1952–1962', never '1,952')."""
    fmt = (lambda v: str(int(v))) if calendar and float(lo).is_integer() and float(hi).is_integer() else num
    return f"{name} = {fmt(lo)}" if lo == hi else f"{name} {fmt(lo)}–{fmt(hi)}"


def _finding(frames: Frames, x: str, part: pd.DataFrame, m: str) -> Insight | None:
    part = part[part[f"nn:{m}"] >= MIN_BIN]
    if len(part) < 2:
        return None
    nn, s1, q = (part[f"{k}:{m}"].to_numpy(float) for k in ("nn", "s1", "q"))
    means = s1 / nn + frames.profile.measure(m).center
    p, eta2 = anova_from_sums(nn, s1, q)
    first, last = float(means[0]), float(means[-1])
    if eta2 < MIN_ETA2 or abs(last - first) / max(abs(first), abs(last), 1e-300) < MIN_EFFECT:
        return None
    up = last > first
    calendar = frames.profile.column(x).role == "calendar"
    labels = [bin_label(x, lo, hi, calendar=calendar) for lo, hi in zip(part[f"lo:{x}"], part[f"hi:{x}"], strict=True)]
    about = "about " if frames.sampled.get("breakdowns") else ""
    effect = math.sqrt(eta2)
    return finding(
        "driver",
        f"{m} by {x}",
        f"Higher {x} goes with {'higher' if up else 'lower'} {m}: {about}{num(first)} on average for "
        f"{labels[0]} ({num(nn[0])} rows) against {num(last)} for {labels[-1]} ({num(nn[-1])} rows); "
        f"{x} explains {pct(eta2, 1)} of the variation of {m} ({pval(p)}).",
        effect=effect,
        p_value=p,
        columns=(x, m),
        measure=m,
        direction="up" if up else "down",
        evidence={"chart": "bars", "x": labels, "y": means.tolist(), "ylabel": f"avg {m}"},
    )


@rule("driver")
def driver(frames: Frames) -> tuple[list[Insight], int]:
    bd = frames.breakdowns
    if bd is None:
        return [], 0
    found, tests = [], 0
    pairs = {frozenset(k) for k, v in (frames.wide or {}).get("corr", {}).items() if v.get("corr") is not None}
    for x in bd.cuts:
        part = bd.groups.get(f"x:{x}")
        if part is None:
            continue
        for m in frames.profile.primary:
            if frozenset((x, m)) in pairs or near(frames.wide, x, m) is not None:
                continue  # both are measures: the correlation rule reports the pair (or the overview, when one)
            tests += 1
            got = _finding(frames, x, part, m)
            if got is not None:
                found.append(got)
    return found, tests

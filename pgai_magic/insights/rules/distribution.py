"""Distribution rules: skewed measures and outliers beyond the 3 × IQR fences."""

from __future__ import annotations

import itertools
import math

from scipy import stats as sst

from pgai_magic.insights.identities import echo_of
from pgai_magic.insights.model import ColumnInfo, Frames, Insight
from pgai_magic.insights.rules import finding, rule
from pgai_magic.insights.stats import skew_pvalue
from pgai_magic.insights.words import num, pct, pval

MIN_SKEW = 2.0
# amounts bounded below by zero (prices, revenue, durations) are right-skewed as a rule (gamma, lognormal):
# that shape is expected and counts half; a left skew, or a right skew of a signed measure, is news
EXPECTED_SKEW_SURPRISE = 0.5
ESTIMATED = " (quartiles estimated from pg_stats' sample of rows; the SQL gives the exact figures)"
NORMAL_OUTSIDE = 2.0 * float(sst.norm.sf(0.6745 + 3 * 1.349))  # share beyond 3 IQR fences for a normal


def histogram(col: ColumnInfo) -> dict[str, object]:
    """The shape of a column from pg_stats: its most common values as bars when they hold most rows,
    else the equal-depth histogram as densities (log-scaled when it spans orders of magnitude)."""
    if sum(col.mcf) >= 0.5:
        try:
            pairs = sorted((float(v), f) for v, f in zip(col.mcv, col.mcf))
        except ValueError:
            pairs = []
        if pairs:
            return {
                "chart": "bars",
                "x": [f"{v:g}" for v, _ in pairs],
                "y": [f for _, f in pairs],
                "ylabel": "share of rows",
                "xlabel": col.name,
            }
    b = col.hist
    if len(b) < 3:
        return {}
    log = b[0] > 0 and b[-1] / b[0] > 100
    lo, hi, dens = [], [], []
    for a, z in itertools.pairwise(b):
        if z > a:
            lo.append(a)
            hi.append(z)
            width = math.log10(z / a) if log else z - a  # density per unit of the axis drawn
            dens.append(1.0 / (len(b) - 1) / width)
    return {"chart": "histogram", "lo": lo, "hi": hi, "y": dens, "xlabel": col.name, "log": log}


def _moments(mom: dict[str, float], n: float) -> tuple[float, float, float] | None:
    """(mean of centred values, variance, skewness) from the centred power sums."""
    if n < 3 or mom.get("s2") is None:
        return None
    m1 = mom["s1"] / n
    m2 = mom["s2"] / n - m1 * m1
    m3 = mom["s3"] / n - 3 * m1 * mom["s2"] / n + 2 * m1**3
    if m2 <= 0:
        return None
    return m1, m2, m3 / m2**1.5


@rule("skew")
def skew(frames: Frames) -> tuple[list[Insight], int]:
    if frames.wide is None:
        return [], 0
    found, tests = [], 0
    for m in frames.profile.measures:
        if echo_of(frames.wide, m.name):
            continue  # one quantity twice: its first column speaks for the group
        n = frames.wide["nonnull"].get(m.name, 0.0)
        got = _moments(frames.wide["moments"].get(m.name, {}), n)
        if got is None:
            continue
        tests += 1
        m1, _, g1 = got
        if abs(g1) < MIN_SKEW or not math.isfinite(g1):
            continue
        col = frames.profile.column(m.name)
        mean, median, p99 = m1 + m.center, col.quantile(0.5), col.quantile(0.99 if g1 > 0 else 0.01)
        side = "right" if g1 > 0 else "left"
        about = "" if col.quantiles_exact else "about "  # pg_stats' quantiles come from a sample of rows
        detail = f"mean {num(mean)} vs median {about}{num(median)}" if median is not None else f"mean {num(mean)}"
        tail = f"; 1% of rows lie {'above' if g1 > 0 else 'below'} {about}{num(p99)}" if p99 is not None else ""
        tail += ESTIMATED if about and (median is not None or p99 is not None) else ""
        p = skew_pvalue(g1, n)
        effect = (abs(g1) - 1.0) / (abs(g1) + 4.0)
        low = frames.wide["moments"].get(m.name, {}).get("min")
        expected = g1 > 0 and low is not None and float(low) >= 0.0
        found.append(
            finding(
                "skew",
                m.name,
                f"{m.name} is {side}-skewed (skewness {g1:.1f}, {pval(p)}): {detail}{tail}.",
                effect=effect,
                p_value=p,
                columns=(m.name,),
                measure=m.name,
                direction="up" if g1 > 0 else "down",
                evidence={**histogram(col), "surprise": EXPECTED_SKEW_SURPRISE if expected else 1.0},
            )
        )
    return found, tests


@rule("outliers")
def outliers(frames: Frames) -> tuple[list[Insight], int]:
    if frames.wide is None:
        return [], 0
    found, tests = [], 0
    for m in frames.profile.measures:
        if echo_of(frames.wide, m.name):
            continue
        mom = frames.wide["moments"].get(m.name, {})
        n = frames.wide["nonnull"].get(m.name, 0.0)
        out = mom.get("out")
        if out is None or n < 20:
            continue
        tests += 1
        if out < 1:
            continue
        lo, hi = frames.wide["fences"][m.name]
        share = out / n
        exact = frames.profile.column(m.name).quantiles_exact
        p = float(sst.binom.sf(out - 1, int(n), NORMAL_OUTSIDE))
        total = mom.get("sum")
        carry = ""
        if m.agg == "sum" and total and mom.get("min", -1) >= 0 and mom.get("outsum") is not None and total > 0:
            carry = f", carrying {pct(mom['outsum'] / total)} of its total"
        effect = min(1.0, 4.0 * share)
        found.append(
            finding(
                "outliers",
                m.name,
                f"{num(out)} rows ({pct(share, 1)}) of {m.name} lie outside {'' if exact else 'about '}"
                f"[{num(lo)}, {num(hi)}] (3 × IQR beyond the quartiles; range {num(mom.get('min'))} to "
                f"{num(mom.get('max'))}){carry}{'' if exact else ESTIMATED}.",
                effect=effect,
                p_value=p,
                columns=(m.name,),
                measure=m.name,
                evidence={**histogram(frames.profile.column(m.name)), "fences": [lo, hi]},
            )
        )
    return found, tests

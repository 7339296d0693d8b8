"""Correlation rule: pairs of measures that move together, with the t-test on Pearson's r."""

from __future__ import annotations

from pgai_magic.insights.identities import defined_by, echo_of, near
from pgai_magic.insights.model import Frames, Insight
from pgai_magic.insights.rules import finding, rule
from pgai_magic.insights.stats import corr_pvalue
from pgai_magic.insights.words import num, pval

MIN_R = 0.3


def _strength(r: float) -> str:
    a = abs(r)
    return "very strongly" if a >= 0.8 else "strongly" if a >= 0.6 else "moderately"


@rule("correlation")
def correlation(frames: Frames) -> tuple[list[Insight], int]:
    if frames.wide is None:
        return [], 0
    pairs = {k: v for k, v in frames.wide["corr"].items() if v.get("corr") is not None}
    ranked = sorted(pairs.items(), key=lambda kv: -abs(kv[1]["corr"]))[:12]
    chart = {
        "chart": "bars",
        "x": [f"{a} ~ {b}" for (a, b), _ in ranked],
        "y": [v["corr"] for _, v in ranked],
        "ylabel": "Pearson r",
    }
    found = []
    for (a, b), v in pairs.items():
        r, n = float(v["corr"]), float(v.get("pairs") or 0)
        if abs(r) < MIN_R:
            continue
        p = corr_pvalue(r, n)
        if defined_by(frames.wide, a, b) or near(frames.wide, a, b) is not None:
            continue  # revenue = units × unit_price, air_time ≈ distance: no news; the overview states it once
        changes = frames.wide.get("changes", {}).get((a, b))
        if changes is not None and (abs(changes) < MIN_R or changes * r < 0):
            continue  # two series that both trend, and whose changes do not agree: the overview says so once
        sign = "higher" if r > 0 else "lower"
        steps = (
            ""
            if changes is None
            else f"; their changes from one {frames.profile.bucket} to the next: r = {changes:.2f}"
        )
        found.append(
            finding(
                "correlation",
                f"{a} ~ {b}",
                f"{a} and {b} are {_strength(r)} {'' if r > 0 else 'negatively '}correlated "
                f"(r = {r:.2f} over {num(n)} rows{steps}, {pval(p)}): higher {a} goes with {sign} {b}.",
                effect=abs(r) if changes is None else min(abs(r), abs(changes)),
                p_value=p,
                columns=(a, b),
                direction="up" if r > 0 else "down",
                evidence={**chart, "highlight": f"{a} ~ {b}"},
            )
        )
    return _one_per_group(found, frames.wide), len(pairs)


def _one_per_group(found: list[Insight], wide: dict[str, object]) -> list[Insight]:
    """A column's correlations with the members of one group of near-identities are one correlation said several
    times (concave points with radius, perimeter and area): the strongest is kept and names the others."""
    best: dict[frozenset[str], Insight] = {}
    echoes: dict[frozenset[str], list[tuple[str, ...]]] = {}
    for c in sorted(found, key=lambda c: -float(c.evidence.get("effect", 0.0))):
        key = frozenset(echo_of(wide, x) or x for x in c.columns)  # type: ignore[arg-type]
        if key in best:
            echoes[key].append(c.columns)
        else:
            best[key], echoes[key] = c, []
    for key, c in best.items():
        if echoes[key]:
            pairs = [" ~ ".join(cols) for cols in echoes[key]]
            more = ", ".join(pairs[:3]) + (", ..." if len(pairs) > 3 else "")
            c.summary = c.summary.rstrip(".") + f"; the same for {more} (nearly one quantity)."
            # the card speaks of the echoes' columns too: the measured pair first, then the others
            c.columns += tuple(dict.fromkeys(x for cols in echoes[key] for x in cols if x not in c.columns))
    return list(best.values())

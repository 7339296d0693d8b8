"""Attribution: a trend that one segment explains is reported once, by that segment.

For each additive measure, the subspace trends are tried largest change first: when the overall series
without that segment (overall − segment, both from the cube) changes by less than half as much as the
overall series (or by under 10%), the segment explains the trend. The overall trend and the same-direction
trends of the other dimensions' values are then its echoes: they are dropped and the explaining insight
says so, with the remainder's change as its evidence.
"""

from __future__ import annotations

import numpy as np

from pgai_magic.insights.model import Frames, Insight
from pgai_magic.insights.series import Series, all_series
from pgai_magic.insights.stats import fit_line
from pgai_magic.insights.words import pct, quote

__all__ = ["attribute"]

FLAT = 0.1


def _change(y: object) -> float:
    arr = np.asarray(y, dtype=float)
    line = fit_line(arr)
    start, end = float(line.at(0)), float(line.at(len(arr) - 1))
    scale = max(abs(start), abs(end))
    return (end - start) / scale if scale > 0 else 0.0


def _series(frames: Frames, c: Insight) -> Series | None:
    return next(
        (s for s in all_series(frames) if s.measure == c.measure and s.filters == c.filters and s.agg != "avg"), None
    )


def attribute(candidates: list[Insight], frames: Frames) -> list[Insight]:
    """The candidates with echo trends removed and the explaining trends annotated (see the module docstring)."""
    trends = [c for c in candidates if c.kind == "trend"]
    dropped: set[int] = set()
    for measure in {c.measure for c in trends}:
        overall = next((s for s in all_series(frames) if s.measure == measure and not s.filters), None)
        if overall is None or overall.agg == "avg":
            continue
        whole = _change(overall.y)
        subs = [c for c in trends if c.measure == measure and len(c.filters) == 1]
        subs.sort(key=lambda c: -abs(float(c.evidence.get("delta") or 0.0)))
        for c in subs:
            seg = _series(frames, c)
            if seg is None or id(c) in dropped:
                continue
            rest = _change(overall.y - seg.y)
            if abs(rest) >= max(FLAT, 0.5 * abs(whole)):
                continue
            ((dim, value),) = c.filters.items()
            echoes = [
                o
                for o in trends
                if o is not c
                and o.measure == measure
                and o.direction == c.direction
                and (not o.filters or (len(o.filters) == 1 and dim not in o.filters))
            ]
            if not echoes:
                break
            dropped.update(id(o) for o in echoes)
            named = sorted({f"{k} = {quote(v)}" for o in echoes for k, v in o.filters.items()})
            word = "rise" if c.direction == "up" else "decline"
            also = (
                f"; the same {word} in {', '.join(named[:4])}{' …' if len(named) > 4 else ''} follows from it"
                if named
                else ""
            )
            c.summary = c.summary.rstrip(".") + (
                f"; without {dim} = {quote(value)} the rest changes by {pct(rest)} against {pct(whole)} overall{also}."
            )
            c.explains += [o.summary for o in echoes]
            c.impact = max([c.impact, *(o.impact for o in echoes)])
            c.evidence["attribution"] = {"without": {dim: value}, "rest_change": rest, "overall_change": whole}
            break
    return [c for c in candidates if id(c) not in dropped]

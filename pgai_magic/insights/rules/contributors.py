"""Contribution rules: one group holding an outstanding share of a total, or a total concentrated in few groups."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

from pgai_magic.insights.model import COUNT, ROWS, Frames, Insight
from pgai_magic.insights.rules import finding, rule
from pgai_magic.insights.stats import powerlaw_top_pvalue
from pgai_magic.insights.words import num, pct, pval, quote

MIN_SHARE = 0.2
MIN_CONCENTRATION = 0.5


def _label(measure: str) -> str:
    return "rows" if measure == ROWS else measure


def totals(frames: Frames) -> Iterator[tuple[str, str, pd.Series, float, int]]:
    """(dimension, measure, group totals sorted descending, grand total, number of groups) for additive measures."""
    prof = frames.profile
    measures = prof.counted()
    grand = frames.sets.get(())
    for dim in prof.dims:
        part = frames.sets.get((dim,))
        if part is None or part.empty:
            continue
        part = part[part[dim].notna()]  # the NULL group is the missing-values finding's, not a contributor
        for m in measures:
            col = COUNT if m == ROWS else f"s:{m}"
            up = 1.0 / frames.sampled.get("profile", 1.0)  # a sample's totals scaled to the whole table
            values = pd.Series(part[col].to_numpy(float) * up, index=part[dim].astype(str)).sort_values(ascending=False)
            total = float(grand[col].iloc[0]) * up if grand is not None and not grand.empty else float(values.sum())
            yield dim, m, values, total, len(values)
    for dim, part in frames.top_groups.items():
        if part.empty:
            continue
        groups = int(part["groups"].iloc[0])
        part = part[part[dim].notna()]
        for m in measures:
            if m not in part.columns:
                continue
            # the top groups may come from a different sample than the grand total: both scaled to the table
            scale = 1.0 / frames.sampled.get(f"top:{dim}", 1.0)
            values = pd.Series(part[m].to_numpy(float) * scale, index=part[dim].astype(str)).sort_values(
                ascending=False
            )
            if grand is not None and not grand.empty:
                total = float(grand[COUNT if m == ROWS else f"s:{m}"].iloc[0]) / frames.sampled.get("profile", 1.0)
            elif frames.wide is not None:
                total = frames.wide["n"] if m == ROWS else float(frames.wide["moments"][m].get("sum") or 0.0)
            else:
                continue
            yield dim, m, values, total, groups


def _bars(values: pd.Series, total: float, highlight: str) -> dict[str, object]:
    top = values.head(10)
    return {
        "chart": "bars",
        "x": [str(k) for k in top.index],
        "y": [float(v) / total for v in top.to_numpy()],
        "ylabel": "share of total",
        "highlight": highlight,
    }


def _within(frames: Frames, dim: str, value: str) -> dict[str, str]:
    """The cube dimensions' single values a top group of a wide dimension lies in ({"category": "electronics"})."""
    part = frames.top_groups.get(dim)
    if part is None or part.empty:
        return {}
    row = part[part[dim].astype(str) == value]
    if row.empty:
        return {}
    return {
        c[3:]: str(row[c].iloc[0])
        for c in part.columns
        if c.startswith("in:") and row[c].iloc[0] is not None and not pd.isna(row[c].iloc[0])
    }


@rule("top_contributor")
def top_contributor(frames: Frames) -> tuple[list[Insight], int]:
    found, tests = [], 0
    for dim, m, values, total, k in totals(frames):
        if k < 3 or total <= 0 or float(values.min()) < 0:
            continue
        p = powerlaw_top_pvalue(values.to_numpy())
        if p is None:
            continue
        tests += 1
        top, share = str(values.index[0]), float(values.iloc[0]) / total
        if share < MIN_SHARE:
            continue
        effect = (share - 1.0 / k) / (1.0 - 1.0 / k)
        nxt = (
            f"; next is {quote(values.index[1])} with {pct(float(values.iloc[1]) / total, 1)}"
            if len(values) > 1
            else ""
        )
        found.append(
            finding(
                "top_contributor",
                f"{_label(m)} by {dim}",
                f"{dim} = {quote(top)} accounts for {pct(share)} of {_label(m)} ({num(values.iloc[0])} of "
                f"{num(total)}) among {num(k)} {dim} values{nxt} ({pval(p)}).",
                effect=effect,
                p_value=p,
                columns=(dim,),
                measure=m,
                focus=(top,),
                evidence={
                    **_bars(values, total, top),
                    "share": share,
                    "of": _label(m),
                    "within": _within(frames, dim, top),
                },
            )
        )
    return found, tests


@rule("concentration")
def concentration(frames: Frames) -> tuple[list[Insight], int]:
    found = []
    for dim, m, values, total, k in totals(frames):
        if k < 10 or total <= 0 or float(values.min()) < 0 or float(values.iloc[0]) / total >= 0.4:
            continue
        cum = np.cumsum(values.to_numpy()) / total
        reach = np.nonzero(cum >= 0.8)[0]
        if len(reach) == 0:
            continue
        g80 = int(reach[0]) + 1
        effect = 1.0 - (g80 / k) / 0.8
        if effect < MIN_CONCENTRATION:
            continue
        found.append(
            finding(
                "concentration",
                f"{_label(m)} by {dim}",
                f"{g80} of {num(k)} {dim} values ({pct(g80 / k, 1)}) account for {pct(0.8)} of {_label(m)}, "
                f"led by {quote(values.index[0])} ({pct(float(values.iloc[0]) / total, 1)}).",
                effect=effect,
                columns=(dim,),
                measure=m,
                focus=tuple(str(x) for x in values.index[: min(g80, 5)]),
                evidence=_bars(values, total, str(values.index[0])),
            )
        )
    return found, 0

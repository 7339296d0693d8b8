"""Group rules: a category whose average stands out, and segments whose mix deviates from the rest (SeeDB)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from pgai_magic.insights.model import COUNT, ROWS, Frames, Insight, Measure
from pgai_magic.insights.rules import finding, rule
from pgai_magic.insights.stats import chi2_pvalue, norm_sf2, welch_z
from pgai_magic.insights.words import num, pct, pval, quote

MIN_SHARE = 0.02
MIN_GROUP_SHARE = 0.001  # a group standing out by its mean may be small (a carrier with 0.2% of the flights)
MIN_RELATIVE = 0.05  # a group mean at least 5% away from the rest
MIN_D = 0.2  # and at least a small standardised effect (Cohen)
MIN_RELATIVE_ALONE = 0.25  # or, in heavy-tailed measures (delays), a mean at least 25% away
ALPHA_GROUP = 0.05  # Bonferroni-corrected over the groups of the dimension
OTHER_MEASURE = 0.6  # a measure other than the primary ones counts less (distance beside the delays)
MAX_NAMED = 4
MIN_TVD = 0.1


def _label(value: object) -> str:
    """A group's value as summaries name it: NULL for the missing group, never 'nan' or 'None'."""
    return "NULL" if value is None or (isinstance(value, float) and value != value) else str(value)


def _stats(part: pd.DataFrame, m: Measure, grand: pd.DataFrame) -> tuple[np.ndarray, ...]:
    """Per group: non-NULL count, sum, centred sum of squares; and the same three for all rows."""
    nn, s, q = (part[f"{k}:{m.name}"].to_numpy(float) for k in ("nn", "s", "q"))
    tn, ts, tq = (float(grand[f"{k}:{m.name}"].iloc[0]) for k in ("nn", "s", "q"))
    return nn, s, q, np.array([tn, ts, tq])


def _typical(nn: np.ndarray, means: np.ndarray) -> float:
    """The row-weighted median of the group means: the level of the typical row's group."""
    order = np.argsort(means)
    cum = np.cumsum(nn[order])
    return float(means[order][int(np.searchsorted(cum, cum[-1] / 2.0))])


def _standouts(
    nn: np.ndarray, s: np.ndarray, q: np.ndarray, total: np.ndarray, center: float
) -> list[tuple[float, int, float, float, float]]:
    """Groups whose mean stands out: (effect, index, z, group mean, rest mean) for each group at least
    MIN_RELATIVE away from the typical group's mean (the row-weighted median of the group means, so that a
    group is not reported only because another one pulls the rest away), with a small effect (Cohen's d ≥ MIN_D
    in the measure's overall spread, or MIN_RELATIVE_ALONE apart) and a Bonferroni-corrected Welch test against
    all the other rows under ALPHA_GROUP."""
    tn, ts, tq = total
    keep = nn > 0
    means = np.where(keep, s / np.maximum(nn, 1.0), np.nan)
    if keep.sum() < 2:
        return []
    ref = _typical(nn[keep], means[keep])
    sd = math.sqrt(max(tq / tn - (ts / tn - center) ** 2, 0.0))
    out = []
    for i in range(len(nn)):
        rn = tn - nn[i]
        if nn[i] < 30 or rn < 2 or nn[i] / tn < MIN_GROUP_SHARE:
            continue
        mg, mr = s[i] / nn[i], (ts - s[i]) / rn
        relative = min(abs(mg - ref) / max(abs(ref), 1e-300), 1.0)
        d = abs(mg - ref) / sd if sd > 0 else 0.0  # Cohen's d: the gap in the measure's own spread
        if relative < MIN_RELATIVE or (d < MIN_D and relative < MIN_RELATIVE_ALONE) or (mg > ref) != (mg > mr):
            continue
        vg = q[i] / nn[i] - (mg - center) ** 2
        vr = (tq - q[i]) / rn - (mr - center) ** 2
        z = welch_z(mg, vg, nn[i], mr, vr, rn)
        if norm_sf2(z) * len(nn) > ALPHA_GROUP:
            continue
        out.append((min(1.0, max(d, relative)) / 2.0, i, z, mg, mr))
    return out


def _outliers(frames: Frames, dim: str, part: pd.DataFrame, m: Measure, grand: pd.DataFrame) -> list[Insight]:
    """The groups whose mean stands out above the typical group and those below, as one finding: up to MAX_NAMED
    groups a side (the most extreme first) against the mean of all rows; its direction is the stronger side's."""
    nn, s, q, total = _stats(part, m, grand)
    if total[0] < 10:
        return []
    found = _standouts(nn, s, q, total, m.center)
    if not found:
        return []
    labels = [_label(v) for v in part[dim]]
    sides = {up: sorted((g for g in found if (g[3] > g[4]) == up), key=lambda g: -g[3] if up else g[3])[:MAX_NAMED]
             for up in (True, False)}  # fmt: skip

    def weight(side: list[tuple[float, int, float, float, float]]) -> float:
        """A side's effect, row-weighted, times the square root of its share of the rows."""
        rows = np.array([nn[g[1]] for g in side])
        return float(np.average([g[0] for g in side], weights=rows) * math.sqrt(rows.sum() / nn.sum())) if side else 0.0

    up = weight(sides[True]) >= weight(sides[False])  # the side that moves more of the data comes first
    groups = sides[up] + sides[not up]
    rows = np.array([nn[g[1]] for g in groups])
    effect = float(np.average([g[0] for g in groups], weights=rows))
    share = float(rows.sum() / max(nn.sum(), 1.0))
    about = "about " if frames.sampled.get("profile") else ""

    def named(side: list[tuple[float, int, float, float, float]]) -> str:
        return ", ".join(f"{quote(labels[i]) if labels[i] != 'NULL' else 'NULL'} ({about}{num(mg)}, {num(nn[i])} rows)"
                         for _, i, _, mg, _ in side)  # fmt: skip

    parts = [f"{'highest' if u else 'lowest'} for {named(sides[u])}" for u in (up, not up) if sides[u]]
    best = max(groups, key=lambda g: abs(g[2]))
    p = min(1.0, norm_sf2(best[2]) * len(labels))
    return [
        finding(
            "category_outlier",
            f"avg {m.name} by {dim}: " + ", ".join(labels[i] for _, i, *_ in groups),
            f"Average {m.name} by {dim} is {'; '.join(parts)}; against {about}{num(float(total[1] / total[0]))} "
            f"over all rows (each against the rest: strongest z = {best[2]:.1f}, {pval(p)}).",
            effect=effect,
            impact=effect * math.sqrt(share) * (1.0 if m.name in frames.profile.primary else OTHER_MEASURE),
            p_value=p,
            columns=(dim, m.name),
            measure=m.name,
            focus=tuple(labels[i] for _, i, *_ in groups),
            direction="up" if up else "down",
            evidence={
                "chart": "bars",
                "x": labels,
                "y": (s / np.maximum(nn, 1)).tolist(),
                "ylabel": f"avg {m.name}",
                "highlight": labels[best[1]],
            },
        )
    ]


@rule("category_outlier")
def category_outlier(frames: Frames) -> tuple[list[Insight], int]:
    grand = frames.sets.get(())
    if grand is None or grand.empty:
        return [], 0
    found, tests = [], 0
    prof = frames.profile
    for dim in prof.dims:
        part = frames.sets.get((dim,))
        if part is None or len(part) < 3:
            continue
        for m in prof.measures:
            if prof.measure_given and m.name not in prof.primary:
                continue
            tests += 2
            found += _outliers(frames, dim, part, m, grand)
    return found, tests


@rule("segment_deviation")
def segment_deviation(frames: Frames) -> tuple[list[Insight], int]:
    found, tests = [], 0
    prof = frames.profile
    measures = prof.counted()
    for key, part in frames.sets.items():
        if len(key) != 2 or "__time__" in key or part.empty:
            continue
        for a, b in (key, key[::-1]):
            counts = part.groupby([a, b])[COUNT].sum().unstack(fill_value=0)
            if counts.shape[0] < 2 or counts.shape[1] < 2:
                continue
            for m in measures:
                table = counts if m == ROWS else part.groupby([a, b])[f"s:{m}"].sum().unstack(fill_value=0)
                if (table.to_numpy() < 0).any() or table.to_numpy().sum() <= 0:
                    continue
                tests += 1
                total = table.to_numpy().sum()
                best: tuple[float, str, float, np.ndarray, np.ndarray] | None = None
                grid = table.to_numpy(float)
                colsum = grid.sum(axis=0)
                for k, value in enumerate(table.index):
                    row, rest = grid[k], colsum - grid[k]
                    if row.sum() <= 0 or rest.sum() <= 0 or row.sum() / total < MIN_SHARE:
                        continue
                    pa, pb = row / row.sum(), rest / rest.sum()
                    tvd = 0.5 * float(np.abs(pa - pb).sum())
                    score = tvd * math.sqrt(row.sum() / total)
                    if best is None or score > best[0]:
                        best = (score, str(value), tvd, pa, pb)
                if best is None or best[2] < MIN_TVD:
                    continue
                score, value, tvd, pa, pb = best
                c = counts.loc[value].to_numpy(float) if value in counts.index else np.zeros(counts.shape[1])
                p = min(1.0, chi2_pvalue(np.vstack([c, counts.drop(index=value).sum().to_numpy(float)])) * len(table))
                j = int(np.argmax(np.abs(pa - pb)))
                col = str(table.columns[j])
                label = "rows" if m == ROWS else m
                found.append(
                    finding(
                        "segment_deviation",
                        f"{label} over {b} where {a} = {quote(value)}",
                        f"For {a} = {quote(value)}, {label} spread over {b} unlike the other {a} values "
                        f"(total variation {tvd:.2f}, {pval(p)}): {b} = {quote(col)} takes {pct(pa[j])} "
                        f"against {pct(pb[j])} elsewhere.",
                        effect=tvd,
                        impact=score,
                        p_value=p,
                        columns=(a, b),
                        measure=m,
                        filters={a: value},
                        focus=(value, col),
                        evidence={
                            "chart": "grouped",
                            "x": [str(x) for x in table.columns],
                            "y": pa.tolist(),
                            "y2": pb.tolist(),
                            "labels": [f"{a} = {value}", "others"],
                        },
                    )
                )
    return found, tests

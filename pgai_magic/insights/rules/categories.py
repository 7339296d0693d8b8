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
MIN_RELATIVE = 0.05  # a group mean at least 5% away from the rest
MIN_D = 0.2  # and at least a small standardised effect (Cohen)
MIN_TVD = 0.1


def _label(value: object) -> str:
    """A group's value as summaries name it: NULL for the missing group, never 'nan' or 'None'."""
    return "NULL" if value is None or (isinstance(value, float) and value != value) else str(value)


def _outliers(frames: Frames, dim: str, part: pd.DataFrame, m: Measure, grand: pd.DataFrame) -> list[Insight]:
    """The group whose mean stands out most above the rest, and the one most below, each with enough support."""
    nn, s, q = (part[f"{k}:{m.name}"].to_numpy(float) for k in ("nn", "s", "q"))
    tn, ts, tq = (float(grand[f"{k}:{m.name}"].iloc[0]) for k in ("nn", "s", "q"))
    if tn < 10:
        return []

    def strongest(skip: int | None) -> dict[bool, tuple[float, int, float, float, float]]:
        """Per direction, the group standing out most from the rest (the `skip` group left out of both)."""
        sn, ss, sq = (tn, ts, tq) if skip is None else (tn - nn[skip], ts - s[skip], tq - q[skip])
        best: dict[bool, tuple[float, int, float, float, float]] = {}
        for i in range(len(part)):
            rn = sn - nn[i]
            if i == skip or nn[i] < 30 or rn < 2 or nn[i] / tn < MIN_SHARE:
                continue
            mg, mr = s[i] / nn[i], (ss - s[i]) / rn
            vg = q[i] / nn[i] - (mg - m.center) ** 2
            vr = (sq - q[i]) / rn - (mr - m.center) ** 2
            z = welch_z(mg, vg, nn[i], mr, vr, rn)
            relative = abs(mg - mr) / max(abs(mg), abs(mr), 1e-300)
            sd = math.sqrt(max((vg * nn[i] + vr * rn) / (nn[i] + rn), 0.0))
            d = abs(mg - mr) / sd if sd > 0 else 0.0  # Cohen's d: the gap in the measure's own spread
            impact = min(1.0, d / 2.0) * math.sqrt(nn[i] / tn)  # how far, times how much of the data it moves
            if relative >= MIN_RELATIVE and d >= MIN_D and impact > best.get(mg > mr, (0.0,))[0]:
                best[mg > mr] = (impact, i, z, mg, mr)
        return best

    best = strongest(None)
    if len(best) == 2:  # the other side must stand out from the rest without the first group, not only by contrast
        first = max(best, key=lambda k: best[k][0])
        again = strongest(best[first][1]).get(not first)
        best = {first: best[first], **({not first: again} if again is not None else {})}
    found = []
    labels = [_label(v) for v in part[dim]]
    about = "about " if frames.sampled.get("profile") else ""
    for up, (impact, i, z, mg, mr) in best.items():
        p = min(1.0, norm_sf2(z) * len(part))
        value = labels[i]
        ratio = f"{mg / mr:.1f}×" if mr > 0 and mg > 0 else "against"
        found.append(
            finding(
                "category_outlier",
                f"avg {m.name} where {dim} = {value}",
                f"Average {m.name} for {dim} = {quote(value) if value != 'NULL' else 'NULL'} is {about}{num(mg)}, "
                f"{ratio} the {num(mr)} of the other {dim} values ({'higher' if up else 'lower'}; {num(nn[i])} rows, "
                f"z = {z:.1f}, {pval(p)}).",
                effect=impact / math.sqrt(nn[i] / tn),
                impact=impact,
                p_value=p,
                columns=(dim, m.name),
                measure=m.name,
                focus=(value,),
                direction="up" if up else "down",
                evidence={
                    "chart": "bars",
                    "x": labels,
                    "y": (s / np.maximum(nn, 1)).tolist(),
                    "ylabel": f"avg {m.name}",
                    "highlight": value,
                },
            )
        )
    return found


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

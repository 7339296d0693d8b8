"""Small statistical tests over aggregated numbers: p-values, BH q-values, fits and robust scores."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats as sst

__all__ = [
    "LineFit",
    "StepFit",
    "anova_pvalue",
    "bh_qvalues",
    "chi2_pvalue",
    "corr_pvalue",
    "fit_line",
    "fit_step",
    "norm_sf2",
    "powerlaw_top_pvalue",
    "robust_scale",
    "skew_pvalue",
    "theil_sen",
    "welch_z",
]


def norm_sf2(z: float) -> float:
    """Two-sided normal tail probability of |z|."""
    return float(math.erfc(abs(z) / math.sqrt(2.0)))


def corr_pvalue(r: float, n: float) -> float:
    """Two-sided p-value of a Pearson correlation r over n pairs (t-test, n - 2 degrees of freedom)."""
    if n < 4 or not math.isfinite(r):
        return 1.0
    r = max(min(r, 1.0), -1.0)
    if abs(r) >= 1.0:
        return 0.0
    t = r * math.sqrt((n - 2) / (1.0 - r * r))
    return float(2.0 * sst.t.sf(abs(t), n - 2))


def bh_qvalues(pvalues: Sequence[float], extra_tests: int = 0) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values; `extra_tests` counts further tests whose p-value was ~1."""
    p = np.asarray(pvalues, dtype=float)
    m = len(p) + max(extra_tests, 0)
    if len(p) == 0:
        return p
    order = np.argsort(p)
    ranked = p[order] * m / np.arange(1, len(p) + 1)
    ranked = np.minimum.accumulate(ranked[::-1])[::-1]
    q = np.empty_like(p)
    q[order] = np.minimum(ranked, 1.0)
    return q


@dataclass(frozen=True)
class LineFit:
    """An ordinary least squares line y = a + b t over t = 0..n-1."""

    intercept: float
    slope: float
    r2: float
    pvalue: float
    rss: float

    def at(self, t: np.ndarray | float) -> np.ndarray | float:
        return self.intercept + self.slope * t


def fit_line(y: np.ndarray) -> LineFit:
    """OLS trend with the slope's t-test p-value."""
    n = len(y)
    t = np.arange(n, dtype=float)
    tm, ym = t.mean(), float(y.mean())
    sxx = float(((t - tm) ** 2).sum())
    b = float(((t - tm) * (y - ym)).sum() / sxx) if sxx > 0 else 0.0
    a = ym - b * tm
    resid = y - (a + b * t)
    rss = float((resid**2).sum())
    tss = float(((y - ym) ** 2).sum())
    r2 = 1.0 - rss / tss if tss > 0 else 0.0
    if n < 4:
        return LineFit(a, b, r2, 1.0, rss)
    se = math.sqrt(rss / (n - 2) / sxx) if sxx > 0 else 0.0
    p = 0.0 if se == 0 and b != 0 else (1.0 if se == 0 else float(2.0 * sst.t.sf(abs(b / se), n - 2)))
    return LineFit(a, b, r2, p, rss)


def theil_sen(y: np.ndarray) -> tuple[float, float]:
    """A line robust to spikes: the median pairwise slope, intercept through the median."""
    n = len(y)
    t = np.arange(n, dtype=float)
    i, j = np.triu_indices(n, 1)
    slope = float(np.median((y[j] - y[i]) / (t[j] - t[i]))) if n > 1 else 0.0
    return float(np.median(y - slope * t)), slope


@dataclass(frozen=True)
class StepFit:
    """The best single level shift: the mean before and from `index` on, with a Bonferroni-corrected p-value."""

    index: int
    before: float
    after: float
    pvalue: float
    rss: float


def fit_step(y: np.ndarray, min_segment: int = 3) -> StepFit | None:
    """The split maximising the Welch t statistic between the two segments (None when too short)."""
    n = len(y)
    if n < 2 * min_segment:
        return None
    # every split at once from running sums: Welch's t between y[:k] and y[k:]
    y = np.asarray(y, dtype=float)
    ks = np.arange(min_segment, n - min_segment + 1)
    cs, cq = np.concatenate([[0.0], np.cumsum(y)]), np.concatenate([[0.0], np.cumsum(y * y)])
    na, nb = ks.astype(float), (n - ks).astype(float)
    sa, sb = cs[ks], cs[n] - cs[ks]
    qa, qb = cq[ks], cq[n] - cq[ks]
    ma, mb = sa / na, sb / nb
    va = np.maximum(qa - sa * ma, 0.0) / (na - 1) / na
    vb = np.maximum(qb - sb * mb, 0.0) / (nb - 1) / nb
    se = np.sqrt(va + vb)
    gap = np.abs(mb - ma)
    with np.errstate(divide="ignore", invalid="ignore"):
        ts = np.where(se > 0, gap / np.where(se > 0, se, 1.0), np.where(gap > 1e-12 * (1 + np.abs(ma)), np.inf, 0.0))
    best = int(np.argmax(ts))
    t, k = float(ts[best]), int(ks[best])
    a, b = y[:k], y[k:]
    df = max(min(len(a), len(b)) - 1, 1)
    p = 0.0 if math.isinf(t) else float(2.0 * sst.t.sf(t, df))
    splits = n - 2 * min_segment + 1
    rss = float(((a - a.mean()) ** 2).sum() + ((b - b.mean()) ** 2).sum())
    return StepFit(k, float(a.mean()), float(b.mean()), min(1.0, p * splits), rss)


def robust_scale(x: np.ndarray) -> float:
    """1.4826 × median absolute deviation (the standard deviation's robust stand-in); std when MAD is 0."""
    if len(x) == 0:
        return 0.0
    mad = float(np.median(np.abs(x - np.median(x)))) * 1.4826
    return mad if mad > 0 else float(np.std(x))


def welch_z(mean_a: float, var_a: float, n_a: float, mean_b: float, var_b: float, n_b: float) -> float:
    """Standardised difference of two means with unequal variances (large-sample z)."""
    if n_a < 2 or n_b < 2:
        return 0.0
    se = math.sqrt(max(var_a, 0.0) / n_a + max(var_b, 0.0) / n_b)
    if se == 0:
        return 0.0 if mean_a == mean_b else math.inf
    return (mean_a - mean_b) / se


def powerlaw_top_pvalue(values: Sequence[float] | np.ndarray) -> float | None:
    """Is the largest value outstanding? Fit log v ~ log rank on ranks 2.. and test the top's residual.

    This is the "outstanding No. 1" test of Top-K insights (Tang et al., SIGMOD 2017): the values
    after the first are assumed to follow a power law; the top value's residual is compared with the
    residuals' normal spread. None when there are fewer than 5 positive values.
    """
    v = np.sort(np.asarray([x for x in values if x > 0], dtype=float))[::-1]
    if len(v) < 5:
        return None
    ranks = np.log(np.arange(2, len(v) + 1, dtype=float))
    logs = np.log(v[1:])
    slope, intercept = np.polyfit(ranks, logs, 1)
    resid = logs - (intercept + slope * ranks)
    sd = float(np.std(resid, ddof=2)) if len(resid) > 2 else 0.0
    sd = max(sd, 0.05)  # near-perfect fits on few points would make any gap look significant
    top_resid = math.log(v[0]) - intercept
    return float(sst.norm.sf(top_resid / sd))


def chi2_pvalue(table: np.ndarray) -> float:
    """p-value of the chi-square test of independence on a contingency table of counts."""
    table = np.asarray(table, dtype=float)
    table = table[:, table.sum(axis=0) > 0]
    table = table[table.sum(axis=1) > 0]
    if table.shape[0] < 2 or table.shape[1] < 2:
        return 1.0
    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0, keepdims=True) / table.sum()
    stat = float(((table - expected) ** 2 / np.where(expected > 0, expected, 1)).sum())
    df = (table.shape[0] - 1) * (table.shape[1] - 1)
    return float(sst.chi2.sf(stat, df))


def anova_pvalue(groups: Sequence[np.ndarray]) -> tuple[float, float]:
    """One-way ANOVA over groups: (p-value, eta squared = share of variance between groups)."""
    groups = [g for g in groups if len(g) > 0]
    allv = np.concatenate(groups) if groups else np.array([])
    k, n = len(groups), len(allv)
    if k < 2 or n <= k:
        return 1.0, 0.0
    grand = allv.mean()
    ssb = float(sum(len(g) * (g.mean() - grand) ** 2 for g in groups))
    ssw = float(sum(((g - g.mean()) ** 2).sum() for g in groups))
    eta2 = ssb / (ssb + ssw) if ssb + ssw > 0 else 0.0
    if ssw == 0:
        return (0.0 if ssb > 0 else 1.0), eta2
    f = (ssb / (k - 1)) / (ssw / (n - k))
    return float(sst.f.sf(f, k - 1, n - k)), eta2


def skew_pvalue(g1: float, n: float) -> float:
    """p-value that a sample of n has skewness g1 under normality (large-sample SE sqrt(6/n))."""
    if n < 8:
        return 1.0
    return norm_sf2(g1 / math.sqrt(6.0 / n))


def anova_from_sums(n: np.ndarray, s: np.ndarray, q: np.ndarray) -> tuple[float, float]:
    """One-way ANOVA from per-group counts, sums and sums of squares (all about one common centre).

    Returns (p-value of the F test, eta squared = between-group share of the variance); (1, 0) when the
    groups cannot be compared (fewer than two non-empty groups, or no variance).
    """
    n, s, q = (np.asarray(a, dtype=float) for a in (n, s, q))
    keep = n > 0
    n, s, q = n[keep], s[keep], q[keep]
    k, total = len(n), float(n.sum())
    if k < 2 or total <= k:
        return 1.0, 0.0
    sst_ = float(q.sum() - s.sum() ** 2 / total)
    ssb = float((s**2 / n).sum() - s.sum() ** 2 / total)
    ssw = max(sst_ - ssb, 0.0)
    if sst_ <= 0:
        return 1.0, 0.0
    eta2 = min(max(ssb / sst_, 0.0), 1.0)
    if ssw == 0:
        return (0.0 if ssb > 0 else 1.0), eta2
    f = (ssb / (k - 1)) / (ssw / (total - k))
    return float(sst.f.sf(f, k - 1, total - k)), eta2

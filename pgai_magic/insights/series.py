"""Time series out of the cube: overall and per subspace (dimension = value), on a complete bucket grid."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pgai_magic.insights.model import COUNT, ROWS, TIME, Frames, Profile
from pgai_magic.insights.stats import LineFit, StepFit, fit_line, fit_step, theil_sen

__all__ = [
    "MIN_CHANGE_R",
    "MIN_SUBSPACE_SHARE",
    "PERIODS",
    "Models",
    "Series",
    "all_series",
    "is_time_series",
    "models",
    "shared_trends",
]

FREQ = {"hour": "h", "day": "D", "week": "W-MON", "month": "MS", "quarter": "QS", "year": "YS"}
PERIODS = {"month": 12, "quarter": 4, "day": 7, "hour": 24}
MIN_SUBSPACE_SHARE = 0.02
MAX_VALUES_PER_DIM = 30
SERIES_SHARE = 0.5  # a table is a time series when its time column holds at least this many values per row
MIN_CHANGE_R = 0.3  # pairs correlated at least this much are checked for a shared trend over time
PERSISTENT_R = 0.5  # lag-1 autocorrelation of a measure's bucket means from which it drifts (trends, cycles)
MIN_CHANGES = 8  # buckets needed to correlate the changes of two measures
MAX_OVERALL = 12  # measures beyond the primary ones followed over time (overall only: the cube holds their sums)


@dataclass
class Series:
    """One measure over time buckets, for all rows or a subspace; `coverage` is its share of the whole."""

    measure: str
    agg: str
    filters: dict[str, str]
    index: pd.DatetimeIndex
    y: np.ndarray
    var: np.ndarray  # sampling variance of each bucket's value: a floor for what counts as noise
    coverage: float
    unit: str
    models_: Models | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Models:
    """The two fits the rules compare: a straight line and a single level shift, and which the BIC prefers."""

    line: LineFit
    step: StepFit | None
    step_wins: bool
    robust: np.ndarray  # a spike-resistant baseline of the preferred model


def _grid(frames: Frames, observed: pd.Series) -> pd.DatetimeIndex:
    """Every bucket from the first to the last observed, without partial edge buckets."""
    unit = frames.profile.bucket or "month"
    idx = pd.date_range(observed.min(), observed.max(), freq=FREQ[unit])
    wide = frames.wide or {}
    tmin, tmax = wide.get("tmin"), wide.get("tmax")
    if len(idx) >= 3 and tmin is not None and tmax is not None:
        step_first = idx[1] - idx[0]
        extra = (
            pd.Timedelta(days=1)
            if frames.profile.time and frames.profile.column(frames.profile.time).type == "date"
            else pd.Timedelta(0)
        )
        first_cover = (idx[1] - pd.Timestamp(tmin)) / step_first
        last_end = idx[-1] + (idx[-1] - idx[-2])
        last_cover = (pd.Timestamp(tmax) + extra - idx[-1]) / (last_end - idx[-1])
        if first_cover < 0.9:
            idx = idx[1:]
        if last_cover < 0.9:
            idx = idx[:-1]
    return idx


def _calendar(grid: pd.DatetimeIndex, unit: str) -> np.ndarray:
    """Per-bucket factors that put months, quarters and years of unequal length on an average footing."""
    if unit not in ("month", "quarter", "year") or len(grid) == 0:
        return np.ones(len(grid))
    ends = grid + pd.tseries.frequencies.to_offset(FREQ[unit])
    days = np.asarray((ends - grid).days, dtype=float)
    return days.mean() / days


def _values(
    part: pd.DataFrame, measure: str, agg: str, center: float, grid: pd.DatetimeIndex, unit: str
) -> tuple[np.ndarray, np.ndarray] | None:
    """Bucket values and their sampling variances (counts: Poisson; sums: Σx²; means: s²/n)."""
    cal = _calendar(grid, unit)
    # positions of the part's buckets on the grid (buckets off the grid, the partial edges, are left out)
    pos = grid.get_indexer(pd.DatetimeIndex(part[TIME]))
    on = pos >= 0

    def column(name: str) -> np.ndarray:
        out = np.zeros(len(grid))
        np.add.at(out, pos[on], part[name].to_numpy(float)[on])
        return out

    n = column(COUNT)
    if measure == ROWS:
        return n * cal, n * cal * cal
    s, q, nn = column(f"s:{measure}"), column(f"q:{measure}"), column(f"nn:{measure}")
    squares = np.maximum(q + 2.0 * center * s - nn * center * center, 0.0)  # Σx² from Σ(x − c)²
    if agg == "sum":
        return s * cal, squares * cal * cal
    if (nn == 0).mean() > 0.2:
        return None
    mean = np.where(nn > 0, s / np.maximum(nn, 1), np.nan)
    var = np.where(nn > 1, np.maximum(squares / np.maximum(nn, 1) - mean**2, 0.0) / np.maximum(nn, 1), np.nan)
    fill = pd.DataFrame({"y": mean, "v": var}).interpolate(limit_direction="both")
    return fill["y"].to_numpy(float), fill["v"].fillna(0.0).to_numpy(float)


def all_series(frames: Frames) -> list[Series]:
    """Rows and each primary measure over time, overall and for every sizeable dimension value; the other measures
    overall only (a table of several series, a savings rate beside consumption, is read one series at a time)
    (cached)."""
    if "series" in frames.cache:
        return frames.cache["series"]  # type: ignore[no-any-return]
    out: list[Series] = []
    prof = frames.profile
    overall = frames.sets.get((TIME,))
    grand = frames.sets.get(())
    if overall is None or overall.empty or grand is None or grand.empty or prof.bucket is None:
        frames.cache["series"] = out
        return out
    grid = _grid(frames, overall[TIME])
    # totals from a sample are scaled up to the whole table (their variances with them, so z-scores stay)
    up = 1.0 / frames.sampled.get("profile", 1.0)
    measures: list[tuple[str, str]] = [] if prof.measure_given else [(ROWS, "count")]
    measures += [(m, prof.measure(m).agg) for m in prof.primary]
    if not prof.measure_given and is_time_series(prof, float(grand[COUNT].iloc[0])):
        others = [m for m in prof.measures if m.name not in prof.primary]
        measures += [(m.name, m.agg) for m in others[:MAX_OVERALL]]
    for measure, agg in measures:
        col = COUNT if measure == ROWS or agg == "avg" else f"s:{measure}"
        total = float(grand[col].iloc[0])
        center = 0.0 if measure == ROWS else prof.measure(measure).center
        k = 1.0 if agg == "avg" else up
        got = _values(overall, measure, agg, center, grid, prof.bucket)
        if got is not None:
            out.append(Series(measure, agg, {}, grid, got[0] * k, got[1] * k * k, 1.0, prof.bucket))
        if measure != ROWS and measure not in prof.primary:
            continue
        for dim in prof.dims:
            part = frames.sets.get((dim, TIME))
            shares = frames.sets.get((dim,))
            if part is None or shares is None or total <= 0:
                continue
            sizes = shares.set_index(dim)[col].sort_values(ascending=False).head(MAX_VALUES_PER_DIM)
            by_value: dict[object, pd.DataFrame] = {k: g for k, g in part.groupby(dim, sort=False)}
            for value, size in sizes.items():
                share = float(size) / total
                if value is None or share < MIN_SUBSPACE_SHARE or share > 0.98 or value not in by_value:
                    continue
                got = _values(by_value[value], measure, agg, center, grid, prof.bucket)
                if got is not None:
                    y, v = got[0] * k, got[1] * k * k
                    out.append(Series(measure, agg, {dim: str(value)}, grid, y, v, share, prof.bucket))
    frames.cache["series"] = out
    return out


def _bic(rss: float, n: int, k: int) -> float:
    return n * math.log(max(rss, 1e-12) / n) + k * math.log(n)


def models(s: Series) -> Models:
    """The line and step fits of a series (computed once), and the preferred model's robust baseline."""
    if s.models_ is not None:
        return s.models_
    y, n = s.y, len(s.y)
    line = fit_line(y)
    step = fit_step(y, max(3, n // 6))
    step_wins = step is not None and _bic(step.rss, n, 3) < _bic(line.rss, n, 2) - 2.0
    if step_wins and step is not None:
        robust = np.where(np.arange(n) < step.index, np.median(y[: step.index]), np.median(y[step.index :]))
    else:
        a, b = theil_sen(y)
        robust = a + b * np.arange(n)
    s.models_ = Models(line, step, step_wins, robust.astype(float))
    return s.models_


def is_time_series(prof: Profile, rows: float) -> bool:
    """Whether the table is a time series (a time value per row, or nearly: economic series, sensor readings),
    as opposed to events in time (flights, orders): every column of a series is read over time."""
    if not prof.time or rows <= 0:
        return False
    return (prof.column(prof.time).n_distinct or 0.0) >= SERIES_SHARE * rows


def shared_trends(
    sets: dict[tuple[str, ...], pd.DataFrame], corr: dict[tuple[str, str], dict[str, object]], min_r: float
) -> dict[tuple[str, str], float]:
    """For each correlated pair (|r| ≥ min_r) of measures that both drift over time (trend or cycle: their bucket
    means' lag-1 autocorrelation ≥ PERSISTENT_R), the correlation of their changes from one time bucket to the
    next (the bucket means' first differences). Two drifting series correlate whatever ties them (a "spurious
    regression": Granger & Newbold 1974, J. Econometrics 2(2)); their changes correlate only when they move
    together. Call it on a table that is a time series (a time value per row, or nearly)."""
    overall = sets.get((TIME,))
    if overall is None or len(overall) < MIN_CHANGES + 1:
        return {}
    rows = overall.sort_values(TIME)
    means: dict[str, np.ndarray] = {}

    def mean_of(m: str) -> np.ndarray | None:
        if m not in means and f"s:{m}" in rows:
            nn = rows[f"nn:{m}"].to_numpy(float)
            means[m] = np.where(nn > 0, rows[f"s:{m}"].to_numpy(float) / np.maximum(nn, 1.0), np.nan)
        return means.get(m)

    def drifts(y: np.ndarray, ok: np.ndarray) -> bool:
        x = y[ok]
        return bool(np.std(x[1:]) > 0 and np.std(x[:-1]) > 0 and np.corrcoef(x[1:], x[:-1])[0, 1] >= PERSISTENT_R)

    out: dict[tuple[str, str], float] = {}
    for (a, b), v in corr.items():
        r = v.get("corr")
        ya, yb = mean_of(a), mean_of(b)
        if r is None or abs(float(r)) < min_r or ya is None or yb is None:  # type: ignore[arg-type]
            continue
        ok = ~(np.isnan(ya) | np.isnan(yb))
        if ok.sum() < MIN_CHANGES + 1 or not (drifts(ya, ok) and drifts(yb, ok)):
            continue
        da, db = np.diff(ya[ok]), np.diff(yb[ok])
        if np.std(da) > 0 and np.std(db) > 0:
            out[(a, b)] = float(np.corrcoef(da, db)[0, 1])
    return out

"""The insight engine's data: column profiles, the aggregated frames rules read, and insights."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

__all__ = ["COUNT", "ROWS", "TIME", "Breakdowns", "ColumnInfo", "Frames", "Insight", "Measure", "Profile"]

TIME = "__time__"  # the time bucket's key in grouping sets
ROWS = "rows"  # the pseudo-measure "number of rows"
# the row count's column in aggregated frames; every statistic's name there has a colon, so a column of the
# data named n, gid or tmin (a `count(*) AS n` in a --query) never collides with one
COUNT = "n:*"


@dataclass
class ColumnInfo:
    """One column with its type class and what pg_stats knows about it."""

    name: str
    type: str
    kind: str  # numeric | text | bool | time | other
    null_frac: float | None = None
    n_distinct: float | None = None  # estimated number of distinct values (absolute)
    mcv: list[str] = field(default_factory=list)
    mcf: list[float] = field(default_factory=list)
    hist: list[float] = field(default_factory=list)
    correlation: float | None = None
    unique: bool = False  # a unique index or constraint covers exactly this column
    not_null: bool = False  # declared NOT NULL: its non-NULL count is the row count
    span: tuple[str, str] | None = None  # a time column's first and last value seen by pg_stats
    hist_text: list[str] = field(default_factory=list)  # a time column's histogram bounds, as text
    role: str = ""  # semantics.column_role: calendar | clock | code | key | amount | ratio | measure | the kind
    exact_q: dict[float, float] | None = None  # exact quantiles of the whole column, when they were computed

    @property
    def quantiles_exact(self) -> bool:
        """Whether `quantile` gives exact figures (computed on the whole column) rather than pg_stats' estimates."""
        return self.exact_q is not None

    def quantile(self, q: float) -> float | None:
        """A quantile of a numeric column: exact when computed (`exact_q`), else an estimate from pg_stats' MCVs
        and histogram (the histogram covers the non-NULL rows that are not MCVs)."""
        if self.exact_q is not None and q in self.exact_q:
            return self.exact_q[q]
        points: list[tuple[float, float]] = []
        rest = max(1.0 - (self.null_frac or 0.0) - sum(self.mcf), 0.0)
        try:
            points += [(float(v), f) for v, f in zip(self.mcv, self.mcf)]
        except ValueError:
            return None
        bounds = self.hist
        if len(bounds) >= 2:
            w = rest / (len(bounds) - 1)
            points += [((a + b) / 2.0, w) for a, b in itertools.pairwise(bounds)]
        if not points:
            return None
        points.sort()
        total = sum(f for _, f in points)
        acc = 0.0
        for value, f in points:
            acc += f / total
            if acc >= q:
                return value
        return points[-1][0]


@dataclass(frozen=True)
class Measure:
    """A numeric column analysed as a measure, with how it aggregates over groups (sum or avg)."""

    name: str
    agg: str  # sum | avg
    center: float = 0.0  # subtracted before squaring, for numerically safe moments


@dataclass
class Profile:
    """The relation under analysis and the roles chosen for its columns."""

    label: str  # how summaries name the data (the table name, or "the query")
    columns: list[ColumnInfo]
    n_rows: float  # estimated rows (pg_class.reltuples until a scan counts them)
    measures: list[Measure] = field(default_factory=list)
    primary: list[str] = field(default_factory=list)  # measures analysed over time and by group
    time: str | None = None
    bucket: str | None = None  # date_trunc unit for the time column
    dims: list[str] = field(default_factory=list)  # low-cardinality: in the grouping-sets cube
    wide_dims: list[str] = field(default_factory=list)  # high-cardinality: top groups only
    id_like: list[str] = field(default_factory=list)
    measure_given: bool = False  # the user named the measures: row counts are not analysed as a measure
    numeric_others: list[str] = field(default_factory=list)  # numeric columns that are neither measure nor id
    parts: dict[str, str] = field(default_factory=dict)  # calendar parts and clock times: column → role
    zone: str | None = None  # the session's TimeZone, in which a timestamptz's calendar parts are read
    grain: str | None = None  # the time column's own grain (year, month, day) when coarser than its type
    local: dict[str, str] = field(default_factory=dict)  # calendar grain → the table's own column holding it

    def counted(self) -> list[str]:
        """The additive quantities analysed over time and groups: rows (unless a measure was named) and sums."""
        sums = [m for m in self.primary if self.measure(m).agg == "sum"]
        return sums if self.measure_given else [ROWS, *sums]

    def column(self, name: str) -> ColumnInfo:
        return next(c for c in self.columns if c.name == name)

    def measure(self, name: str) -> Measure:
        return next(m for m in self.measures if m.name == name)


@dataclass
class Breakdowns:
    """What the breakdown scan groups by, and (after it ran) its groups per grain or driver column."""

    lo: pd.Timestamp | None = None  # the complete periods analysed: [lo, hi)
    hi: pd.Timestamp | None = None
    unit: str = ""  # "month" or "day": what "complete" means for [lo, hi)
    grains: list[str] = field(default_factory=list)
    cuts: dict[str, list[float]] = field(default_factory=dict)  # driver column → upper bounds of its bins
    groups: dict[str, pd.DataFrame] = field(default_factory=dict)  # "cal:month" / "x:col" → rows per group
    query: str = ""  # the statement that computed them, for a user to reproduce the figures

    @property
    def empty(self) -> bool:
        return not self.grains and not self.cuts


@dataclass
class Frames:
    """Everything the rules read: the profile plus aggregated rows (never raw rows)."""

    profile: Profile
    wide: dict[str, Any] | None = None  # one-pass aggregates: n, nonnull, moments, correlations
    sets: dict[tuple[str, ...], pd.DataFrame] = field(default_factory=dict)  # grouping set → groups
    top_groups: dict[str, pd.DataFrame] = field(default_factory=dict)  # high-cardinality dim → top groups
    duplicates: int | None = None
    breakdowns: Breakdowns | None = None  # calendar parts and driver bins of the primary measures
    sampled: dict[str, float] = field(default_factory=dict)  # stage → sampled fraction (< 1)
    cache: dict[Any, Any] = field(default_factory=dict)  # derived values shared by rules (time series, fits)

    @property
    def n_rows(self) -> float:
        if self.wide is not None:
            return float(self.wide["n"])
        return self.profile.n_rows


@dataclass
class Insight:
    """One finding: what, about which columns and values, how big and how surprising, and its evidence."""

    kind: str
    subject: str
    summary: str
    impact: float  # effect size in [0, 1], weighted by how much of the data it covers
    p_value: float | None = None  # None: an observed fact, not a test
    columns: tuple[str, ...] = ()
    measure: str | None = None
    filters: dict[str, str] = field(default_factory=dict)  # the subspace, e.g. {"region": "west"}
    focus: tuple[str, ...] = ()  # the values singled out, e.g. ("P-0007",)
    when: str | None = None  # ISO date of the point or the change
    direction: str | None = None  # up | down
    evidence: dict[str, Any] = field(default_factory=dict)  # what the chart draws
    q_value: float | None = None
    score: float = 0.0
    explains: list[str] = field(default_factory=list)  # summaries of parent insights this one explains
    sql: str | None = None  # a read query that recomputes the finding's figures on the whole data

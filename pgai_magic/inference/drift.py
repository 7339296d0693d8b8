"""Drift tests beyond PSI: two-sample Kolmogorov-Smirnov for numeric features, chi-square for categorical ones.

The training side is a model version's reference (pgai.model_reference: each numeric feature's distinct training
values with their counts, each categorical feature's category counts; kept at deploy / train time). The current
side is the monitoring query. The database computes the aggregates: for KS the two empirical CDFs at every value
of either sample (running sums over the values, a window function) and the largest gap between them; for chi-square
the category counts. The p-values come from scipy from those aggregates:

- KS: scipy.stats.ks_2samp's p-value depends only on the statistic D and the sample sizes (exact for samples up to
  10,000, else the asymptotic Kolmogorov distribution, as scipy's method='auto' chooses), so it is ks_2samp's own
  p-value on two step samples with the same sizes and the same D;
- chi-square: scipy.stats.chi2_contingency on the 2 × k table of training and current counts (Yates' correction
  for 2 × 2, as scipy does).

NULLs (and NaN) are left out of both tests; PSI counts them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import psycopg
from psycopg import sql

__all__ = [
    "REFERENCE_ROWS", "Reference", "chi2_test", "drift_tests", "ks_test", "reference", "reference_kinds",
    "store_reference", "tests_sql",
]  # fmt: skip

REFERENCE_ROWS = 100_000  # training rows kept per model version (a seeded sample beyond this)
TEST_COLUMNS = ["feature", "test", "statistic", "p_value", "n_train", "n_now", "at"]


@dataclass(frozen=True)
class Reference:
    """The training distribution of one feature: numeric (distinct values ascending, counts) or categorical."""

    feature: str
    kind: str
    values: list[float] | None
    categories: list[str] | None
    counts: list[int]
    rows_seen: int

    @property
    def n(self) -> int:
        return int(sum(self.counts))


def _category_text(value: Any, sqltype: str) -> str:
    """A category as PostgreSQL's `::text` writes it (true / false for booleans)."""
    if sqltype == "boolean":
        return "true" if bool(value) else "false"
    return str(value)


def reference(frame: pd.DataFrame, features: Sequence[tuple[str, str]], *, seed: int = 0) -> list[Reference]:
    """The reference of each feature (float8: numeric, else categorical) from the training rows of `frame`; at
    most REFERENCE_ROWS rows, a seeded sample beyond that."""
    rows_seen = len(frame)
    if rows_seen > REFERENCE_ROWS:
        frame = frame.sample(REFERENCE_ROWS, random_state=seed)
    out = []
    for name, sqltype in features:
        if name not in frame.columns:
            continue
        col = frame[name]
        if sqltype == "float8":
            values = pd.to_numeric(col, errors="coerce").dropna().to_numpy(dtype=float)
            distinct, counts = np.unique(values, return_counts=True)
            out.append(Reference(name, "numeric", distinct.tolist(), None, counts.tolist(), rows_seen))
        else:
            texts = col.dropna().map(lambda v, t=sqltype: _category_text(v, t))
            shares = texts.value_counts()
            out.append(Reference(name, "categorical", None, [str(k) for k in shares.index],
                                 [int(c) for c in shares.to_numpy()], rows_seen))  # fmt: skip
    return out


def store_reference(
    conn: psycopg.Connection, name: str, version: int, refs: Sequence[Reference], sources: Sequence[int]
) -> None:
    """Keep `refs` for model `name` v`version` in pgai.model_reference (inside the caller's transaction)."""
    with conn.cursor() as cur:
        cur.executemany(
            """INSERT INTO pgai.model_reference (name, version, feature, kind, "values", categories, counts, n,
                   rows_seen, sources) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s::oid[]::regclass[])""",
            [(name, version, r.feature, r.kind, r.values, r.categories, r.counts, r.n, r.rows_seen, list(sources))
             for r in refs],
        )  # fmt: skip


def ks_test(d: float, n1: int, n2: int, s1: int, s2: int) -> tuple[float, float]:
    """scipy.stats.ks_2samp's two-sided (statistic, p-value) for the gap `d` between samples of sizes n1 and n2:
    ks_2samp run on two step samples with those sizes whose CDFs are s1/n1 and s2/n2 below one point (the
    cumulative counts where D is reached). Their gap is D, and ks_2samp's result depends on nothing else: the
    method (exact up to 10,000 rows, else asymptotic) is scipy's choice, and so is the exact method's rounding
    of D to its lattice of n1·n2 steps."""
    import warnings

    from scipy.stats import ks_2samp

    first = np.repeat(np.array([0, 1], dtype=np.int8), [int(s1), int(n1) - int(s1)])
    second = np.repeat(np.array([0, 1], dtype=np.int8), [int(s2), int(n2) - int(s2)])
    with warnings.catch_warnings():  # "exact calculation unsuccessful, switching to asymp": scipy's own choice
        warnings.simplefilter("ignore", RuntimeWarning)
        result = ks_2samp(first, second)
    if abs(float(result.statistic) - d) > 1e-12:  # the step samples reproduce D by construction
        raise AssertionError(f"KS step samples gave {result.statistic}, not {d}")
    return float(result.statistic), float(result.pvalue)


def chi2_test(train: Sequence[int], now: Sequence[int]) -> tuple[float, float]:
    """(statistic, p-value) of scipy.stats.chi2_contingency on the 2 × k table [train, now]; NaN when a row is
    empty (no expected frequency to test against)."""
    from scipy.stats import chi2_contingency

    table = np.array([list(train), list(now)], dtype=np.int64)
    if table.shape[1] == 0 or (table.sum(axis=1) == 0).any():
        return float("nan"), float("nan")
    result = chi2_contingency(table)
    return float(result.statistic), float(result.pvalue)


def _numeric_sql(i: int, feature: str) -> sql.Composed:
    """CTEs of feature i: the current values' counts, the reference's, the two running CDFs and their gap."""
    return sql.SQL(
        """c{i} AS (SELECT q.{f}::float8 AS v, count(*) AS c FROM q
                    WHERE q.{f} IS NOT NULL AND q.{f}::float8 <> 'NaN'::float8 GROUP BY 1),
           r{i} AS (SELECT u.v, u.c FROM ref, unnest(ref."values", ref.counts) AS u(v, c) WHERE ref.feature = {name}),
           s{i} AS (SELECT coalesce(r.v, c.v) AS v,
                           (sum(coalesce(r.c, 0)) OVER w)::float8 AS s1, (sum(coalesce(c.c, 0)) OVER w)::float8 AS s2,
                           (sum(coalesce(r.c, 0)) OVER ())::float8 AS n1, (sum(coalesce(c.c, 0)) OVER ())::float8 AS n2
                    FROM r{i} AS r FULL JOIN c{i} AS c ON c.v = r.v
                    WINDOW w AS (ORDER BY coalesce(r.v, c.v) ROWS UNBOUNDED PRECEDING)),
           d{i} AS (SELECT v, s1, s2, n1, n2, s1 / nullif(n1, 0) - s2 / nullif(n2, 0) AS diff FROM s{i})"""
    ).format(i=sql.SQL(str(i)), f=sql.Identifier(feature), name=sql.Literal(feature))


def _numeric_row(i: int, feature: str) -> sql.Composed:
    """One result row of feature i: the largest and the smallest gap (with where and the counts there)."""
    return sql.SQL(
        """SELECT {name}, 'ks', (SELECT ARRAY[diff, s1, s2, v] FROM d{i} ORDER BY diff DESC NULLS LAST, v LIMIT 1),
                  (SELECT ARRAY[diff, s1, s2, v] FROM d{i} ORDER BY diff ASC NULLS LAST, v LIMIT 1),
                  (SELECT ARRAY[n1, n2] FROM d{i} LIMIT 1), NULL::text[], NULL::bigint[], NULL::bigint[]"""
    ).format(i=sql.SQL(str(i)), name=sql.Literal(feature))


def _categorical_row(feature: str) -> sql.Composed:
    """One result row of a categorical feature: categories with their training and current counts."""
    return sql.SQL(
        """SELECT {name}, 'chi2', NULL::float8[], NULL::float8[], NULL::float8[],
                  array_agg(coalesce(r.k, c.k) ORDER BY coalesce(r.k, c.k)),
                  array_agg(coalesce(r.c, 0) ORDER BY coalesce(r.k, c.k)),
                  array_agg(coalesce(c.c, 0) ORDER BY coalesce(r.k, c.k))
           FROM (SELECT u.k, u.c FROM ref, unnest(ref.categories, ref.counts) AS u(k, c) WHERE ref.feature = {name}) r
           FULL JOIN (SELECT q.{f}::text AS k, count(*) AS c FROM q WHERE q.{f} IS NOT NULL GROUP BY 1) c
             ON c.k = r.k"""
    ).format(name=sql.Literal(feature), f=sql.Identifier(feature))


def tests_sql(query: str, kinds: Sequence[tuple[str, str]]) -> sql.Composed:
    """One read query (run READ ONLY) of the test aggregates of each (feature, kind) over `query`, reading the
    reference of model %(name)s v%(version)s from pgai.model_reference (`query`'s % signs are escaped)."""
    escaped = sql.SQL(query.replace("%", "%%"))  # type: ignore[arg-type]  # the statement takes parameters
    ctes: list[sql.Composable] = [
        sql.SQL("q AS MATERIALIZED ({})").format(escaped),
        sql.SQL("ref AS (SELECT * FROM pgai.model_reference WHERE name = %(name)s AND version = %(version)s)"),
    ]
    rows: list[sql.Composable] = []
    for i, (feature, kind) in enumerate(kinds):
        if kind == "numeric":
            ctes.append(_numeric_sql(i, feature))
            rows.append(_numeric_row(i, feature))
        else:
            rows.append(_categorical_row(feature))
    return sql.SQL("WITH {} {}").format(sql.SQL(", ").join(ctes), sql.SQL(" UNION ALL ").join(rows))


def _ks(hi: list[float] | None, lo: list[float] | None, sizes: list[float] | None) -> dict[str, Any]:
    """scipy's choice of D (the larger of the largest gap and minus the smallest), its p-value and where."""
    if not sizes or hi is None or lo is None or hi[0] is None or lo[0] is None:
        return {"statistic": float("nan"), "p_value": float("nan"), "at": None}
    n1, n2 = int(sizes[0]), int(sizes[1])
    max_s, min_s = float(hi[0]), float(np.clip(-lo[0], 0, 1))
    _, s1, s2, at = (lo if min_s > max_s else hi)[:4]
    statistic, p = ks_test(min_s if min_s > max_s else max_s, n1, n2, int(s1), int(s2))
    return {"statistic": statistic, "p_value": p, "at": at, "n_train": n1, "n_now": n2}


def drift_tests(rows: Sequence[Sequence[Any]]) -> pd.DataFrame:
    """The result of `tests_sql` as one row per feature: test (KS / chi-square), statistic, p-value, sizes, where
    the KS gap is largest."""
    records = []
    for feature, kind, hi, lo, sizes, _cats, train, now in rows:
        if kind == "ks":
            records.append({"feature": feature, "test": "KS", "n_train": None, "n_now": None, **_ks(hi, lo, sizes)})
        else:
            statistic, p = chi2_test(train or [], now or [])
            records.append({"feature": feature, "test": "chi2", "statistic": statistic, "p_value": p, "at": None,
                            "n_train": int(sum(train or [])), "n_now": int(sum(now or []))})  # fmt: skip
    return pd.DataFrame.from_records(records, columns=TEST_COLUMNS)


def reference_kinds(conn: psycopg.Connection, name: str, version: int) -> list[tuple[str, str]]:
    """(feature, numeric | categorical) of the reference kept for model `name` v`version` (empty for versions
    deployed without data, or when this role may not read the tables it came from)."""
    rows = conn.execute(
        "SELECT feature, kind FROM pgai.model_reference WHERE name = %s AND version = %s ORDER BY feature",
        (name, version),
    ).fetchall()
    return [(str(f), str(k)) for f, k in rows]

"""Exact quantiles of the measures, in one statement, when the table is small enough for it to be cheap.

pg_stats' histogram is built from a sample of 30,000 rows (PostgreSQL docs, 24.1.3 "Updating Planner
Statistics"): a median or an outlier fence read from it is an estimate. Up to EXACT_CELLS values (rows × measures)
the quartiles, median and 1% / 99% quantiles are computed exactly with percentile_cont (linear interpolation
between the closest ranks, as pandas' `Series.quantile` does); above it, the summaries say the figures are
estimates.
"""

from __future__ import annotations

from psycopg import sql

from pgai_magic.catalog import Relation
from pgai_magic.insights.model import Profile
from pgai_magic.insights.runner import Runner

__all__ = ["EXACT_CELLS", "QUANTILES", "exact_quantiles"]

EXACT_CELLS = 2_000_000
QUANTILES = (0.01, 0.25, 0.5, 0.75, 0.99)


def exact_quantiles(runner: Runner, rel: Relation, prof: Profile) -> bool:
    """Compute QUANTILES of every measure on the whole relation into its ColumnInfo.exact_q; False when the
    relation is too large (estimated rows × measures above EXACT_CELLS) or has no measure."""
    if not prof.measures or max(rel.reltuples, 0.0) * len(prof.measures) > EXACT_CELLS:
        return False
    qs = sql.Literal(list(QUANTILES))
    aggs = [
        sql.SQL("percentile_cont({}::float8[]) WITHIN GROUP (ORDER BY {}::float8)").format(qs, sql.Identifier(m.name))
        for m in prof.measures
    ]
    row = runner.rows(sql.SQL("SELECT {} FROM {}").format(sql.SQL(", ").join(aggs), rel.ident))[0]
    for m, values in zip(prof.measures, row, strict=True):
        if values is not None:
            prof.column(m.name).exact_q = {q: float(v) for q, v in zip(QUANTILES, values, strict=True) if v is not None}
    return True

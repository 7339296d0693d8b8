"""Metrics per A/B variant of a split model, with a significance test (scipy) and a chart."""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from pgai_magic.errors import ModelError
from pgai_magic.inference.monitor import align_labels, classification_metrics, regression_metrics

__all__ = ["VariantReport", "compare_variants", "significance"]


@dataclass
class VariantReport:
    """Per-variant metrics of a split model and whether their difference is significant."""

    name: str
    task: str
    metrics: pd.DataFrame  # one row per version: n, share, accuracy/auc or mae/rmse/r2
    test: str
    statistic: float
    p_value: float
    alpha: float = 0.05

    @property
    def significant(self) -> bool:
        return bool(self.p_value < self.alpha)

    def summary(self) -> str:
        key = "accuracy" if self.task == "classification" else "mae"
        parts = [f"v{int(r['version'])}: {key} {r[key]:.4g} (n={int(r['n']):,})" for _, r in self.metrics.iterrows()]
        verdict = "significant" if self.significant else "not significant"
        return (
            f"{self.name} by variant: "
            + "; ".join(parts)
            + (f" — {self.test}: p = {self.p_value:.3g} ({verdict} at {self.alpha})")
        )

    def chart(self) -> Any:
        """Bars of the headline metric per version (altair), titled with the test's p-value."""
        import altair as alt

        key = "accuracy" if self.task == "classification" else "mae"
        data = self.metrics.assign(version=self.metrics["version"].map(lambda v: f"v{int(v)}"))
        return (
            alt.Chart(data)
            .mark_bar()
            .encode(
                x=alt.X("version:N", title=None),
                y=alt.Y(f"{key}:Q", title=key),
                color=alt.Color("version:N", legend=None),
                tooltip=["version", "n", alt.Tooltip(f"{key}:Q", format=".4f")],
            )
            .properties(
                title=f"{self.name}: {key} by variant ({self.test} p = {self.p_value:.3g})", width=60 * len(data)
            )
        )

    def _repr_html_(self) -> str:
        table = self.metrics.to_html(index=False, float_format=lambda v: f"{v:.4f}", border=0)
        return f"<div class='pgai-monitor'>{table}<p>{html.escape(self.summary())}</p></div>"

    def __repr__(self) -> str:
        return self.summary()


def significance(task: str, groups: list[np.ndarray]) -> tuple[str, float, float]:
    """(test name, statistic, p-value) for a difference between variants.

    classification: chi-square test of independence on the variants' correct / wrong counts (the
    groups hold 0/1 hits); regression: Welch's t-test on absolute errors for two variants, the
    Kruskal-Wallis H-test for more (scipy.stats). NaN p-value when a group is empty or constant.
    """
    from scipy import stats

    if any(len(g) == 0 for g in groups):
        return "no test (a variant has no rows)", float("nan"), float("nan")
    if task == "classification":
        table = np.array([[int(g.sum()), int(len(g) - g.sum())] for g in groups])
        if (table.sum(axis=0) == 0).any():
            return "chi-square test of accuracy", 0.0, 1.0  # every variant all right (or all wrong)
        chi2, p, _, _ = stats.chi2_contingency(table)
        return "chi-square test of accuracy", float(chi2), float(p)
    if len(groups) == 2:
        t = stats.ttest_ind(groups[0], groups[1], equal_var=False)
        return "Welch t-test of absolute errors", float(t.statistic), float(t.pvalue)
    h = stats.kruskal(*groups)
    return "Kruskal-Wallis test of absolute errors", float(h.statistic), float(h.pvalue)


def compare_variants(
    name: str, task: str, label_type: str, classes: list[Any], frame: pd.DataFrame, shares: dict[int, float]
) -> VariantReport:
    """Metrics per `variant` of a frame with variant, prediction, (score,) actual columns."""
    known = frame[frame["actual"].notna() & frame["prediction"].notna() & frame["variant"].notna()]
    if known.empty:
        raise ModelError("no rows with a variant, a prediction and an actual outcome: nothing to compare")
    rows, groups = [], []
    for version in shares:
        part = known[known["variant"] == version]
        if task == "regression":
            truth = pd.to_numeric(part["actual"]).to_numpy(dtype=float)
            pred = part["prediction"].to_numpy(dtype=float)
            metrics = regression_metrics(truth, pred) if len(part) else {"n": 0}
            groups.append(np.abs(pred - truth))
        else:
            truth_s = align_labels(part["actual"], label_type)
            scores = part["score"] if "score" in part.columns else None
            metrics = classification_metrics(truth_s, part["prediction"], scores, classes) if len(part) else {"n": 0}
            groups.append(np.array([a == b for a, b in zip(truth_s, part["prediction"])], dtype=float))
        rows.append({"version": version, "share": shares[version], **metrics})
    test, statistic, p = significance(task, groups)
    table = pd.DataFrame.from_records(rows)
    return VariantReport(name, task, table, test, statistic, p)

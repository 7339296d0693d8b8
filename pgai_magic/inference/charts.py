"""Altair charts for model monitoring: metrics then vs now, and PSI drift per feature."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

__all__ = ["drift_chart", "history_chart", "metrics_chart", "monitor_chart"]

_STATUS_COLORS = (["stable", "moderate", "drift", "n/a"], ["#4c9a2a", "#e8a317", "#c0392b", "#999999"])


def drift_chart(drift: pd.DataFrame, levels: Sequence[float], title: str = "feature drift (PSI)") -> Any:
    """Horizontal PSI bars per feature, coloured by status, with guide lines at the moderate and drift
    `levels` (monitor.PSI_MODERATE and monitor.PSI_DRIFT: 0.1 and 0.25)."""
    import altair as alt

    domain, colors = _STATUS_COLORS
    bars = (
        alt.Chart(drift)
        .mark_bar()
        .encode(
            x=alt.X("psi:Q", title="PSI"),
            y=alt.Y("feature:N", sort="-x", title=None),
            color=alt.Color("status:N", scale=alt.Scale(domain=domain, range=colors), title="status"),
            tooltip=["feature", "kind", alt.Tooltip("psi:Q", format=".4f"), "status"],
        )
    )
    guides = pd.DataFrame({"psi": list(levels), "label": ["moderate", "drift"]})
    rules = alt.Chart(guides).mark_rule(strokeDash=[4, 4], color="#666").encode(x="psi:Q", tooltip=["label"])
    return (bars + rules).properties(title=title, width=320)


def metrics_chart(metrics: pd.DataFrame, title: str = "metrics: training vs current") -> Any:
    """Grouped bars of each metric at training time and now."""
    import altair as alt

    long = metrics.melt(id_vars="metric", value_vars=["training", "current"], var_name="when", value_name="value")
    long = long.dropna(subset=["value"])
    return (
        alt.Chart(long)
        .mark_bar()
        .encode(
            x=alt.X("when:N", title=None, sort=["training", "current"]),
            y=alt.Y("value:Q", title=None),
            color=alt.Color("when:N", scale=alt.Scale(domain=["training", "current"], range=["#7f8c8d", "#2e86c1"])),
            column=alt.Column("metric:N", title=None),
            tooltip=["metric", "when", alt.Tooltip("value:Q", format=".4f")],
        )
        .properties(title=title, width=70)
    )


def monitor_chart(name: str, version: int, metrics: pd.DataFrame, drift: pd.DataFrame, levels: Sequence[float]) -> Any:
    """Metrics (metrics_chart) next to drift (drift_chart, guide lines at `levels`) of model `name` v`version`,
    side by side."""
    import altair as alt

    charts = []
    if len(metrics):
        charts.append(metrics_chart(metrics))
    if len(drift):
        charts.append(drift_chart(drift, levels))
    if not charts:
        return alt.Chart(pd.DataFrame()).mark_text().properties(title=f"{name}: nothing to chart")
    if len(charts) == 1:
        return charts[0]
    # each chart keeps its own colour scale: training/current and stable/moderate/drift are different legends
    return alt.hconcat(*charts).resolve_scale(color="independent").properties(title=f"{name} v{version}")


def history_chart(history: pd.DataFrame, name: str, metric: str) -> Any:
    """`metric` of model `name` over its monitoring runs (a line with a point per run; runs that raised an alert in
    red), from `alerts.history`."""
    import altair as alt

    data = history.dropna(subset=[metric]).assign(run=lambda f: f["alert"].map({True: "alert", False: "run"}))
    base = alt.Chart(data).encode(x=alt.X("checked_at:T", title=None), y=alt.Y(f"{metric}:Q", title=metric))
    points = base.mark_point(filled=True, size=70).encode(
        color=alt.Color("run:N", scale=alt.Scale(domain=["run", "alert"], range=["#2e86c1", "#c0392b"]), title=None),
        tooltip=["checked_at:T", "version:Q", alt.Tooltip(f"{metric}:Q", format=".4g"), "run:N"],
    )
    return (base.mark_line(color="#2e86c1") + points).properties(title=f"{name}: {metric} over time", width=420)

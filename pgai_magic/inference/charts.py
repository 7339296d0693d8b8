"""Altair charts for model monitoring: metrics then vs now, and PSI drift per feature."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from pgai_magic.inference.monitor import PSI_DRIFT, PSI_MODERATE

if TYPE_CHECKING:
    from pgai_magic.inference.monitor import MonitorReport

__all__ = ["drift_chart", "metrics_chart", "monitor_chart"]

_STATUS_COLORS = (["stable", "moderate", "drift", "n/a"], ["#4c9a2a", "#e8a317", "#c0392b", "#999999"])


def drift_chart(drift: pd.DataFrame, title: str = "feature drift (PSI)") -> Any:
    """Horizontal PSI bars per feature, coloured by status, with the 0.1 and 0.25 guide lines."""
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
    guides = pd.DataFrame({"psi": [PSI_MODERATE, PSI_DRIFT], "label": ["moderate", "drift"]})
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


def monitor_chart(report: MonitorReport) -> Any:
    """Metrics next to drift, side by side."""
    import altair as alt

    charts = []
    if len(report.metrics):
        charts.append(metrics_chart(report.metrics))
    if len(report.drift):
        charts.append(drift_chart(report.drift))
    if not charts:
        return alt.Chart(pd.DataFrame()).mark_text().properties(title=f"{report.name}: nothing to chart")
    if len(charts) == 1:
        return charts[0]
    # each chart keeps its own colour scale: training/current and stable/moderate/drift are different legends
    return alt.hconcat(*charts).resolve_scale(color="independent").properties(title=f"{report.name} v{report.version}")

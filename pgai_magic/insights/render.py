"""Insight cards: one small altair chart per insight (from its aggregated evidence) and the cards as HTML."""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

import pandas as pd

__all__ = ["card_html", "cards_html", "cards_text", "chart", "chart_svg", "natural_order", "report_html"]

WIDTH, HEIGHT = 280, 110
ACCENT, MUTED = "#d6604d", "#4393c3"
FAMILY_COLOURS = {
    "missing": "#8c510a",
    "constant": "#8c510a",
    "id_like": "#8c510a",
    "high_cardinality": "#8c510a",
    "duplicates": "#8c510a",
    "skew": "#5e3c99",
    "outliers": "#5e3c99",
    "correlation": "#1b7837",
    "top_contributor": "#b2182b",
    "concentration": "#b2182b",
    "category_outlier": "#2166ac",
    "segment_deviation": "#2166ac",
    "trend": "#e08214",
    "change_point": "#e08214",
    "seasonality": "#e08214",
    "spike": "#e08214",
    "calendar": "#e08214",
    "driver": "#1b7837",
    "overview": "#444444",
}


_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _rank_key(label: str) -> tuple[int, float | str] | None:
    low = label.strip().lower()
    for names in (_MONTHS, _DAYS):
        if low[:3] in names and (len(low) == 3 or low.isalpha()):
            return (0, float(names.index(low[:3])))
    head = low.rstrip("h").split()[-1].split("–")[0] if low else ""
    try:
        return (1, float(head))
    except ValueError:
        pass
    try:
        return (2, pd.Timestamp(label).value)
    except (ValueError, TypeError):
        return None


def natural_order(labels: list[str]) -> list[int]:
    """Positions of `labels` in their natural order: months and weekdays in calendar order, numbers and dates
    ascending; any other labels keep the order given."""
    keys = [_rank_key(str(x)) for x in labels]
    if any(k is None for k in keys) or len({k[0] for k in keys if k is not None}) > 1:
        return list(range(len(labels)))
    return sorted(range(len(labels)), key=lambda i: keys[i])  # type: ignore[arg-type,return-value]


def _evidence(item: Mapping[str, Any] | pd.Series) -> dict[str, Any]:
    ev = item.get("evidence") if "evidence" in item else item
    return dict(ev) if isinstance(ev, Mapping) else {}


def chart(item: Mapping[str, Any] | pd.Series) -> Any:
    """The altair chart of an insight row (or of its evidence dict); None when it has nothing to draw."""
    import altair as alt

    ev = _evidence(item)
    kind = ev.get("chart")
    ylabel = str(ev.get("ylabel", ""))
    if kind == "series":
        data = pd.DataFrame({"t": pd.to_datetime(ev["x"]), "value": ev["y"]})
        layers = [
            alt.Chart(data)
            .mark_line(color=MUTED, point=alt.OverlayMarkDef(size=12, color=MUTED))
            .encode(
                x=alt.X("t:T", title=None),
                y=alt.Y("value:Q", title=ylabel[:40]),
                tooltip=[alt.Tooltip("t:T"), alt.Tooltip("value:Q", format=",.4~g")],
            )
        ]
        if ev.get("fit"):
            data["fit"] = ev["fit"]
            layers.append(alt.Chart(data).mark_line(color="#999", strokeDash=[4, 3]).encode(x="t:T", y="fit:Q"))
        if ev.get("mark"):
            marked = data[data["t"] == pd.Timestamp(ev["mark"])]
            layers.append(alt.Chart(marked).mark_point(color=ACCENT, size=90, filled=True).encode(x="t:T", y="value:Q"))
        return alt.layer(*layers).properties(width=WIDTH, height=HEIGHT)
    if kind == "bars":
        data = pd.DataFrame({"label": [str(x) for x in ev["x"]], "value": ev["y"]})
        data = data.iloc[natural_order(data["label"].tolist())].reset_index(drop=True)
        highlight = str(ev.get("highlight", ""))
        data["hit"] = data["label"] == highlight
        return (
            alt.Chart(data)
            .mark_bar()
            .encode(
                x=alt.X("label:N", sort=None, title=None, axis=alt.Axis(labelLimit=90, labelAngle=-40)),
                y=alt.Y("value:Q", title=ylabel[:40]),
                color=alt.condition("datum.hit", alt.value(ACCENT), alt.value(MUTED)),
                tooltip=["label:N", alt.Tooltip("value:Q", format=",.4~g")],
            )
            .properties(width=WIDTH, height=HEIGHT)
        )
    if kind == "histogram":
        data = pd.DataFrame({"lo": ev["lo"], "hi": ev["hi"], "density": ev["y"]})
        scale = alt.Scale(type="log") if ev.get("log") else alt.Scale()
        return (
            alt.Chart(data)
            .mark_rect(color=MUTED)
            .encode(
                x=alt.X("lo:Q", title=str(ev.get("xlabel", "")), scale=scale),
                x2="hi:Q",
                y=alt.Y("density:Q", title="density", scale=alt.Scale(type="sqrt")),
            )
            .properties(width=WIDTH, height=HEIGHT)
        )
    if kind == "grouped":
        labels = ev.get("labels", ["segment", "others"])
        rows = [{"x": str(x), "who": labels[0], "share": a} for x, a in zip(ev["x"], ev["y"])]
        rows += [{"x": str(x), "who": labels[1], "share": b} for x, b in zip(ev["x"], ev["y2"])]
        return (
            alt.Chart(pd.DataFrame(rows))
            .mark_bar()
            .encode(
                x=alt.X("x:N", title=None, sort=None),
                xOffset="who:N",
                y=alt.Y("share:Q", title="share"),
                color=alt.Color("who:N", scale=alt.Scale(range=[ACCENT, MUTED]), legend=alt.Legend(title=None)),
            )
            .properties(width=WIDTH, height=HEIGHT)
        )
    return None


def chart_svg(item: Mapping[str, Any] | pd.Series) -> str | None:
    """The chart as SVG text (vl-convert, offline); None when there is no chart or no converter."""
    from pgai_magic.display import altair_svg

    return altair_svg(chart(item))


# inline styles only, of the properties JupyterLab keeps in untrusted outputs (no <style>, no grid): the cards keep
# their layout in a notebook opened before `jupyter trust`, on GitHub and in nbconvert's HTML
_CARDS = "font-family:sans-serif"
_CARD = (
    "display:inline-block;vertical-align:top;width:340px;margin:0 10px 10px 0;border:1px solid #ddd;"
    "border-radius:6px;padding:8px 10px;background:#fff;color:#222"
)
_HEAD = "font-size:11px;color:#666"
_KIND = "color:#fff;border-radius:3px;padding:0 5px;background:{colour}"
_SUBJECT = "font-weight:600;margin:4px 0 2px 0;font-size:13px"
_SUMMARY = "font-size:12px;line-height:1.35;margin-bottom:4px"


def card_html(rank: int, row: Mapping[str, Any] | pd.Series, *, with_chart: bool = True) -> str:
    """One insight as a card: kind, score, subject, the summary sentence and its chart (an <img> of its SVG)."""
    from pgai_magic.display import svg_img

    kind = str(row.get("kind", ""))
    colour = FAMILY_COLOURS.get(kind, "#555")
    svg = chart_svg(row) if with_chart else None
    subject = str(row.get("subject", ""))
    figure = f"<div>{svg_img(svg, f'chart: {subject}')}</div>" if svg else ""
    q = row.get("q_value")
    sig = f" · q {q:.1e}" if isinstance(q, float) and q == q else ""
    return (
        f"<div style='{_CARD}'>"
        f"<div style='{_HEAD}'><span style='float:right'>score {float(row.get('score', 0.0)):.3f}{sig}</span>"
        f"#{rank} <span style='{_KIND.format(colour=colour)}'>{html.escape(kind.replace('_', ' '))}</span></div>"
        f"<div style='{_SUBJECT}'>{html.escape(subject)}</div>"
        f"<div style='{_SUMMARY}'>{html.escape(str(row.get('summary', '')))}</div>{figure}</div>"
    )


def cards_html(frame: pd.DataFrame, *, with_charts: bool = True) -> str:
    """All insights of a frame as cards (wrapping in rows), with a footer on how they were computed."""
    cards = "".join(card_html(i + 1, row, with_chart=with_charts) for i, (_, row) in enumerate(frame.iterrows()))
    attrs = frame.attrs
    parts = []
    if "elapsed_s" in attrs:
        parts.append(
            f"{len(frame)} insight{'s' if len(frame) != 1 else ''} from {attrs.get('candidates', '?')} candidates and "
            f"{attrs.get('tests', '?')} tests on {attrs.get('source', 'the data')} in {attrs['elapsed_s']:.1f} s"
        )
        parts.append(f"{attrs.get('rows_fetched', 0):,} aggregated rows fetched")
    if attrs.get("sampled"):
        parts.append("sampled: " + ", ".join(f"{k} {v:.1%}" for k, v in attrs["sampled"].items()))
    skipped = [s["stage"] for s in attrs.get("stages", []) if not s.get("done", True)]
    if skipped:
        parts.append("not finished within the budget: " + ", ".join(skipped))
    footer = f"<p style='color:#666;font-size:90%'>{html.escape(' · '.join(parts))}</p>" if parts else ""
    if frame.empty:
        cards = "<p>no insight passed the significance and size thresholds</p>"
    return f"<div style='{_CARDS}'>{cards}</div>{footer}"


def cards_text(frame: pd.DataFrame) -> str:
    """The cards as plain text: one line per insight (rank, kind, subject, score), its summary below."""
    if frame.empty:
        return "no insight passed the significance and size thresholds"
    lines = []
    for i, (_, row) in enumerate(frame.iterrows()):
        lines.append(f"#{i + 1} {str(row.get('kind', '')).replace('_', ' ')}: {row.get('subject', '')}")
        lines.append(f"    {row.get('summary', '')}")
    return "\n".join(lines)


def report_html(frame: pd.DataFrame, *, title: str | None = None) -> str:
    """A self-contained HTML page (inline CSS and SVG charts, no script) of the cards and each finding's SQL."""
    name = title or f"insights on {frame.attrs.get('source', 'the data')}"
    checks = "".join(
        f"<details><summary>#{i + 1} {html.escape(str(row.get('subject', '')))}</summary>"
        f"<pre>{html.escape(str(row.get('sql') or ''))}</pre></details>"
        for i, (_, row) in enumerate(frame.iterrows())
        if row.get("sql")
    )
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(name)}</title></head>"
        f"<body style='font-family:sans-serif'><h2>{html.escape(name)}</h2>{cards_html(frame)}"
        f"<h3>Check the numbers: the SQL of each finding</h3>{checks}</body></html>"
    )

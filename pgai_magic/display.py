"""Rendering of results for notebooks: truncated HTML tables with a total-rows footer, status blocks."""

from __future__ import annotations

import html
from collections.abc import Iterator, Mapping
from typing import Any

import pandas as pd

__all__ = [
    "CardFrame",
    "Lines",
    "Record",
    "ResultFrame",
    "altair_svg",
    "render_sql_html",
    "render_status_html",
    "render_table_html",
]


class ResultFrame(pd.DataFrame):
    """A complete result DataFrame that displays only its first `display_limit` rows with a footer, and its
    `chart` (an altair chart, when one is attached) under the table."""

    _metadata = ["display_limit", "elapsed", "chart"]
    display_limit: int
    elapsed: float | None
    chart: Any

    @property
    def _constructor(self) -> type[pd.DataFrame]:  # derived frames are plain DataFrames
        return pd.DataFrame

    @classmethod
    def wrap(
        cls, frame: pd.DataFrame, *, display_limit: int, elapsed: float | None = None, chart: Any = None
    ) -> ResultFrame:
        out = cls(frame, copy=False)
        out.attrs.update(frame.attrs)
        out.display_limit = display_limit
        out.elapsed = elapsed
        out.chart = chart
        return out

    def _footer(self) -> str:
        limit = getattr(self, "display_limit", 10)
        total = len(self)
        text = f"{total:,} row{'s' if total != 1 else ''}"
        if total > limit:
            text += f" (showing the first {limit:,}; the returned DataFrame is complete)"
        elapsed = getattr(self, "elapsed", None)
        if elapsed is not None:
            text += f" · {elapsed:.3f} s"
        return text

    def _repr_html_(self) -> str:  # type: ignore[override]
        table = render_table_html(pd.DataFrame(self.head(getattr(self, "display_limit", 10))), self._footer())
        chart = getattr(self, "chart", None)
        if chart is None:
            return table
        svg = altair_svg(chart)  # static SVG: renders offline, in any notebook viewer
        if svg is None:
            note = "the chart is not drawn: vl-convert-python (which renders it) is not installed"
            return table + f"<p style='color:#666;font-size:90%'>{note}</p>"
        return table + f"<div class='pgai-chart'>{svg}</div>"

    def __repr__(self) -> str:
        head = pd.DataFrame(self.head(getattr(self, "display_limit", 10)))
        return head.to_string(max_colwidth=60) + "\n" + self._footer()


class CardFrame(pd.DataFrame):
    """A DataFrame that displays as given HTML (insight cards) once, instead of also as a table."""

    _metadata = ["markup"]
    markup: str

    @property
    def _constructor(self) -> type[pd.DataFrame]:
        return pd.DataFrame

    @classmethod
    def wrap(cls, frame: pd.DataFrame, markup: str) -> CardFrame:
        out = cls(frame, copy=False)
        out.attrs.update(frame.attrs)
        out.markup = markup
        return out

    def _repr_html_(self) -> str:  # type: ignore[override]
        return self.markup


class Record(Mapping[str, Any]):
    """A typed result (a dataclass subclasses this) shown as a two-column table of its labelled `lines()`: HTML
    in notebooks, aligned text otherwise; read-only mapping access (`record["label"]`) reads those lines."""

    def lines(self) -> dict[str, Any]:
        """The labelled lines shown, in order (label → value)."""
        raise NotImplementedError

    def __getitem__(self, key: str) -> Any:
        return self.lines()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.lines())

    def __len__(self) -> int:
        return len(self.lines())

    def _repr_html_(self) -> str:
        return render_status_html(self.lines())

    def __repr__(self) -> str:
        lines = self.lines()
        width = max((len(str(k)) for k in lines), default=0)
        return "\n".join(f"{str(k).ljust(width)}  {v}" for k, v in lines.items())


class Lines(Record):
    """Given labelled lines shown as a Record (e.g. a model version's `details()`)."""

    def __init__(self, lines: Mapping[str, Any]) -> None:
        self._lines = dict(lines)

    def lines(self) -> dict[str, Any]:
        return dict(self._lines)


def _cell(value: Any) -> str:
    text = str(value)
    if len(text) > 200:
        text = text[:197] + "…"
    return html.escape(text)


def render_table_html(frame: pd.DataFrame, footer: str) -> str:
    """An HTML table of `frame` (values escaped, long values cut) followed by `footer`."""
    body = frame.to_html(max_cols=50, notebook=True, border=0, formatters=None, escape=True)
    return f'<div class="pgai-result">{body}<p style="color:#666;font-size:90%">{html.escape(footer)}</p></div>'


def render_status_html(info: Mapping[str, Any]) -> str:
    """A two-column table of status lines."""
    rows = "".join(
        f"<tr><th style='text-align:left'>{html.escape(str(k))}</th><td style='text-align:left'>{_cell(v)}</td></tr>"
        for k, v in info.items()
    )
    return f"<table class='pgai-status'>{rows}</table>"


def render_sql_html(sql: str, source: str | None = None) -> str:
    """SQL highlighted with pygments (when available), with an optional 'from …' caption."""
    try:
        from pygments import highlight
        from pygments.formatters import HtmlFormatter
        from pygments.lexers import PostgresLexer

        code = highlight(sql, PostgresLexer(), HtmlFormatter(noclasses=True, nowrap=False))
    except ImportError:  # pragma: no cover - pygments ships with IPython
        code = f"<pre>{html.escape(sql)}</pre>"
    caption = f"<div style='color:#666;font-size:90%'>{html.escape(source)}</div>" if source else ""
    return caption + code


def altair_svg(chart: Any) -> str | None:
    """An altair chart as inline SVG, rendered offline by vl-convert (None without a chart or converter)."""
    if chart is None:
        return None
    try:
        import vl_convert as vlc
    except ImportError:
        return None
    return str(vlc.vegalite_to_svg(chart.to_json()))

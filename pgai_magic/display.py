"""Rendering of results for notebooks: truncated HTML tables with a total-rows footer, status blocks, charts as
static images.

Everything here stays readable where a notebook is not trusted (JupyterLab sanitizes the HTML of untrusted outputs:
no <style>, <script> or <svg>, a limited set of inline styles) and where there is no network: HTML uses inline
styles only, a chart inside HTML is an <img> of its SVG (a data URI), a chart on its own is an image/svg+xml +
image/png bundle with a text/plain description; no output loads anything from the web.
"""

from __future__ import annotations

import base64
import functools
import html
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "CardFrame",
    "Chart",
    "Lines",
    "Record",
    "ResultFrame",
    "SqlText",
    "altair_svg",
    "chart_img",
    "counted",
    "null_marked",
    "progress",
    "render_sql_html",
    "render_status_html",
    "render_table_html",
    "use_progress_output",
]


def counted(n: int | float, noun: str) -> str:
    """`n` and the noun, singular for one: counted(1, "row") → "1 row", counted(1200, "row") → "1,200 rows"."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


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
        text = counted(total, "row")
        if total > limit:
            text += f" (showing the first {limit:,}; the returned DataFrame is complete)"
        elapsed = getattr(self, "elapsed", None)
        if elapsed is not None:
            text += f" · {elapsed:.3f} s" if elapsed >= 0.0005 else " · < 1 ms"
        return text

    def _repr_html_(self) -> str:  # type: ignore[override]
        table = render_table_html(self._shown_rows(), self._footer())
        chart = getattr(self, "chart", None)
        if chart is None:
            return table
        img = chart_img(chart)  # a static image: renders offline, untrusted, in any notebook viewer
        if img is None:
            note = "the chart is not drawn: vl-convert-python (which renders it) is not installed"
            return table + f"<p style='color:#666;font-size:90%'>{note}</p>"
        return table + f"<div>{img}</div>"

    def __repr__(self) -> str:
        head = self._shown_rows()
        return head.to_string(max_colwidth=60, formatters=decimal_formatters(head)) + "\n" + self._footer()

    def _shown_rows(self) -> pd.DataFrame:
        return null_marked(pd.DataFrame(self.head(getattr(self, "display_limit", 10))))


class CardFrame(pd.DataFrame):
    """A DataFrame that displays as given HTML (insight cards) once, instead of also as a table; `text` (when given)
    is its plain-text form (what text-only viewers show)."""

    _metadata = ["markup", "text"]
    markup: str
    text: str | None

    @property
    def _constructor(self) -> type[pd.DataFrame]:
        return pd.DataFrame

    @classmethod
    def wrap(cls, frame: pd.DataFrame, markup: str, text: str | None = None) -> CardFrame:
        out = cls(frame, copy=False)
        out.attrs.update(frame.attrs)
        out.markup = markup
        out.text = text
        return out

    def _repr_html_(self) -> str:  # type: ignore[override]
        return self.markup

    def __repr__(self) -> str:
        text = getattr(self, "text", None)
        return text if text is not None else super().__repr__()


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


def null_marked(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of (a few rows of) `frame` for display, where a NULL in a text or object column reads `<NA>`.

    pandas shows a missing value as NaN in its text columns and None in object ones (numerics kept exact, json),
    which mixes two spellings of NULL in one table and looks like the text 'NaN'; here both read <NA>, as pandas'
    nullable columns show it. Numbers keep NaN and timestamps NaT (their own missing values). Display only."""
    out = frame.copy()
    for i in range(out.shape[1]):
        col = out.iloc[:, i]
        if not (pd.api.types.is_object_dtype(col.dtype) or pd.api.types.is_string_dtype(col.dtype)):
            continue
        missing = col.isna()
        if missing.any():
            out.isetitem(i, col.astype(object).where(~missing, pd.NA).to_numpy())
    return out


DISPLAY_DECIMALS = 6  # exact numerics (Decimal) with more decimals are shown with this many (pandas' display.precision)


def _shown_decimal(value: Any) -> Any:
    """A Decimal with more than DISPLAY_DECIMALS decimals, as shown (`avg()` gives 16 or more); others unchanged."""
    if isinstance(value, Decimal) and value.is_finite() and -value.as_tuple().exponent > DISPLAY_DECIMALS:  # type: ignore[operator]
        return f"{value:.{DISPLAY_DECIMALS}f}"
    return value


def decimal_formatters(frame: pd.DataFrame) -> list[Any] | None:
    """pandas formatters (one per column) showing long exact numerics with DISPLAY_DECIMALS decimals; None when the
    frame has no Decimal column. Display only: the DataFrame keeps every digit."""
    found = [
        _shown_decimal
        if frame.dtypes.iloc[i] == np.dtype(object) and any(isinstance(v, Decimal) for v in frame.iloc[:, i].head(50))
        else None
        for i in range(frame.shape[1])
    ]
    return found if any(found) else None


def render_table_html(frame: pd.DataFrame, footer: str) -> str:
    """An HTML table of `frame` (values escaped, long values cut) followed by `footer`; long exact numerics are shown
    with DISPLAY_DECIMALS decimals (decimal_formatters)."""
    body = frame.to_html(max_cols=50, border=0, formatters=decimal_formatters(frame), escape=True)
    return f'<div class="pgai-result">{body}<p style="color:#666;font-size:90%">{html.escape(footer)}</p></div>'


def render_status_html(info: Mapping[str, Any]) -> str:
    """A two-column table of status lines."""
    rows = "".join(
        f"<tr><th style='text-align:left'>{html.escape(str(k))}</th><td style='text-align:left'>{_cell(v)}</td></tr>"
        for k, v in info.items()
    )
    return f"<table class='pgai-status'>{rows}</table>"


class SqlText:
    """SQL shown with its source: highlighted (inline styles) in notebooks, the caption and the SQL as plain text."""

    def __init__(self, sql: str, source: str | None = None) -> None:
        self.sql = sql
        self.source = source

    def _repr_html_(self) -> str:
        return render_sql_html(self.sql, self.source)

    def __repr__(self) -> str:
        return f"{self.source}\n{self.sql}" if self.source else self.sql


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
    """An altair chart as SVG text, rendered offline by vl-convert (None without a chart or converter)."""
    if chart is None:
        return None
    try:
        import vl_convert as vlc
    except ImportError:
        return None
    return str(vlc.vegalite_to_svg(chart.to_json()))


def svg_img(svg: str, alt: str = "chart") -> str:
    """An <img> showing `svg` from a data URI: HTML sanitizers keep it (they drop inline <svg>), no script runs."""
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return f'<img src="data:image/svg+xml;base64,{data}" alt="{html.escape(alt)}" style="max-width:100%">'


def chart_img(chart: Any, alt: str = "chart") -> str | None:
    """An altair chart as an <img> of its SVG (vl-convert, offline); None without a chart or converter."""
    svg = altair_svg(chart)
    return None if svg is None else svg_img(svg, alt)


class Chart:
    """A chart shown as static images: SVG (trusted notebooks) and PNG (untrusted ones, which show no SVG), both
    rendered offline by vl-convert, with a text description as the plain-text fallback; nothing loads from the web.

    `chart` is the altair chart (display it yourself for an interactive one: altair's renderer, e.g.
    `alt.renderers.enable("mimetype")` for JupyterLab's own offline Vega); `data` the rows it draws.
    """

    def __init__(self, chart: Any, description: str, data: pd.DataFrame | None = None) -> None:
        self.chart = chart
        self.description = description
        self.data = data if data is not None else pd.DataFrame()
        self._images: dict[str, str] | None = None

    def images(self) -> dict[str, str]:
        """{mime type: data} of the rendered chart (SVG text, base64 PNG); empty without vl-convert."""
        if self._images is None:
            try:
                import vl_convert as vlc
            except ImportError:
                return {}
            spec = self.chart.to_json()
            png = base64.b64encode(vlc.vegalite_to_png(spec)).decode("ascii")
            self._images = {"image/svg+xml": str(vlc.vegalite_to_svg(spec)), "image/png": png}
        return self._images

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return {**self.images(), "text/plain": repr(self)}

    def __repr__(self) -> str:
        if not len(self.data):
            return self.description
        head = self.data.head(20).to_string(index=False, max_colwidth=40)
        more = f"\n… {len(self.data) - 20:,} more rows (`.data` has them all)" if len(self.data) > 20 else ""
        return f"{self.description}\n{head}{more}"


# -- progress bars ---------------------------------------------------------------------------------------------
_progress_output: Callable[[], Any] | None = None


def use_progress_output(factory: Callable[[], Any] | None) -> None:
    """Where progress bars write from now on: `factory()` gives a file-like object per bar (the notebook edge gives
    one that updates a single display in place and clears it at the end, so a saved notebook holds no frozen bar);
    None: tqdm.auto's own choice (a widget in Jupyter, text on stderr elsewhere)."""
    global _progress_output
    _progress_output = factory


def progress(
    *,
    total: float | None = None,
    desc: str | None = None,
    unit: str = "it",
    unit_scale: bool = False,
    delay: float = 1.0,
    disable: bool = False,
    leave: bool = False,
) -> Any:
    """A tqdm progress bar for a long operation: shown only past `delay` seconds, gone when done (`leave=False`), and
    written where `use_progress_output` says. The object is tqdm's (`update`, `close`, `set_postfix_str`, `n`)."""
    options = dict(total=total, desc=desc, unit=unit, unit_scale=unit_scale, delay=delay, disable=disable, leave=leave)
    if _progress_output is not None and not disable:
        return _text_bar()(file=_progress_output(), **options)
    from tqdm.auto import tqdm

    return tqdm(**options)  # type: ignore[call-overload]


@functools.cache
def _text_bar() -> Any:
    """tqdm's text bar, whose close() also calls its file's `finish()` when it does not stay: tqdm skips clearing a
    bar it drew only through refresh() (set_postfix_str) before its delay, which would leave that text behind."""
    from tqdm.std import tqdm

    class TextBar(tqdm):  # type: ignore[misc]
        def close(self) -> None:
            done = self.disable
            super().close()
            finish = getattr(self.fp, "finish", None)
            if not done and not self.leave and finish is not None:
                finish()

    return TextBar

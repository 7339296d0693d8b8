"""The chart an answer's shape calls for: a time series (a line per measure) or a measure by category (bars)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pandas as pd

from pgai_magic.workflow.plot import MAX_POINTS, result_altair

__all__ = ["MAX_BARS", "ChartShape", "answer_chart", "chart_shape"]

MAX_BARS = 50  # a measure by category is charted for at most this many categories (a readable bar chart)
_YEAR = re.compile(r"(^|_)(year|yr)$", re.IGNORECASE)


@dataclass(frozen=True)
class ChartShape:
    """What to draw: `kind` ("line" or "bar"), the x column and the measure columns (y)."""

    kind: str
    x: str
    measures: tuple[str, ...]


def _is_measure(values: pd.Series) -> bool:
    """Numbers (not booleans): a numeric dtype, or PostgreSQL numerics read exactly as Decimal objects."""
    if pd.api.types.is_bool_dtype(values):
        return False
    if pd.api.types.is_numeric_dtype(values):
        return True
    present = values.dropna()
    return values.dtype == object and len(present) > 0 and all(isinstance(v, Decimal) for v in present)


def _is_temporal(name: str, values: pd.Series) -> bool:
    """Dates and timestamps; also a whole-number column named year (an `extract(year …)` or an integer year)."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return True
    present = values.dropna()
    if len(present) and all(isinstance(v, pd.Timestamp) for v in present):
        return True
    if _YEAR.search(name) and pd.api.types.is_integer_dtype(values):
        return bool(len(present)) and bool(((present >= 1000) & (present <= 3000)).all())
    return False


def _is_category(values: pd.Series) -> bool:
    present = values.dropna()
    return len(present) > 0 and all(isinstance(v, str) for v in present)


def chart_shape(frame: pd.DataFrame) -> ChartShape | None:
    """The chart a result's shape calls for, or None when it calls for none.

    A time series: one temporal column (date, timestamp, or an integer year) and one or more numeric measures,
    2 to MAX_POINTS rows. A measure by category: one text column with distinct values and one numeric column,
    2 to MAX_BARS rows. Anything else (one row, ids and names, several text columns, too many rows): None.
    """
    rows = len(frame)
    names = [str(c) for c in frame.columns]
    if rows < 2 or len(set(names)) != len(names):
        return None
    temporal = [n for n, c in zip(names, frame.columns) if _is_temporal(n, frame[c])]
    measures = [n for n, c in zip(names, frame.columns) if n not in temporal and _is_measure(frame[c])]
    others = [n for n in names if n not in temporal and n not in measures]
    if len(temporal) == 1 and measures and not others and rows <= MAX_POINTS:
        return ChartShape("line", temporal[0], tuple(measures))
    if not temporal and len(measures) == 1 and len(others) == 1 and rows <= MAX_BARS:
        label = frame[others[0]]
        if _is_category(label) and label.notna().all() and label.is_unique:
            return ChartShape("bar", others[0], tuple(measures))
    return None


def answer_chart(frame: pd.DataFrame) -> Any | None:
    """An altair chart of a question's answer when its shape calls for one (see `chart_shape`), else None.

    Drawn by `result_altair` (the `%%pgai --plot` code); several measures of a time series are drawn as one line
    each (a colour per measure). Exact numerics (Decimal) are drawn as float64: the table keeps the exact values.
    """
    shape = chart_shape(frame)
    if shape is None:
        return None
    x = frame[shape.x]
    if not pd.api.types.is_datetime64_any_dtype(x) and pd.api.types.is_integer_dtype(x):  # a year: a time axis
        x = pd.to_datetime(x.astype(str), format="%Y")
    data = pd.DataFrame({shape.x: x})
    for name in shape.measures:
        data[name] = pd.to_numeric(frame[name].map(lambda v: float(v) if isinstance(v, Decimal) else v))
    if shape.kind == "bar" or len(shape.measures) == 1:
        return result_altair(data, shape.kind, shape.x, shape.measures[0])
    import altair as alt

    return (
        alt.Chart(data)
        .transform_fold(list(shape.measures), as_=["measure", "value"])
        .mark_line(point=True)
        .encode(x=shape.x, y=alt.Y("value:Q", title=None), color=alt.Color("measure:N", title=None))
    )

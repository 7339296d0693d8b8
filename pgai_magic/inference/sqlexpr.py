"""SQL expression building blocks for compiled models: exact literals, columns, float32-exact comparisons."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from pgai_magic.errors import ModelError

__all__ = [
    "Col",
    "argmax_sql",
    "array_lit",
    "expit_sql",
    "f8",
    "label_lit",
    "le32_split",
    "le32_splits",
    "sum_sql",
    "text_lit",
]


@dataclass(frozen=True)
class Col:
    """One feature column inside the compiled model: its SQL, its kind and what is known about it.

    `kind` is 'num' (float8) or 'text'; `source` is the input index while the column is still the
    raw input (possibly imputed); `nulls` are the inputs whose NULL makes this column NULL (and
    nothing else does); `indicator`, when set, is a boolean condition: the column is exactly 1.0
    when it is true and 0.0 otherwise (never NULL).
    """

    sql: str
    kind: str = "num"
    source: int | None = None
    nulls: frozenset[int] = frozenset()
    indicator: str | None = None


def f8(value: float) -> str:
    """A float8 constant that reads back bit for bit (repr precision, typed so no numeric math happens)."""
    v = float(value)
    if math.isnan(v):
        return "float8 'NaN'"
    if math.isinf(v):
        return "float8 'Infinity'" if v > 0 else "float8 '-Infinity'"
    return f"float8 '{v!r}'"


def text_lit(value: str) -> str:
    """A text constant (standard-conforming string, quotes doubled)."""
    if "\x00" in value:
        raise ModelError(f"the category {value!r} contains a NUL character, which postgresql text cannot hold")
    return "'" + value.replace("'", "''") + "'::text"


def label_type(classes: Sequence[Any]) -> str:
    """The SQL type of a classifier's labels: bigint, float8, boolean or text."""
    arr = np.asarray(classes)
    if arr.dtype.kind == "b":
        return "boolean"
    if arr.dtype.kind in "iu":
        return "bigint"
    if arr.dtype.kind == "f":
        return "float8"
    if all(isinstance(c, (bool, np.bool_)) for c in classes):
        return "boolean"
    if all(isinstance(c, (int, np.integer)) and not isinstance(c, (bool, np.bool_)) for c in classes):
        return "bigint"
    if all(isinstance(c, str) for c in classes):
        return "text"
    raise ModelError(
        f"class labels {list(classes)[:5]!r} mix types: labels must all be integers, numbers, booleans or strings"
    )


def label_lit(value: Any, sqltype: str) -> str:
    """A label constant of `sqltype`."""
    if sqltype == "boolean":
        return "true" if bool(value) else "false"
    if sqltype == "bigint":
        return f"bigint '{int(value)}'"
    if sqltype == "float8":
        return f8(value)
    return text_lit(str(value))


def array_lit(values: Any) -> str:
    """A float8[] constant."""
    parts = []
    for v in values:
        x = float(v)
        parts.append("NaN" if math.isnan(x) else ("Infinity" if x > 0 else "-Infinity") if math.isinf(x) else repr(x))
    return "'{" + ",".join(parts) + "}'::float8[]"


def _f32_bits_even(value: np.float32) -> bool:
    return int(np.array(value, dtype=np.float32).view(np.uint32)) % 2 == 0


def le32_split(threshold: float) -> tuple[str, float]:
    """Turn sklearn's tree test `float32(x) <= threshold` into an exact float8 test `x OP bound`.

    float32 rounding is monotone, so the test holds exactly for x below the midpoint between the
    largest float32 f <= threshold and the next float32; at the midpoint itself x rounds to the
    neighbour with the even mantissa. Returns ('<' or '<=', bound) with the bound a float8 value.
    """
    t = float(threshold)
    if math.isnan(t):
        raise ModelError("a tree threshold is NaN: the model looks corrupt")
    if t == math.inf:
        return "<=", math.inf
    with np.errstate(over="ignore"):
        f = np.float32(t)
        if float(f) > t:
            f = np.nextafter(f, np.float32(-np.inf))
        g = np.nextafter(f, np.float32(np.inf))
    lo = float(f)
    hi = float(g) if math.isfinite(float(g)) else 2.0**128  # where float32 rounding overflows to inf
    if math.isinf(lo):  # threshold below -max float32: only values rounding to -inf pass
        return "<=", -(2.0**128 - 2.0**103)
    mid = (lo + hi) / 2.0  # exact: needs 25 significant bits
    if not math.isfinite(float(g)):
        return "<", mid  # the max float32 has an odd mantissa: the tie rounds up to inf
    return ("<=" if _f32_bits_even(f) else "<"), mid


def le32_splits(thresholds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`le32_split` for a whole array of thresholds at once: (True where the test is '<=', else '<'; the bounds)."""
    t = np.asarray(thresholds, dtype=np.float64)
    if np.isnan(t).any():
        raise ModelError("a tree threshold is NaN: the model looks corrupt")
    with np.errstate(over="ignore", invalid="ignore"):
        f = t.astype(np.float32)
        f = np.where(f.astype(np.float64) > t, np.nextafter(f, np.float32(-np.inf)), f).astype(np.float32)
        g = np.nextafter(f, np.float32(np.inf))
        lo, hi = f.astype(np.float64), g.astype(np.float64)
        top = ~np.isfinite(hi)
        mid = (lo + np.where(top, 2.0**128, hi)) / 2.0  # exact: needs 25 significant bits
    le = (f.view(np.uint32) % 2 == 0) & ~top  # the tie rounds to the even mantissa; past the max float32, up
    bounds = mid
    low = np.isneginf(lo)  # below -max float32: only values rounding to -inf pass
    bounds = np.where(low, -(2.0**128 - 2.0**103), bounds)
    le = np.where(low, True, le)
    inf = t == np.inf
    return np.where(inf, True, le), np.where(inf, np.inf, bounds)


def sum_sql(terms: Sequence[str]) -> str:
    """Left-to-right float8 sum (the order numpy's in-place accumulation uses)."""
    if not terms:
        return f8(0.0)
    return "(" + " + ".join(terms) + ")"


def expit_sql(z: str) -> str:
    """1 / (1 + exp(-z)), with z clamped to ±700 so postgresql's exp cannot overflow or underflow."""
    return f"(float8 '1' / (float8 '1' + exp(-LEAST(GREATEST({z}, float8 '-700'), float8 '700'))))"


def argmax_sql(scores: Sequence[str]) -> str:
    """1-based index of the first largest score, each score evaluated once (array ordering breaks ties)."""
    items = ", ".join(f"ARRAY[{s}, {f8(-(i + 1))}]" for i, s in enumerate(scores))
    return f"(-(GREATEST({items}))[2])::integer"

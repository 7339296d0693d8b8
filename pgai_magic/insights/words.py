"""Numbers and names as they read in an insight's one-sentence summary."""

from __future__ import annotations

import math

import pandas as pd

__all__ = ["MONTHS", "WEEKDAYS", "num", "pct", "period", "pval", "quote", "where"]

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def num(x: float | None) -> str:
    """1234567 → '1.23M', 0.000123 → '0.000123', 42.0 → '42'."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "n/a"
    a = abs(x)
    for limit, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e4, "k")):
        if a >= limit:
            return f"{x / limit:.3g}{suffix}" if suffix != "k" else f"{x / 1e3:,.1f}k"
    if a >= 100 or float(x).is_integer():
        return f"{x:,.0f}"
    return f"{x:.3g}"


def pct(share: float, digits: int = 0) -> str:
    """0.4012 → '40%'; a share that is not all (or not none) never prints as 100% (0%): 0.9988 → '99.9%',
    0.0003 → '0.03%'."""
    text = f"{share * 100:.{digits}f}"
    while digits < 4 and ((float(text) >= 100.0 and share < 1.0) or (float(text) == 0.0 and share > 0.0)):
        digits += 1
        text = f"{share * 100:.{digits}f}"
    return f"{text}%"


def pval(p: float | None) -> str:
    """'p < 1e-10', 'p = 0.003', or '' for facts that are not tests."""
    if p is None:
        return ""
    if p < 1e-10:
        return "p < 1e-10"
    if p < 0.001:
        return f"p = {p:.0e}"
    return f"p = {p:.3f}"


def period(ts: pd.Timestamp, unit: str | None) -> str:
    """A bucket as people write it: '2025-03' for months, '2025-Q1', '2025', a date otherwise."""
    if unit == "month":
        return f"{ts:%Y-%m}"
    if unit == "quarter":
        return f"{ts.year}-Q{(ts.month - 1) // 3 + 1}"
    if unit == "year":
        return f"{ts.year}"
    if unit == "week":
        return f"the week of {ts:%Y-%m-%d}"
    if unit == "hour":
        return f"{ts:%Y-%m-%d %H:00}"
    return f"{ts:%Y-%m-%d}"


def quote(value: object) -> str:
    return "NULL" if value is None else f"'{value}'"


def where(filters: dict[str, str]) -> str:
    """{'region': 'west'} → "region = 'west'"."""
    return " and ".join(f"{k} = {quote(v)}" for k, v in filters.items())

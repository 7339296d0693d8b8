"""Units in questions ('more than 2 hours', 'over 5 kg') converted to the unit a column stores."""

from __future__ import annotations

from pgai_magic.catalog import Column, words

__all__ = ["UNITS", "column_unit", "convert"]

# question word -> (dimension, factor to the dimension's base unit)
UNITS: dict[str, tuple[str, float]] = {
    "second": ("time", 1.0), "sec": ("time", 1.0), "minute": ("time", 60.0), "min": ("time", 60.0),
    "hour": ("time", 3600.0), "hr": ("time", 3600.0), "day": ("time", 86400.0), "week": ("time", 604800.0),
    "millisecond": ("time", 0.001), "ms": ("time", 0.001),
    "gram": ("mass", 1.0), "g": ("mass", 1.0), "kilogram": ("mass", 1000.0), "kg": ("mass", 1000.0),
    "kilo": ("mass", 1000.0), "pound": ("mass", 453.59237), "lb": ("mass", 453.59237),
    "millimeter": ("length", 0.001), "millimetre": ("length", 0.001), "mm": ("length", 0.001),
    "centimeter": ("length", 0.01), "centimetre": ("length", 0.01), "cm": ("length", 0.01),
    "meter": ("length", 1.0), "m": ("length", 1.0), "metre": ("length", 1.0), "kilometer": ("length", 1000.0),
    "kilometre": ("length", 1000.0), "km": ("length", 1000.0), "mile": ("length", 1609.344),
    "foot": ("length", 0.3048), "feet": ("length", 0.3048), "inch": ("length", 0.0254),
}  # fmt: skip
_NAME_UNITS = {
    "s": "second", "secs": "second", "seconds": "second", "mins": "minute", "minutes": "minute", "h": "hour",
    "hrs": "hour", "hours": "hour", "days": "day", "grams": "gram", "kgs": "kg", "lbs": "lb", "miles": "mile",
    "meters": "meter", "metres": "meter", "m": "meter", "ft": "foot",
}  # fmt: skip
_MINUTE_NAMES = {"delay", "duration", "air", "time"}  # minutes unless the column says otherwise (nycflights13 style)


def column_unit(col: Column) -> tuple[str | None, bool]:
    """The unit a number column stores, from a unit word in its name or comment; (unit, assumed).

    A duration-like name with no unit ('dep_delay', 'air_time') is taken to be in minutes, and says so."""
    name = words(col.name)
    candidates = name[-1:] + [w for w in words(col.comment or "") if len(w) > 1]  # 'body_mass_g': the last word
    for w in candidates:
        unit = _NAME_UNITS.get(w, w)
        if unit in UNITS:
            return unit, False
    if col.is_numeric and set(words(col.name)) & _MINUTE_NAMES:
        return "minute", True
    return None, False


def convert(value: float, unit: str, col: Column) -> tuple[float, str | None]:
    """`value` in `unit` expressed in the column's unit; (value, note) with a note when the unit was assumed.

    Raises ValueError when the column's unit is of another dimension."""
    stored, assumed = column_unit(col)
    if stored is None:  # no unit anywhere: the question's unit is taken as the column's, and said
        return value, f"{col.name} taken to be in {unit}s (neither its name nor its comment gives a unit)"
    (dim_q, f_q), (dim_c, f_c) = UNITS[unit], UNITS[stored]
    if dim_q != dim_c:
        raise ValueError(f"{col.name} is measured in {stored}s, which cannot be compared with {unit}s")
    result = value * f_q / f_c
    result = int(result) if float(result).is_integer() else result
    note = f"{col.name} taken to be in {stored}s (its name gives no unit)" if assumed and f_q != f_c else None
    return result, note

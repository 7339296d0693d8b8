"""PostgreSQL's own text for values Python cannot hold (dates outside years 1–9999, 24:00:00, huge or infinite
intervals), computed from the binary form: what psql would print (DateStyle ISO, IntervalStyle postgres)."""

from __future__ import annotations

__all__ = ["date_text", "interval_text", "interval_words", "time_text", "timestamp_text"]

_INT32_MAX, _INT32_MIN = 2**31 - 1, -(2**31)
_INT64_MAX, _INT64_MIN = 2**63 - 1, -(2**63)


def _civil(days: int) -> tuple[int, int, int]:
    """(year, month, day) of a day count since 1970-01-01, proleptic Gregorian (H. Hinnant, civil_from_days)."""
    z = days + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = mp + 3 if mp < 10 else mp - 9
    return yoe + era * 400 + (month <= 2), month, day


def _ymd(days: int) -> tuple[str, bool]:
    year, month, day = _civil(days)
    bc = year <= 0
    return f"{(1 - year) if bc else year:04d}-{month:02d}-{day:02d}", bc


def time_text(us: int) -> str:
    """HH:MM:SS[.ffffff] for microseconds since midnight (24:00:00 included)."""
    seconds, micros = divmod(us, 1_000_000)
    hours, rest = divmod(seconds, 3600)
    frac = f".{micros:06d}".rstrip("0") if micros else ""
    return f"{hours:02d}:{rest // 60:02d}:{rest % 60:02d}{frac}"


def date_text(days_since_2000: int) -> str:
    """A date as PostgreSQL prints it ('infinity', 'YYYY-MM-DD', '… BC')."""
    if days_since_2000 in (_INT32_MAX, _INT32_MIN):
        return "infinity" if days_since_2000 == _INT32_MAX else "-infinity"
    text, bc = _ymd(days_since_2000 + 10957)
    return text + (" BC" if bc else "")


def timestamp_text(us_since_2000: int, *, utc: bool = False) -> str:
    """A timestamp as PostgreSQL prints it; `utc` adds the '+00' of a timestamptz shown in UTC."""
    if us_since_2000 in (_INT64_MAX, _INT64_MIN):
        return "infinity" if us_since_2000 == _INT64_MAX else "-infinity"
    days, us = divmod(us_since_2000, 86_400_000_000)
    text, bc = _ymd(days + 10957)
    return f"{text} {time_text(us)}{'+00' if utc else ''}{' BC' if bc else ''}"


def interval_text(months: int, days: int, us: int) -> str:
    """PostgreSQL's text for an interval (IntervalStyle 'postgres', EncodeInterval in datetime.c)."""
    if (months, days, us) in ((_INT32_MAX, _INT32_MAX, _INT64_MAX), (_INT32_MIN, _INT32_MIN, _INT64_MIN)):
        return "infinity" if us > 0 else "-infinity"
    years, mons = int(months / 12), months - int(months / 12) * 12  # C division: toward zero
    out: list[str] = []
    before = False
    for value, unit in ((years, "year"), (mons, "mon"), (days, "day")):
        if value:
            out.append(f"{'+' if before and value > 0 else ''}{value} {unit}{'s' if value != 1 else ''}")
            before = value < 0
    if us or not out:
        seconds, micros = divmod(abs(us), 1_000_000)
        hours, rest = divmod(seconds, 3600)
        sign = "-" if us < 0 else "+" if before else ""
        frac = f".{micros:06d}".rstrip("0") if micros else ""
        out.append(f"{sign}{hours:02d}:{rest // 60:02d}:{rest % 60:02d}{frac}")
    return " ".join(out)


def interval_words(months: int, days: int, us: int) -> str:
    """An interval in words, as IntervalStyle 'postgres_verbose' writes it without its leading '@' (EncodeInterval
    in datetime.c): '1 hour', '1 day 12 hours', '30 mins', '1 year 2 mons', '1 hour ago' for a negative one."""
    ago = min(months, days, us) < 0 and max(months, days, us) <= 0
    if ago:
        months, days, us = -months, -days, -us
    years, mons = int(months / 12), months - int(months / 12) * 12
    sign, (seconds, micros) = (-1 if us < 0 else 1), divmod(abs(us), 1_000_000)
    hours, rest = divmod(seconds, 3600)
    parts = [(years, "year"), (mons, "mon"), (days, "day"), (sign * hours, "hour"), (sign * (rest // 60), "min")]
    out = [f"{v} {unit}{'s' if abs(v) != 1 else ''}" for v, unit in parts if v]
    if rest % 60 or micros:
        secs = f"{'-' if sign < 0 else ''}{rest % 60}" + (f".{micros:06d}".rstrip("0") if micros else "")
        out.append(f"{secs} sec{'' if secs == '1' else 's'}")
    return (" ".join(out) or "0") + (" ago" if ago else "")

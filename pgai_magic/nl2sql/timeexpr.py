"""Time phrases in questions ("past week", "in 2024", "last 3 months", "after 2024-06-30") as date ranges.

Conventions: "past N units" and "last N units" are rolling windows ending today
(`>= current_date - interval 'N units'`); "last/previous week|month|quarter|year" without a number is the
previous calendar period; "this month" runs from the start of the month; a year or a month is its
calendar range; "after D" is `> D`, "since/from D" is `>= D`, "before D" is `< D`, "until D" is `<= D`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from pgai_magic.nl2sql.lexicon import MONTHS
from pgai_magic.nl2sql.text import Tok

__all__ = ["Bound", "TimeRange", "find_time_ranges"]

_UNITS = {"day": "day", "week": "week", "month": "month", "quarter": "quarter", "year": "year", "yr": "year"}
_ROLLING = {"past", "last", "previous", "prior", "recent", "trailing"}
_LEAD = {"in", "during", "for", "of", "over", "within", "throughout", "the", "from"}
_YEAR_LEAD = {"in", "during", "for", "of", "year", "fiscal", "calendar", "fy", "throughout", "show", "list"}


@dataclass(frozen=True)
class Bound:
    """A date: absolute (`date`), `current_date - n unit` ('ago'), or the start of this unit + n units ('trunc')."""

    kind: str
    date: dt.date | None = None
    n: int = 0
    unit: str = "day"


@dataclass
class TimeRange:
    """Comparisons on a date column: [('>=', Bound), ('<', Bound)]; `column_hint` words name the column."""

    start: int
    end: int
    conditions: list[tuple[str, Bound]] = field(default_factory=list)
    text: str = ""


def _year(tok: Tok) -> int | None:
    if tok.kind == "num" and isinstance(tok.value, int) and 1900 <= tok.value <= 2100 and not tok.money:
        return int(tok.value)
    return None


def _unit(tok: Tok | None) -> str | None:
    return _UNITS.get(tok.lemma) if tok is not None and tok.kind == "word" else None


def _date_at(toks: list[Tok], i: int) -> tuple[dt.date, int, str] | None:
    """A date starting at token i: ISO date, 'june 30 2024', '30 june 2024', or a year ('2024').

    Returns the date, the number of tokens used, and its precision ('day' or 'year' or 'month').
    """
    if i >= len(toks):
        return None
    tok = toks[i]
    if tok.kind == "date":
        return tok.value, 1, "day"
    nxt = toks[i + 1] if i + 1 < len(toks) else None
    nxt2 = toks[i + 2] if i + 2 < len(toks) else None
    if tok.kind == "word" and tok.text in MONTHS and nxt is not None and nxt.kind == "num":
        month = MONTHS[tok.text]
        if _year(nxt) is not None:
            return dt.date(int(nxt.value), month, 1), 2, "month"
        if nxt2 is not None and _year(nxt2) is not None and 1 <= int(nxt.value) <= 31:
            return _safe_date(int(nxt2.value), month, int(nxt.value)), 3, "day"
    if tok.kind == "num" and nxt is not None and nxt.text in MONTHS and nxt2 is not None and _year(nxt2):
        return _safe_date(int(nxt2.value), MONTHS[nxt.text], int(tok.value)), 3, "day"
    year = _year(tok)
    if year is not None:
        return dt.date(year, 1, 1), 1, "year"
    return None


def _loose_date(toks: list[Tok], i: int, today: dt.date) -> tuple[dt.date, int, str] | None:
    """'last march' (the most recent March before this month) or a bare month name ('january': this year)."""
    if i >= len(toks):
        return None
    tok = toks[i]
    if tok.text == "last" and i + 1 < len(toks) and toks[i + 1].text in MONTHS:
        return _last_month_named(MONTHS[toks[i + 1].text], today), 2, "month"
    if tok.kind == "word" and tok.text in MONTHS and tok.text != "may":
        year = today.year if MONTHS[tok.text] <= today.month else today.year - 1
        return dt.date(year, MONTHS[tok.text], 1), 1, "month"
    return None


def _safe_date(y: int, m: int, d: int) -> dt.date:
    try:
        return dt.date(y, m, d)
    except ValueError:
        return dt.date(y, m, 1)


def _end_of(start: dt.date, precision: str) -> dt.date:
    if precision == "year":
        return dt.date(start.year + 1, 1, 1)
    if precision == "month":
        return dt.date(start.year + (start.month == 12), start.month % 12 + 1, 1)
    return start + dt.timedelta(days=1)


def find_time_ranges(toks: list[Tok], today: dt.date | None = None) -> list[TimeRange]:
    """Every time phrase of the question, left to right, with the token span it covers."""
    today = today or dt.date.today()
    found: list[TimeRange] = []
    i = 0
    while i < len(toks):
        hit = _match(toks, i, today)
        if hit is None:
            i += 1
            continue
        start = min(i, hit.start)
        while start > 0 and toks[start - 1].kind == "word" and toks[start - 1].lemma in _LEAD:
            start -= 1
        hit.start = start
        hit.text = " ".join(t.text for t in toks[start : hit.end])
        found.append(hit)
        i = hit.end
    return found


_ORDINALS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4, "last": 4}
_WEEKDAYS = {
    "monday": 1, "tuesday": 2, "wednesday": 3, "thursday": 4, "friday": 5, "saturday": 6, "sunday": 7,
}  # fmt: skip


def _weekday(tok: Tok | None) -> int | None:
    if tok is None or tok.kind != "word":
        return None
    return _WEEKDAYS.get(tok.text.rstrip("s")) or _WEEKDAYS.get(tok.text)


def _last_month_named(month: int, today: dt.date) -> dt.date:
    """'last March' said in December 2026: 2026-03-01; said in March 2026: 2025-03-01."""
    year = today.year if month < today.month else today.year - 1
    return dt.date(year, month, 1)


def _extra(toks: list[Tok], i: int, today: dt.date) -> TimeRange | None:
    """Quarters and halves by ordinal, day-month-year dates, 'N units ago', weekdays and weekends."""
    tok = toks[i]
    w = tok.lemma if tok.kind == "word" else ""
    nxt = toks[i + 1] if i + 1 < len(toks) else None
    nxt2 = toks[i + 2] if i + 2 < len(toks) else None
    # first quarter of 2024 / second half of 2023
    if w in _ORDINALS and nxt is not None and nxt.lemma in ("quarter", "half"):
        k = i + 2 + (nxt2 is not None and nxt2.text in ("of", "in"))
        year_tok = toks[k] if k < len(toks) and _year(toks[k]) else None
        if year_tok is not None or w != "last":
            year = int(year_tok.value) if year_tok else today.year
            n = _ORDINALS[w] if nxt.lemma == "quarter" else min(_ORDINALS[w], 2)
            months = 3 if nxt.lemma == "quarter" else 6
            lo = dt.date(year, months * (n - 1) + 1, 1)
            hi = dt.date(year + (months * n == 12), (months * n) % 12 + 1, 1)
            end = k + 1 if year_tok else i + 2
            return TimeRange(i, end, [(">=", Bound("date", lo)), ("<", Bound("date", hi))])
    # 15 march 2024 / 15 march
    if tok.kind == "num" and nxt is not None and nxt.kind == "word" and nxt.text in MONTHS:
        got = _date_at(toks, i)
        if got is not None and got[2] == "day":
            date, used, _ = got
            return TimeRange(i, i + used, [(">=", Bound("date", date)), ("<", Bound("date", _end_of(date, "day")))])
        if isinstance(tok.value, int) and 1 <= tok.value <= 31 and nxt.text != "may":
            date = _safe_date(today.year, MONTHS[nxt.text], tok.value)
            return TimeRange(i, i + 2, [(">=", Bound("date", date)), ("<", Bound("date", _end_of(date, "day")))])
    # the 1990s
    if _year(tok) and tok.value % 10 == 0 and nxt is not None and nxt.text == "s":
        lo = dt.date(tok.value, 1, 1)
        return TimeRange(i, i + 2, [(">=", Bound("date", lo)), ("<", Bound("date", dt.date(tok.value + 10, 1, 1)))])
    # 3 days ago
    if tok.kind == "num" and isinstance(tok.value, int) and _unit(nxt) and nxt2 is not None and nxt2.text == "ago":
        unit = _unit(nxt) or "day"
        return TimeRange(
            i, i + 3, [(">=", Bound("ago", n=tok.value, unit=unit)), ("<", Bound("ago", n=tok.value - 1, unit=unit))]
        )
    # weekends / weekdays / on mondays
    if w in ("weekend", "weekday", "workday") or (w == "week" and nxt is not None and nxt.text == "days"):
        days = (6, 7) if w == "weekend" else (1, 2, 3, 4, 5)
        return TimeRange(i, i + 1, [("dow", Bound("dow", n=d)) for d in days])
    day = _weekday(tok)
    prev = toks[i - 1] if i > 0 else None
    if day is not None and prev is not None and prev.text == "last":
        back = (today.isoweekday() - day) % 7 or 7
        date = today - dt.timedelta(days=back)
        return TimeRange(i - 1, i + 1, [(">=", Bound("date", date)), ("<", Bound("date", _end_of(date, "day")))])
    if day is not None and (tok.text.endswith("s") or (prev is not None and prev.text in ("on", "every"))):
        return TimeRange(i, i + 1, [("dow", Bound("dow", n=day))])
    return None


def _match(toks: list[Tok], i: int, today: dt.date) -> TimeRange | None:
    for reader in (_extra, _relative, _bounded, _calendar):
        found = reader(toks, i, today)
        if found is not None:
            return found
    return None


def _relative(toks: list[Tok], i: int, today: dt.date) -> TimeRange | None:
    """past / last / previous [N] units, this unit, year to date, today, yesterday, q1 2024."""
    tok = toks[i]
    w = tok.lemma if tok.kind == "word" else ""
    nxt = toks[i + 1] if i + 1 < len(toks) else None
    nxt2 = toks[i + 2] if i + 2 < len(toks) else None
    # past / last / previous [N] unit(s)
    if w in _ROLLING:
        if nxt is not None and nxt.kind == "num" and isinstance(nxt.value, int) and _unit(nxt2):
            return TimeRange(i, i + 3, [(">=", Bound("ago", n=int(nxt.value), unit=_unit(nxt2) or "day"))])
        unit = _unit(nxt)
        if unit:
            if w in ("last", "previous", "prior") and unit != "day":
                return TimeRange(i, i + 2, [(">=", Bound("trunc", n=-1, unit=unit)), ("<", Bound("trunc", unit=unit))])
            return TimeRange(i, i + 2, [(">=", Bound("ago", n=1, unit=unit))])
    if w in ("this", "current") and _unit(nxt):
        return TimeRange(i, i + 2, [(">=", Bound("trunc", unit=_unit(nxt) or "day"))])
    if w in ("ytd",) or (
        w == "year" and nxt is not None and nxt.text == "to" and nxt2 is not None and nxt2.text == "date"
    ):
        return TimeRange(i, i + (1 if w == "ytd" else 3), [(">=", Bound("trunc", unit="year"))])
    if w == "today":
        return TimeRange(i, i + 1, [(">=", Bound("ago", n=0))])
    if w == "yesterday":
        return TimeRange(i, i + 1, [(">=", Bound("ago", n=1)), ("<", Bound("ago", n=0))])
    # q1 2024 / first quarter of 2024
    if tok.kind == "word" and len(w) == 2 and w[0] == "q" and w[1] in "1234":
        year_tok = nxt if nxt is not None and _year(nxt) else None
        year = int(year_tok.value) if year_tok else today.year
        q = int(w[1])
        lo = dt.date(year, 3 * q - 2, 1)
        hi = dt.date(year + (q == 4), (3 * q) % 12 + 1, 1)
        return TimeRange(i, i + (2 if year_tok else 1), [(">=", Bound("date", lo)), ("<", Bound("date", hi))])
    return None


def _bounded(toks: list[Tok], i: int, today: dt.date) -> TimeRange | None:
    """after / since / from … to / before / until / between … and …"""
    tok = toks[i]
    w = tok.lemma if tok.kind == "word" else ""
    nxt = toks[i + 1] if i + 1 < len(toks) else None
    # after / since / before / until / between
    if w in ("after", "since", "from", "starting") or (w == "later" and nxt is not None and nxt.text == "than"):
        skip = 2 if w == "later" else 1
        got = _date_at(toks, i + skip) or _loose_date(toks, i + skip, today)
        if got is not None:
            date, used, precision = got
            end = i + skip + used
            if w in ("from", "between") and end < len(toks) and toks[end].text in ("to", "until", "through", "and"):
                upto = _date_at(toks, end + 1) or _loose_date(toks, end + 1, today)
                if (
                    upto is not None
                    and precision == "month"
                    and toks[i + skip].text in MONTHS
                    and _year(toks[end - 1]) is None
                ):
                    date = dt.date(upto[0].year, date.month, 1)  # 'from January to March 2024'
                if upto is not None:
                    return TimeRange(
                        i,
                        end + 1 + upto[1],
                        [(">=", Bound("date", date)), ("<", Bound("date", _end_of(upto[0], upto[2])))],
                    )
            if w in ("after", "later") and precision != "day":
                return TimeRange(i, end, [(">=", Bound("date", _end_of(date, precision)))])
            return TimeRange(i, end, [(">" if w in ("after", "later") else ">=", Bound("date", date))])
    if w in ("before", "until", "till", "through", "earlier") or (
        w == "prior" and nxt is not None and nxt.text == "to"
    ):
        skip = 2 if w in ("prior", "earlier") else 1
        got = _date_at(toks, i + skip)
        if got is not None:
            date, used, precision = got
            if w in ("until", "till", "through"):
                return TimeRange(i, i + skip + used, [("<", Bound("date", _end_of(date, precision)))])
            return TimeRange(i, i + skip + used, [("<", Bound("date", date))])
    if w == "between":
        first = _date_at(toks, i + 1) or _loose_date(toks, i + 1, today)
        if first is not None and i + 1 + first[1] < len(toks) and toks[i + 1 + first[1]].text == "and":
            last = _date_at(toks, i + 2 + first[1])
            if last is not None and first[2] == "month" and _year(toks[i + first[1]]) is None:
                first = (dt.date(last[0].year, first[0].month, 1), first[1], "month")  # 'between June and August 2011'
            if last is not None:
                return TimeRange(
                    i,
                    i + 2 + first[1] + last[1],
                    [(">=", Bound("date", first[0])), ("<", Bound("date", _end_of(last[0], last[2])))],
                )
    return None


def _calendar(toks: list[Tok], i: int, today: dt.date) -> TimeRange | None:
    """A month (with or without a year), an ISO date, a year."""
    tok = toks[i]
    nxt = toks[i + 1] if i + 1 < len(toks) else None
    # a month (with or without a year), an ISO date, a year
    if (tok.kind == "word" and tok.text in MONTHS and tok.text != "may") or (
        tok.text == "may" and nxt is not None and _year(nxt)
    ):
        got = _date_at(toks, i)
        if got is not None:
            date, used, precision = got
            return TimeRange(i, i + used, [(">=", Bound("date", date)), ("<", Bound("date", _end_of(date, precision)))])
        month = MONTHS[tok.text]
        year = today.year if month <= today.month else today.year - 1
        date = dt.date(year, month, 1)
        return TimeRange(i, i + 1, [(">=", Bound("date", date)), ("<", Bound("date", _end_of(date, "month")))])
    if tok.kind == "date":
        return TimeRange(i, i + 1, [(">=", Bound("date", tok.value)), ("<", Bound("date", _end_of(tok.value, "day")))])
    bare = _year(tok)
    prev = toks[i - 1] if i > 0 else None
    if bare is not None and (prev is None or (prev.kind == "word" and prev.lemma in _YEAR_LEAD)):
        start = dt.date(bare, 1, 1)
        return TimeRange(i, i + 1, [(">=", Bound("date", start)), ("<", Bound("date", dt.date(bare + 1, 1, 1)))])
    return None

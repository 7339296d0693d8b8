"""Scoring of insight cards on real tables: expected facts found, noise cards, figures checked against pandas.

The expected facts and the noise list are in expected.yaml (written from reading the data). Figures are read
back from each card's summary sentence and recomputed with pandas on the same DataFrame that was loaded.
A figure is wrong when it differs from pandas' exact value by more than its printed rounding (3 significant
digits, or the printed decimals) and the card does not mark it as approximate ("about", "≈", "sample"), or
when a figure marked approximate is off by more than 20%.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

Card = Mapping[str, Any]

NUMBER = r"-?[0-9][0-9,]*(?:\.[0-9]+)?(?:e-?[0-9]+)?[kMBT]?"
APPROX = re.compile(r"\babout\b|≈|approx|sample", re.IGNORECASE)
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]  # fmt: skip
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
TIME_KINDS = {"trend", "change_point", "spike", "seasonality", "calendar"}
# a time column that only holds one day per year (month, ...) has no weekday, hour, ... pattern, and series
# bucketed finer than it are artefacts of the bucketing: (calendar parts that are noise, series text that is)
FINER = {
    "year": (("weekday", "hour of day", "month of year"),
             r"[0-9]{4}-Q[0-9]|per quarter|per month|per week|per day|the week of|in [0-9]{4}-[0-9]{2}\b"),
    "month": (("weekday", "hour of day"), r"per week|per day|the week of"),
    "day": (("hour of day",), r"per hour"),
}  # fmt: skip


# ------------------------------------------------------------------------------------------- card fields
def columns_of(card: Card) -> set[str]:
    """The card's columns, its measure and its filters' columns."""
    cols = set(card.get("columns") or ())
    if card.get("measure"):
        cols.add(str(card["measure"]))
    cols |= set((card.get("filters") or {}).keys())
    return cols


def text_of(card: Card) -> str:
    focus = " ".join(str(x) for x in (card.get("focus") or ()))
    return f"{card.get('summary', '')} {card.get('subject', '')} {focus}"


def _word(word: str, text: str) -> bool:
    return re.search(rf"(?<![A-Za-z0-9_]){re.escape(word)}(?![A-Za-z0-9_])", text) is not None


# ------------------------------------------------------------------------------------------------ facts
def matches(card: Card, fact: Mapping[str, Any]) -> bool:
    """Whether a card states an expected fact (the recogniser's keys in expected.yaml)."""
    if card.get("kind") == "overview":
        return False
    cols = columns_of(card)
    text = text_of(card)
    if "kinds" in fact and card.get("kind") not in fact["kinds"]:
        return False
    if not set(fact.get("columns_all", [])) <= cols:
        return False
    if "columns_any" in fact and not set(fact["columns_any"]) & cols:
        return False
    if "mentions_any" in fact:
        hits = sum(1 for w in fact["mentions_any"] if _word(str(w), text))
        if hits < int(fact.get("mentions_min", 1)):
            return False
    if "mentions_regex" in fact and not any(re.search(p, str(card.get("summary", ""))) for p in fact["mentions_regex"]):
        return False
    return not ("direction" in fact and card.get("direction") != fact["direction"])


# ------------------------------------------------------------------------------------------------ noise
def noise_reasons(card: Card, table: Mapping[str, Any]) -> list[str]:
    """Why a card is noise under the table's noise list (empty: not noise)."""
    kind = str(card.get("kind"))
    summary = str(card.get("summary", ""))
    measure = card.get("measure")
    cols = columns_of(card)
    parts = set(table.get("calendar_parts", [])) | set(table.get("ids", []))
    flat = set(table.get("not_additive", []))
    reasons = []
    if kind == "overview":
        for c in parts | flat:
            if re.search(rf"(?<![A-Za-z0-9_]){re.escape(c)} total\b", summary):
                reasons.append(f"calendar_or_id/not_additive: overview states a total of {c}")
        return reasons
    if measure in parts:
        reasons.append(f"calendar_or_id: measure {measure}")
    if kind in ("correlation", "driver") and cols & parts - {measure}:
        # a calendar part as a driver of a measure is fine (delays by hour); an id or a code never is
        bad = cols & set(table.get("ids", []))
        if kind == "correlation":
            bad |= cols & parts
        if bad:
            reasons.append(f"calendar_or_id: {kind} on {sorted(bad)}")
    for c in parts:
        if re.search(rf"(?<![A-Za-z0-9_]){re.escape(c)} total\b", summary):
            reasons.append(f"calendar_or_id: a total of {c}")
    if measure in flat:
        sums = kind in ("top_contributor", "concentration") or re.search(rf"{re.escape(str(measure))} total\b", summary)
        series_of_sums = kind in TIME_KINDS | {"segment_deviation"} and not re.search(
            rf"[Aa]verage {re.escape(str(measure))}", summary
        )
        if sums or series_of_sums:
            reasons.append(f"not_additive: sums {measure}")
    for a, b in table.get("trivial_pairs", []):
        if a in cols and b in cols:
            reasons.append(f"trivial: {a} ~ {b}")
    if kind == "id_like" and cols & flat:
        reasons.append(f"wrong_role: {sorted(cols & flat)} called an identifier")
    grain = table.get("time_grain")
    if grain in FINER and kind in TIME_KINDS:
        calendar_by = re.search(r"by (weekday|hour of day|month of year)", f"{card.get('subject', '')} {summary}")
        if (calendar_by and calendar_by.group(1) in FINER[grain][0]) or re.search(FINER[grain][1], summary):
            reasons.append(f"grain: a pattern finer than the data's {grain}ly time")
    for pattern in table.get("noise_patterns", []):
        if re.search(pattern, summary):
            reasons.append(f"pattern: {pattern}")
    return reasons


# ------------------------------------------------------------------------------------------- numbers
def parse_number(text: str) -> float:
    """'1.23M' → 1230000, '12.5k' → 12500, '-4' → -4, '1,234' → 1234."""
    t = text.replace(",", "").strip()
    scale = {"k": 1e3, "M": 1e6, "B": 1e9, "T": 1e12}.get(t[-1:], 1.0)
    return float(t[:-1] if scale != 1.0 else t) * scale


def resolution(text: str) -> float:
    """Half a unit of the printed number's last digit ('12.5k' → 50, '0.7' → 0.05, '1,234' → 0.5)."""
    t = text.replace(",", "").strip().lstrip("-")
    scale = {"k": 1e3, "M": 1e6, "B": 1e9, "T": 1e12}.get(t[-1:], 1.0)
    core = t[:-1] if scale != 1.0 else t
    if "e" in core:
        mant, exp = core.split("e")
        decimals = len(mant.split(".")[1]) if "." in mant else 0
        return 0.5 * 10.0 ** (int(exp) - decimals)
    decimals = len(core.split(".")[1]) if "." in core else 0
    return 0.5 * 10.0**-decimals * scale


def figure_ok(printed: str, exact: float, approx: bool) -> bool:
    """Whether a printed figure states `exact` (to its rounding; within 20% when marked approximate)."""
    if exact is None or (isinstance(exact, float) and not math.isfinite(exact)):
        return True  # nothing to compare with
    value = parse_number(printed)
    slack = max(resolution(printed), 0.0051 * abs(exact)) + 1e-9
    if abs(value - exact) <= slack:
        return True
    return approx and abs(value - exact) <= 0.2 * abs(exact) + slack


class Checker:
    """Recomputes a card's figures with pandas on the loaded frame; `local_zone` for calendar parts."""

    def __init__(self, frame: pd.DataFrame, local_zone: str | None) -> None:
        self.df = frame
        self.zone = local_zone

    def check(self, card: Card) -> list[tuple[str, str, float, bool]] | None:
        """(what, printed, exact, ok) for each figure checked; None when the kind is not checked."""
        kind = str(card.get("kind"))
        fn = getattr(self, f"_{kind}", None)
        if fn is None:
            return None
        summary = str(card.get("summary", ""))
        approx = APPROX.search(summary) is not None
        try:
            got = fn(card, summary)
        except (KeyError, ValueError, TypeError, IndexError):
            return None
        if got is None:
            return None
        return [(what, printed, exact, figure_ok(printed, exact, approx)) for what, printed, exact in got]

    def _col(self, name: str) -> pd.Series:
        return pd.to_numeric(self.df[name], errors="coerce").astype(float)

    def _overview(self, card: Card, s: str) -> list[tuple[str, str, float]] | None:
        m = re.search(rf": (?:about )?({NUMBER}) rows", s)
        return [("rows", m.group(1), float(len(self.df)))] if m else None

    def _category_outlier(self, card: Card, s: str) -> list[tuple[str, str, float]] | None:
        """Both wordings: 'Average m for dim = 'v' is X, ... the Y of the other' (one group against the rest) and
        'Average m by dim is highest for 'a' (X, n rows), ...; lowest for ...; against Y over all rows'."""
        m = re.search(
            rf"[Aa]verage (\S+) for (\S+) = '?(.*?)'? is (?:about )?({NUMBER}),.*?the ({NUMBER}) of the other", s
        )
        if m:
            meas, dim, value = m.group(1), m.group(2), m.group(3)
            x, key = self._col(meas), self._key(dim)
            inside = key == value
            return [
                (f"mean {meas} where {dim} = {value}", m.group(4), float(x[inside].mean())),
                (f"mean {meas} elsewhere", m.group(5), float(x[~inside].mean())),
            ]
        m = re.match(r"Average (\S+) by (\S+) is ", s)
        if not m:
            return None
        meas, dim = m.group(1), m.group(2)
        x, key = self._col(meas), self._key(dim)
        out = [(f"mean {meas} of '{v}'", fig, float(x[key == v].mean()))
               for v, fig in re.findall(rf"'(.*?)' \((?:about )?({NUMBER}), [0-9.,kM]+ rows\)", s)]  # fmt: skip
        overall = re.search(rf"against (?:about )?({NUMBER}) over all rows", s)
        if overall:
            out.append((f"mean {meas} over all rows", overall.group(1), float(x.mean())))
        return out or None

    def _key(self, dim: str) -> pd.Series:
        return self.df[dim].astype(str).where(self.df[dim].notna(), "NULL")

    def _correlation(self, card: Card, s: str) -> list[tuple[str, str, float]] | None:
        m = re.search(r"\(r = (-?[0-9.]+)", s)
        cols = list(card.get("columns") or ())
        if not m or len(cols) != 2:
            return None
        a, b = self._col(cols[0]), self._col(cols[1])
        return [(f"r {cols[0]} ~ {cols[1]}", m.group(1), float(a.corr(b)))]

    def _skew(self, card: Card, s: str) -> list[tuple[str, str, float]] | None:
        x = self._col(str(card.get("measure")))
        out = []
        m = re.search(rf"mean ({NUMBER}) vs median ({NUMBER})", s)
        if m:
            out += [("mean", m.group(1), float(x.mean())), ("median", m.group(2), float(x.median()))]
        m = re.search(rf"1% of rows lie (above|below) ({NUMBER})", s)
        if m:
            out.append(("1% quantile", m.group(2), float(x.quantile(0.99 if m.group(1) == "above" else 0.01))))
        return out or None

    def _outliers(self, card: Card, s: str) -> list[tuple[str, str, float]] | None:
        m = re.search(rf"({NUMBER}) rows \([0-9.]+%\) of (\S+) lie outside \[({NUMBER}), ({NUMBER})\]", s)
        if not m:
            return None
        x = self._col(m.group(2))
        q1, q3 = float(x.quantile(0.25)), float(x.quantile(0.75))
        lo, hi = q1 - 3 * (q3 - q1), q3 + 3 * (q3 - q1)
        count = float(((x < lo) | (x > hi)).sum())
        return [("low fence", m.group(3), lo), ("high fence", m.group(4), hi), ("rows outside", m.group(1), count)]

    def _missing(self, card: Card, s: str) -> list[tuple[str, str, float]] | None:
        m = re.search(r"missing \(NULL\) in ([0-9.]+)% of rows", s)
        col = (card.get("columns") or [None])[0]
        if not m or col is None:
            return None
        return [("NULL %", m.group(1), 100.0 * float(self.df[col].isna().mean()))]

    def _top_contributor(self, card: Card, s: str) -> list[tuple[str, str, float]] | None:
        m = re.search(r"(\S+) = '(.*?)' accounts for ([0-9.]+)% of (\S+) \(", s)
        if not m:
            return None
        dim, value, what = m.group(1), m.group(2), m.group(4)
        inside = self.df[dim].astype(str) == value
        if what == "rows":
            share = float(inside.mean())
        else:
            x = self._col(what)
            share = float(x[inside].sum() / x.sum())
        return [(f"share of {what}", m.group(3), 100.0 * share)]

    def _driver(self, card: Card, s: str) -> list[tuple[str, str, float]] | None:
        m = re.search(rf"({NUMBER}) on average for (.+?) \([0-9.,kM]+ rows\) against ({NUMBER}) for (.+?) \(", s)
        meas = card.get("measure")
        if not m or not meas:
            return None
        y = self._col(str(meas))
        out = []
        for printed, label in ((m.group(1), m.group(2)), (m.group(3), m.group(4))):
            lm = re.match(rf"(\S+) (?:= ({NUMBER})|({NUMBER})–({NUMBER}))$", label.strip())
            if not lm:
                return None
            x = self._col(lm.group(1))
            if lm.group(2) is not None:
                v = parse_number(lm.group(2))
                sel = (x - v).abs() <= resolution(lm.group(2))
            else:
                lo, hi = parse_number(lm.group(3)), parse_number(lm.group(4))
                sel = (x >= lo - resolution(lm.group(3))) & (x <= hi + resolution(lm.group(4)))
            out.append((f"mean {meas} for {label}", printed, float(y[sel].mean())))
        return out

    def _calendar(self, card: Card, s: str) -> list[tuple[str, str, float]] | None:
        """Average-measure calendar cards: the named extreme parts' means, in the zone the card names (else the
        data's local zone)."""
        meas = card.get("measure")
        if not meas or meas == "rows" or not re.match(r"Average ", s):
            return None
        grain = (card.get("evidence") or {}).get("grain") if isinstance(card.get("evidence"), Mapping) else None
        m = re.search(rf"highest (?:in|on|at) (\w+) \((?:about )?({NUMBER})[^)]*\), lowest (?:in|on|at) (\w+) "
                      rf"\((?:about )?({NUMBER})", s)  # fmt: skip
        if not m:
            return None
        parts = self._parts(card, s, grain)
        if parts is None:
            return None
        y = self._col(str(meas))
        means = y.groupby(parts).mean()
        out = []
        for name, printed in ((m.group(1), m.group(2)), (m.group(3), m.group(4))):
            key = self._phase(name)
            if key is None or key not in means.index:
                return None
            out.append((f"mean {meas} at {name}", printed, float(means.loc[key])))
        return out

    def _parts(self, card: Card, s: str, grain: str | None) -> pd.Series | None:
        cols = [c for c in (card.get("columns") or ()) if c != card.get("measure")]
        if not cols:
            return None
        t = self.df[cols[0]]
        if not (pd.api.types.is_datetime64_any_dtype(t) or t.dtype == object):
            if grain in ("hour", "month", "dow") and cols[0] in ("hour", "month"):
                return pd.to_numeric(t)
            return None
        t = pd.to_datetime(t)
        if getattr(t.dt, "tz", None) is not None:
            zone = "UTC" if re.search(r"\bUTC\b", s) else self.zone or "UTC"
            named = re.search(r"\b([A-Z][a-z]+/[A-Za-z_]+)\b", s)
            t = t.dt.tz_convert(named.group(1) if named else zone)
        if grain == "month" or re.search(r"month of year", s):
            return t.dt.month
        if grain == "dow" or re.search(r"weekday", s):
            return t.dt.dayofweek + 1
        return t.dt.hour

    @staticmethod
    def _phase(name: str) -> int | None:
        if name in MONTHS:
            return MONTHS.index(name) + 1
        if name in WEEKDAYS:
            return WEEKDAYS.index(name) + 1
        hm = re.fullmatch(r"([0-9]+)h", name)
        return int(hm.group(1)) if hm else None


def score_cards(cards: Sequence[Card], table: Mapping[str, Any], frame: pd.DataFrame, top: int = 15) -> dict[str, Any]:
    """Facts found in the top `top` cards, noise cards, and cards whose figures are wrong."""
    shown = list(cards)[:top]
    facts = {f["id"]: next((i + 1 for i, c in enumerate(shown) if matches(c, f)), None) for f in table["facts"]}
    checker = Checker(frame, table.get("local_zone"))
    noise, wrong, checked, unchecked = [], [], 0, 0
    for i, card in enumerate(shown):
        reasons = noise_reasons(card, table)
        if reasons:
            noise.append({"rank": i + 1, "summary": card.get("summary"), "why": reasons})
        got = checker.check(card)
        if got is None:
            unchecked += 1
            continue
        checked += 1
        bad = [f"{what}: card {printed}, pandas {exact:.6g}" for what, printed, exact, ok in got if not ok]
        if bad:
            wrong.append({"rank": i + 1, "summary": card.get("summary"), "why": bad})
    return {
        "cards": len(shown),
        "facts": facts,
        "found": sum(1 for r in facts.values() if r is not None),
        "expected": len(facts),
        "noise": noise,
        "wrong": wrong,
        "checked": checked,
        "unchecked": unchecked,
    }


def _np_safe(x: Any) -> Any:
    if isinstance(x, np.generic):
        return x.item()
    return x

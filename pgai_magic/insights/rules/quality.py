"""Data-quality rules: missing values, constant columns, ID-like and high-cardinality columns, duplicate rows."""

from __future__ import annotations

from pgai_magic.insights.model import Frames, Insight
from pgai_magic.insights.rules import finding, rule
from pgai_magic.insights.words import num, pct

MIN_MISSING = 0.05


def _null_fractions(frames: Frames) -> dict[str, float]:
    """Exact NULL shares from the wide scan, else pg_stats' estimates."""
    if frames.wide is not None and frames.wide["n"] > 0:
        n = frames.wide["n"]
        return {c: 1.0 - nn / n for c, nn in frames.wide["nonnull"].items()}
    return {c.name: c.null_frac for c in frames.profile.columns if c.null_frac is not None}


def _estimated(frames: Frames) -> str:
    if frames.wide is None:
        return " (estimated from pg_stats)"
    if frames.wide["fraction"] < 1:
        return f" (in a {pct(frames.wide['fraction'], 1)} sample)"
    return ""


@rule("missing")
def missing(frames: Frames) -> tuple[list[Insight], int]:
    fractions = _null_fractions(frames)
    chart = {"chart": "bars", "x": list(fractions), "y": list(fractions.values()), "ylabel": "share missing"}
    found = []
    n = frames.n_rows
    for col, frac in fractions.items():
        if frac < MIN_MISSING:
            continue
        sampled = frames.wide is not None and frames.wide["fraction"] < 1
        total = n / frames.wide["fraction"] if sampled and frames.wide is not None else n
        about = "about " if sampled else ""
        count = f" ({about}{num(frac * total)} of {num(total)})" if frames.wide is not None else ""
        text = "is always NULL" if frac >= 1.0 else f"is missing (NULL) in {pct(frac)} of rows{count}"
        found.append(
            finding(
                "missing",
                col,
                f"{col} {text}{_estimated(frames)}.",
                effect=frac,
                columns=(col,),
                evidence={**chart, "highlight": col},
            )
        )
    return found, 0


@rule("constant")
def constant(frames: Frames) -> tuple[list[Insight], int]:
    found: list[Insight] = []
    moments = frames.wide["moments"] if frames.wide is not None else {}
    if frames.n_rows < 2:
        return found, 0  # one row holds one value in every column: that says nothing about a column
    for col in frames.profile.columns:
        if col.role == "calendar" and frames.profile.time:
            continue  # one year of data has one year: the overview's period says it
        mom = moments.get(col.name)
        if mom and mom.get("min") is not None:
            single = mom["min"] == mom["max"]
            value = num(mom["min"])
        else:
            single = col.n_distinct is not None and col.n_distinct == 1 and (col.null_frac or 0) < 1
            value = col.mcv[0] if col.mcv else "one value"
        if single:
            found.append(
                finding(
                    "constant",
                    col.name,
                    f"{col.name} holds a single value ({value}) in every non-NULL row.",
                    effect=0.25,
                    columns=(col.name,),
                )
            )
    return found, 0


@rule("id_like")
def id_like(frames: Frames) -> tuple[list[Insight], int]:
    found = []
    n = frames.n_rows
    for name in frames.profile.id_like:
        col = frames.profile.column(name)
        nd = col.n_distinct or 0
        if not (col.unique or (n > 0 and nd >= 0.95 * n)):
            continue
        how = (
            f"has a unique index ({num(n)} distinct values)"
            if col.unique
            else f"has about {num(nd)} distinct values in {num(n)} rows"
        )
        found.append(
            finding(
                "id_like",
                name,
                f"{name} {how}: an identifier, left out of measures and groupings.",
                effect=0.02,
                columns=(name,),
            )
        )
    return found, 0


@rule("high_cardinality")
def high_cardinality(frames: Frames) -> tuple[list[Insight], int]:
    found = []
    n = frames.n_rows
    prof = frames.profile
    for col in prof.columns:
        nd = col.n_distinct or 0
        if col.kind != "text" or col.name in prof.id_like or n < 100 or not (0.5 * n < nd < 0.95 * n):
            continue
        found.append(
            finding(
                "high_cardinality",
                col.name,
                f"{col.name} has about {num(nd)} distinct values in {num(n)} rows ({pct(nd / n)}): "
                "too many to group by, too few to be a key.",
                effect=0.05,
                columns=(col.name,),
            )
        )
    return found, 0


@rule("duplicates")
def duplicates(frames: Frames) -> tuple[list[Insight], int]:
    if not frames.duplicates or frames.n_rows <= 0:
        return [], 0
    fraction = float(frames.cache.get("duplicates_fraction", 1.0))
    # in a sample of fraction f, a duplicate pair survives with f², a large group nearly with f:
    # d / f is a lower bound of the table's duplicates
    found = frames.duplicates / fraction
    share = min(found / frames.n_rows, 1.0)
    ignored = frames.cache.get("duplicates_ignore") or []
    note = f" (ignoring {', '.join(ignored)})" if ignored else ""
    summary = (
        f"{num(found)} rows ({pct(share, 1)}) repeat another row exactly{note}."
        if fraction >= 1.0
        else f"At least about {num(found)} rows ({pct(share, 1)}) repeat another row exactly{note} "
        f"(estimated from a {pct(fraction)} sample)."
    )
    return [finding("duplicates", "rows", summary, effect=share, impact=min(1.0, 3 * share))], 0

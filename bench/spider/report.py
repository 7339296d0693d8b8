"""Spider results as tables: per hardness (right, wrong of answered, refused), reliability bins, latency."""

from __future__ import annotations

import itertools
import statistics
from typing import Any

HARDNESS = ("easy", "medium", "hard", "extra")
BINS = (0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0001)


def tally(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """n, right, wrong (incl. errors), refused and the percentages of a group of scored rows."""
    n = len(rows)
    right = sum(r["outcome"] == "correct" for r in rows)
    refused = sum(r["outcome"] == "refused" for r in rows)
    wrong = n - right - refused
    answered = right + wrong
    return {
        "n": n,
        "right": right,
        "wrong": wrong,
        "refused": refused,
        "right_pct": round(100 * right / n, 1) if n else None,
        "wrong_of_answered_pct": round(100 * wrong / answered, 1) if answered else None,
        "refused_pct": round(100 * refused / n, 1) if n else None,
    }


def reliability(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Answered rows by confidence bin: n, accuracy, mean confidence, and their gap (points)."""
    out = []
    answered = [r for r in rows if r["outcome"] != "refused" and r.get("confidence") is not None]
    for lo, hi in itertools.pairwise(BINS):
        inside = [r for r in answered if lo <= r["confidence"] < hi]
        if not inside:
            continue
        acc = sum(r["outcome"] == "correct" for r in inside) / len(inside)
        conf = statistics.fmean(r["confidence"] for r in inside)
        out.append(
            {
                "bin": f"[{lo:.1f}, {min(hi, 1.0):.1f}]",
                "n": len(inside),
                "accuracy": round(acc, 3),
                "mean_confidence": round(conf, 3),
                "gap_points": round(100 * abs(acc - conf), 1),
            }
        )
    return out


def summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    asks = [r["ask_s"] for r in rows]
    return {
        "overall": tally(rows),
        "by_hardness": {h: tally([r for r in rows if r["hardness"] == h]) for h in HARDNESS},
        "by_db": {d: tally([r for r in rows if r["db"] == d]) for d in sorted({r["db"] for r in rows})},
        "reliability": reliability(rows),
        "latency_ms": {
            "first_ask": round(1000 * asks[0], 1) if asks else None,
            "median_ask": round(1000 * statistics.median(asks), 1) if asks else None,
            "p90_ask": round(1000 * sorted(asks)[int(0.9 * (len(asks) - 1))], 1) if asks else None,
        },
    }


def markdown(s: dict[str, Any]) -> str:
    lines = [
        "| hardness | n | right | right % | wrong of answered % | refused % |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, t in [*s["by_hardness"].items(), ("all", s["overall"])]:
        wa = "—" if t["wrong_of_answered_pct"] is None else t["wrong_of_answered_pct"]
        lines.append(f"| {name} | {t['n']} | {t['right']} | {t['right_pct']} | {wa} | {t['refused_pct']} |")
    lines += ["", "| confidence bin | n | accuracy | mean confidence | gap (points) |", "|---|---:|---:|---:|---:|"]
    lines += [
        f"| {b['bin']} | {b['n']} | {b['accuracy']} | {b['mean_confidence']} | {b['gap_points']} |"
        for b in s["reliability"]
    ]
    lat = s["latency_ms"]
    lines.append(
        f"\nLatency: first question {lat['first_ask']} ms, median {lat['median_ask']} ms, p90 {lat['p90_ask']} ms"
    )
    return "\n".join(lines)

"""Shared by the speed benchmarks: interleaved runs, the machine and its load, a markdown table, JSON results.

Every script runs its paths round-robin (run 1: A, B, C; run 2: A, B, C; …) so load from other work hits them
alike; a path's ratio is taken per run against the anchor measured in the same run, and the table gives the
median and range of those ratios next to the medians of the times. The load average is read before and after
every run; results go to bench/results/NAME.json.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


def machine() -> dict[str, Any]:
    """CPU model, cores, memory, OS and versions of the machine the run is on."""
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            model = next((ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name")), model)
        with open("/proc/meminfo") as fh:
            mem_gib = int(next(ln.split()[1] for ln in fh if ln.startswith("MemTotal"))) / 2**20
    except (OSError, StopIteration):
        mem_gib = 0.0
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_gib, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def load() -> float:
    """The 1-minute load average."""
    return os.getloadavg()[0]


@dataclass
class Runs:
    """Seconds per path and run, the anchor of each path, and the load around each run."""

    anchors: dict[str, str | None]  # path → the path it is compared with (itself for an anchor; None: no ratio)
    times: dict[str, list[float]] = field(default_factory=dict)
    extra: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    loads: list[tuple[float, float]] = field(default_factory=list)

    def add(self, path: str, seconds: float, **extra: Any) -> None:
        self.times.setdefault(path, []).append(seconds)
        self.extra.setdefault(path, []).append(extra)

    def ratios(self, path: str) -> list[float]:
        """The path's time over its anchor's, run by run (empty for a path without an anchor)."""
        anchor = self.anchors.get(path)
        if anchor is None:
            return []
        return [t / a for t, a in zip(self.times[path], self.times[anchor])]

    def rows(self) -> list[dict[str, Any]]:
        out = []
        for path, times in self.times.items():
            ratios = self.ratios(path)
            out.append({
                "path": path,
                "anchor": self.anchors[path],
                "runs": len(times),
                "median_s": statistics.median(times),
                "min_s": min(times),
                "max_s": max(times),
                "ratio_median": statistics.median(ratios) if ratios else None,
                "ratio_min": min(ratios) if ratios else None,
                "ratio_max": max(ratios) if ratios else None,
            })  # fmt: skip
        return out

    def table(self, title: str = "path") -> str:
        lines = [
            f"| {title} | median s (range) | × its anchor, median (range) |",
            "|---|---:|---:|",
        ]
        for r in self.rows():
            if r["anchor"] is None:
                ratio = "—"
            elif r["path"] == r["anchor"]:
                ratio = "anchor"
            else:
                ratio = f"{r['ratio_median']:.2f}x ({r['ratio_min']:.2f}–{r['ratio_max']:.2f})"
            lines.append(f"| {r['path']} | {r['median_s']:.3f} ({r['min_s']:.3f}–{r['max_s']:.3f}) | {ratio} |")
        return "\n".join(lines)

    def load_line(self) -> str:
        flat = [x for pair in self.loads for x in pair]
        return f"load average (1 min) during the runs: {min(flat):.2f}–{max(flat):.2f}" if flat else ""


def interleave(paths: dict[str, Callable[[], Any]], runs: int, result: Runs, *, warm: bool = True) -> Runs:
    """Run every path once per round, `runs` rounds (after one untimed round when `warm`), into `result`.

    A path returning a dict adds it to that run's extra fields; a returned "seconds" replaces the wall time."""
    if warm:
        for fn in paths.values():
            fn()
    for i in range(runs):
        before = load()
        for name, fn in paths.items():
            start = time.perf_counter()
            out = fn()
            elapsed = time.perf_counter() - start
            extra = dict(out) if isinstance(out, dict) else {}
            result.add(name, float(extra.pop("seconds", elapsed)), **extra)
        result.loads.append((before, load()))
        print(f"round {i + 1}/{runs}: " + ", ".join(f"{n} {result.times[n][-1]:.3f} s" for n in paths), flush=True)
    return result


def child(script: str, args: Sequence[str], *, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run `script` with `args` in a fresh interpreter; its last stdout line starting with '{' as JSON."""
    out = subprocess.run(
        [sys.executable, script, *args],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
        check=False,
    )
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
    if out.returncode != 0 or not lines:
        raise SystemExit(f"{script} {' '.join(args)} failed:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}")
    return json.loads(lines[-1])  # type: ignore[no-any-return]


def write_json(name: str, command: str, settings: dict[str, Any], runs: Runs, **more: Any) -> Path:
    """bench/results/NAME.json: the command, the machine, the settings, per-run times, loads and the summary."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    data = {
        "command": command,
        "when": time.strftime("%Y-%m-%d %H:%M:%S"),
        "machine": machine(),
        "settings": settings,
        "loads": runs.loads,
        "times": runs.times,
        "extra": runs.extra,
        "summary": runs.rows(),
        **more,
    }
    path.write_text(json.dumps(data, indent=1, default=str) + "\n")
    return path


def command_line() -> str:
    return "python " + " ".join([str(Path(sys.argv[0]).relative_to(ROOT)) if Path(sys.argv[0]).is_absolute()
                                  else sys.argv[0], *sys.argv[1:]])  # fmt: skip

"""bench/report.py: the markdown it prints from benchlib's JSON (pure logic: made-up results, no server)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))
import benchlib  # noqa: E402
import report  # noqa: E402


def _result(runs: benchlib.Runs, command: str, settings: dict[str, Any], cores: int = 2, **more: Any) -> Any:
    """What benchlib.write_json writes, as parsed JSON."""
    data = {
        "command": command,
        "when": "2026-01-01 00:00:00",
        "machine": {"cpu": "test CPU", "cores": cores, "memory_gib": 8.0, "python": "3.11"},
        "settings": settings,
        "loads": runs.loads,
        "times": runs.times,
        "extra": runs.extra,
        "summary": runs.rows(),
        **more,
    }
    return json.loads(json.dumps(data))


def _fetch(loads: list[tuple[float, float]]) -> Any:
    runs = benchlib.Runs({"pgai": "adbc", "jupysql": "adbc", "adbc": "adbc"})
    for pgai, jupysql, adbc in [(1.0, 9.0, 1.5), (2.0, 10.0, 2.0), (1.0, 7.0, 1.0)]:
        for path, t, cpu in (("pgai", pgai, 0.4), ("jupysql", jupysql, 4.0), ("adbc", adbc, 0.8)):
            runs.add(path, t, cpu_s=cpu, backend_cpu_s=0.3, display_s=0.05, peak_rss_mib=70.0,
                     rss_after_del_mib=2.0, dtypes=["int32", "str"])  # fmt: skip
    runs.loads.extend(loads)
    return _result(runs, "python bench/bench_sql.py --runs 3", {"rows": 1_000_000}, commit="abc1234")


def test_fetch_section_gives_command_load_median_range_and_per_round_ratios() -> None:
    text = "\n".join(report.fetch(_fetch([(0.1, 0.2), (0.2, 0.3), (0.3, 0.4)])))
    assert "`python bench/bench_sql.py --runs 3` (run 2026-01-01 00:00:00 at commit abc1234, 3 interleaved" in text
    assert "**0.10–0.40**, quiet" in text
    # medians and ranges of the times; ratios taken round by round: pgai/adbc = 0.67, 1.0, 1.0
    assert "| 1.000 (1.000–2.000) | 1.00x (0.67–1.00) |" in text
    # JupySQL / pgai per round: 9, 5, 7 → median 7 against the goal of 8
    assert "**JupySQL's time / `%%pgai`'s: 7.00x (5.00–9.00)** per run; goal ≥ 8x: the median misses it." in text
    assert "`%%pgai`'s time / raw ADBC's: 1.00x (0.67–1.00)** per run; goal ≤ 0.8x: the median misses it." in text
    assert "client CPU seconds / `%%pgai`'s: 10.0x (10.0–10.0)" in text
    assert "int32, str" in text


def test_a_loaded_run_says_so_next_to_each_goal() -> None:
    text = "\n".join(report.fetch(_fetch([(0.5, 3.0), (3.0, 9.0), (9.0, 8.0)])))
    assert "**0.50–9.00**, loaded (above 1.3 on 2 cores)" in text
    assert text.count("goal for a quiet machine; this run was loaded") == 2


def test_an_anchorless_path_gets_no_ratio_and_goals_read_their_own_anchor() -> None:
    hand, ours = "hgb: by hand (fetch → predict → write)", "hgb: model score --engine python"
    runs = benchlib.Runs({hand: hand, ours: hand, "forest: fetch → predict": "forest: fetch → predict",
                          "forest: deploy": None})  # fmt: skip
    for h, o, f, d in [(10.0, 11.0, 1.0, 5.0), (8.0, 12.0, 1.0, 6.0), (10.0, 10.0, 2.0, 4.0)]:
        runs.add(hand, h)
        runs.add(ours, o)
        runs.add("forest: fetch → predict", f)
        runs.add("forest: deploy", d)
    runs.loads.extend([(0.2, 0.2)] * 3)
    data = _result(runs, "python bench/bench_score.py", {"rows": 300_000, "forest_rows": 30_000}, forest_nodes=1234)
    text = "\n".join(report.score(data))
    assert "| forest: deploy | 5.000 (4.000–6.000) | — |" in text
    assert "**HistGradientBoosting, `--engine python` / by hand: 1.10x (1.00–1.50)** per run; goal ≤ 1.2x: the " \
           "median meets it." in text  # fmt: skip
    assert "**forest deploy: 5.0 s (4.0–6.0)** (1,234 tree nodes)" in text


def test_missing_results_name_the_command_and_update_rewrites_only_the_marked_part(tmp_path: Path) -> None:
    (tmp_path / "results").mkdir()
    data = _fetch([(0.1, 0.1)] * 3)
    (tmp_path / "results" / "sql_fetch.json").write_text(json.dumps(data))
    text = report.report(tmp_path / "results", ["sql_fetch", "write"])
    assert "### SQL fetch into pandas: 1,000,000 rows" in text
    assert "No results yet (`bench/results/write.json`): run `python bench/bench_write.py --runs 5`." in text
    doc = tmp_path / "B.md"
    doc.write_text(f"# top\nkept\n{report.BEGIN}\nold figures\n{report.END}\n## after\nkept too\n")
    report.update(doc, text)
    out = doc.read_text()
    assert out.startswith("# top\nkept\n") and out.endswith(f"{report.END}\n## after\nkept too\n")
    assert "old figures" not in out and "7.00x" in out
    report.update(doc, text)  # again: the same document
    assert doc.read_text() == out
    with pytest.raises(SystemExit, match="no report markers"):
        report.update(tmp_path / "results" / "sql_fetch.json", text)


def test_the_results_in_the_repository_render() -> None:
    text = report.report()
    assert text.count("### ") >= len(report.SECTIONS) - 1


def test_a_goal_is_judged_at_the_precision_shown() -> None:
    data = {"machine": {"cores": 2}, "loads": [(0.1, 0.2)]}
    assert "0.35x (0.35–0.35)** per run; goal ≤ 0.35x: the median meets it." in report.goal(
        "persist", [0.353, 0.353, 0.354], 0.35, at_most=True, data=data
    )
    assert "the median misses it" in report.goal("persist", [0.36] * 3, 0.35, at_most=True, data=data)


def test_the_load_line_gives_what_copy_does_not_do_and_its_goal() -> None:
    psql, ours = "load 1,000,000-row CSV: psql \\copy", "load 1,000,000-row CSV: %pgai load"
    runs = benchlib.Runs({psql: psql, ours: psql})
    for p, o in [(1.0, 1.2), (1.0, 1.1), (2.0, 2.0)]:
        runs.add(psql, p)
        runs.add(ours, o, infer_s=0.05, analyze_s=0.1)
    runs.loads.extend([(0.3, 0.4)] * 3)
    text = "\n".join(report.write(_result(runs, "python bench/bench_write.py", {"runs": 3})))
    assert "`%pgai load`'s time / psql `\\copy`'s: 1.10x (1.00–1.20)** per run; goal ≤ 0.94x: the median misses" in text
    assert "type inference 0.050 s (0.050–0.050), ANALYZE 0.100 s (0.100–0.100)" in text

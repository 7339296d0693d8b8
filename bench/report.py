"""The speed sections of BENCHMARKS.md, printed from the results the benchmarks wrote (bench/results/*.json).

    python bench/report.py                              # markdown on stdout
    python bench/report.py --update BENCHMARKS.md       # rewrite the part between the two report markers

Every section names the command that wrote its JSON, when and on what machine, the load average (1 min) read before
and after each round, a table of median (range) seconds per path with its ratio to the anchor measured in the same
round (median and range of the per-round ratios, as bench/benchlib.py takes them), and the headline ratios with
their goals. A result file that is missing gives the command that writes it. Re-run the benchmarks, then this.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
BEGIN = "<!-- bench/report.py: begin (generated; edit bench/report.py, not this part) -->"
END = "<!-- bench/report.py: end -->"

Data = dict[str, Any]


# -- figures -----------------------------------------------------------------------------------------------------
def spread(values: Sequence[float], fmt: str = "{:.3f}", unit: str = "") -> str:
    """'median (min–max)' of the values, each written with fmt and unit."""
    med, lo, hi = statistics.median(values), min(values), max(values)
    return f"{fmt.format(med)}{unit} ({fmt.format(lo)}–{fmt.format(hi)})"


def per_run(data: Data, num: str, den: str) -> list[float]:
    """times[num] / times[den], round by round (both measured in the same round)."""
    times = data["times"]
    return [a / b for a, b in zip(times[num], times[den], strict=True)]


def extra(data: Data, path: str, key: str) -> list[float]:
    """A per-run extra figure of a path (e.g. client CPU seconds), run by run."""
    return [float(e[key]) for e in data["extra"][path] if key in e]


def loads(data: Data) -> list[float]:
    return [x for pair in data.get("loads", []) for x in pair]


QUIET_PER_CORE = 0.65


def quiet(data: Data) -> bool:
    """Quiet: the 1-minute load average stayed at or below 0.65 per core in every round (the benchmark's own client
    and server keep about one core busy, so a 2-core machine running nothing else reads 1.0–1.3)."""
    cores = data.get("machine", {}).get("cores") or 1
    seen = loads(data)
    return bool(seen) and max(seen) <= QUIET_PER_CORE * cores


def goal(label: str, values: Sequence[float], target: float, *, at_most: bool, data: Data) -> str:
    """A headline: the per-run figure's median (range), its goal, and whether the median meets it."""
    med = round(statistics.median(values), 2)  # judged as shown: 0.353 is 0.35x
    met = med <= target if at_most else med >= target
    verdict = "meets it" if met else "misses it"
    where = "" if quiet(data) else " (goal for a quiet machine; this run was loaded)"
    sign = "≤" if at_most else "≥"
    shown = spread(values, "{:.2f}", "x")
    return f"- **{label}: {shown}** per run; goal {sign} {target:g}x: the median {verdict}{where}."


# -- common parts ------------------------------------------------------------------------------------------------
def header(data: Data, title: str, intro: str) -> list[str]:
    m = data.get("machine", {})
    seen = loads(data)
    load = f"{min(seen):.2f}–{max(seen):.2f}" if seen else "not recorded"
    cores = m.get("cores")
    state = "quiet" if quiet(data) else f"loaded (above {QUIET_PER_CORE * (cores or 0):g} on {cores} cores)"
    at = f" at commit {data['commit']}" if data.get("commit") else ""
    return [
        f"### {title}",
        "",
        intro,
        "",
        f"Command: `{data['command']}` (run {data.get('when', '?')}{at}, {len(next(iter(data['times'].values())))} "
        f"interleaved rounds). Machine: {m.get('cpu', '?')}, {cores} cores, {m.get('memory_gib', '?')} GiB, "
        f"Python {m.get('python', '?')}. Load average (1 min) during the runs: **{load}**, {state}.",
        "",
    ]


def table(data: Data, labels: dict[str, str] | None = None, *, paths: Sequence[str] | None = None,
          no_ratio: Sequence[str] = ()) -> list[str]:  # fmt: skip
    """Median (range) seconds per path and × its anchor (per-round ratios), from the run's own times."""
    labels = labels or {}
    rows = {r["path"]: r for r in data["summary"]}
    out = ["| path | median s (range) | × anchor, median (range) |", "|---|---:|---:|"]
    for path in paths or list(rows):
        if path not in rows:
            continue
        anchor = rows[path]["anchor"]
        if anchor is None or path in no_ratio:
            ratio = "—"
        elif anchor == path:
            ratio = "anchor"
        else:
            ratio = spread(per_run(data, path, anchor), "{:.2f}", "x")
        out.append(f"| {labels.get(path, path)} | {spread(data['times'][path])} | {ratio} |")
    return [*out, ""]


def missing(title: str, name: str, command: str) -> list[str]:
    return [f"### {title}", "", f"No results yet (`bench/results/{name}.json`): run `{command}`.", ""]


# -- sections ----------------------------------------------------------------------------------------------------
FETCH_LABELS = {
    "pgai": "`%%pgai` (binary COPY → Arrow → pandas)",
    "jupysql": "JupySQL (`%sql` + `.DataFrame()`)",
    "adbc": "raw ADBC (`fetch_arrow_table().to_pandas()`)",
    "read_sql": "`pandas.read_sql` (SQLAlchemy + psycopg2)",
    "pgai_blocking": "`%%pgai`, its reader blocking in libpq between reads (no naps)",
}


def fetch(data: Data) -> list[str]:
    rows = data["settings"]["rows"]
    out = header(data, f"SQL fetch into pandas: {rows:,} rows × 6 columns", (
        "`SELECT *` of a table of int, float8, int, text, timestamptz and bool columns into a pandas DataFrame. Each "
        "measurement is a fresh process that has already run the query with `LIMIT 10`; the fetch is timed without "
        "the display, which is timed apart (IPython's formatters, text/html included). The anchor is raw ADBC."
    ))  # fmt: skip
    out += table(data, FETCH_LABELS)
    methods = [m for m in FETCH_LABELS if m in data["times"]]
    out += ["| path | client CPU s | server backend CPU s | display s | peak RSS growth MiB | RSS left after del MiB |",
            "|---|---:|---:|---:|---:|---:|"]  # fmt: skip
    for m in methods:
        cells = [spread(extra(data, m, k), fmt) for k, fmt in (("cpu_s", "{:.2f}"), ("backend_cpu_s", "{:.2f}"),
                 ("display_s", "{:.3f}"), ("peak_rss_mib", "{:.0f}"), ("rss_after_del_mib", "{:.0f}"))]  # fmt: skip
        out.append(f"| {FETCH_LABELS[m]} | " + " | ".join(cells) + " |")
    out.append("")
    if "pgai" in methods and "jupysql" in methods:
        out.append(goal("JupySQL's time / `%%pgai`'s", per_run(data, "jupysql", "pgai"), 8, at_most=False, data=data))
        cpu = [j / p for j, p in zip(extra(data, "jupysql", "cpu_s"), extra(data, "pgai", "cpu_s"), strict=True)]
        out.append(f"- JupySQL's client CPU seconds / `%%pgai`'s: {spread(cpu, '{:.1f}', 'x')} per run.")
    if "pgai" in methods and "adbc" in methods:
        out.append(goal("`%%pgai`'s time / raw ADBC's", per_run(data, "pgai", "adbc"), 0.8, at_most=True, data=data))
        cpu = [p / a for p, a in zip(extra(data, "pgai", "cpu_s"), extra(data, "adbc", "cpu_s"), strict=True)]
        out.append(f"- `%%pgai`'s client CPU seconds / raw ADBC's: {spread(cpu, '{:.2f}', 'x')} per run (CPU time is "
                   "what load changes least).")  # fmt: skip
    if "pgai" in methods and "pgai_blocking" in methods:
        ratios = spread(per_run(data, "pgai", "pgai_blocking"), "{:.2f}", "x")
        out.append(f"- `%%pgai`'s time / the same with its reader blocking in libpq between reads: {ratios} per run.")
    if "pgai" in methods:
        dtypes = data["extra"]["pgai"][0].get("dtypes")
        out.append(f"- dtypes of the `%%pgai` frame: {', '.join(dtypes or [])} (text as pandas' Arrow-backed `str`).")
    return [*out, ""]


def latency(data: Data) -> list[str]:
    lat = data.get("medians", {}).get("latency_ms")
    if not lat:
        return []
    seen = loads(data)
    shown = ", ".join(f"{k} {v:.3f} ms" for k, v in lat.items())
    return [
        "### Per-statement cost: a 1-row `SELECT 1 AS a`",
        "",
        f"Command: `{data['command']}` (run {data.get('when', '?')}): median of 300 calls per path in one process, "
        f"load average {min(seen):.2f}–{max(seen):.2f}. {shown}; the magic's routing and DataFrame over raw psycopg: "
        f"**{lat['magic'] - lat['psycopg']:.2f} ms**.",
        "",
    ]


WRITE_INTRO = (
    "persist: a DataFrame of int64, float64, int32, text, timestamptz and bool columns into a new table, "
    "`Session.persist` (what `%pgai persist` runs: CREATE TABLE, binary COPY, ANALYZE, one transaction) against "
    "ADBC's `adbc_ingest` with its connect and commit (the anchor). load: the same columns as a CSV with a header, "
    "`Session.load` (what `%pgai load FILE.csv` runs: type inference, CREATE TABLE, `COPY … FROM STDIN (FORMAT csv)`, "
    "commit; the new table's ANALYZE then runs on a second connection and the session's next statement waits for it) "
    "against `psql -c 'CREATE TABLE …' -c '\\copy …'` (the anchor, the psql process included)."
)


def write(data: Data) -> list[str]:
    out = header(data, "Data into PostgreSQL: `%pgai persist` and `%pgai load`", WRITE_INTRO)
    out += table(data)
    for path in data["times"]:
        anchor = next(r["anchor"] for r in data["summary"] if r["path"] == path)
        if path.endswith("%pgai persist"):
            out.append(goal("`%pgai persist`'s time / `adbc_ingest`'s", per_run(data, path, anchor), 0.35,
                            at_most=True, data=data))  # fmt: skip
        if path.endswith("%pgai load"):
            out.append(goal("`%pgai load`'s time / psql `\\copy`'s", per_run(data, path, anchor), 0.94,
                            at_most=True, data=data))  # fmt: skip
            infer, analyze = extra(data, path, "infer_s"), extra(data, path, "analyze_s")
            if infer and analyze:
                out.append(f"- the steps of `%pgai load` that `\\copy` does not take, timed apart after each load: "
                           f"type inference {spread(infer, '{:.3f}', ' s')}, ANALYZE {spread(analyze, '{:.3f}', ' s')} "
                           f"(against `\\copy`'s {spread(data['times'][anchor], '{:.3f}', ' s')}).")  # fmt: skip
            after = extra(data, path, "analyze_after_s")
            if after:
                out.append(f"- the ANALYZE after the load (not in its time; the next statement waits for it) ended "
                           f"{spread(after, '{:.3f}', ' s')} after the load returned.")  # fmt: skip
    return [*out, ""]


SCORE_INTRO = (
    "`model score` against what a user writes by hand (ADBC fetch → `to_pandas` → `predict` → ADBC ingest of "
    "(id, prediction)), on a table of id, eight float8 features and one text feature. Logistic regression and "
    "HistGradientBoosting (pipelines with imputation, scaling, one-hot) score every row with `--engine python`; a "
    "100-tree depth-10 random forest scores the first rows as a SQL function (serial `count(…)`, and `model score "
    "--engine sql`), against fetch → predict of the same rows; `deploy` of the forest is timed each round."
)


def score(data: Data) -> list[str]:
    s = data["settings"]
    title = f"Batch scoring: {s['rows']:,} rows (forest: {s['forest_rows']:,})"
    out = header(data, title, SCORE_INTRO)
    out += table(data, no_ratio=["forest: deploy"])
    times = data["times"]
    for kind, name in (("logistic", "logistic regression"), ("hgb", "HistGradientBoosting")):
        ours, hand = f"{kind}: model score --engine python", f"{kind}: by hand (fetch → predict → write)"
        if ours in times:
            out.append(goal(f"{name}, `--engine python` / by hand", per_run(data, ours, hand), 1.2,
                            at_most=True, data=data))  # fmt: skip
    anchor = "forest: fetch → predict"
    for path in ("forest: SQL function, serial (count)", "forest: model score --engine sql"):
        if path in times:
            out.append(goal(path.replace("forest: ", "forest, ") + " / fetch → predict", per_run(data, path, anchor),
                            2, at_most=True, data=data))  # fmt: skip
    if "forest: deploy" in times:
        out.append(f"- **forest deploy: {spread(times['forest: deploy'], '{:.1f}', ' s')}** "
                   f"({data.get('forest_nodes', 0):,} tree nodes).")  # fmt: skip
    for key, how in data.get("engines", {}).items():
        if key.endswith(" auto"):
            out.append(f"- `model score` with `--engine auto`, {key.split()[0]}: {how}.")
    return [*out, ""]


ASK_INTRO = (
    "`%pgai ask` in a fresh kernel on the tutorial sales tables and eight unrelated ones: `%load_ext`, then the first "
    "questions of bench/nl2sql_questions.yaml at once (the embedding model still loading in the background), the "
    "later ones after it has loaded; each timed with its display (answer table and chart). Anchor: each question's "
    "gold SQL as a `%%pgai` cell in the same process, displayed alike."
)


def ask(data: Data) -> list[str]:
    out = header(data, "`%pgai ask`: the first question and the later ones", ASK_INTRO)
    out += table(data)
    times = data["times"]
    for path, target in (("first question", 2.0), ("slowest later question", 1.0)):
        if path in times:
            met = round(statistics.median(times[path]), 2) <= target
            where = "" if quiet(data) else " (goal for a quiet machine; this run was loaded)"
            out.append(f"- **{path}: {spread(times[path], '{:.2f}', ' s')}**; goal ≤ {target:g} s: the median "
                       f"{'meets' if met else 'misses'} it{where}.")  # fmt: skip
    details = data.get("runs_detail", [])
    if details:
        first = [d["asks"][0] for d in details]
        loading = sum(1 for a in first if a.get("model_loading"))
        out.append(
            f"- the first question was asked while the model still loaded in {loading} of {len(first)} runs; "
            f"`%load_ext` took {spread([d['load_ext_s'] for d in details], '{:.2f}', ' s')}, the model's "
            f"background load {spread([d.get('model_load_s') or 0.0 for d in details], '{:.1f}', ' s')}."
        )
        phases = ", ".join(f"{name} {spread([a.get(name, 0.0) for a in first], '{:.2f}', ' s')}"
                           for name in ("get", "answer_chart"))  # fmt: skip
        out.append(f"- where the first question's time went (catalog `get`, chart): {phases}.")
        ids = [e.get("id") for e in data["extra"].get("slowest later question", []) if e.get("id")]
        if ids:
            out.append(f"- the slowest later question, run by run: {', '.join(ids)}.")
    return [*out, ""]


INFERENCE_INTRO = (
    "A 50-tree depth-3 GradientBoostingClassifier over 8 float8 features: `CREATE TABLE scores AS SELECT id, "
    "pgai.predict_proba_NAME(…)` and the other SQL forms, against the anchor ADBC fetch → `predict_proba` → ADBC "
    "ingest. Compute only: `SELECT sum(f(…))`, serial, against the default form."
)


def inference(data: Data) -> list[str]:
    out = header(data, f"In-database inference: {data['settings']['rows']:,} rows", INFERENCE_INTRO)
    out += table(data)
    compute = data.get("compute") or []
    if compute:
        out += ["| compute only | median s (range) | × default form, median (range) |", "|---|---:|---:|"]
        for r in compute:
            ratio = (
                "anchor"
                if r["path"] == r["anchor"]
                else (f"{r['ratio_median']:.2f}x ({r['ratio_min']:.2f}–{r['ratio_max']:.2f})")
            )
            out.append(f"| {r['path']} | {r['median_s']:.3f} ({r['min_s']:.3f}–{r['max_s']:.3f}) | {ratio} |")
        out.append("")
    for form, (diff, rows) in (data.get("exactness") or {}).items():
        out.append(f"- exactness, {form} form: max |SQL score − scikit-learn score| = {diff!r} over {rows:,} rows.")
    return [*out, ""]


PERSIST_INTRO = (
    "A DataFrame of int64, float64, int32, text, timestamptz and bool columns into a new table: `%pgai persist` "
    "(the anchor) against `DataFrame.to_sql(method='multi')` over SQLAlchemy + psycopg2 and JupySQL's "
    "`%sql --persist`."
)


def persist(data: Data) -> list[str]:
    out = header(data, f"DataFrame → table against pandas and JupySQL: {data['settings']['rows']:,} rows",
                 PERSIST_INTRO)  # fmt: skip
    out += table(data)
    anchor = next(r["anchor"] for r in data["summary"])
    for path in data["times"]:
        if path != anchor:
            out.append(f"- **{path} / `%pgai persist`: {spread(per_run(data, path, anchor), '{:.0f}', 'x')}** per run.")
    return [*out, ""]


# (result name, renderer, title when missing, the command that writes it)
SECTIONS: list[tuple[str, Callable[[Data], list[str]], str, str]] = [
    ("sql_fetch", fetch, "SQL fetch into pandas", "python bench/bench_sql.py --runs 5"),
    (
        "sql_fetch_10000000",
        fetch,
        "SQL fetch into pandas: 10M rows, memory",
        "python bench/bench_sql.py --runs 5 --rows 10000000 --methods pgai,adbc",
    ),
    ("sql_fetch_20000", latency, "Per-statement cost", "python bench/bench_sql.py --runs 5 --rows 20000 --latency"),
    ("write", write, "Data into PostgreSQL", "python bench/bench_write.py --runs 5"),
    (
        "persist_100000",
        persist,
        "DataFrame → table against pandas and JupySQL",
        "python bench/bench_persist.py --runs 5 --rows 100000",
    ),
    ("score", score, "Batch scoring", "python bench/bench_score.py --runs 5"),
    ("ask", ask, "`%pgai ask` latency", "python bench/bench_ask.py --runs 5"),
    ("inference", inference, "In-database inference", "python bench/bench_inference.py --runs 5"),
]


def report(results: Path = RESULTS, only: Sequence[str] = ()) -> str:
    """The markdown of every section whose results are present (a line with the command for those missing)."""
    out: list[str] = []
    for name, render, title, command in SECTIONS:
        if only and name not in only:
            continue
        path = results / f"{name}.json"
        if not path.exists():
            out += missing(title, name, command)
            continue
        out += render(json.loads(path.read_text()))
    return "\n".join(out).rstrip() + "\n"


def update(target: Path, text: str) -> None:
    """Replace what lies between the report markers of `target` with `text` (SystemExit when a marker is missing)."""
    doc = target.read_text()
    if BEGIN not in doc or END not in doc:
        raise SystemExit(f"{target} has no report markers: put these two lines where the sections go:\n{BEGIN}\n{END}")
    head, rest = doc.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    target.write_text(f"{head}{BEGIN}\n\n{text}\n{END}{tail}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--results", type=Path, default=RESULTS, help="the folder of the JSON results")
    parser.add_argument("--only", default="", help="comma-separated result names, e.g. sql_fetch,write")
    parser.add_argument("--update", type=Path, help="a markdown file to rewrite between the report markers")
    args = parser.parse_args()
    text = report(args.results, [n for n in args.only.split(",") if n])
    if args.update is None:
        sys.stdout.write(text)
    else:
        update(args.update, text)
        print(f"updated {args.update}")


if __name__ == "__main__":
    main()

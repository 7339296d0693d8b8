"""Benchmark: batch scoring. `%pgai model score --engine python` against doing fetch → predict → write by hand,
and a 100-tree depth-10 random forest as a SQL function against fetch → predict, with its deploy time.

    python bench/bench_score.py [--runs 5] [--rows 300000] [--forest-rows 30000] [--only logistic,hgb,forest]

The table: `id` bigint primary key, eight float8 features (some NULL) and one text feature (`plan`, 3 values).
Models, fitted on 20,000 rows: the pipeline `model train --algorithm logistic_regression` builds (impute + scale
numbers, impute + one-hot text, LogisticRegression), the same pipeline ending in HistGradientBoostingClassifier,
and RandomForestClassifier(n_estimators=100, max_depth=10) on the eight numbers. Paths, round-robin:

  MODEL by hand          the anchor: ADBC fetch → to_pandas → predict → ADBC ingest (COPY) of (id, prediction)
  MODEL model score      session.models.score(engine="python"): the session's fast path in batches, predict,
                         binary COPY into the new table, the three overlapping
  forest fetch+predict   the forest's anchor on the first --forest-rows rows: ADBC fetch → predict (no write)
  forest SQL             SELECT count(pgai.predict_forest(…)) over the same rows (serial: what scoring them costs
                         PostgreSQL), and model score --engine sql (CREATE TABLE AS, parallel)
  forest deploy          session.deploy of the forest (compile + CREATE FUNCTION), timed each round
Results: a table on stdout and bench/results/score.json.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import benchlib

from pgai_magic.session import Session

NUMBERS = [f"f{i}" for i in range(8)]
FEATURES = [*NUMBERS, "plan"]


def make_table(session: Session, rows: int) -> None:
    """t(id, f0..f7, plan): scaled normal numbers, 1% NULL in f1, three plans (2% NULL)."""
    import pyarrow as pa

    rng = np.random.default_rng(42)
    X = rng.normal(size=(rows, len(NUMBERS))) * [1, 2, 5, 10, 0.5, 1, 3, 100]
    cols: dict[str, Any] = {"id": pa.array(np.arange(1, rows + 1, dtype=np.int64))}
    for j, name in enumerate(NUMBERS):
        values = X[:, j]
        cols[name] = pa.array(values, mask=(rng.random(rows) < 0.01) if name == "f1" else None)
    plan = rng.choice(np.array(["basic", "pro", "team"], dtype=object), size=rows)
    cols["plan"] = pa.array(plan, mask=rng.random(rows) < 0.02)
    session.sql("DROP TABLE IF EXISTS t")
    session.persist(pa.table(cols), "t")
    session.sql("ALTER TABLE t ADD PRIMARY KEY (id); VACUUM ANALYZE t")


def fit_models(session: Session) -> dict[str, Any]:
    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
    from sklearn.pipeline import Pipeline

    from pgai_magic.inference.train import build

    frame = session.sql(f"SELECT {', '.join(FEATURES)} FROM t ORDER BY id LIMIT 20000")
    X = frame[NUMBERS].to_numpy(dtype=float, na_value=np.nan)
    z = np.nan_to_num(X[:, 0] - 0.5 * X[:, 1] + 0.2 * X[:, 2] * (X[:, 3] > 0) + 0.01 * X[:, 7])
    y = (z + (frame["plan"] == "pro") + np.random.default_rng(0).normal(size=len(X)) > 0).astype(int)
    types = [(n, "float8") for n in NUMBERS] + [("plan", "text")]
    logistic = build(types, "logistic_regression", "classification").fit(frame, y)
    prepare = build(types, "logistic_regression", "classification").steps[0][1]
    hgb = Pipeline([("prepare", prepare), ("model", HistGradientBoostingClassifier(random_state=0))]).fit(frame, y)
    forest = RandomForestClassifier(n_estimators=100, max_depth=10, random_state=0)
    forest.fit(np.nan_to_num(X), y)
    return {"logistic": logistic, "hgb": hgb, "forest": forest}


def by_hand(session: Session, est: Any, columns: list[str], table: str, *, write: bool) -> Callable[[], None]:
    """What a user writes: ADBC fetch → pandas → predict → ADBC ingest of (id, prediction)."""

    def run() -> None:
        import adbc_driver_postgresql.dbapi as adbc
        import pyarrow as pa

        with adbc.connect(session.dsn) as ac, ac.cursor() as cur:
            cur.execute(f"SELECT id, {', '.join(columns)} FROM {table}")
            frame = cur.fetch_arrow_table().to_pandas()
            named = getattr(est, "feature_names_in_", None) is not None
            X = frame[columns] if named else frame[columns].to_numpy(dtype=float, na_value=np.nan)
            pred = est.predict(X)
            if write:
                cur.execute("DROP TABLE IF EXISTS scores_by_hand")
                cur.adbc_ingest("scores_by_hand", pa.table({"id": frame["id"], "prediction": pred}), mode="create")
            ac.commit()

    return run


def score(session: Session, name: str, table: str, engine: str, chosen: dict[str, str]) -> Callable[[], None]:
    def run() -> None:
        session.sql("DROP TABLE IF EXISTS scored")
        result = session.models.score(name, table, "scored", key="id", engine=engine)
        chosen[f"{name} {engine}"] = result.engine

    return run


def sql_compute(session: Session, table: str) -> Callable[[], None]:
    cols = ", ".join(NUMBERS)

    def run() -> None:
        conn = session.db.control
        conn.execute("SET max_parallel_workers_per_gather = 0")
        conn.execute(f"SELECT count(pgai.predict_bench_forest({cols})) FROM {table}").fetchone()
        conn.execute("RESET max_parallel_workers_per_gather")

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--forest-rows", type=int, default=30_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", default="logistic,hgb,forest")
    parser.add_argument("--dsn", help="an existing server (default: a fresh embedded one)")
    args = parser.parse_args()
    data_dir = None if args.dsn else Path(tempfile.mkdtemp(prefix="pgai-bench-")) / "pg"
    session = Session(args.dsn, data_dir=data_dir)
    make_table(session, args.rows)
    session.sql(f"DROP TABLE IF EXISTS t_forest; CREATE TABLE t_forest AS SELECT * FROM t ORDER BY id "
                f"LIMIT {args.forest_rows}; ALTER TABLE t_forest ADD PRIMARY KEY (id); ANALYZE t_forest")  # fmt: skip
    models = fit_models(session)
    only = args.only.split(",")
    paths: dict[str, Callable[[], Any]] = {}
    anchors: dict[str, str | None] = {}
    chosen: dict[str, str] = {}
    for kind in ("logistic", "hgb"):
        if kind in only:
            session.deploy(models[kind], f"bench_{kind}")
            hand, ours = f"{kind}: by hand (fetch → predict → write)", f"{kind}: model score --engine python"
            paths[hand] = by_hand(session, models[kind], FEATURES, "t", write=True)
            paths[ours] = score(session, f"bench_{kind}", "t", "python", chosen)
            anchors.update({hand: hand, ours: hand})
    if "forest" in only:
        forest = models["forest"]
        session.deploy(forest, "bench_forest", features=NUMBERS)
        hand = "forest: fetch → predict"
        paths[hand] = by_hand(session, forest, NUMBERS, "t_forest", write=False)
        paths["forest: fetch → predict → write"] = by_hand(session, forest, NUMBERS, "t_forest", write=True)
        paths["forest: SQL function, serial (count)"] = sql_compute(session, "t_forest")
        paths["forest: model score --engine sql"] = score(session, "bench_forest", "t_forest", "sql", chosen)
        paths["forest: model score --engine python"] = score(session, "bench_forest", "t_forest", "python", chosen)
        paths["forest: deploy"] = lambda: session.deploy(forest, "bench_forest", features=NUMBERS)
        anchors.update({p: hand for p in paths if p.startswith("forest")})
        anchors["forest: deploy"] = None  # no anchor: its own figure
    runs = benchlib.Runs(anchors)
    benchlib.interleave(paths, args.runs, runs)
    for kind in only:
        name = f"bench_{kind}"
        table = "t_forest" if kind == "forest" else "t"
        session.sql("DROP TABLE IF EXISTS scored")
        start = time.perf_counter()
        result = session.models.score(name, table, "scored", key="id", engine="auto")
        chosen[f"{name} auto"] = f"{result.engine} in {time.perf_counter() - start:.2f} s ({result.reason})"
    nodes = sum(int(t.tree_.node_count) for t in models["forest"].estimators_)
    print(f"\nrows: {args.rows:,} (forest: {args.forest_rows:,}); forest nodes: {nodes:,}; {benchlib.machine()}")
    print(runs.load_line())
    print(runs.table())
    for key, how in chosen.items():
        print(f"{key}: {how}")
    path = benchlib.write_json("score", benchlib.command_line(), vars(args), runs, engines=chosen, forest_nodes=nodes)
    print(f"results: {path}")
    session.close()


if __name__ == "__main__":
    main()

"""Monitoring: training distribution snapshots, PSI drift per feature, metrics, and the monitor report."""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from pgai_magic.display import counted
from pgai_magic.errors import ModelError

__all__ = [
    "PSI_DRIFT",
    "PSI_MODERATE",
    "MonitorReport",
    "classification_metrics",
    "feature_drift",
    "profile",
    "psi",
    "regression_metrics",
]  # fmt: skip

PSI_MODERATE = 0.1
PSI_DRIFT = 0.25
_EPS = 1e-4
_OTHER = "(other)"


def _as_text(series: pd.Series) -> pd.Series:
    return series.astype(object).where(series.notna(), None).map(lambda v: v if v is None else str(v))


def profile(
    frame: pd.DataFrame, features: Sequence[tuple[str, str]], *, bins: int = 10, top: int = 20
) -> dict[str, Any]:
    """A JSON-able snapshot of each feature's distribution: quantile bins (numbers) or category shares."""
    out: dict[str, Any] = {"n_rows": len(frame), "features": {}}
    for name, sqltype in features:
        if name not in frame.columns:
            continue
        col = frame[name]
        null_fraction = float(col.isna().mean()) if len(col) else 0.0
        if sqltype != "float8":
            texts = _as_text(col).dropna()
            shares = texts.value_counts(normalize=True)
            kept = shares.head(top)
            entry: dict[str, Any] = {
                "kind": "categorical", "categories": {str(k): float(v) for k, v in kept.items()},
                "other": float(max(0.0, 1.0 - kept.sum())) if len(texts) else 0.0,
            }  # fmt: skip
        else:
            values = pd.to_numeric(col, errors="coerce").dropna().to_numpy(dtype=float)
            edges = np.unique(np.quantile(values, np.linspace(0, 1, bins + 1)[1:-1])) if len(values) else np.array([])
            counts = np.bincount(np.searchsorted(edges, values, side="left"), minlength=len(edges) + 1)
            entry = {
                "kind": "numeric", "edges": [float(e) for e in edges],
                "fractions": [float(c) / max(len(values), 1) for c in counts],
                "mean": float(values.mean()) if len(values) else None,
                "std": float(values.std()) if len(values) else None,
            }  # fmt: skip
        entry["null_fraction"] = null_fraction
        out["features"][name] = entry
    return out


def psi(expected: Sequence[float], actual: Sequence[float], eps: float = _EPS) -> float:
    """Population stability index: sum((a - e) * ln(a / e)) over bins, shares floored at eps."""
    e = np.clip(np.asarray(expected, dtype=float), eps, None)
    a = np.clip(np.asarray(actual, dtype=float), eps, None)
    return float(np.sum((a - e) * np.log(a / e)))


def _status(value: float) -> str:
    if math.isnan(value):
        return "n/a"
    return "drift" if value >= PSI_DRIFT else "moderate" if value >= PSI_MODERATE else "stable"


def _shares(entry: dict[str, Any], col: pd.Series) -> tuple[list[float], list[float]]:
    """Expected and actual shares over the same buckets (the last bucket holds NULLs)."""
    n = len(col)
    null_now = float(col.isna().mean()) if n else 0.0
    null_then = float(entry.get("null_fraction", 0.0))
    if entry["kind"] == "numeric":
        values = pd.to_numeric(col, errors="coerce").dropna().to_numpy(dtype=float)
        edges = np.asarray(entry["edges"], dtype=float)
        counts = np.bincount(np.searchsorted(edges, values, side="left"), minlength=len(edges) + 1)
        now = counts / max(len(values), 1)
        then = np.asarray(entry["fractions"], dtype=float)
    else:
        texts = _as_text(col).dropna()
        cats = list(entry["categories"])
        share = texts.value_counts(normalize=True)
        now = np.array([float(share.get(c, 0.0)) for c in cats] + [float(share[~share.index.isin(cats)].sum())])
        then = np.array([entry["categories"][c] for c in cats] + [entry.get("other", 0.0)])
    expected = [*list(then * (1 - null_then)), null_then]
    actual = [*list(now * (1 - null_now)), null_now]
    return expected, actual


def feature_drift(snapshot: dict[str, Any] | None, frame: pd.DataFrame) -> pd.DataFrame:
    """PSI of each profiled feature between the training snapshot and `frame`."""
    rows = []
    for name, entry in (snapshot or {}).get("features", {}).items():
        if name not in frame.columns:
            continue
        expected, actual = _shares(entry, frame[name])
        value = psi(expected, actual)
        rows.append({
            "feature": name, "kind": entry["kind"], "psi": value, "status": _status(value),
            "null_fraction_train": float(entry.get("null_fraction", 0.0)),
            "null_fraction_now": float(frame[name].isna().mean()) if len(frame) else 0.0,
        })  # fmt: skip
    columns = ["feature", "kind", "psi", "status", "null_fraction_train", "null_fraction_now"]
    return pd.DataFrame.from_records(rows, columns=columns).sort_values("psi", ascending=False, ignore_index=True)


def classification_metrics(y_true: Any, y_pred: Any, scores: Any, classes: Sequence[Any]) -> dict[str, Any]:
    """accuracy, and ROC AUC when every class occurs (binary: score of classes[1]; else one-vs-rest)."""
    from sklearn.metrics import roc_auc_score

    truth = list(y_true)
    hits = [a == b for a, b in zip(truth, list(y_pred))]
    out: dict[str, Any] = {"n": len(truth), "accuracy": float(np.mean(hits)) if hits else float("nan")}
    present = set(truth)
    if scores is not None and len(truth) and all(c in present for c in classes):
        if len(classes) == 2:
            positive = np.array([t == classes[1] for t in truth])
            out["auc"] = float(roc_auc_score(positive, np.asarray(scores, dtype=float)))
        else:
            arr = np.vstack(list(scores)).astype(float)
            codes = np.array([list(classes).index(t) for t in truth])
            out["auc"] = float(roc_auc_score(codes, arr, multi_class="ovr", labels=list(range(len(classes)))))
    return out


def regression_metrics(y_true: Any, y_pred: Any) -> dict[str, Any]:
    """MAE, RMSE and R²."""
    t = np.asarray(y_true, dtype=float)
    p = np.asarray(y_pred, dtype=float)
    err = p - t
    out: dict[str, Any] = {"n": len(t), "mae": float(np.mean(np.abs(err))), "rmse": float(np.sqrt(np.mean(err**2)))}
    if len(t) > 1 and np.var(t) > 0:
        out["r2"] = float(1 - np.sum(err**2) / np.sum((t - t.mean()) ** 2))
    return out


@dataclass
class MonitorReport:
    """Current metrics next to the training ones, and per-feature drift, for one model version."""

    name: str
    version: int
    task: str
    n_rows: int
    metrics: pd.DataFrame
    drift: pd.DataFrame
    predictions: pd.DataFrame
    notes: list[str]
    current: dict[str, Any] = field(default_factory=dict)  # the current metrics (accuracy, auc, … / mae, rmse, r2)

    @property
    def drifted(self) -> list[str]:
        return [str(f) for f in self.drift.loc[self.drift["status"] == "drift", "feature"]]

    def summary(self) -> str:
        parts = [f"{self.name} v{self.version}: {counted(self.n_rows, 'row')}"]
        for _, row in self.metrics.iterrows():
            then = "n/a" if pd.isna(row["training"]) else f"{row['training']:.4g}"
            now = "n/a" if pd.isna(row["current"]) else f"{row['current']:.4g}"
            parts.append(f"{row['metric']} {now} (training {then})")
        if len(self.drift) and pd.notna(self.drift.iloc[0].get("psi")):
            worst = self.drift.iloc[0]
            parts.append(f"largest drift: {worst['feature']} PSI {worst['psi']:.3f} ({worst['status']})")
        tested = self.drift.dropna(subset=["p_value"]) if "p_value" in self.drift.columns else self.drift.iloc[:0]
        if len(tested):
            low = tested.sort_values("p_value").iloc[0]
            parts.append(f"smallest p: {low['feature']} {low['test']} {low['statistic']:.3g} p = {low['p_value']:.3g}")
        return "; ".join(parts)

    def feature_lines(self) -> list[str]:
        """One line per feature: PSI and its status, then the test, its statistic and p-value
        (e.g. `spend  PSI 0.412 (drift)  KS 0.210  p = 3.1e-12`)."""
        width = max((len(str(f)) for f in self.drift["feature"]), default=0)
        lines = []
        for row in self.drift.to_dict(orient="records"):
            psi_text = "" if pd.isna(row.get("psi")) else f"PSI {row['psi']:.3f} ({row['status']})"
            test = ""
            if pd.notna(row.get("p_value")):
                test = f"{row['test']} {row['statistic']:.3g}  p = {row['p_value']:.3g}"
            lines.append(f"{str(row['feature']).ljust(width)}  {psi_text:<20}  {test}".rstrip())
        return lines

    def chart(self) -> Any:
        """An altair chart: metrics (training vs current) and PSI per feature."""
        from pgai_magic.inference.charts import monitor_chart

        return monitor_chart(self.name, self.version, self.metrics, self.drift, (PSI_MODERATE, PSI_DRIFT))

    def _repr_html_(self) -> str:
        notes = "".join(f"<p style='color:#a60'>{html.escape(n)}</p>" for n in self.notes)
        formats = {"p_value": lambda v: f"{v:.3g}", "statistic": lambda v: f"{v:.4g}"}
        drift = (
            self.drift.to_html(index=False, float_format=lambda v: f"{v:.4f}", formatters=formats, border=0)  # type: ignore[arg-type]
            if len(self.drift)
            else ""
        )
        return (
            f"<div class='pgai-monitor'><b>{html.escape(self.name)} v{self.version}</b> · {counted(self.n_rows, 'row')}"
            f"{self.metrics.to_html(index=False, float_format=lambda v: f'{v:.4f}', border=0)}{drift}{notes}</div>"
        )

    def __repr__(self) -> str:
        lines = [f"  {line}" for line in self.feature_lines()] if len(self.drift) else []
        return "\n".join([self.summary(), *lines, *(f"note: {n}" for n in self.notes)])


def compare_metrics(training: dict[str, Any], current: dict[str, Any], task: str) -> pd.DataFrame:
    """A metric / training / current / change table over the task's headline metrics."""
    keys = ["accuracy", "auc"] if task == "classification" else ["mae", "rmse", "r2"]
    rows = []
    for key in keys:
        then, now = training.get(key), current.get(key)
        if then is None and now is None:
            continue
        change = None if then is None or now is None else float(now) - float(then)
        rows.append({"metric": key, "training": then, "current": now, "change": change})
    frame = pd.DataFrame.from_records(rows, columns=["metric", "training", "current", "change"])
    return frame.astype({"training": float, "current": float, "change": float})


def align_labels(actual: pd.Series, label_type: str) -> pd.Series:
    """The actual outcomes in the model's label type (0/1 ints for boolean labels and so on)."""
    try:
        if label_type == "boolean":
            return actual.map(lambda v: None if pd.isna(v) else bool(v))
        if label_type == "bigint":
            return actual.map(lambda v: None if pd.isna(v) else int(v))
        if label_type == "text":
            return actual.map(lambda v: None if pd.isna(v) else str(v))
        return pd.to_numeric(actual)
    except (TypeError, ValueError) as exc:
        raise ModelError(f"the actual outcomes cannot be read as {label_type} labels: {exc}") from None

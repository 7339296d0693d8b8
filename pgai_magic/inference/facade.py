"""The model capability (`session.models`), in PostgresML's words: deploy, train, rollback, monitor, split, score;
it delegates to inference.api / registry / score on the Database it is given, never on the session."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd

from pgai_magic.setup import ServerState, requires

if TYPE_CHECKING:  # imported when first used: a session that never touches models does not load them
    from pgai_magic.inference.abtest import VariantReport
    from pgai_magic.inference.monitor import MonitorReport
    from pgai_magic.inference.registry import ModelVersion
    from pgai_magic.inference.request import TrainRequest
    from pgai_magic.inference.schedule import ScheduleRequest
    from pgai_magic.inference.score import ScoreResult
    from pgai_magic.inference.splits import Split

__all__ = ["Models"]


class Models:
    """The in-database models of one server: `models()` lists them; the methods deploy, train, inspect, roll
    back, split, monitor and score them. `state.db` is where they live; `fetch(query)` runs a query into a
    DataFrame (the SQL runner's `sql`). Methods that need the pgai schema
    raise PrivilegeError naming the GRANTs when this role cannot use it."""

    def __init__(self, state: ServerState, fetch: Callable[[str], pd.DataFrame]) -> None:
        self.state = state
        self.db = state.db
        self._fetch = fetch

    @requires("models")
    def __call__(self) -> pd.DataFrame:
        """Deployed models: active version, algorithm, features, headline metrics (one row per model)."""
        from pgai_magic.inference import registry

        return registry.list_models(self.db.control)

    @requires("model deploy")
    def deploy(
        self,
        estimator: Any,
        name: str,
        features: list[str] | str | None = None,
        *,
        data: pd.DataFrame | None = None,
        target: str | None = None,
        metrics: Mapping[str, Any] | None = None,
        types: Mapping[str, str] | None = None,
        strategy: str = "newest",
    ) -> ModelVersion:
        """Compile a fitted estimator/Pipeline to pgai.predict_NAME (+ predict_proba_NAME); a new version.

        `features` default to the estimator's `feature_names_in_`; `data` (the training frame) adds a
        drift snapshot and argument types, with `target` also the metrics on it. `strategy`: newest
        (activate), best (only if its metric beats the active version's) or never. ModelError for an
        estimator that cannot compile or a bad name.
        """
        from pgai_magic.inference import api

        return api.deploy(self.db, estimator, name, features, data=data, target=target, metrics=metrics,
                          types=types, strategy=strategy)  # fmt: skip

    @requires("model train")
    def train(self, request: TrainRequest) -> ModelVersion:
        """Train on the request's query rows in the kernel (held-out split, metrics stored), then deploy.

        Its `strategy` best (default) activates it only when its held-out metric beats the active version's.
        """
        from pgai_magic.inference import api

        return api.train(self.db, request)

    @requires("models")
    def info(self, name: str, version: int | None = None) -> ModelVersion:
        """A model's version (the active one unless `version`) with its `history` of versions; `details()` is
        what `model show` lists."""
        from pgai_magic.inference import registry

        return registry.describe(self.db.control, name, version)

    @requires("model rollback")
    def rollback(self, name: str, version: int | None = None) -> ModelVersion:
        """Make an earlier version (default: the previous one) active again, atomically."""
        from pgai_magic.inference import registry

        return registry.rollback(self.db.control, name, version)

    @requires("model monitor")
    def monitor(self, name: str, actual: str, *, target: str | None = None, record: bool = True) -> MonitorReport:
        """Score `actual` (a SELECT of the features and the outcome column `target`; None: the model's target
        column when the query returns it, else `actual`) in the database; metrics
        and drift (kept in pgai.model_monitoring unless `record` is False)."""
        from pgai_magic.inference import api

        return api.monitor(self.db, name, actual, actual=target, record=record)

    @requires("models")
    def load(self, name: str, version: int | None = None) -> Any:
        """The fitted estimator stored with a version (unpickled: only load models your team deployed)."""
        from pgai_magic.inference import registry

        return registry.load(self.db.control, name, version)

    @requires("model drop")
    def drop(self, name: str) -> int:
        """Remove every version of a model and its SQL functions; returns the number of versions removed."""
        from pgai_magic.inference import registry

        return registry.drop(self.db.control, name)

    def split(self, name: str, versions: list[int], weights: list[int] | None = None) -> Split:
        """A/B split: pgai.variant_NAME(key text) → version and pgai.predict[_proba]_NAME_split(key, features…)."""
        from pgai_magic.inference import api

        return api.split(self.db, name, versions, weights)

    def score(
        self, name: str, table: str, into: str, *, key: str | None = None, engine: str = "auto",
        version: int | None = None, progress: Any = None, on_total: Any = None, log: bool = True,
    ) -> ScoreResult:  # fmt: skip
        """Write (key, prediction) for every row of `table` into the new table `into` (engine auto|sql|python);
        with `log` (default) the rows also go to pgai.prediction_log."""
        from pgai_magic.inference.score import score_table

        return score_table(self.db.control, name, table, into, key=key, engine=engine, version=version,
                           progress=progress, on_total=on_total, stream=self.db.stream, log=log)  # fmt: skip

    def score_split(self, name: str, table: str, into: str, *, key: str | None = None, log: bool = True) -> Any:
        """Score every row of `table` through the model's A/B split into `into` (key, variant, prediction), in
        the database; with `log` the rows also go to pgai.prediction_log with their variant."""
        from pgai_magic.inference.predlog import score_split

        return score_split(self.db.control, name, table, into, key=key, log=log)

    def monitor_variants(self, name: str, actual: str, *, target: str | None = None, key: str = "id") -> VariantReport:
        """Metrics per variant of a split model on `actual` (features, outcome and key), with a significance test."""
        from pgai_magic.inference import api

        return api.monitor_variants(self.db, name, actual, actual=target, key=key)

    # -- monitoring on a schedule, alerts, the prediction log ------------------------------------------------
    @requires("model monitor --every")
    def schedule(self, request: ScheduleRequest) -> dict[str, Any]:
        """Record a monitoring schedule (due now); workers run it (`python -m pgai_magic worker`, or `run_due`)."""
        from pgai_magic.inference.schedule import create

        return create(self.db, request)

    @requires("model schedules")
    def schedules(self, name: str | None = None) -> pd.DataFrame:
        """The monitoring schedules (of one model, or all)."""
        from pgai_magic.inference.schedule import list_schedules

        return list_schedules(self.db.control, name)

    @requires("model schedules --now")
    def due_now(self, name: str) -> list[int]:
        """Make every schedule of model `name` due now (the next worker pass runs them); their ids."""
        from pgai_magic.inference.schedule import due_now

        return due_now(self.db.control, name)

    @requires("model schedules --drop")
    def unschedule(self, schedule_id: int) -> None:
        """Remove a monitoring schedule."""
        from pgai_magic.inference.schedule import drop

        drop(self.db.control, schedule_id)

    @requires("model monitor --every")
    def run_due(self, log: Callable[[str], None] | None = None) -> list[int]:
        """Run the checks that are due now, here (what `python -m pgai_magic worker --once` does); their ids."""
        from pgai_magic.inference.schedule import run_due

        return run_due(self.db.dsn, log=log or (lambda message: None))

    @requires("alerts")
    def alerts(self, include_acknowledged: bool = False) -> pd.DataFrame:
        """The open alerts, newest first (every alert with `include_acknowledged`)."""
        from pgai_magic.inference.alerts import list_alerts

        return list_alerts(self.db.control, include_acknowledged=include_acknowledged)

    @requires("alerts --ack")
    def acknowledge(self, alert_id: int) -> str:
        """Acknowledge an open alert; its message."""
        from pgai_magic.inference.alerts import acknowledge

        return acknowledge(self.db.control, alert_id)

    @requires("model history")
    def history(self, name: str, metric: str = "psi") -> pd.DataFrame:
        """A metric of every monitoring run of `name` (an alert rule's metric: auc, psi, p_value(plan), …)."""
        from pgai_magic.inference.alerts import history
        from pgai_magic.inference.rules import parse_rule

        parse_rule(f"{metric} > 0")  # a known metric, or a clear error
        return history(self.db.control, name, metric)

    @requires("model monitor --from-log")
    def monitor_log(
        self, name: str, actual: str, *, key: str, target: str | None = None, days: int = 30
    ) -> pd.DataFrame:
        """Metrics per version of the predictions logged in the last `days` days, against the outcomes of `actual`
        (its `key` and `target` columns)."""
        from pgai_magic.inference.check import check_log

        return check_log(self.db, name, actual, key=key, actual=target, days=days)

    def status_lines(self) -> dict[str, Any]:
        """`status`'s lines on alerts and monitoring schedules (failing checks and their errors); nothing when this
        role cannot read pgai's schema."""
        if self.state.state_missing is not None:
            return {}
        from pgai_magic.inference.alerts import open_alert_lines
        from pgai_magic.inference.schedule import failing_lines

        lines: dict[str, Any] = {}
        for label, line in (("alerts", open_alert_lines), ("monitoring", failing_lines)):
            try:
                lines[label] = line(self.db.control)
            except Exception as exc:  # noqa: BLE001 - status never fails
                lines[label] = f"unavailable: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
        return lines

"""The session's model verbs (PostgresML's words: deploy, train, rollback, monitor, split, score), delegating to
inference.api / registry / score; mixed into Session, which provides `db` and `sql`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd

from pgai_magic.privileges import needs_state

if TYPE_CHECKING:
    from pgai_magic.db import Database

__all__ = ["ModelsFacade"]


class ModelsFacade:
    """Model verbs of a session; the methods take the session itself (`self`) as the inference API expects."""

    db: Database

    def sql(self, query: str, /, **params: Any) -> pd.DataFrame:  # provided by Session
        raise NotImplementedError

    def _session(self) -> Any:
        """This object as the Session the inference API takes (the facade is only ever mixed into Session)."""
        return self

    @needs_state("model deploy")
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
    ) -> Any:
        """Compile a fitted estimator/Pipeline to pgai.predict_NAME (+ predict_proba_NAME); a new version.

        `features` default to the estimator's `feature_names_in_`; `data` (the training frame) adds a
        drift snapshot and argument types, with `target` also the metrics on it. `strategy`: newest
        (activate), best (only if its metric beats the active version's) or never.
        """
        from pgai_magic.inference import api

        return api.deploy(self._session(), estimator, name, features, data=data, target=target, metrics=metrics,
                          types=types, strategy=strategy)  # fmt: skip

    @needs_state("model train")
    def train(
        self,
        name: str,
        target: str,
        query: str,
        *,
        algorithm: str | None = None,
        test_size: float = 0.2,
        task: str | None = None,
        random_state: int = 0,
        params: Mapping[str, Any] | None = None,
        strategy: str = "best",
    ) -> Any:
        """Train on `query`'s rows in the kernel (held-out split, metrics stored), then deploy as `name`.

        `strategy` best (default) activates it only when its held-out metric beats the active version's.
        """
        from pgai_magic.inference import api

        return api.train(self._session(), name, target, query, algorithm=algorithm, test_size=test_size, task=task,
                         random_state=random_state, params=params, strategy=strategy)  # fmt: skip

    @needs_state("models")
    def models(self) -> pd.DataFrame:
        """Deployed models: active version, algorithm, features, headline metrics."""
        from pgai_magic.inference import registry

        return registry.list_models(self.db.control)

    @needs_state("models")
    def model_info(self, name: str, version: int | None = None) -> dict[str, Any]:
        """A model's registry record (active version unless `version`), its SQL functions and history."""
        from pgai_magic.inference import api

        return api.model_info(self._session(), name, version)

    @needs_state("model rollback")
    def rollback(self, name: str, version: int | None = None) -> Any:
        """Make an earlier version (default: the previous one) active again, atomically."""
        from pgai_magic.inference import registry

        return registry.rollback(self.db.control, name, version)

    @needs_state("model monitor")
    def monitor(self, name: str, actual: str, *, target: str = "actual", record: bool = True) -> Any:
        """Score `actual` (a SELECT of the features and the outcome) in the database; metrics and drift."""
        from pgai_magic.inference import api

        return api.monitor(self._session(), name, actual, actual=target, record=record)

    @needs_state("models")
    def load_model(self, name: str, version: int | None = None) -> Any:
        """The fitted estimator stored with a version (unpickled: only load models your team deployed)."""
        from pgai_magic.inference import registry

        return registry.load(self.db.control, name, version)

    @needs_state("model drop")
    def drop_model(self, name: str) -> int:
        """Remove every version of a model and its SQL functions; returns the number of versions removed."""
        from pgai_magic.inference import registry

        return registry.drop(self.db.control, name)

    def split_model(self, name: str, versions: list[int], weights: list[int] | None = None) -> Any:
        """A/B split: pgai.variant_NAME(key text) → version and pgai.predict[_proba]_NAME_split(key, features…)."""
        from pgai_magic.inference import api

        return api.split(self._session(), name, versions, weights)

    def score_model(
        self, name: str, table: str, into: str, *, key: str | None = None, engine: str = "auto",
        version: int | None = None, progress: Any = None, on_total: Any = None,
    ) -> Any:  # fmt: skip
        """Write (key, prediction) for every row of `table` into the new table `into` (engine auto|sql|python)."""
        from pgai_magic.inference.score import score_table

        return score_table(self.db.control, name, table, into, key=key, engine=engine, version=version,
                           progress=progress, on_total=on_total, fetch=self.sql)  # fmt: skip

    def monitor_variants(self, name: str, actual: str, *, target: str = "actual", key: str = "id") -> Any:
        """Metrics per variant of a split model on `actual` (features, outcome and key), with a significance test."""
        from pgai_magic.inference import api

        return api.monitor_variants(self._session(), name, actual, actual=target, key=key)

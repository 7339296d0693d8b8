"""What a training run fits and deploys: the one definition of `model train`'s options."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pgai_magic.errors import ModelError
from pgai_magic.inference.strategy import STRATEGIES

__all__ = ["TASKS", "TrainRequest"]

TASKS = ("classification", "regression")


@dataclass(frozen=True)
class TrainRequest:
    """One training run, as `%pgai model train`, `Session.train` and `Models.train` take it (PostgresML's words).

    - `name`: the model (pgai.predict_NAME); `target`: the outcome column of `query`, a read query returning the
      features and the target (run READ ONLY);
    - `algorithm`: gradient_boosting (None: the default), random_forest, decision_tree, linear, ...;
    - `test_size`: the held-out fraction in (0, 1); `task`: classification or regression (None: from the target);
    - `random_state`: the seed of the split and the estimator; `params`: the estimator's parameters;
    - `strategy`: best (activate only when the held-out metric beats the active version's), newest or never;
    - `lineage`: what the query was built from (feature views and versions, the training set), kept with the model.

    Raises ModelError naming the bad option.
    """

    name: str
    target: str
    query: str
    algorithm: str | None = None
    test_size: float = 0.2
    task: str | None = None
    random_state: int = 0
    params: Mapping[str, Any] | None = None
    strategy: str = "best"
    lineage: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        if self.strategy not in STRATEGIES:
            raise ModelError(f"unknown deploy strategy {self.strategy!r}: use one of {', '.join(STRATEGIES)}")
        if self.task is not None and self.task not in TASKS:
            raise ModelError(f"unknown task {self.task!r}: use one of {', '.join(TASKS)}")

"""What an insights run analyses and how: the one definition of the insight engine's arguments."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from pgai_magic.errors import ConfigError

__all__ = ["MAX_BUDGET_S", "InsightsRequest"]

MAX_BUDGET_S = 86_400.0  # a day: a longer budget is a typo


def _names(value: str | Sequence[str] | None) -> tuple[str, ...] | None:
    """'a, b' or ['a', 'b'] → ('a', 'b'); None (or nothing but commas and blanks) → None."""
    if value is None:
        return None
    items = value.split(",") if isinstance(value, str) else list(value)
    cleaned = tuple(v.strip() for v in items if v and v.strip())
    return cleaned or None


@dataclass(frozen=True)
class InsightsRequest:
    """One insights run, as `%pgai insights`, `Session.insights` and `find_insights` take it.

    - `table`: a table or view name as PostgreSQL reads it ('orders', 'shop."Mixed Case"'), or
    - `query`: a read query whose result is analysed (exactly one of the two);
    - `measure`, `dimensions`: column names, comma-separated text or a sequence (stored as a tuple; None: chosen
      from types, pg_stats and names); `time`: the date or timestamp column (None: chosen);
    - `top`: rows returned, the overview included (≥ 1); `budget`: seconds for the whole run, in (0, 86400];
    - `sample`: a fixed sampled fraction in (0, 1] (None: sampled only when the budget needs it);
    - `progress`: show a progress bar.

    Raises ConfigError naming the bad argument when the combination is not valid.
    """

    table: str | None = None
    query: str | None = None
    measure: str | Sequence[str] | None = None
    time: str | None = None
    dimensions: str | Sequence[str] | None = None
    top: int = 15
    budget: float = 20.0
    sample: float | None = None
    progress: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "measure", _names(self.measure))
        object.__setattr__(self, "dimensions", _names(self.dimensions))
        if not math.isfinite(self.budget) or not 0 < self.budget <= MAX_BUDGET_S:
            raise ConfigError(f"--budget must be a number of seconds in (0, 86400], not {self.budget}")
        if (self.table is None) == (self.query is None):
            raise ConfigError("give a table or a query (--query), not both and not neither")
        if self.top < 1:
            raise ConfigError(f"--top must be at least 1, not {self.top}")
        if self.sample is not None and not 0 < self.sample <= 1:
            raise ConfigError(f"sample must be a fraction in (0, 1], not {self.sample}")

    @property
    def measures(self) -> list[str] | None:
        """The named measures, or None to choose them."""
        return list(self.measure) if self.measure else None

    @property
    def dims(self) -> list[str] | None:
        """The named dimensions, or None to choose them."""
        return list(self.dimensions) if self.dimensions else None

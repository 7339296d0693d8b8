"""What a point-in-time training set is built from: the one definition of `features training-set`'s options."""

from __future__ import annotations

from dataclasses import dataclass

from pgai_magic.errors import FeatureError

__all__ = ["STRATEGIES", "FeatureRef", "TrainingSetRequest", "parse_refs"]

STRATEGIES = ("auto", "lateral", "sweep")


@dataclass(frozen=True)
class FeatureRef:
    """One item of `--features`: a view (`name`, its latest version unless `version`) and one of its features
    (`feature`; None: all of them). Written `view`, `view@2`, `view:feature` or `view@2:feature` (Feast's
    `view:feature` references)."""

    view: str
    version: int | None = None
    feature: str | None = None

    @classmethod
    def parse(cls, text: str) -> FeatureRef:
        head, _, feature = text.strip().partition(":")
        name, at, version = head.strip().partition("@")
        if not name.strip() or (at and not version.strip().isdigit()) or (_ and not feature.strip()):
            raise FeatureError(f"--features item {text!r} must be VIEW, VIEW@VERSION, VIEW:FEATURE or "
                               "VIEW@VERSION:FEATURE")  # fmt: skip
        return cls(name.strip(), int(version) if at else None, feature.strip() or None)


def parse_refs(features: str | tuple[str, ...] | list[str]) -> tuple[FeatureRef, ...]:
    """`--features a,b:x,c@2` (or a sequence of items) as FeatureRefs; FeatureError when empty or malformed."""
    items = features.split(",") if isinstance(features, str) else list(features)
    refs = tuple(FeatureRef.parse(item) for item in items if item.strip())
    if not refs:
        raise FeatureError("--features names no feature view: give VIEW[,VIEW…] (VIEW:FEATURE for one feature)")
    return refs


@dataclass(frozen=True)
class TrainingSetRequest:
    """`%pgai features training-set` (and `Session.training_set`), in Feast's words:

    - `labels`: one read query returning the entity column(s) of the views, the label time and the labels;
    - `features`: the views and features to join (`parse_refs`: `view`, `view@2`, `view:feature`);
    - `label_time`: the time column of `labels` (None: a column named label_time or event_timestamp, else the
      only date / timestamp column);
    - `ttl`: leave out feature rows older than this before the label time (a PostgreSQL interval such as 30d,
      12h, 2w; a number for numeric time columns); None: no limit;
    - `into`: write the rows to this new table instead of returning them;
    - `strategy`: lateral (one index lookup per label and view), sweep (each view read once, ordered by entity
      and time) or auto (the one the planner estimates cheaper).

    FeatureError naming the bad option.
    """

    labels: str
    features: str | tuple[str, ...]
    label_time: str | None = None
    ttl: str | None = None
    into: str | None = None
    strategy: str = "auto"

    def __post_init__(self) -> None:
        if self.strategy not in STRATEGIES:
            raise FeatureError(f"unknown strategy {self.strategy!r}: use one of {', '.join(STRATEGIES)}")
        parse_refs(self.features)  # a malformed --features fails before any query runs

    @property
    def refs(self) -> tuple[FeatureRef, ...]:
        return parse_refs(self.features)
